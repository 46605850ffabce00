"""HI8D: requests as clients send them, answers and pushes as exact bytes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from tests.legacy.captures import PHP_CURL_MULTIPART, PHP_CURL_TYPE

from hongyan.core.errors import Refusal
from hongyan.protocols.legacy import hi8d
from hongyan.protocols.legacy.forms import Form, parse_form

DONE = datetime(2016, 11, 20, 4, 30, 5, tzinfo=UTC)  # 12:30:05 in Beijing


def _form(query: bytes = b"", content_type: str | None = None, body: bytes = b"") -> Form:
    return parse_form("POST", query, content_type, body)


# --- requests -----------------------------------------------------------------------------


def test_php_curl_array_send() -> None:
    send = hi8d.parse_send(_form(content_type=PHP_CURL_TYPE, body=PHP_CURL_MULTIPART))
    assert send == hi8d.Hi8dSend(
        account="10010",
        passwd="E10ADC3949BA59ABBE56E057F20F883E",
        recipients=("8618611287980", "8613910060001"),
        content="这是一条短信\r\n第二行",
        sender="111111",
    )


def test_json_send_with_list_and_full_width_commas() -> None:
    body = '{"account":"10010","passwd":"e10adc3949ba59abbe56e057f20f883e",'
    body += '"mb":"+8618611287980， 008613910060001,,","content":"hi"}'
    send = hi8d.parse_send(_form(content_type="application/json", body=body.encode()))
    assert isinstance(send, hi8d.Hi8dSend)
    assert send.recipients == ("+8618611287980", "008613910060001")
    assert send.sender is None


def test_urlencoded_get_send() -> None:
    query = b"account=10010&passwd=abc&mb=8618611287980&content=%E4%BD%A0%E5%A5%BD&sender=+HONGYAN"
    send = hi8d.parse_send(_form(query))
    assert isinstance(send, hi8d.Hi8dSend)
    assert (send.content, send.sender) == ("你好", "HONGYAN")


@pytest.mark.parametrize(
    ("query", "refusal"),
    [
        (b"passwd=x&mb=1&content=c", Refusal.MISSING_PARAMETER),
        (b"account=a&mb=1&content=c", Refusal.MISSING_PARAMETER),
        (b"account=a&passwd=x&content=c", Refusal.NO_RECIPIENTS),
        (b"account=a&passwd=x&mb=,%EF%BC%8C,&content=c", Refusal.NO_RECIPIENTS),
        (b"account=a&passwd=x&mb=1", Refusal.EMPTY_CONTENT),
        (b"account=a&passwd=x&mb=1&content=+++", Refusal.EMPTY_CONTENT),
        (b"account=a&passwd=x&mb=1&content=c&sender=TOOLONGSENDER", Refusal.BAD_SENDER),
        (b"account=a&passwd=x&mb=1&content=c&sender=1234567890123456", Refusal.BAD_SENDER),
        (b"account=a&passwd=x&mb=1&content=c&sender=%E9%B8%BF", Refusal.BAD_SENDER),
    ],
)
def test_refusals(query: bytes, refusal: Refusal) -> None:
    assert hi8d.parse_send(_form(query)) is refusal


@pytest.mark.parametrize(
    ("raw", "sender"),
    [("111111", "111111"), ("+8613800000000", "8613800000000"), ("Hong Yan", "Hong Yan")],
)
def test_senders(raw: str, sender: str) -> None:
    form = _form(b"account=a&passwd=x&mb=1&content=c&sender=" + raw.replace("+", "%2B").encode())
    result = hi8d.parse_send(form)
    assert isinstance(result, hi8d.Hi8dSend)
    assert result.sender == sender


# --- answers ------------------------------------------------------------------------------


def test_accepted_bytes() -> None:
    assert hi8d.format_accepted([1234567890, "1234567891"], ["8618611287980", "8613910060001"]) == (
        b'{"status":1,"msg":"\\u53d1\\u9001\\u6210\\u529f","guid":"1234567890,1234567891",'
        b'"mb":"8618611287980,8613910060001"}'
    )


def test_partially_accepted_bytes() -> None:
    assert hi8d.format_accepted(["7"], ["8618611287980"], failed=["123", "8613800000000"]) == (
        b'{"status":1,"msg":"\\u53d1\\u9001\\u6210\\u529f","guid":"7","mb":"8618611287980",'
        b'"failed":"123,8613800000000"}'
    )


def test_accepted_needs_one_guid_per_number() -> None:
    with pytest.raises(ValueError):
        hi8d.format_accepted(["1"], ["2", "3"])
    with pytest.raises(ValueError):
        hi8d.format_accepted([], [])


def test_refused_bytes_match_the_seed_message() -> None:
    # The seed's failure text, as PHP json_encode wrote it: 用户名或者密码错误.
    assert hi8d.format_refused(Refusal.BAD_PASSWORD) == (
        b'{"status":0,"msg":"\\u7528\\u6237\\u540d\\u6216\\u8005\\u5bc6\\u7801\\u9519\\u8bef",'
        b'"code":1001}'
    )
    assert hi8d.format_refused(Refusal.INVALID_NUMBER, failed=["1", "2"]) == (
        b'{"status":0,"msg":"\\u65e0\\u6548\\u7684\\u624b\\u673a\\u53f7\\u7801","code":4003,'
        b'"failed":"1,2"}'
    )


EXPECTED_CODES = {
    Refusal.UNKNOWN_ACCOUNT: (1001, "用户名或者密码错误"),
    Refusal.BAD_PASSWORD: (1001, "用户名或者密码错误"),
    Refusal.ACCOUNT_STOPPED: (1002, "账户已停用,请联系客服"),
    Refusal.IP_NOT_ALLOWED: (1003, "IP地址未授权"),
    Refusal.TOO_MANY_ATTEMPTS: (1004, "密码错误次数过多,请稍后再试"),
    Refusal.MISSING_PARAMETER: (2001, "参数错误"),
    Refusal.BAD_REQUEST: (2002, "请求格式错误"),
    Refusal.BODY_TOO_LARGE: (2003, "请求内容过大"),
    Refusal.BAD_SENDER: (2004, "发送者号码不正确"),
    Refusal.BAD_EXTENSION: (2005, "扩展号码不正确"),
    Refusal.EXTENSION_NOT_REGISTERED: (2006, "扩展号码未备案"),
    Refusal.EXTENSION_TOO_LONG: (2007, "扩展号码太长"),
    Refusal.BAD_SCHEDULE: (2008, "定时时间不正确"),
    Refusal.PASSWORD_TOO_SHORT: (2009, "密码必须大于4个字符"),
    Refusal.EMPTY_CONTENT: (3001, "短信内容不能为空"),
    Refusal.CONTENT_TOO_LONG: (3002, "短信内容超过了最大长度限制"),
    Refusal.BANNED_WORD: (3003, "发送内容中含非法字符"),
    Refusal.NO_RECIPIENTS: (4001, "手机号码不能为空"),
    Refusal.TOO_MANY_RECIPIENTS: (4002, "手机号码个数超过限制"),
    Refusal.INVALID_NUMBER: (4003, "无效的手机号码"),
    Refusal.BLACKLISTED: (4004, "手机号码是黑名单"),
    Refusal.INSUFFICIENT_BALANCE: (5001, "余额不足"),
    Refusal.RATE_LIMITED: (5002, "提交过于频繁,请稍后再试"),
    Refusal.INTERNAL: (9001, "系统错误,请联系服务商"),
}


def test_every_refusal_has_a_code() -> None:
    assert set(hi8d.CODES) == set(Refusal)
    assert hi8d.CODES == EXPECTED_CODES


@pytest.mark.parametrize("refusal", list(Refusal), ids=lambda r: r.value)
def test_every_refusal_answer_bytes(refusal: Refusal) -> None:
    code, msg = EXPECTED_CODES[refusal]
    escaped = msg.encode("ascii", "backslashreplace").decode()  # \\uXXXX, lower-case hex
    expected = f'{{"status":0,"msg":"{escaped}","code":{code}}}'.encode()
    assert hi8d.format_refused(refusal) == expected
    assert json.loads(expected) == {"status": 0, "msg": msg, "code": code}


# --- pushes -------------------------------------------------------------------------------


def test_delivered_report_push_bytes() -> None:
    body = hi8d.format_report_push(
        guid=1234567890, number="8618611287980", stat="DELIVRD", error_code="000", done_at=DONE
    )
    assert body == (
        b'{"status":1,"msg":"\\u53d1\\u9001\\u6210\\u529f","guid":"1234567890","sms":"0",'
        b'"mb":"8618611287980","stat":"DELIVRD","time":"2016-11-20 12:30:05"}'
    )


def test_failed_report_push_bytes() -> None:
    body = hi8d.format_report_push(
        guid="9", number="8618611287980", stat="UNDELIV", error_code="MK:0001", done_at=DONE
    )
    assert body == (
        b'{"status":0,"msg":"\\u53d1\\u9001\\u5931\\u8d25","guid":"9","sms":"MK:0001",'
        b'"mb":"8618611287980","stat":"UNDELIV","time":"2016-11-20 12:30:05"}'
    )
    expired = hi8d.format_report_push(
        guid="9", number="1", stat="EXPIRED", error_code="", done_at=DONE
    )
    assert json.loads(expired)["msg"] == "短信已过期"
    assert json.loads(expired)["sms"] == "-1"


def test_inbound_push_bytes() -> None:
    body = hi8d.format_inbound_push(
        inbound_id=32758888,
        source="8613630697652",
        destination="10657558012667081",
        text="好的😀",
        received_at=DONE,
    )
    assert body == (
        b'{"status":1,"msg":"\\u6536\\u5230\\u4e0a\\u884c\\u77ed\\u4fe1","id":"32758888",'
        b'"src":"8613630697652","dst":"10657558012667081","content":"\\u597d\\u7684\\ud83d\\ude00",'
        b'"time":"2016-11-20 12:30:05"}'
    )
    assert json.loads(body)["content"] == "好的😀"


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError):
        hi8d.format_time(datetime(2016, 11, 20))


# --- what clients do with the answers -----------------------------------------------------


def test_clients_read_the_answer_in_any_charset() -> None:
    # Java on a Chinese Windows host reads the body as GBK; PHP as bytes; both then parse JSON.
    body = hi8d.format_accepted(["1"], ["8618611287980"])
    for charset in ("utf-8", "gbk", "latin-1"):
        assert json.loads(body.decode(charset))["msg"] == "发送成功"


def test_client_status_checks() -> None:
    ok = hi8d.format_accepted(["1", "2"], ["8618611287980", "8613910060001"]).decode()
    refused = hi8d.format_refused(Refusal.BAD_PASSWORD).decode()
    assert re.search(r'"status":\s*1', ok) and not re.search(r'"status":\s*1', refused)
    assert json.loads(ok)["status"] != 0 and json.loads(refused)["status"] == 0
    guids = json.loads(ok)["guid"].split(",")
    assert [int(g) for g in guids] == [1, 2]  # numeric guids fit integer columns
    assert json.loads(ok)["mb"].split(",") == ["8618611287980", "8613910060001"]
    assert hi8d.CONTENT_TYPE == "application/json; charset=utf-8"
