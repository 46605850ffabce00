"""Delivery receipt text (SMPP 3.4 appendix B) parsed and formatted, tolerant of carriers.

The canonical shape is ``id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done
date:YYMMDDhhmm stat:DDDDDDD err:E text:…``. Carriers vary it: keys in any case, ``submit_date``
for ``submit date``, spaces around the colon, fields missing or reordered, dates with seconds.
The receipted_message_id TLV, when present, is the better id (see ``receipt_id``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

_KEY = re.compile(r"(?i)(?<![a-z_])(id|sub|dlvrd|submit[ _]?date|done[ _]?date|stat|err|text)\s*:")
_CANONICAL = {
    "id": "id",
    "sub": "sub",
    "dlvrd": "dlvrd",
    "stat": "stat",
    "err": "err",
    "text": "text",
}


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    message_id: str
    stat: str  # upper case: DELIVRD, UNDELIV, EXPIRED, …
    err: str = ""
    sub: str = ""
    dlvrd: str = ""
    submit_date: str = ""  # YYMMDDhhmm[ss] as sent
    done_date: str = ""
    text: str = ""


def _key_name(raw: str) -> str:
    key = raw.lower().replace("_", "").replace(" ", "")
    if key == "submitdate":
        return "submit_date"
    if key == "donedate":
        return "done_date"
    return _CANONICAL[key]


# The appendix B form exactly (what most SMSCs and our simulator send): one match instead of
# the tolerant scan below, which showed in the receipt path's profile. Same answer.
_CANONICAL_FORM = re.compile(
    r"id:([^\s:]*) sub:([^\s:]*) dlvrd:([^\s:]*) submit date:(\d*) done date:(\d*)"
    r" stat:([^\s:]*) err:([^\s:]*) text:(.*)",
    re.DOTALL,
)


def parse_receipt(text: str) -> DeliveryReceipt | None:
    """The receipt in ``text``, or ``None`` when it has neither an id nor a stat."""
    canonical = _CANONICAL_FORM.fullmatch(text)  # no colon in a value: no key hides there
    if canonical is not None:
        message_id, sub, dlvrd, submit_date, done_date, stat, err, rest = canonical.groups()
        return DeliveryReceipt(
            message_id, stat.upper(), err, sub, dlvrd, submit_date, done_date, rest.strip()
        )
    return _parse_tolerant(text)


def _parse_tolerant(text: str) -> DeliveryReceipt | None:
    matches = list(_KEY.finditer(text))
    fields: dict[str, str] = {}
    for i, match in enumerate(matches):
        name = _key_name(match.group(1))
        if name in fields:
            continue  # a key repeated inside text: keep the first
        if name == "text":
            fields[name] = text[match.end() :].strip()
            break
        stop = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[match.end() : stop].strip()
        fields[name] = value if name.endswith("date") else (value.split() or [""])[0]
    if "id" not in fields and "stat" not in fields:
        return None
    return DeliveryReceipt(
        message_id=fields.get("id", ""),
        stat=fields.get("stat", "").upper(),
        err=fields.get("err", ""),
        sub=fields.get("sub", ""),
        dlvrd=fields.get("dlvrd", ""),
        submit_date=fields.get("submit_date", "").replace(" ", ""),
        done_date=fields.get("done_date", "").replace(" ", ""),
        text=fields.get("text", ""),
    )


def format_receipt(receipt: DeliveryReceipt) -> str:
    return (
        f"id:{receipt.message_id} sub:{receipt.sub or '001'} dlvrd:{receipt.dlvrd or '000'} "
        f"submit date:{receipt.submit_date} done date:{receipt.done_date} "
        f"stat:{receipt.stat} err:{receipt.err or '000'} text:{receipt.text}"
    )


def format_date(moment: datetime) -> str:
    """YYMMDDhhmm in UTC, the appendix B form."""
    return moment.astimezone(UTC).strftime("%y%m%d%H%M")


def parse_date(value: str) -> datetime | None:
    """YYMMDDhhmm or YYMMDDhhmmss, read as UTC; ``None`` when it is not one."""
    digits = value.strip()
    if not digits.isascii() or not digits.isdigit() or len(digits) not in (10, 12):
        return None
    year = int(digits[0:2])
    year += 2000 if year < 69 else 1900  # strptime's %y pivot
    second = int(digits[10:12]) if len(digits) == 12 else 0
    try:  # by hand: strptime was a tenth of the receipt path
        return datetime(
            year, int(digits[2:4]), int(digits[4:6]), int(digits[6:8]), int(digits[8:10]),
            second, tzinfo=UTC,
        )  # fmt: skip
    except ValueError:
        return None


def receipt_id(receipt: DeliveryReceipt, receipted_message_id: str | None) -> str:
    """The TLV's id when the SMSC sent one, else the text's."""
    return receipted_message_id or receipt.message_id
