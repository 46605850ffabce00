"""The 企信通 endpoint table: path → operation, ``errid`` edition and answer charset.

Every name is served as ``/send/<name>.asp`` (the ``.asp`` edition's error table) and
``/send/<name>.aspx`` (the ``.aspx`` edition's), each with a ``_utf8`` twin that answers in
UTF-8 instead of GBK: 14 names, 56 paths. Paths match case-insensitively, as on IIS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from hongyan.protocols.legacy.qxt_codes import Edition

__all__ = [
    "ENDPOINTS",
    "Endpoint",
    "LengthRule",
    "Operation",
    "content_type",
    "endpoint_for",
]


class Operation(Enum):
    SEND = "send"
    READ_SMS = "readsms"  # one unread inbound message
    READ_XML_SMS = "readxmlsms"  # all unread inbound messages (≤ 100)
    GET_FEE = "getfee"
    CHANGE_PASSWORD = "cpwd"
    CHECK_CONTENT = "checkcontent"
    READ_REPORT = "readreport"


class LengthRule(Enum):
    SINGLE = "single"  # g70send: at most 70 characters
    ACCOUNT = "account"  # gsend: 70 unless the account allows long messages
    LONG = "long"  # longsend, or gsend with txt=ccdx: concatenated, up to the account's maximum


@dataclass(frozen=True)
class Endpoint:
    path: str
    operation: Operation
    edition: Edition
    charset: str  # of the answer, "gbk" or "utf-8"; requests follow the forms charset rule
    length_rule: LengthRule | None = None  # send endpoints only


# name → (operation, length rule); every name is served as .asp and .aspx, each with a _utf8 twin.
_NAMES: dict[str, tuple[Operation, LengthRule | None]] = {
    "gsend": (Operation.SEND, LengthRule.ACCOUNT),
    "gsendv2": (Operation.SEND, LengthRule.ACCOUNT),
    "g70send": (Operation.SEND, LengthRule.SINGLE),
    "longsend": (Operation.SEND, LengthRule.LONG),
    "readsms": (Operation.READ_SMS, None),
    "readsmsv2": (Operation.READ_SMS, None),
    "readxmlsms": (Operation.READ_XML_SMS, None),
    "getfee": (Operation.GET_FEE, None),
    "getfeev2": (Operation.GET_FEE, None),
    "cpwd": (Operation.CHANGE_PASSWORD, None),
    "checkcontent": (Operation.CHECK_CONTENT, None),
    "checkcontentv2": (Operation.CHECK_CONTENT, None),
    "readreport": (Operation.READ_REPORT, None),
    "readreportv2": (Operation.READ_REPORT, None),
}


def _endpoints() -> dict[str, Endpoint]:
    table: dict[str, Endpoint] = {}
    for name, (operation, rule) in _NAMES.items():
        for edition in Edition:
            for twin, charset in (("", "gbk"), ("_utf8", "utf-8")):
                path = f"/send/{name}{twin}.{edition.value}"
                table[path] = Endpoint(path, operation, edition, charset, rule)
    return table


ENDPOINTS: dict[str, Endpoint] = _endpoints()


def endpoint_for(path: str) -> Endpoint | None:
    """The endpoint serving ``path`` (case-insensitive, as on IIS; ``//send/…`` tolerated)."""
    clean = re.sub(r"/{2,}", "/", path.partition("?")[0]).lower()
    return ENDPOINTS.get(clean)


def content_type(endpoint: Endpoint) -> str:
    return f"text/plain; charset={endpoint.charset}"
