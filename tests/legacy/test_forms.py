"""Request parameters as real legacy clients send them decode to the right text."""

from __future__ import annotations

import contextlib
import time
from urllib.parse import quote_plus, urlencode

import pytest
import requests
from tests.legacy.captures import PHP_CURL_MULTIPART, PHP_CURL_TYPE
from urllib3 import encode_multipart_formdata

from hongyan.protocols.legacy.forms import (
    FormError,
    FormErrorReason,
    Source,
    decode_text,
    parse_content_type,
    parse_form,
    split_list,
)

TEXT = "你好吗,验证码1234【鸿雁】"
FORM = "application/x-www-form-urlencoded"


# --- captured client shapes ---------------------------------------------------------------


def test_java_urlencoder_gbk_in_get_query() -> None:
    # URLEncoder.encode("你好吗 ok", "GBK"): upper-case hex, space as "+".
    query = b"name=company&pwd=1234&dst=13910060001,13911020005&msg=%C4%E3%BA%C3%C2%F0+ok"
    form = parse_form("GET", query, None, b"")
    assert form.get("msg") == "你好吗 ok"
    assert form.fields[3].charset == "gb18030"
    assert form.fields[3].raw == "你好吗 ok".encode("gbk")


def test_java_httpurlconnection_post_gbk_form_without_charset() -> None:
    body = b"name=company&pwd=1234&dst=13910060001&msg=" + quote_plus(TEXT, encoding="gbk").encode()
    form = parse_form("POST", b"", FORM, body)
    assert form.get("msg") == TEXT


def test_php_iconv_urlencode() -> None:
    # urlencode(iconv("UTF-8", "GBK", "测试短信！"))
    body = b"name=a&pwd=b&dst=13910060001&msg=%B2%E2%CA%D4%B6%CC%D0%C5%A3%A1"
    assert parse_form("POST", b"", FORM, body).get("msg") == "测试短信！"


def test_csharp_httputility_gb2312_lower_case_hex() -> None:
    # HttpUtility.UrlEncode("你好吗 ok", Encoding.GetEncoding("GB2312"))
    query = b"msg=%c4%e3%ba%c3%c2%f0+ok&name=x"
    assert parse_form("GET", query, None, b"").get("msg") == "你好吗 ok"


def test_python_requests_utf8_post() -> None:
    prepared = requests.Request(
        "POST", "http://sms/send/gsend.asp", data={"name": "a", "msg": TEXT}
    ).prepare()
    assert isinstance(prepared.body, str)
    content_type = str(prepared.headers["Content-Type"])
    form = parse_form("POST", b"", content_type, prepared.body.encode())
    assert form.get("msg") == TEXT
    assert form.fields[1].charset == "utf-8"


def test_python_requests_utf8_get_query() -> None:
    prepared = requests.Request("GET", "http://sms/send/gsend.asp", params={"msg": TEXT}).prepare()
    assert prepared.url is not None
    query = prepared.url.partition("?")[2].encode()
    assert parse_form("GET", query, None, b"").get("msg") == TEXT


def test_raw_gbk_bytes_unescaped_in_query() -> None:
    # Old clients paste the GBK string into the URL without escaping it.
    query = b"msg=" + "好的,收到".encode("gbk")
    assert parse_form("GET", query, None, b"").get("msg") == "好的,收到"


def test_php_curl_multipart_array() -> None:
    form = parse_form("POST", b"", PHP_CURL_TYPE, PHP_CURL_MULTIPART)
    assert form.params == {
        "account": "10010",
        "sender": "111111",
        "passwd": "E10ADC3949BA59ABBE56E057F20F883E",
        "mb": "8618611287980,8613910060001",
        "content": "这是一条短信\r\n第二行",
    }
    assert all(f.source is Source.BODY for f in form.fields)


def test_urllib3_multipart_with_part_charset_and_filename() -> None:
    body, content_type = encode_multipart_formdata(
        {
            "account": "10010",
            "content": ("content", "你好".encode("gbk"), "text/plain; charset=gbk"),
        }
    )
    form = parse_form("POST", b"", content_type, body)
    assert form.params == {"account": "10010", "content": "你好"}


def test_multipart_with_lf_line_ends_and_quoted_boundary() -> None:
    body = b'--b\nContent-Disposition: form-data; name="mb"\n\n86186\n--b--\n'
    assert parse_form("POST", b"", 'multipart/form-data; boundary="b"', body).params == {
        "mb": "86186"
    }


def test_json_object_body() -> None:
    body = '{"account":"10010","passwd":"e10adc","mb":[8618611287980,"8613910060001"],'
    body += '"content":"这是一条短信","sender":null,"flag":true}'
    form = parse_form("POST", b"", "application/json", body.encode())
    assert form.params == {
        "account": "10010",
        "passwd": "e10adc",
        "mb": "8618611287980,8613910060001",
        "content": "这是一条短信",
        "flag": "1",
    }


def test_json_body_without_content_type_is_sniffed() -> None:
    form = parse_form("POST", b"", None, b' \xef\xbb\xbf{"mb": 8618611287980}')
    assert form.get("mb") == "8618611287980"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[1, 2]", FormErrorReason.JSON_NOT_OBJECT),
        (b'"text"', FormErrorReason.JSON_NOT_OBJECT),
        (b"12", FormErrorReason.JSON_NOT_OBJECT),
        (b'{"a": ', FormErrorReason.BAD_JSON),
        (b'{"a": {"b": 1}}', FormErrorReason.BAD_JSON),
        (b'{"a": [[1]]}', FormErrorReason.BAD_JSON),
        (b"[" * 100_000, FormErrorReason.BAD_JSON),
    ],
)
def test_json_errors(body: bytes, reason: FormErrorReason) -> None:
    with pytest.raises(FormError) as caught:
        parse_form("POST", b"", "application/json", body)
    assert caught.value.reason is reason


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=zz"],
)
def test_multipart_errors(content_type: str) -> None:
    with pytest.raises(FormError) as caught:
        parse_form("POST", b"", content_type, b"name=x")
    assert caught.value.reason is FormErrorReason.BAD_MULTIPART


# --- merging and names --------------------------------------------------------------------


def test_get_with_body_merges_and_body_wins() -> None:
    form = parse_form("GET", b"name=q&pwd=1&msg=from-query", FORM, b"msg=from-body&dst=139")
    assert form.params == {"name": "q", "pwd": "1", "msg": "from-body", "dst": "139"}
    assert [f.source for f in form.fields] == [Source.QUERY] * 3 + [Source.BODY] * 2


def test_last_duplicate_wins_and_all_are_kept() -> None:
    form = parse_form("GET", b"dst=1&dst=2", None, b"")
    assert form.get("dst") == "2"
    assert [f.value for f in form.fields] == ["1", "2"]


def test_fold_case() -> None:
    form = parse_form("GET", b"Name=a&PWD=b&Msg=c", None, b"", fold_case=True)
    assert form.params == {"name": "a", "pwd": "b", "msg": "c"}
    assert form.get("NAME") == "a"
    assert "pWd" in form
    assert parse_form("GET", b"Name=a", None, b"").get("name") is None


def test_mixed_case_escapes() -> None:
    assert parse_form("GET", b"a=%e4%Bd%A0&b=%Fd", None, b"").fields[0].raw == b"\xe4\xbd\xa0"
    assert parse_form("GET", b"b=%Fd%fD", None, b"").fields[0].raw == b"\xfd\xfd"


def test_empty_pairs_and_names_are_skipped_and_bad_escapes_kept() -> None:
    form = parse_form("GET", b"&&=x&a&b=%zz%4&c=%41%00", None, b"")
    assert form.params == {"a": "", "b": "%zz%4", "c": "A\x00"}


# --- charsets -----------------------------------------------------------------------------


def test_declared_charset_wins() -> None:
    # "浣犲ソ" is 你好's UTF-8 bytes read as GBK: a declared charset must be obeyed.
    body = b"msg=" + quote_plus("浣犲ソ", encoding="gbk").encode()
    assert parse_form("POST", b"", FORM + "; charset=gbk", body).get("msg") == "浣犲ソ"
    assert parse_form("POST", b"", FORM, body).get("msg") == "你好"


def test_declared_charset_that_lies_falls_back() -> None:
    body = b"msg=" + quote_plus("你好", encoding="gbk").encode()
    assert parse_form("POST", b"", FORM + "; charset=UTF-8", body).get("msg") == "你好"


def test_unknown_declared_charset_is_ignored() -> None:
    assert parse_form("POST", b"", FORM + "; charset=klingon", b"m=%E4%BD%A0").get("m") == "你"


def test_per_value_detection() -> None:
    query = (
        urlencode({"a": "你好"}, encoding="utf-8") + "&" + urlencode({"b": "你好"}, encoding="gbk")
    )
    form = parse_form("GET", query.encode(), None, b"")
    assert form.params == {"a": "你好", "b": "你好"}


def test_truncated_gbk_is_lossy_not_an_error() -> None:
    form = parse_form("GET", b"msg=%C4%E3%BA", None, b"")
    assert form.get("msg") == "你\ufffd"
    assert form.lossy("msg")
    assert not form.lossy("absent")


def test_decode_text_gb2312_label_reads_gbk_only_characters() -> None:
    assert decode_text("镕".encode("gbk"), "gb2312") == ("镕", "gb18030", False)


def test_parse_content_type() -> None:
    assert parse_content_type('Multipart/Form-Data; Boundary="a;b"; charset=GBK') == (
        "multipart/form-data",
        {"boundary": "a;b", "charset": "GBK"},
    )
    assert parse_content_type(None) == ("", {})


def test_split_list() -> None:
    assert split_list(" 139 ,, 138，137;136、\n135 ,") == ("139", "138", "137", "136", "135")
    assert split_list(None) == ()
    assert split_list(" , ") == ()


# --- size ---------------------------------------------------------------------------------


LARGE = {
    "ampersands": (FORM, b"&" * 2_000_000),
    "percents": (FORM, b"%" * 2_000_000),
    "escapes": (FORM, b"a=" + b"%C4%E3" * 300_000),
    "pairs": (FORM, b"a=1&" * 500_000),
    "delimiters": ("multipart/form-data; boundary=x", b"--x\r\n" * 400_000),
    "empty-parts": ("multipart/form-data; boundary=x", b"\r\n--x" * 300_000),
    "json-escapes": ("application/json", b'{"a":"' + b"\\u4f60" * 300_000 + b'"}'),
    "json-pairs": ("application/json", b"{" + b'"a":1,' * 300_000 + b'"b":2}'),
}


@pytest.mark.parametrize(("content_type", "body"), LARGE.values(), ids=LARGE.keys())
def test_large_inputs_are_linear(content_type: str, body: bytes) -> None:
    started = time.perf_counter()
    with contextlib.suppress(FormError):
        parse_form("POST", b"", content_type, body)
    assert time.perf_counter() - started < 10.0  # quadratic work on 2 MB would take hours


NOT_CHARSETS = ["base64", "hex", "zlib", "rot13", "idna", "punycode", "undefined"]


@pytest.mark.parametrize("label", NOT_CHARSETS)
def test_declared_non_charsets_are_ignored(label: str) -> None:
    for body in (b"a=%FF%00x", b"a=xn--", b"a=%E4%BD%A0"):
        parse_form("POST", b"", f"{FORM}; charset={label}", body)
    assert parse_form("POST", b"", f"{FORM}; charset={label}", b"a=%E4%BD%A0").get("a") == "你"
