"""Bad input: every failure is a ``CmppError`` naming the Result to answer, never a crash."""

from __future__ import annotations

import contextlib
import dataclasses
import typing
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hongyan.protocols.cmpp import pdu as p
from hongyan.protocols.cmpp.codec import (
    _STR,
    LAYOUTS,
    CmppError,
    Decoder,
    decode,
    decode_status_report,
    encode,
    error_response,
)
from hongyan.protocols.cmpp.constants import VERSION_2_0, Result


def frame(command_id: int, body: bytes, sequence: int = 9) -> bytes:
    return (
        (12 + len(body)).to_bytes(4, "big")
        + command_id.to_bytes(4, "big")
        + (sequence.to_bytes(4, "big") + body)
    )


def error_of(data: bytes) -> CmppError:
    with pytest.raises(CmppError) as info:
        decode(data)
    return info.value


SUBMIT = encode(p.Submit(sequence_id=9, dest_terminal_ids=("13800138000",), msg_content=b"abc"))


def test_unknown_command_id_is_a_command_error_with_no_response() -> None:
    err = error_of(frame(0x00000999, b""))
    assert (err.result, err.command_id, err.sequence_id, err.fatal) == (
        Result.COMMAND_ERROR,
        0x999,
        9,
        False,
    )
    assert error_response(err) is None


def test_truncated_submit_is_answered_with_its_response() -> None:
    err = error_of(frame(0x04, SUBMIT[12:40]))
    assert err.result == Result.LENGTH_ERROR and not err.fatal
    assert error_response(err) == p.SubmitResp(sequence_id=9, result=Result.LENGTH_ERROR)


def test_msg_length_beyond_the_body() -> None:
    # Msg_Length says 200; three octets and the Reserve follow
    at = SUBMIT.index(b"\x03abc")
    bad = SUBMIT[:at] + b"\xc8" + SUBMIT[at + 1 :]
    assert error_of(bad).result == Result.LENGTH_ERROR


def test_destination_count_zero_is_a_structure_error() -> None:
    at = SUBMIT.index(b"\x0113800138000")
    bad = SUBMIT[:at] + b"\x00" + SUBMIT[at + 1 + 21 :]
    bad = len(bad).to_bytes(4, "big") + bad[4:]
    assert error_of(bad).result == Result.STRUCTURE_ERROR


def test_octets_after_the_body_are_a_length_error() -> None:
    wire = encode(p.DeliverResp(sequence_id=3)) + b"xx"
    wire = len(wire).to_bytes(4, "big") + wire[4:]
    err = error_of(wire)
    assert err.result == Result.LENGTH_ERROR
    assert error_response(err) is None  # a response is never answered


def test_deliver_error_is_answered_with_deliver_resp() -> None:
    err = error_of(frame(0x05, b"\0" * 20))
    assert error_response(err) == p.DeliverResp(sequence_id=9, result=Result.LENGTH_ERROR)


def test_total_length_disagreeing_with_the_frame_is_fatal() -> None:
    err = error_of(b"\x00\x00\x00\x20" + frame(0x08, b"")[4:])
    assert err.fatal and error_response(err) is None
    assert error_of(b"\x00\x00").fatal


def test_status_report_too_short() -> None:
    with pytest.raises(CmppError):
        decode_status_report(b"\x01" * 59)


def test_encode_refuses_fields_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="src_id"):
        encode(p.Submit(src_id="1" * 22, dest_terminal_ids=("1",)))
    with pytest.raises(ValueError, match="destinations"):
        encode(p.Submit())
    with pytest.raises(ValueError, match="msg_content"):
        encode(p.Submit(dest_terminal_ids=("1",), msg_content=b"x" * 256))
    with pytest.raises(ValueError, match="msg_id"):
        encode(p.SubmitResp(msg_id=1 << 64))
    with pytest.raises(ValueError, match="not supported"):
        encode(p.ActiveTest(), version=0x30)


def test_decoder_splits_and_joins_frames() -> None:
    wire = encode(p.ActiveTest(sequence_id=1)) + SUBMIT + encode(p.Terminate(sequence_id=2))
    decoder = Decoder()
    out: list[Any] = []
    for i in range(0, len(wire), 7):
        out += decoder.feed(wire[i : i + 7])
    assert [type(x) for x in out] == [p.ActiveTest, p.Submit, p.Terminate]
    assert decoder.pending == 0


def test_decoder_reports_a_bad_frame_and_goes_on() -> None:
    out = Decoder().feed(frame(0x04, b"\0" * 5) + encode(p.ActiveTest(sequence_id=4)))
    assert isinstance(out[0], CmppError) and out[1] == p.ActiveTest(sequence_id=4)


@pytest.mark.parametrize("length", [0, 11, 8193, 0xFFFFFFFF])
def test_impossible_total_length_breaks_the_stream(length: int) -> None:
    decoder = Decoder()
    [err] = decoder.feed(length.to_bytes(4, "big") + bytes(8) + bytes(20))
    assert isinstance(err, CmppError) and err.fatal
    with pytest.raises(RuntimeError):
        decoder.feed(b"more")


def test_unsupported_version_is_refused_up_front() -> None:
    with pytest.raises(ValueError):
        Decoder(version=0x13)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_garbage_never_raises_anything_but_cmpp_error(data: bytes) -> None:
    decoder = Decoder()
    try:
        decoder.feed(data)
        decoder.feed(data)
    except RuntimeError:
        pass  # the stream was broken by a framing error: feeding it again is refused
    with contextlib.suppress(CmppError):
        decode(data)
    with contextlib.suppress(CmppError):
        decode_status_report(data)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(LAYOUTS[VERSION_2_0], key=lambda c: c.command_id)), st.data())
def test_headers_with_garbage_bodies(cls: type[p.Pdu], data: st.DataObject) -> None:
    body = data.draw(st.binary(max_size=300))
    try:
        decode(frame(cls.command_id, body))
    except CmppError as exc:
        assert exc.command_id == cls.command_id and exc.sequence_id == 9


def _value(name: str, kind: int, size: int, tp: Any) -> st.SearchStrategy[Any]:
    if kind == _STR:
        chars = st.characters(min_codepoint=1, max_codepoint=255)
        return st.text(chars, max_size=size)
    if tp is bytes and name == "msg_content":
        return st.binary(max_size=255)
    if tp is bytes:
        return st.binary(min_size=size, max_size=size)
    if name == "dest_terminal_ids":
        chars = st.characters(min_codepoint=1, max_codepoint=255)
        return st.lists(st.text(chars, max_size=size), min_size=1, max_size=5).map(tuple)
    return st.integers(0, (1 << (8 * size)) - 1)


def _pdus() -> st.SearchStrategy[p.Pdu]:
    options = []
    for cls, layout in LAYOUTS[VERSION_2_0].items():
        hints = typing.get_type_hints(cls)
        fields = {n: _value(n, k, s, hints[n]) for n, k, s in layout}
        fields["sequence_id"] = st.integers(0, 0xFFFFFFFF)
        options.append(st.builds(cls, **fields))
    return st.one_of(options)


@settings(max_examples=300, deadline=None)
@given(_pdus())
def test_round_trip(pdu: p.Pdu) -> None:
    assert decode(encode(pdu)) == pdu


def test_every_field_of_every_pdu_is_on_the_wire() -> None:
    for cls, layout in LAYOUTS[VERSION_2_0].items():
        on_wire = {name for name, *_ in layout} | {"sequence_id"}
        assert {f.name for f in dataclasses.fields(cls)} == on_wire, cls.__name__
