"""Every decode error names the command_status to answer with."""

from __future__ import annotations

import pytest

from hongyan.protocols.smpp import pdu as p
from hongyan.protocols.smpp.codec import Decoder, PduError, decode, encode, response_status_pdu
from hongyan.protocols.smpp.constants import CommandStatus as S


def frame(command_id: int, body: bytes, sequence: int = 9) -> bytes:
    header = (16 + len(body)).to_bytes(4, "big") + command_id.to_bytes(4, "big")
    return header + bytes(4) + sequence.to_bytes(4, "big") + body


def error_of(data: bytes) -> PduError:
    with pytest.raises(PduError) as info:
        decode(data)
    return info.value


def test_unknown_command_id_is_rinvcmdid_and_answered_with_generic_nack() -> None:
    err = error_of(frame(0x00000999, b""))
    assert err.command_status is S.ESME_RINVCMDID and not err.fatal
    nack = response_status_pdu(err)
    assert nack == p.GenericNack(sequence_number=9, command_status=S.ESME_RINVCMDID)


@pytest.mark.parametrize(
    ("field_bytes", "status"),
    [
        (b"\0" + b"\0\0" + b"A" * 30 + b"\0", S.ESME_RINVSRCADR),
        (b"TOOLONG\0", S.ESME_RINVSERTYP),
    ],
)
def test_oversized_fields_name_the_field(field_bytes: bytes, status: S) -> None:
    err = error_of(frame(0x04, field_bytes + bytes(30)))
    assert err.command_status is status
    assert response_status_pdu(err) == p.SubmitSmResp(sequence_number=9, command_status=status)


def test_bind_with_long_system_id_is_rinvsysid() -> None:
    assert error_of(frame(0x09, b"x" * 20 + b"\0")).command_status is S.ESME_RINVSYSID


def test_sm_length_beyond_body_is_rinvmsglen() -> None:
    good = encode(p.SubmitSm(short_message=b"abc"))
    bad = good[:-4] + b"\x09" + good[-3:]  # sm_length 9, only 3 octets follow
    assert error_of(bad).command_status is S.ESME_RINVMSGLEN


def test_truncated_body_is_rinvcmdlen() -> None:
    assert error_of(frame(0x04, b"\0\0\0abc")).command_status is S.ESME_RINVCMDLEN


def test_truncated_tlv_is_rinvoptparstream() -> None:
    wire = frame(0x80000004, b"id\0" + b"\x00\x1e\x00\x09ab")
    assert error_of(wire).command_status is S.ESME_RINVOPTPARSTREAM


def test_trailing_bytes_on_a_bodyless_pdu_are_rinvcmdlen() -> None:
    assert error_of(frame(0x15, b"\0")).command_status is S.ESME_RINVCMDLEN


def test_impossible_command_length_is_fatal_and_stops_the_stream() -> None:
    decoder = Decoder()
    out = decoder.feed(encode(p.EnquireLink(sequence_number=1)) + b"\0\0\0\x05" + bytes(12))
    assert out[0] == p.EnquireLink(sequence_number=1)
    assert isinstance(out[1], PduError) and out[1].fatal
    assert out[1].command_status is S.ESME_RINVCMDLEN
    assert isinstance(response_status_pdu(out[1]), p.GenericNack)
    with pytest.raises(RuntimeError):
        decoder.feed(b"")


def test_oversized_command_length_is_fatal_before_buffering() -> None:
    out = Decoder().feed(b"\x7f\xff\xff\xff" + bytes(12))
    assert len(out) == 1 and isinstance(out[0], PduError) and out[0].fatal


def test_partial_frames_wait_then_errors_do_not_stop_the_stream() -> None:
    decoder = Decoder()
    wire = frame(0x999, b"") + encode(p.Unbind(sequence_number=3))
    assert decoder.feed(wire[:20]) != []  # the unknown one is whole
    assert decoder.pending == 4
    assert decoder.feed(wire[20:]) == [p.Unbind(sequence_number=3)]


def test_error_response_without_body_decodes() -> None:
    resp = decode(frame(0x80000004, b""))
    assert resp == p.SubmitSmResp(sequence_number=9)


def test_encoder_refuses_fields_that_do_not_fit() -> None:
    with pytest.raises(ValueError):
        encode(p.SubmitSm(destination_addr="1" * 21))
    with pytest.raises(ValueError):
        encode(p.SubmitSm(short_message=b"x" * 255))
