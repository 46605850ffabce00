"""Both dialects refuse fields no client could have meant: NUL bytes, bytes valid in no charset."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hongyan.core.errors import Refusal
from hongyan.protocols.legacy import hi8d, qxt
from hongyan.protocols.legacy.forms import parse_form

HI8D = b"account=a&passwd=E10ADC3949BA59ABBE56E057F20F883E&mb=8613800000001&content="
QXT = b"name=a&pwd=secret&dst=13800000001&msg="
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize("content", [b"hi%00", b"%FF%FE%FD", b"%C4", b"ok%80"])
def test_hi8d_refuses_nul_and_undecodable_content(content: bytes) -> None:
    form = parse_form("POST", b"", FORM, HI8D + content)
    assert hi8d.parse_send(form) is Refusal.BAD_REQUEST


def test_hi8d_refuses_nul_in_credentials_and_json() -> None:
    form = parse_form("POST", b"", "application/json", b'{"account": "a\\u0000", "passwd": "x"}')
    assert hi8d.parse_send(form) is Refusal.BAD_REQUEST


def test_hi8d_accepts_gbk_content() -> None:
    form = parse_form("POST", b"", FORM, HI8D + b"%C4%E3%BA%C3")
    sent = hi8d.parse_send(form)
    assert isinstance(sent, hi8d.Hi8dSend) and sent.content == "你好"


@pytest.mark.parametrize("tail", [b"hi%00", b"hi&sender=0%00"])
def test_qxt_refuses_nul_anywhere(tail: bytes) -> None:
    endpoint = qxt.endpoint_for("/send/gsend.aspx")
    assert endpoint is not None
    form = parse_form("POST", b"", FORM, QXT + tail, fold_case=True)
    assert qxt.parse_request(endpoint, form, now=datetime.now(UTC)) is Refusal.BAD_REQUEST
