"""The 企信通 dialect (``/send/*.asp[x]``): endpoints, requests, ``key=value`` answers.

Theory of operation
-------------------
`endpoint_for` maps a request path to an `Endpoint`: the operation, the edition whose
``errid`` table answers it (`qxt_codes`), and the answer charset (``gbk``, or ``utf-8`` on the
``_utf8`` twins). `parse_request` turns the form (parsed with ``fold_case=True``) into one of
the request values below, or the `Refusal` that stops it before the core sees it. The
``format_*`` functions write answers as exact bytes: keys in the contract's order, joined by
``&``; records of multi-record answers joined by ``||||``. Requests on every endpoint, the
``_utf8`` twins included, are decoded by the `forms` rule (declared charset, else UTF-8 when
valid, else GB18030), so a GBK client that calls a twin by mistake is still understood.

Decisions:

* **Unencodable characters (GBK answers).** Answers on GBK endpoints are strict GBK, and a
  character GBK lacks (an emoji in an inbound message) becomes ``?``, which is what IIS/ASP
  servers emit. GB18030's four-byte forms would be invalid GBK: PHP ``iconv("GBK", …)`` returns
  ``false`` for the *whole* answer and Java's GBK decoder garbles them, so one emoji would make
  ``readsms`` unreadable. Partners that need such characters use the ``_utf8`` twins.
* **Separators inside values.** Free text (``msg``, ``short``, a banned word, ``sequeid``) is
  written raw except that ``&`` becomes ``＆`` and ``|`` becomes ``｜`` (full width), and line
  breaks become spaces: clients split on ``&`` by index, split records on ``||||`` and read
  the answer with ``readLine()``. ``=`` stays raw: every client splits on ``&`` first, then on
  the first ``=``.
* **Schedule** (`parse_schedule`): ``YYYYMMDDHHMM`` or ``YYYYMMDDHHMMSS`` in China Standard
  Time, separators ``- / : T`` and spaces ignored (``2016-11-20 12:30``); empty or past: now;
  anything else: `Refusal.BAD_SCHEDULE` (the seed says "sent at once", the spec an error).
* **Error answers** keep each operation's keys: send ``num=0&success=&faile=<all>&err&errid``;
  ``readsms``/``readxmlsms``/``readreport`` ``id=0&err&errid``;
  ``getfee`` ``id=0&err&errid&short=``; ``cpwd``/``checkcontent`` ``err&errid``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from hongyan.protocols.legacy.forms import Form, split_list
from hongyan.protocols.legacy.qxt_codes import OK, SEND_OK, Edition, error_row
from hongyan.protocols.legacy.qxt_endpoints import (
    ENDPOINTS,
    Endpoint,
    LengthRule,
    Operation,
    content_type,
    endpoint_for,
)
from hongyan.protocols.refusals import Refusal

__all__ = [
    "CHINA_TZ",
    "ENDPOINTS",
    "ChangePassword",
    "CheckContent",
    "Edition",
    "Endpoint",
    "InboundRecord",
    "LengthRule",
    "Operation",
    "QxtQuery",
    "QxtRequest",
    "QxtSend",
    "ReportRecord",
    "content_type",
    "endpoint_for",
    "format_banned_word",
    "format_fee",
    "format_inbound",
    "format_ok",
    "format_refusal",
    "format_reports",
    "format_send",
    "format_time",
    "parse_request",
    "parse_schedule",
]

CHINA_TZ = timezone(timedelta(hours=8), "CST")  # Asia/Shanghai: UTC+8, no DST since 1991
NO_INBOUND = "没有未读取的短信"
NO_REPORTS = "没有未读取的状态报告"
RECORD_SEPARATOR = "||||"
MAX_EXTENSION = 20  # digits; service code + extension is checked by the core


# --- requests -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QxtSend:
    name: str
    pwd: str  # plain, as sent
    recipients: tuple[str, ...]  # as the client wrote them (stripped), in order
    text: str
    send_at: datetime  # ``now`` when the message goes out at once
    length_rule: LengthRule
    extension: str = ""  # digits appended to the account's service code
    sequeid: str | None = None  # client sequence id, echoed in status reports


@dataclass(frozen=True)
class QxtQuery:
    """readsms, readxmlsms, getfee, readreport: credentials only."""

    operation: Operation
    name: str
    pwd: str


@dataclass(frozen=True)
class ChangePassword:
    name: str
    pwd: str
    new_password: str


@dataclass(frozen=True)
class CheckContent:
    name: str
    pwd: str
    content: str


QxtRequest = QxtSend | QxtQuery | ChangePassword | CheckContent

_SCHEDULE_NOISE = re.compile(r"[-/:T\s]")
_SCHEDULE = re.compile(r"[0-9]{12}|[0-9]{14}")


def parse_schedule(raw: str | None, *, now: datetime, tz: tzinfo = CHINA_TZ) -> datetime | Refusal:
    """When to send: ``now`` (aware) for empty or past times, the time if later, else a refusal."""
    digits = _SCHEDULE_NOISE.sub("", raw or "")
    if not digits:
        return now
    if not _SCHEDULE.fullmatch(digits):
        return Refusal.BAD_SCHEDULE
    month, day, hour, minute, second = (int(digits[i : i + 2] or 0) for i in range(4, 14, 2))
    try:
        moment = datetime(int(digits[:4]), month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        return Refusal.BAD_SCHEDULE
    return moment if moment > now else now


def _credentials(form: Form) -> tuple[str, str] | Refusal:
    name = (form.get("name") or "").strip()
    pwd = form.get("pwd") or ""
    if not name:
        return Refusal.UNKNOWN_ACCOUNT
    if not pwd:
        return Refusal.BAD_PASSWORD
    return name, pwd


def _extension(raw: str | None) -> str | Refusal:
    value = (raw or "").strip()
    if value and not re.fullmatch(r"[0-9]+", value):
        return Refusal.BAD_EXTENSION
    if len(value) > MAX_EXTENSION:
        return Refusal.EXTENSION_TOO_LONG
    return value


def _length_rule(endpoint: Endpoint, form: Form) -> LengthRule:
    rule = endpoint.length_rule or LengthRule.ACCOUNT
    if rule is LengthRule.ACCOUNT and (form.get("txt") or "").strip().lower() == "ccdx":
        return LengthRule.LONG
    return rule


def _send(
    endpoint: Endpoint, form: Form, credentials: tuple[str, str], now: datetime
) -> QxtRequest | Refusal:
    recipients = split_list(form.get("dst"))
    if not recipients:
        return Refusal.NO_RECIPIENTS
    text = form.get("msg") or ""
    if not text.strip():
        return Refusal.EMPTY_CONTENT
    send_at = parse_schedule(form.get("time"), now=now)
    if isinstance(send_at, Refusal):
        return send_at
    extension = _extension(form.get("sender"))
    if isinstance(extension, Refusal):
        return extension
    sequeid = (form.get("sequeid") or "").strip() or None
    rule = _length_rule(endpoint, form)
    return QxtSend(*credentials, recipients, text, send_at, rule, extension, sequeid)


def parse_request(endpoint: Endpoint, form: Form, *, now: datetime) -> QxtRequest | Refusal:
    """The request ``form`` makes of ``endpoint``, or why it is refused before the core."""
    if any("\x00" in value for value in form.params.values()):
        return Refusal.BAD_REQUEST  # no client text holds a NUL; PostgreSQL cannot store one
    credentials = _credentials(form)
    if isinstance(credentials, Refusal):
        return credentials
    operation = endpoint.operation
    if operation is Operation.SEND:
        return _send(endpoint, form, credentials, now)
    if operation is Operation.CHANGE_PASSWORD:
        new_password = form.get("newpwd") or ""
        if len(new_password) <= 4:
            return Refusal.PASSWORD_TOO_SHORT
        return ChangePassword(*credentials, new_password)
    if operation is Operation.CHECK_CONTENT:
        content = form.get("content") or form.get("msg") or ""
        if not content.strip():
            return Refusal.EMPTY_CONTENT
        return CheckContent(*credentials, content)
    return QxtQuery(operation, *credentials)


# --- answers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboundRecord:
    id: int | str
    src: str  # handset, 11-digit national form for Chinese mobiles
    msg: str
    dst: str  # service code + extension
    time: datetime  # aware


@dataclass(frozen=True)
class ReportRecord:
    id: int | str  # message id
    dst: str  # 11-digit national form for Chinese mobiles
    stat: str  # DELIVRD, UNDELIV, EXPIRED, …
    time: datetime  # aware
    errid: str = "0"  # the carrier's error code, "0" when delivered
    sequeid: str = ""  # the client's sequeid, empty when it gave none


_TEXT_FIXES = str.maketrans({"&": "＆", "|": "｜", "\r": " ", "\n": " "})


def _value(value: object) -> str:
    return str(value).replace("\r\n", " ").translate(_TEXT_FIXES)


def _encode(endpoint: Endpoint, text: str) -> bytes:
    return text.encode(endpoint.charset, errors="replace")


def _pairs(pairs: Sequence[tuple[str, object]]) -> str:
    return "&".join(f"{key}={_value(value)}" for key, value in pairs)


def format_time(moment: datetime) -> str:
    """``YYYYMMDDHHMM`` in China Standard Time; ``moment`` must be aware."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return moment.astimezone(CHINA_TZ).strftime("%Y%m%d%H%M")


def format_send(endpoint: Endpoint, success: Sequence[str], faile: Sequence[str] = ()) -> bytes:
    """A send that accepted ``success`` (at least one) and refused ``faile``, numbers as written."""
    if not success:
        raise ValueError("a send answer needs at least one accepted number; use format_refusal")
    pairs = [
        ("num", len(success)),
        ("success", ",".join(success)),
        ("faile", ",".join(faile)),
        ("err", SEND_OK),
        ("errid", 0),
    ]
    return _encode(endpoint, _pairs(pairs))


def format_refusal(endpoint: Endpoint, refusal: Refusal, *, faile: Sequence[str] = ()) -> bytes:
    """The error answer of ``endpoint``'s operation; ``faile``: a send's numbers, as written."""
    errid, err = error_row(endpoint.edition, refusal)
    operation = endpoint.operation
    pairs: list[tuple[str, object]]
    if operation is Operation.SEND:
        pairs = [("num", 0), ("success", ""), ("faile", ",".join(faile))]
    elif operation in (Operation.CHANGE_PASSWORD, Operation.CHECK_CONTENT):
        pairs = []
    else:
        pairs = [("id", 0)]
    pairs += [("err", err), ("errid", errid)]
    if operation is Operation.GET_FEE:
        pairs.append(("short", ""))
    return _encode(endpoint, _pairs(pairs))


def format_ok(endpoint: Endpoint) -> bytes:
    """``cpwd`` done, or ``checkcontent`` found nothing banned."""
    return _encode(endpoint, _pairs([("err", OK), ("errid", 0)]))


def format_banned_word(endpoint: Endpoint, word: str) -> bytes:
    """``checkcontent`` found ``word``: err holds the word, errid the edition's banned-word code."""
    errid, _ = error_row(endpoint.edition, Refusal.BANNED_WORD)
    return _encode(endpoint, _pairs([("err", word), ("errid", errid)]))


def format_fee(endpoint: Endpoint, balance: int, short_name: str) -> bytes:
    pairs = [("id", balance), ("err", OK), ("errid", 0), ("short", short_name)]
    return _encode(endpoint, _pairs(pairs))


def _inbound_pairs(record: InboundRecord) -> str:
    return _pairs(
        [
            ("id", record.id),
            ("err", OK),
            ("src", record.src),
            ("msg", record.msg),
            ("dst", record.dst),
            ("time", format_time(record.time)),
        ]
    )


def format_inbound(endpoint: Endpoint, records: Sequence[InboundRecord]) -> bytes:
    """``readsms`` (one record) or ``readxmlsms`` (≤ 100); none: ``id=0&err=没有未读取的短信``."""
    if not records:
        return _encode(endpoint, _pairs([("id", 0), ("err", NO_INBOUND)]))
    return _encode(endpoint, RECORD_SEPARATOR.join(_inbound_pairs(r) for r in records))


def _report_pairs(record: ReportRecord) -> str:
    return _pairs(
        [
            ("id", record.id),
            ("dst", record.dst),
            ("stat", record.stat),
            ("errid", record.errid),
            ("time", format_time(record.time)),
            ("sequeid", record.sequeid),
        ]
    )


def format_reports(endpoint: Endpoint, records: Sequence[ReportRecord]) -> bytes:
    """``readreport``: records joined by ``||||``; none: ``id=0&err=没有未读取的状态报告``."""
    if not records:
        return _encode(endpoint, _pairs([("id", 0), ("err", NO_REPORTS)]))
    return _encode(endpoint, RECORD_SEPARATOR.join(_report_pairs(r) for r in records))
