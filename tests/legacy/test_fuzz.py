"""Whatever arrives, the codecs answer with a value or their documented error, never a crash."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from hongyan.core.errors import Refusal
from hongyan.protocols.legacy import hi8d, qxt
from hongyan.protocols.legacy.forms import Field, Form, FormError, Source, parse_form

NOW = datetime(2024, 5, 1, 4, 0, tzinfo=UTC)

CONTENT_TYPES = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=gbk",
            "application/x-www-form-urlencoded; charset=utf-8",
            "application/x-www-form-urlencoded; charset=nonsense",
            "application/json",
            "application/json; charset=utf-16",
            "multipart/form-data",
            "multipart/form-data; boundary=xyz",
            'multipart/form-data; boundary="a b"; charset=gb2312',
            "text/plain",
        ]
    ),
    st.text(max_size=80),
)

# Bytes that look like the real thing often enough to reach deep paths.
TOKENS = st.sampled_from(
    [
        b"&",
        b"=",
        b"%",
        b"%C4",
        b"%E4%BD",
        b"+",
        b"\x00",
        b"\xff",
        b"\xc4\xe3",
        b"--xyz",
        b"\r\n",
        b"\r\n\r\n",
        b'Content-Disposition: form-data; name="mb"',
        b"{",
        b"}",
        b"[",
        b'"a":',
        b"1",
        b"name",
        b"msg",
        b"dst",
        b"mb",
        b"content",
        b"--xyz--",
        b";",
        b"\\u",
        b"\\ud800",
    ]
)
ESCAPES = st.from_regex(rb"%[0-9a-fA-F]{2}", fullmatch=True)
BODIES = st.one_of(
    st.binary(max_size=300),
    st.lists(st.one_of(TOKENS, ESCAPES, st.binary(max_size=3)), max_size=40).map(b"".join),
)


@settings(max_examples=400, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", ""]),
    query=BODIES,
    content_type=CONTENT_TYPES,
    body=BODIES,
    fold_case=st.booleans(),
)
def test_parse_form_raises_only_form_error(
    method: str, query: bytes, content_type: str | None, body: bytes, fold_case: bool
) -> None:
    try:
        form = parse_form(method, query, content_type, body, fold_case=fold_case)
    except FormError:
        return
    assert isinstance(form, Form)
    for field in form.fields:
        assert isinstance(field.name, str)
        assert isinstance(field.value, str)


PARAMS = st.dictionaries(
    st.sampled_from(
        [
            "account",
            "passwd",
            "sender",
            "mb",
            "content",
            "name",
            "pwd",
            "dst",
            "msg",
            "time",
            "sequeid",
            "txt",
            "newpwd",
        ]
    ),
    st.text(max_size=40),
)


@settings(max_examples=300, deadline=None)
@given(params=PARAMS)
def test_hi8d_parse_send_returns_a_value_or_refusal(params: dict[str, str]) -> None:
    form = Form(tuple(_fields(params)))
    result = hi8d.parse_send(form)
    assert isinstance(result, (hi8d.Hi8dSend, Refusal))


@settings(max_examples=300, deadline=None)
@given(params=PARAMS, path=st.sampled_from(sorted(qxt.ENDPOINTS)))
def test_qxt_parse_request_returns_a_value_or_refusal(params: dict[str, str], path: str) -> None:
    endpoint = qxt.ENDPOINTS[path]
    form = Form(tuple(_fields(params)), fold_case=True)
    result = qxt.parse_request(endpoint, form, now=NOW)
    assert isinstance(
        result, (qxt.QxtSend, qxt.QxtQuery, qxt.ChangePassword, qxt.CheckContent, Refusal)
    )


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=60), path=st.sampled_from(sorted(qxt.ENDPOINTS)))
def test_qxt_answers_encode_any_text(text: str, path: str) -> None:
    endpoint = qxt.ENDPOINTS[path]
    record = qxt.InboundRecord(id=1, src="13630697652", msg=text, dst=text, time=NOW)
    answer = qxt.format_inbound(endpoint, [record, record])
    decoded = answer.decode(endpoint.charset)
    assert decoded.count("&") == 10  # free text never adds a separator
    assert decoded.count("||||") == 1
    assert "\n" not in decoded and "\r" not in decoded
    assert qxt.format_banned_word(endpoint, text).decode(endpoint.charset).count("&") == 1


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60))
def test_hi8d_pushes_are_ascii_json(text: str) -> None:
    body = hi8d.format_inbound_push(
        inbound_id=1, source=text, destination="1069", text=text, received_at=NOW
    )
    assert body.isascii()


@settings(max_examples=300, deadline=None)
@given(raw=st.one_of(st.text(max_size=20), st.from_regex(r"[0-9]{12,14}", fullmatch=True)))
def test_parse_schedule_never_raises(raw: str) -> None:
    result = qxt.parse_schedule(raw, now=NOW)
    assert result is Refusal.BAD_SCHEDULE or (isinstance(result, datetime) and result >= NOW)


def _fields(params: dict[str, str]) -> list[Field]:
    return [Field(name, value, Source.QUERY) for name, value in params.items()]
