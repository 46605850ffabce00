"""Pushes to partners (status reports, inbound messages) and when to try them again.

The retry decision is pure: attempts so far and the time of the first attempt in, the next
attempt's time (or ``None``: give up) out. First retry after 5 s, doubling, capped at 30 min,
given up 24 h after the push was created.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

FIRST_RETRY = timedelta(seconds=5)
MAX_INTERVAL = timedelta(minutes=30)
GIVE_UP_AFTER = timedelta(hours=24)


class PushKind(Enum):
    REPORT = "report"
    INBOUND = "inbound"


@dataclass(frozen=True)
class PushJob:
    """One claimed outbox row, with everything needed to build and send its body."""

    id: int
    kind: PushKind
    account_id: int
    url: str
    ref_id: int  # message id (report) or inbound id
    attempts: int
    created_at: datetime
    # report fields
    recipient: str = ""
    state: str = ""
    stat: str = ""
    error_code: str = ""
    done_at: datetime | None = None
    client_ref: str | None = None
    # inbound fields
    source: str = ""
    destination: str = ""
    text: str = ""
    push_secret_version: int = 1


def next_attempt(attempts: int, created_at: datetime, now: datetime) -> datetime | None:
    """When to try again after ``attempts`` failed tries, or ``None`` to give up."""
    doublings = min(max(attempts - 1, 0), 20)  # 5 s · 2^20 is far past the cap already
    delay: timedelta = min(FIRST_RETRY * 2**doublings, MAX_INTERVAL)
    at: datetime = now + delay
    if at - created_at > GIVE_UP_AFTER:
        return None
    return at
