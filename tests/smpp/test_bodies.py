"""GSM 03.38 / UCS2 / Latin-1 bodies and UDH concatenation, both ways."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hongyan.core import segments
from hongyan.protocols import gsm7
from hongyan.protocols.smpp.body import (
    Concat,
    Udh,
    body_text,
    decode_text,
    encode_text,
    encode_udh,
    segment_bodies,
    split_udh,
)
from hongyan.protocols.smpp.reassembly import Reassembler


@pytest.mark.parametrize(
    ("text", "coding", "wire"),
    [
        ("@£$", 0, b"\x00\x01\x02"),
        ("€[]", 0, b"\x1b\x65\x1b\x3c\x1b\x3e"),  # extension table, two septets each
        ("你好", 8, bytes.fromhex("4f60597d")),
        ("😀", 8, bytes.fromhex("d83dde00")),  # surrogate pair
        ("café", 3, b"caf\xe9"),
    ],
)
def test_text_vectors(text: str, coding: int, wire: bytes) -> None:
    assert encode_text(text, coding) == wire
    assert decode_text(wire, coding) == text


def test_unencodable_text_raises_and_bad_bytes_do_not() -> None:
    with pytest.raises(ValueError):
        encode_text("你", 0)
    assert decode_text(b"\xd8", 8) == "\ufffd"


gsm_text = st.text(
    st.sampled_from(gsm7.BASIC.replace("\x1b", "") + "".join(gsm7.EXTENSION.values()))
)


@given(gsm_text)
def test_gsm_round_trip(text: str) -> None:
    assert decode_text(encode_text(text, 0), 0) == text


@given(st.text(st.characters(blacklist_categories=("Cs",))))
def test_ucs2_round_trip_including_astral(text: str) -> None:
    assert decode_text(encode_text(text, 8), 8) == text


@pytest.mark.parametrize(
    ("udh", "wire"),
    [
        (Udh(Concat(0x2A, 3, 1)), bytes.fromhex("0500032a0301")),
        (Udh(Concat(0x1234, 2, 2, wide=True)), bytes.fromhex("06080412340202")),
        (
            Udh(Concat(1, 2, 1), ((0x05, b"\x0b\x84\x23\xf0"),)),
            bytes.fromhex("0b000301020105040b8423f0"),
        ),
    ],
)
def test_udh_vectors(udh: Udh, wire: bytes) -> None:
    assert encode_udh(udh) == wire
    assert split_udh(wire + b"payload") == (udh, b"payload")


@pytest.mark.parametrize("bad", [b"", b"\x05\x00\x03", b"\x03\x00\x05\x01", b"\x01\x00"])
def test_malformed_udh_is_a_value_error(bad: bytes) -> None:
    with pytest.raises(ValueError):
        split_udh(bad)


def _round_trip(text: str, *, wide: bool, order: list[int] | None = None) -> str:
    alphabet = segments.alphabet_of(text)
    coding = 0 if alphabet is segments.Alphabet.GSM7 else 8
    bodies = segment_bodies(segments.split(text, alphabet), coding, 77, wide=wide)
    assert len(bodies) == segments.count_segments(text)
    # UCS2 with an 8-bit reference fills exactly 140 octets; GSM7 goes unpacked (<= 160 septets
    # once packed by the SMSC, UDH included).
    limit = 140 if coding == 8 else 6 + 153
    assert all(len(b.short_message) <= limit + wide for b in bodies)
    reassembler = Reassembler()
    result = None
    for i in order or range(len(bodies)):
        body = bodies[i]
        concat, _ = body_text(body.esm_class, body.data_coding, body.short_message)
        _, payload = split_udh(body.short_message) if concat else (None, body.short_message)
        result = (
            reassembler.add(
                source_addr="1",
                destination_addr="2",
                reference=concat.reference if concat else 0,
                total=concat.total if concat else 1,
                seqnum=concat.seqnum if concat else 1,
                data_coding=coding,
                payload=payload,
                now=0.0,
            )
            or result
        )
    assert result is not None and result.complete
    return result.text


@pytest.mark.parametrize("wide", [False, True])
@pytest.mark.parametrize(
    "text",
    ["short", "x" * 161, "€" * 100, "emoji 😀" * 30, "中文短信" * 40, "a{b}" * 90],
)
def test_concatenation_round_trip(text: str, wide: bool) -> None:
    assert _round_trip(text, wide=wide) == text


@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_any_text_concatenates_and_reassembles(text: str) -> None:
    assert _round_trip(text, wide=False) == text


def test_reassembly_out_of_order_with_duplicates() -> None:
    text = "😀 reversed order " * 20
    count = segments.count_segments(text)
    order = [*reversed(range(count)), 0]
    assert _round_trip(text, wide=False, order=order) == text


def test_reassembly_timeout_returns_partial_and_duplicates_ignored() -> None:
    r = Reassembler(timeout=10)
    common = {"source_addr": "1", "destination_addr": "2", "reference": 5, "total": 3}
    assert r.add(**common, seqnum=1, data_coding=0, payload=b"ab", now=0) is None
    assert r.add(**common, seqnum=1, data_coding=0, payload=b"XX", now=1) is None
    assert r.add(**common, seqnum=9, data_coding=0, payload=b"no", now=1) is None
    assert r.expire(now=5) == []
    [late] = r.expire(now=10)
    assert (late.text, late.complete, len(r)) == ("ab", False, 0)


def test_surrogate_pair_split_across_parts_still_decodes() -> None:
    r = Reassembler()
    wire = "😀".encode("utf-16-be")
    common = {"source_addr": "1", "destination_addr": "2", "reference": 1, "total": 2}
    assert r.add(**common, seqnum=2, data_coding=8, payload=wire[2:], now=0) is None
    done = r.add(**common, seqnum=1, data_coding=8, payload=wire[:2], now=0)
    assert done is not None and done.text == "😀"


@given(st.text(max_size=50) | gsm_text)
def test_gsm7_try_encode_agrees_with_encode(text: str) -> None:
    expected = gsm7.encode(text) if gsm7.is_gsm7(text) else None
    assert gsm7.try_encode(text) == expected


@given(st.binary(max_size=60))
def test_gsm7_decode_fast_path_agrees_with_the_octet_walk(data: bytes) -> None:
    without_escapes = data.replace(b"\x1b", b"").replace(b"\x9b", b"")
    slow = "".join(gsm7.BASIC[octet & 0x7F] for octet in without_escapes)
    assert gsm7.decode(without_escapes) == slow
