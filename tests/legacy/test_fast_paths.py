"""The per-request fast paths of the legacy codecs give exactly what the general code gives.

Each fast path (percent-decoding by splitting on ``%``, fields and forms built without a frozen
dataclass's ``__setattr__``, HI8D answers from pre-encoded parts) is compared here with the
straightforward code it replaced, kept below as the reference, over tables of the inputs
legacy clients really send and over generated ones.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hongyan.protocols.legacy import hi8d
from hongyan.protocols.legacy.forms import (
    Field,
    Form,
    Source,
    decode_text,
    parse_form,
    percent_decode,
)
from hongyan.protocols.refusals import Refusal

# --- the reference: the general code the fast paths replaced ---------------------------------

_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")


def reference_percent_decode(data: bytes) -> bytes:
    data = data.replace(b"+", b" ")
    return _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data)


def _reference_field(name: bytes, value: bytes, source: Source, declared: str | None) -> Field:
    if declared is None and name.isascii() and value.isascii():
        return Field(name.decode("ascii"), value.decode("ascii"), source, value)
    text, charset, lossy = decode_text(value, declared)
    return Field(decode_text(name, declared)[0], text, source, value, charset, lossy)


def reference_urlencoded(data: bytes, declared: str | None) -> Iterator[Field]:
    for pair in data.split(b"&"):
        if not pair.strip():
            continue
        name, _, value = pair.partition(b"=")
        name = reference_percent_decode(name).strip()
        if not name:
            continue
        yield _reference_field(name, reference_percent_decode(value), Source.QUERY, declared)


def reference_answer(body: dict[str, object]) -> bytes:
    return json.dumps(body, ensure_ascii=True, separators=(",", ":")).encode("ascii")


# --- inputs ----------------------------------------------------------------------------------

TRICKY = [
    b"",
    b"+",
    b"++a+",
    b"%2B",
    b"%2b%2B+",
    b"%",
    b"%%",
    b"%%41",
    b"a%",
    b"a%4",
    b"%4g",
    b"%zz",
    b"%ZZ%41",
    b"%e4%bd%a0%E5%A5%BD",
    b"%C4%E3%BA%C3",  # GBK
    b"%C4%E3%BA",  # GBK cut in half
    "你好".encode(),
    "你好".encode("gbk"),
    b"\xff\xfe",
    b"%00",
    b"%25",
    b"%2525",
    b"%0a%0D%09",
    b"%7F%80",
    b"%20x%20",
]

QUERIES = [
    b"account=bench&passwd=e10adc3949ba59abbe56e057f20f883e&mb=8613012345678"
    b"&content=hongyan%20benchmark%20message",
    b"",
    b"&",
    b"&&a=1&&",
    b"a",
    b"a=",
    b"=a",
    b"+=a",
    b"%20=a",
    b" a =1",
    b"a=1&a=2&A=3",
    b"mb=1&mb=2",
    b"a+b=c+d",
    b"a%2Bb=c%2Bd",
    b"%zz=%zz",
    b"%=%",
    b"content=%C4%E3%BA%C3",
    b"content=%C4%E3%BA&account=x",
    b"content=" + "好的".encode("gbk"),
    "名=值".encode(),
    b"n%E5%90%8D=1",
    b"a=%00",
    b"a=1=2",
    b"\t=1&\r\n",
]


# --- percent-decoding ------------------------------------------------------------------------


@pytest.mark.parametrize("data", TRICKY)
def test_percent_decode_table(data: bytes) -> None:
    assert percent_decode(data) == reference_percent_decode(data)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([b"%", b"+", b"2", b"b", b"B", b"f", b"g", b"z", b"\xc4", b" "])))
def test_percent_decode_generated(pieces: list[bytes]) -> None:
    data = b"".join(pieces)
    assert percent_decode(data) == reference_percent_decode(data)


# --- forms -----------------------------------------------------------------------------------


def _same_form(made: Form, fields: Sequence[Field], fold_case: bool) -> None:
    expected = Form(tuple(fields), fold_case)
    assert made == expected
    assert made.params == expected.params
    for f in made.fields:
        assert type(f) is Field
        assert vars(f) == vars(expected.fields[made.fields.index(f)])
        assert made.lossy(f.name) == expected.lossy(f.name)
    assert vars(made).keys() == vars(expected).keys()


@pytest.mark.parametrize(
    "query", QUERIES + [b"v=" + t for t in TRICKY] + [t + b"=v" for t in TRICKY]
)
@pytest.mark.parametrize("fold_case", [False, True])
def test_query_fields_table(query: bytes, fold_case: bool) -> None:
    form = parse_form("GET", query, None, b"", fold_case=fold_case)
    _same_form(form, list(reference_urlencoded(query, None)), fold_case)


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded; charset=gbk",
        "application/x-www-form-urlencoded; charset=utf-8",
        "text/plain; charset=bogus",
    ],
)
def test_query_fields_with_a_declared_charset(query: bytes, content_type: str) -> None:
    form = parse_form("GET", query, content_type, b" \r\n")
    declared = "gbk" if "gbk" in content_type else ("utf-8" if "utf-8" in content_type else None)
    if declared is None:
        declared = "bogus"
    _same_form(form, list(reference_urlencoded(query, declared)), False)


@pytest.mark.parametrize("body", [q for q in QUERIES if q.strip()])
def test_body_fields_follow_the_query_fields(body: bytes) -> None:
    form = parse_form("POST", b"a=q", "application/x-www-form-urlencoded", body)
    reference = list(reference_urlencoded(b"a=q", None))
    reference += [
        dataclasses.replace(f, source=Source.BODY) for f in reference_urlencoded(body, None)
    ]
    _same_form(form, reference, False)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [b"%", b"+", b"&", b"=", b"a", b"A", b"4", b"1", b"e", b"\xc4", b"\xe4", b" ", b"\t"]
        )
    ),
    st.booleans(),
)
def test_query_fields_generated(pieces: list[bytes], fold_case: bool) -> None:
    query = b"".join(pieces)
    form = parse_form("GET", query, None, b"", fold_case=fold_case)
    _same_form(form, list(reference_urlencoded(query, None)), fold_case)


def test_fast_built_values_stay_frozen() -> None:
    form = parse_form("GET", b"a=1", None, b"")
    with pytest.raises(dataclasses.FrozenInstanceError):
        form.fields[0].value = "2"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        form.fold_case = True  # type: ignore[misc]
    assert hash(form.fields[0]) == hash(Field("a", "1", Source.QUERY, b"1"))


# --- HI8D answers ----------------------------------------------------------------------------

STRINGS = ["", "8613012345678", "+86 130", 'a"b', "a\\b", "\x00\x1f\x7f", "号码", "😀", "\ud800"]


@pytest.mark.parametrize("refusal", list(Refusal))
def test_refused_answers(refusal: Refusal) -> None:
    code, msg = hi8d.CODES[refusal]
    assert hi8d.format_refused(refusal) == reference_answer({"status": 0, "msg": msg, "code": code})
    for failed in ([], ["1"], STRINGS):
        body: dict[str, object] = {"status": 0, "msg": msg, "code": code}
        if failed:
            body["failed"] = ",".join(failed)
        assert hi8d.format_refused(refusal, failed) == reference_answer(body)


def _reference_accepted(
    guids: Sequence[str | int], numbers: Sequence[str], failed: Sequence[str]
) -> bytes:
    body: dict[str, object] = {
        "status": 1,
        "msg": hi8d.SENT_OK,
        "guid": ",".join(str(g) for g in guids),
        "mb": ",".join(numbers),
    }
    if failed:
        body["failed"] = ",".join(failed)
    return reference_answer(body)


@pytest.mark.parametrize("text", STRINGS)
def test_accepted_answers_table(text: str) -> None:
    for guids, numbers, failed in [
        ((1,), [text], []),
        ((1, 2), ["8613012345678", text], [text]),
        (("x" + text,), ["1"], [text, text]),
    ]:
        assert hi8d.format_accepted(guids, numbers, failed) == _reference_accepted(
            guids, numbers, failed
        )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2**63) | st.text(max_size=5), st.text(max_size=8)), min_size=1
    ),
    st.lists(st.text(max_size=8)),
)
def test_accepted_answers_generated(
    accepted: list[tuple[int | str, str]], failed: list[str]
) -> None:
    guids = [g for g, _ in accepted]
    numbers = [n for _, n in accepted]
    assert hi8d.format_accepted(guids, numbers, failed) == _reference_accepted(
        guids, numbers, failed
    )
