"""Msg_Id: the 64-bit id an ISMG gives each submitted message, and how hongyan writes it.

The ISMG packs month (4 bits), day (5), hour (5), minute (6), second (6), its gateway code
(22) and a sequence (16) into 8 octets. The same 8 octets come back in the status report, so
hongyan stores the id as the decimal text of the unsigned 64-bit number, written the same
way for CMPP_SUBMIT_RESP and the report; the store also finds it by its hexadecimal twin.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MsgIdParts:
    month: int
    day: int
    hour: int
    minute: int
    second: int
    gateway: int
    sequence: int


_FIELDS: tuple[tuple[str, int], ...] = (
    ("month", 4),
    ("day", 5),
    ("hour", 5),
    ("minute", 6),
    ("second", 6),
    ("gateway", 22),
    ("sequence", 16),
)


def compose(parts: MsgIdParts) -> int:
    value = 0
    for name, bits in _FIELDS:
        part = getattr(parts, name)
        if not 0 <= part < 1 << bits:
            raise ValueError(f"{name} {part} does not fit {bits} bits")
        value = value << bits | part
    return value


def parts_of(value: int) -> MsgIdParts:
    fields: dict[str, int] = {}
    for name, bits in reversed(_FIELDS):
        fields[name] = value & ((1 << bits) - 1)
        value >>= bits
    return MsgIdParts(**fields)


def msg_id_text(value: int) -> str:
    """The carrier id hongyan stores for a Msg_Id: its decimal digits."""
    return str(value)
