"""The HI8D international dialect (``/servlet/gateway.php``): send requests, JSON answers, pushes.

Theory of operation
-------------------
`parse_send` turns a `Form` into a `Hi8dSend` or the `Refusal` that stops it before the core
sees it (missing fields, a malformed sender). Authentication, number validity, limits and
balance are the core's decisions; this module only formats their outcome.

Answers and pushes are JSON objects with a fixed key order and compact separators.

**Escaping (decision): non-ASCII is written as ``\\uXXXX`` escapes (``ensure_ascii=True``).**
Both forms parse to the same text in every JSON client; the escaped form is what the seed
shows (PHP ``json_encode``'s default), and it makes the body pure ASCII. That matters for these
clients: many read the body through the platform's default charset (a Java
``InputStreamReader`` without a charset is GBK on a Chinese Windows host) and would turn raw
UTF-8 into mojibake *before* the JSON parser runs; ASCII survives any charset. Characters
outside the BMP become surrogate-pair escapes, which every JSON parser joins again.

Codes (decision): failures carry ``"code"``, a number from `CODES`, grouped by what failed
(1xxx account, 2xxx request, 3xxx content, 4xxx recipients, 5xxx balance and limits, 9xxx the
platform). An unknown account and a wrong password share code 1001 and one message, so the
answer does not tell a stranger which account names exist.

Pushes: the status report push and the inbound push (our design, in the same style):

``{"status":1,"msg":"收到上行短信","id":"<id>","src":"<handset>","dst":"<service code+ext>",
"content":"<text>","time":"<YYYY-MM-DD HH:MM:SS>"}``

Times in pushes are ``YYYY-MM-DD HH:MM:SS`` in China Standard Time (UTC+8); ids are decimal
strings, as guids are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from hongyan.protocols.legacy.forms import Form, split_list
from hongyan.protocols.refusals import Refusal

__all__ = [
    "CODES",
    "CONTENT_TYPE",
    "Hi8dSend",
    "format_accepted",
    "format_inbound_push",
    "format_refused",
    "format_report_push",
    "parse_send",
]

CONTENT_TYPE = "application/json; charset=utf-8"
CHINA_TZ = timezone(timedelta(hours=8), "CST")  # Asia/Shanghai: no DST since 1991
SENT_OK = "发送成功"
INBOUND_MSG = "收到上行短信"
NO_ERROR_CODE = "-1"  # ``sms`` of a failed report whose receipt carried no error code

# Refusal → (code, msg). Every Refusal has a row (a test checks).
CODES: dict[Refusal, tuple[int, str]] = {
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

# Receipt stat → msg of a failed report push.
REPORT_MSGS: dict[str, str] = {
    "DELIVRD": "发送成功",
    "EXPIRED": "短信已过期",
    "UNDELIV": "发送失败",
    "REJECTD": "短信被拒绝",
    "DELETED": "短信已删除",
}


@dataclass(frozen=True)
class Hi8dSend:
    account: str
    passwd: str  # MD5 hex as sent (either case); the core verifies it
    recipients: tuple[str, ...]  # as the client wrote them (stripped), in order
    content: str
    sender: str | None = None  # None: the route's default


_NUMERIC_SENDER = re.compile(r"\+?\d{1,15}")
_ALPHA_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")


def _sender(raw: str | None) -> str | Refusal | None:
    value = (raw or "").strip()
    if not value:
        return None
    if _NUMERIC_SENDER.fullmatch(value):
        return value.removeprefix("+")
    if _ALPHA_SENDER.fullmatch(value):
        return value
    return Refusal.BAD_SENDER


_FIELDS = ("account", "passwd", "mb", "content", "sender")


def _unreadable(form: Form) -> bool:
    """A field whose bytes were valid in no charset, or that holds a NUL (no text has one)."""
    return form.unreadable(_FIELDS)


def parse_send(form: Form) -> Hi8dSend | Refusal:
    """The send request in ``form``, or why it is refused before the core looks at it."""
    if _unreadable(form):
        return Refusal.BAD_REQUEST
    account = (form.get("account") or "").strip()
    passwd = (form.get("passwd") or "").strip()
    if not account or not passwd:
        return Refusal.MISSING_PARAMETER
    recipients = split_list(form.get("mb"))
    if not recipients:
        return Refusal.NO_RECIPIENTS
    content = form.get("content") or ""
    if not content.strip():
        return Refusal.EMPTY_CONTENT
    sender = _sender(form.get("sender"))
    if isinstance(sender, Refusal):
        return sender
    return Hi8dSend(account, passwd, recipients, content, sender)


# --- answers ------------------------------------------------------------------------------


def _dump(obj: dict[str, object]) -> bytes:
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def format_accepted(
    guids: Sequence[str | int], numbers: Sequence[str], failed: Sequence[str] = ()
) -> bytes:
    """``status`` 1: one guid per accepted number, same order; ``failed`` only when non-empty."""
    if not guids or len(guids) != len(numbers):
        raise ValueError("one guid per accepted number, and at least one")
    guid = ",".join([str(g) for g in guids])
    parts = [_ACCEPTED_HEAD, _string(guid), b',"mb":', _string(",".join(numbers))]
    if failed:
        parts += (b',"failed":', _string(",".join(failed)))
    parts.append(b"}")
    return b"".join(parts)


def format_refused(refusal: Refusal, failed: Sequence[str] = ()) -> bytes:
    """``status`` 0 with the reason and its ``code``; ``failed`` lists refused numbers if given."""
    if not failed:
        return _REFUSED[refusal]
    return b"".join((_REFUSED_HEAD[refusal], b',"failed":', _string(",".join(failed)), b"}"))


# Answers are sent once per request: their fixed parts are encoded once, here, by ``_dump``
# itself, and only the variable strings per answer, by the encoder ``json.dumps`` uses for
# every string (py-spy: building a dict and running ``json.dumps`` on it was ~4% of the API
# process). tests/legacy/test_fast_paths.py checks the bytes against a json.dumps reference.
_string_ascii = json.encoder.encode_basestring_ascii


def _string(value: str) -> bytes:
    encoded: str = _string_ascii(value)
    return encoded.encode("ascii")


def _head(body: dict[str, object]) -> bytes:
    """``_dump(body)`` without its closing brace, for answers that go on with more keys."""
    return _dump(body)[:-1]


_ACCEPTED_HEAD = _head({"status": 1, "msg": SENT_OK, "guid": ""})[: -len(b'""')]
_REFUSED: dict[Refusal, bytes] = {
    r: _dump({"status": 0, "msg": msg, "code": code}) for r, (code, msg) in CODES.items()
}
_REFUSED_HEAD: dict[Refusal, bytes] = {r: answer[:-1] for r, answer in _REFUSED.items()}


def format_time(moment: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in China Standard Time; ``moment`` must be aware."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


def format_report_push(
    *, guid: str | int, number: str, stat: str, error_code: str, done_at: datetime
) -> bytes:
    """A status report push; ``stat`` ``DELIVRD`` is success, anything else a failure."""
    delivered = stat.upper() == "DELIVRD"
    body: dict[str, object] = {
        "status": 1 if delivered else 0,
        "msg": REPORT_MSGS.get(stat.upper(), "发送失败"),
        "guid": str(guid),
        "sms": "0" if delivered else (error_code or NO_ERROR_CODE),
        "mb": number,
        "stat": stat,
        "time": format_time(done_at),
    }
    return _dump(body)


def format_inbound_push(
    *, inbound_id: str | int, source: str, destination: str, text: str, received_at: datetime
) -> bytes:
    body: dict[str, object] = {
        "status": 1,
        "msg": INBOUND_MSG,
        "id": str(inbound_id),
        "src": source,
        "dst": destination,
        "content": text,
        "time": format_time(received_at),
    }
    return _dump(body)
