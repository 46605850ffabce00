"""企信通: endpoints, client-shaped requests, answers as exact bytes and as clients read them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, quote_plus

import pytest

from hongyan.core.errors import Refusal
from hongyan.protocols.legacy import qxt
from hongyan.protocols.legacy.forms import parse_form
from hongyan.protocols.legacy.qxt import Edition, LengthRule, Operation

NOW = datetime(2016, 11, 20, 4, 30, tzinfo=UTC)  # 12:30 in Beijing
CN = qxt.CHINA_TZ
FORM = "application/x-www-form-urlencoded"

# --- endpoints ----------------------------------------------------------------------------

NAMES = {
    "gsend": Operation.SEND,
    "g70send": Operation.SEND,
    "longsend": Operation.SEND,
    "gsendv2": Operation.SEND,
    "readsms": Operation.READ_SMS,
    "readsmsv2": Operation.READ_SMS,
    "readxmlsms": Operation.READ_XML_SMS,
    "getfee": Operation.GET_FEE,
    "getfeev2": Operation.GET_FEE,
    "cpwd": Operation.CHANGE_PASSWORD,
    "checkcontent": Operation.CHECK_CONTENT,
    "checkcontentv2": Operation.CHECK_CONTENT,
    "readreport": Operation.READ_REPORT,
    "readreportv2": Operation.READ_REPORT,
}


def test_every_endpoint_on_both_editions_with_utf8_twins() -> None:
    assert len(qxt.ENDPOINTS) == len(NAMES) * 4
    for name, operation in NAMES.items():
        for edition in Edition:
            for twin, charset in (("", "gbk"), ("_utf8", "utf-8")):
                endpoint = qxt.endpoint_for(f"/send/{name}{twin}.{edition.value}")
                assert endpoint is not None
                assert (endpoint.operation, endpoint.edition, endpoint.charset) == (
                    operation,
                    edition,
                    charset,
                )


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("gsend", LengthRule.ACCOUNT),
        ("gsendv2", LengthRule.ACCOUNT),
        ("g70send", LengthRule.SINGLE),
        ("longsend", LengthRule.LONG),
        ("readsms", None),
    ],
)
def test_length_rules(name: str, rule: LengthRule | None) -> None:
    endpoint = qxt.endpoint_for(f"/send/{name}.aspx")
    assert endpoint is not None and endpoint.length_rule is rule


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/send/GSend.ASPX", "/send/gsend.aspx"),
        ("//send/readsms.asp", "/send/readsms.asp"),
        ("/send/getfee.asp?name=a", "/send/getfee.asp"),
        ("/send/gsend.php", None),
        ("/send/gsend", None),
        ("/gsend.asp", None),
        ("/send/gsend_utf8_utf8.asp", None),
        ("", None),
    ],
)
def test_endpoint_for(path: str, expected: str | None) -> None:
    endpoint = qxt.endpoint_for(path)
    assert (endpoint.path if endpoint else None) == expected


def test_content_type() -> None:
    assert qxt.content_type(qxt.ENDPOINTS["/send/gsend.asp"]) == "text/plain; charset=gbk"
    assert qxt.content_type(qxt.ENDPOINTS["/send/gsend_utf8.asp"]) == "text/plain; charset=utf-8"


# --- requests -----------------------------------------------------------------------------


def _request(path: str, query: bytes = b"", body: bytes = b"", ctype: str | None = None) -> object:
    endpoint = qxt.endpoint_for(path)
    assert endpoint is not None
    form = parse_form("GET" if not body else "POST", query, ctype, body, fold_case=True)
    return qxt.parse_request(endpoint, form, now=NOW)


def test_java_get_gbk_send() -> None:
    # The seed's example, as Java builds it with URLEncoder.encode(msg, "GBK").
    query = (
        b"name=company&pwd=1234&dst=13910060001,13911020005&msg="
        + quote_plus("你好吗", encoding="gbk").encode()
        + b"&time=201611201500&sender=00&sequeid=778"
    )
    assert _request("/send/g70send.aspx", query) == qxt.QxtSend(
        name="company",
        pwd="1234",
        recipients=("13910060001", "13911020005"),
        text="你好吗",
        send_at=datetime(2016, 11, 20, 15, 0, tzinfo=CN),
        length_rule=LengthRule.SINGLE,
        extension="00",
        sequeid="778",
    )


def test_vb_client_upper_case_names_and_gb2312_post() -> None:
    # C#/VB: HttpUtility.UrlEncode(msg, Encoding.GetEncoding("GB2312")), lower-case hex.
    body = (
        b"Name=company&Pwd=1234&Dst=13910060001&Msg="
        + quote("测试", encoding="gbk").lower().encode()
    )
    result = _request("/send/gsend.asp", body=body, ctype=FORM)
    assert isinstance(result, qxt.QxtSend)
    assert (result.text, result.send_at, result.extension, result.sequeid) == (
        "测试",
        NOW,
        "",
        None,
    )


def test_java_get_with_a_body() -> None:
    result = _request("/send/gsend.asp", b"name=a&pwd=b", b"dst=139&msg=%C4%E3%BA%C3", FORM)
    assert isinstance(result, qxt.QxtSend)
    assert (result.name, result.text) == ("a", "你好")


def test_python_requests_utf8_to_the_utf8_twin() -> None:
    body = b"name=a&pwd=b&dst=13910060001&msg=" + quote_plus("你好😀").encode()
    result = _request("/send/gsendv2_utf8.asp", body=body, ctype=FORM)
    assert isinstance(result, qxt.QxtSend) and result.text == "你好😀"


@pytest.mark.parametrize(
    ("query", "rule"),
    [(b"&txt=ccdx", LengthRule.LONG), (b"&txt=CCDX", LengthRule.LONG), (b"", LengthRule.ACCOUNT)],
)
def test_txt_ccdx_asks_for_long(query: bytes, rule: LengthRule) -> None:
    result = _request("/send/gsend.asp", b"name=a&pwd=b&dst=1&msg=m" + query)
    assert isinstance(result, qxt.QxtSend) and result.length_rule is rule


@pytest.mark.parametrize(
    ("query", "refusal"),
    [
        (b"pwd=b&dst=1&msg=m", Refusal.UNKNOWN_ACCOUNT),
        (b"name=+&pwd=b&dst=1&msg=m", Refusal.UNKNOWN_ACCOUNT),
        (b"name=a&dst=1&msg=m", Refusal.BAD_PASSWORD),
        (b"name=a&pwd=b&msg=m", Refusal.NO_RECIPIENTS),
        (b"name=a&pwd=b&dst=,,&msg=m", Refusal.NO_RECIPIENTS),
        (b"name=a&pwd=b&dst=1", Refusal.EMPTY_CONTENT),
        (b"name=a&pwd=b&dst=1&msg=m&time=tomorrow", Refusal.BAD_SCHEDULE),
        (b"name=a&pwd=b&dst=1&msg=m&time=201613011200", Refusal.BAD_SCHEDULE),
        (b"name=a&pwd=b&dst=1&msg=m&sender=0a", Refusal.BAD_EXTENSION),
        (b"name=a&pwd=b&dst=1&msg=m&sender=" + b"1" * 21, Refusal.EXTENSION_TOO_LONG),
    ],
)
def test_send_refusals(query: bytes, refusal: Refusal) -> None:
    assert _request("/send/gsend.aspx", query) is refusal


def test_queries_change_password_and_check_content() -> None:
    creds = b"name=a&pwd=b"
    assert _request("/send/readsms.aspx", creds) == qxt.QxtQuery(Operation.READ_SMS, "a", "b")
    assert _request("/send/getfeev2.asp", creds) == qxt.QxtQuery(Operation.GET_FEE, "a", "b")
    assert _request("/send/readreport.aspx", creds) == qxt.QxtQuery(Operation.READ_REPORT, "a", "b")
    assert _request("/send/readsms.aspx", b"name=a") is Refusal.BAD_PASSWORD
    assert _request("/send/cpwd.asp", creds + b"&newpwd=12345") == qxt.ChangePassword(
        "a", "b", "12345"
    )
    assert _request("/send/cpwd.asp", creds + b"&newpwd=1234") is Refusal.PASSWORD_TOO_SHORT
    assert _request("/send/cpwd.asp", creds) is Refusal.PASSWORD_TOO_SHORT
    check = _request("/send/checkcontent.aspx", creds + b"&content=%C4%E3%BA%C3")
    assert check == qxt.CheckContent("a", "b", "你好")
    assert _request("/send/checkcontentv2.asp", creds + b"&content=") is Refusal.EMPTY_CONTENT


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", NOW),
        (None, NOW),
        ("   ", NOW),
        ("201611201230", NOW),  # exactly now: at once
        ("200610102000", NOW),  # the seed's example, long past
        ("201611201231", datetime(2016, 11, 20, 12, 31, tzinfo=CN)),
        ("20161120123101", datetime(2016, 11, 20, 12, 31, 1, tzinfo=CN)),
        ("2016-11-20 12:31", datetime(2016, 11, 20, 12, 31, tzinfo=CN)),
        ("2016/11/20 12:31:30", datetime(2016, 11, 20, 12, 31, 30, tzinfo=CN)),
        ("20161120", Refusal.BAD_SCHEDULE),
        ("2016112012301", Refusal.BAD_SCHEDULE),  # 13 digits
        ("201611201260", Refusal.BAD_SCHEDULE),
        ("201602301200", Refusal.BAD_SCHEDULE),
        ("000011201200", Refusal.BAD_SCHEDULE),
        ("２０１６１１２０１２３１", Refusal.BAD_SCHEDULE),  # full-width digits
        ("now", Refusal.BAD_SCHEDULE),
    ],
)
def test_parse_schedule(raw: str | None, expected: datetime | Refusal) -> None:
    assert qxt.parse_schedule(raw, now=NOW) == expected


def test_parse_schedule_other_zone() -> None:
    later = qxt.parse_schedule("201611201231", now=NOW, tz=UTC)
    assert isinstance(later, datetime)
    assert later == datetime(2016, 11, 20, 12, 31, tzinfo=UTC)
    assert later - NOW == timedelta(hours=8, minutes=1)


# --- answers ------------------------------------------------------------------------------

GSEND = qxt.ENDPOINTS["/send/gsend.aspx"]
GSEND_UTF8 = qxt.ENDPOINTS["/send/gsend_utf8.aspx"]
READSMS = qxt.ENDPOINTS["/send/readsms.aspx"]
READSMS_UTF8 = qxt.ENDPOINTS["/send/readsms_utf8.aspx"]
READXML = qxt.ENDPOINTS["/send/readxmlsms.aspx"]
REPORT = qxt.ENDPOINTS["/send/readreport.aspx"]
RECEIVED = datetime(2007, 11, 19, 0, 58, 30, tzinfo=UTC)  # 08:58 in Beijing


def _inbound(msg: str = "好的,收到", id_: int = 32758888) -> qxt.InboundRecord:
    return qxt.InboundRecord(id_, "13630697652", msg, "10657558012667081", RECEIVED)


def test_send_answer_bytes() -> None:
    answer = qxt.format_send(GSEND, ["13910060001", "13911020005"])
    assert answer == "num=2&success=13910060001,13911020005&faile=&err=发送成功&errid=0".encode(
        "gbk"
    )
    assert answer == (
        b"num=2&success=13910060001,13911020005&faile=&err=\xb7\xa2\xcb\xcd\xb3\xc9\xb9\xa6&errid=0"
    )
    partial = qxt.format_send(GSEND_UTF8, ["13910060001"], ["123"])
    assert partial == "num=1&success=13910060001&faile=123&err=发送成功&errid=0".encode()
    with pytest.raises(ValueError):
        qxt.format_send(GSEND, [])


def test_readsms_answer_bytes() -> None:
    assert qxt.format_inbound(READSMS, [_inbound()]) == (
        "id=32758888&err=成功&src=13630697652&msg=好的,收到&dst=10657558012667081&time=200711190858"
    ).encode("gbk")
    assert qxt.format_inbound(READSMS, []) == "id=0&err=没有未读取的短信".encode("gbk")
    assert qxt.format_inbound(READSMS_UTF8, []) == "id=0&err=没有未读取的短信".encode()


def test_readxmlsms_answer_bytes() -> None:
    records = [_inbound("一", 1), _inbound("二", 2)]
    assert qxt.format_inbound(READXML, records) == (
        "id=1&err=成功&src=13630697652&msg=一&dst=10657558012667081&time=200711190858||||"
        "id=2&err=成功&src=13630697652&msg=二&dst=10657558012667081&time=200711190858"
    ).encode("gbk")


def test_unencodable_characters_become_question_marks_in_gbk_only() -> None:
    assert b"&msg=\xba\xc3?&dst=" in qxt.format_inbound(READSMS, [_inbound("好😀")])
    assert "&msg=好😀&dst=".encode() in qxt.format_inbound(READSMS_UTF8, [_inbound("好😀")])
    # Strict GBK decoders (PHP iconv without //IGNORE) accept every answer.
    qxt.format_inbound(READSMS, [_inbound("好😀𠀀€")]).decode("gbk")


def test_separators_in_free_text() -> None:
    answer = qxt.format_inbound(READXML, [_inbound("a&b=c||||d\r\ne\nf", 1), _inbound("x", 2)])
    text = answer.decode("gbk")
    assert "&msg=a＆b=c｜｜｜｜d e f&dst=" in text
    assert len(text.split("||||")) == 2
    assert all(len(record.split("&")) == 6 for record in text.split("||||"))


def test_getfee_cpwd_checkcontent_bytes() -> None:
    getfee = qxt.ENDPOINTS["/send/getfee.asp"]
    assert qxt.format_fee(
        getfee, 300, "鸿雁科技"
    ) == "id=300&err=成功&errid=0&short=鸿雁科技".encode("gbk")
    for path in ("/send/cpwd.asp", "/send/checkcontent.aspx", "/send/checkcontentv2_utf8.asp"):
        endpoint = qxt.ENDPOINTS[path]
        assert qxt.format_ok(endpoint) == "err=成功&errid=0".encode(endpoint.charset)
    banned_aspx = qxt.format_banned_word(qxt.ENDPOINTS["/send/checkcontent.aspx"], "发票")
    banned_asp = qxt.format_banned_word(qxt.ENDPOINTS["/send/checkcontent.asp"], "发票")
    assert banned_aspx == "err=发票&errid=6015".encode("gbk")
    assert banned_asp == "err=发票&errid=6005".encode("gbk")


def test_readreport_bytes() -> None:
    done = datetime(2016, 11, 20, 4, 30, 59, tzinfo=UTC)
    records = [
        qxt.ReportRecord(101, "13910060001", "DELIVRD", done, sequeid="778"),
        qxt.ReportRecord(102, "13911020005", "UNDELIV", done, errid="MK:0001"),
    ]
    assert qxt.format_reports(REPORT, records) == (
        b"id=101&dst=13910060001&stat=DELIVRD&errid=0&time=201611201230&sequeid=778||||"
        b"id=102&dst=13911020005&stat=UNDELIV&errid=MK:0001&time=201611201230&sequeid="
    )
    assert qxt.format_reports(REPORT, []) == "id=0&err=没有未读取的状态报告".encode("gbk")


def test_format_time() -> None:
    assert qxt.format_time(datetime(2016, 12, 31, 16, 0, tzinfo=UTC)) == "201701010000"
    with pytest.raises(ValueError):
        qxt.format_time(datetime(2016, 1, 1))


# --- the parsers deployed clients run on the answers --------------------------------------

CLIENT_REGEX = re.compile(r"num=(\d+)&success=([\d,]*)&faile=([\d,]*)&err=(.*)&errid=(\d+)")


def _send_answers() -> list[bytes]:
    return [
        qxt.format_send(GSEND, ["13910060001", "13911020005"]),
        qxt.format_send(GSEND, ["13910060001"], ["123"]),
        qxt.format_refusal(GSEND, Refusal.BAD_PASSWORD, faile=["13910060001"]),
        qxt.format_refusal(qxt.ENDPOINTS["/send/gsend.asp"], Refusal.INSUFFICIENT_BALANCE),
    ]


def test_java_split_by_index() -> None:
    # String[] r = resp.split("&"); int errid = Integer.parseInt(r[4].split("=")[1]);
    ids = [int(a.decode("gbk").split("&")[4].split("=")[1]) for a in _send_answers()]
    assert ids == [0, 0, 6010, 6013]
    nums = [int(a.decode("gbk").split("&")[0].split("=")[1]) for a in _send_answers()]
    assert nums == [2, 1, 0, 0]


def test_fixed_regex() -> None:
    matches = [CLIENT_REGEX.fullmatch(a.decode("gbk")) for a in _send_answers()]
    assert all(matches)
    assert [m.group(5) for m in matches if m] == ["0", "0", "6010", "6013"]
    assert [m.group(4) for m in matches if m][2] == "用户密码不正确"


def test_prefix_check() -> None:
    assert [a.startswith(b"num=0") for a in _send_answers()] == [False, False, True, True]


def test_php_parse_str_and_readsms_by_index() -> None:
    text = qxt.format_inbound(READSMS, [_inbound("回复=好")]).decode("gbk")
    pairs = dict(item.split("=", 1) for item in text.split("&"))  # parse_str
    assert pairs["msg"] == "回复=好" and pairs["time"] == "200711190858"
    fields = [item.split("=", 1)[1] for item in text.split("&")]
    assert fields[0] != "0" and fields[4] == "10657558012667081"


def test_getfee_balance_by_index() -> None:
    answer = qxt.format_fee(qxt.ENDPOINTS["/send/getfee.aspx"], 300, "鸿雁&科技")
    assert int(answer.decode("gbk").split("&")[0].split("=")[1]) == 300
    assert answer.decode("gbk").split("&")[3] == "short=鸿雁＆科技"
