"""decode(encode(pdu)) == pdu for generated PDUs; random bytes never crash the decoder."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hongyan.protocols.smpp import pdu as p
from hongyan.protocols.smpp.codec import LAYOUTS, Decoder, PduError, decode, encode

_C_FIELD = 0


def _field_strategy(name: str, kind: int, size: int) -> st.SearchStrategy[Any]:
    if kind == _C_FIELD:
        return st.text(st.characters(min_codepoint=1, max_codepoint=255), max_size=size - 1)
    if kind == 1:
        return st.integers(0, 255)
    return st.binary(max_size=254)


_tlvs = st.lists(st.builds(p.Tlv, st.integers(0, 0xFFFF), st.binary(max_size=40)), max_size=4).map(
    tuple
)


def _pdu_strategy(cls: type[p.Pdu]) -> st.SearchStrategy[p.Pdu]:
    kwargs: dict[str, st.SearchStrategy[Any]] = {
        "sequence_number": st.integers(0, 0xFFFFFFFF),
        "command_status": st.integers(0, 0xFFFFFFFF),
    }
    for name, kind, size, _ in LAYOUTS[cls]:
        kwargs[name] = _field_strategy(name, kind, size)
    if issubclass(cls, p.WithTlvs):
        kwargs["tlvs"] = _tlvs
    return st.builds(cls, **kwargs)


any_pdu = st.one_of(*(_pdu_strategy(cls) for cls in LAYOUTS))


@given(any_pdu)
@settings(max_examples=600)
def test_decode_inverts_encode(pdu: p.Pdu) -> None:
    assert decode(encode(pdu)) == pdu


@given(st.lists(any_pdu, min_size=1, max_size=5), st.integers(1, 64))
def test_stream_decoder_reassembles_any_chunking(pdus: list[p.Pdu], chunk: int) -> None:
    wire = b"".join(encode(x) for x in pdus)
    decoder = Decoder()
    out: list[p.Pdu | PduError] = []
    for i in range(0, len(wire), chunk):
        out += decoder.feed(wire[i : i + chunk])
    assert out == pdus
    assert decoder.pending == 0


@given(st.lists(any_pdu, max_size=4), st.integers(1, 40), st.sampled_from([0, 15, 70_001]))
def test_an_impossible_length_ends_the_stream_after_the_whole_frames(
    pdus: list[p.Pdu], chunk: int, length: int
) -> None:
    """However the bytes are cut (frames buffered across reads or not), every PDU before a
    frame with an impossible command_length comes out, then the fatal error, then nothing."""
    wire = b"".join(encode(x) for x in pdus) + length.to_bytes(4, "big") + bytes(12) + b"junk"
    decoder = Decoder()
    out: list[p.Pdu | PduError] = []
    for i in range(0, len(wire), chunk):
        try:
            out += decoder.feed(wire[i : i + chunk])
        except RuntimeError:
            break
    assert out[:-1] == pdus
    assert isinstance(out[-1], PduError) and out[-1].fatal
    with pytest.raises(RuntimeError):
        decoder.feed(b"")


@given(st.binary(max_size=300))
@settings(max_examples=1000)
def test_random_bytes_never_crash_the_decoder(data: bytes) -> None:
    for item in Decoder().feed(data):
        assert isinstance(item, p.Pdu | PduError)


@given(st.binary(min_size=0, max_size=200), st.sampled_from(sorted(LAYOUTS, key=str)))
@settings(max_examples=800)
def test_random_bodies_behind_a_valid_header_fail_cleanly(body: bytes, cls: type[p.Pdu]) -> None:
    frame = (16 + len(body)).to_bytes(4, "big") + cls.command_id.to_bytes(4, "big")
    frame += bytes(8) + body
    try:
        result = decode(frame)
    except PduError as exc:
        assert not exc.fatal
        assert exc.command_status != 0
    else:
        assert type(result) is cls


def test_every_layout_names_real_fields() -> None:
    for cls, layout in LAYOUTS.items():
        names = {f.name for f in dataclasses.fields(cls)}
        assert {name for name, *_ in layout} <= names
        assert typing.get_type_hints(cls)  # annotations resolve
