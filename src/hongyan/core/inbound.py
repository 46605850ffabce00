"""Inbound (MO) messages: which account a reply belongs to, and unsubscribe words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

UNSUBSCRIBE_WORDS = frozenset({"TD", "T", "退订", "TD退订"})


def is_unsubscribe(text: str) -> bool:
    """``TD``, ``T``, ``退订``, ``TD退订`` in any case, surrounding space ignored."""
    return text.strip().upper() in UNSUBSCRIBE_WORDS


def owner_of(destination: str, service_codes: dict[str, int]) -> tuple[int, str] | None:
    """The account whose service code is the longest prefix of ``destination``, and the extension.

    ``service_codes`` maps service code → account id.
    """
    best: str | None = None
    for code in service_codes:
        if destination.startswith(code) and (best is None or len(code) > len(best)):
            best = code
    if best is None:
        return None
    return service_codes[best], destination[len(best) :]


@dataclass(frozen=True)
class NewInbound:
    channel: str
    source: str  # handset, canonical E.164 digits where it parses, else as received
    destination: str  # full number the handset sent to (service code + extension)
    text: str
    received_at: datetime


@dataclass(frozen=True)
class InboundMessage:
    id: int
    account_id: int | None
    channel: str
    source: str
    destination: str
    extension: str
    text: str
    received_at: datetime
    read: bool
