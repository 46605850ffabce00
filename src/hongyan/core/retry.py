"""Retry decisions for submitting to carriers, as pure functions of attempts, outcome and time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SubmitRetryPolicy:
    first_delay: timedelta = timedelta(seconds=5)
    max_delay: timedelta = timedelta(minutes=10)

    def next_attempt(self, attempts: int, now: datetime, expires_at: datetime) -> datetime | None:
        """After ``attempts`` failed tries: when to try again, or ``None`` when past validity."""
        doublings = min(max(attempts - 1, 0), 20)
        delay = min(self.first_delay * 2**doublings, self.max_delay)
        at: datetime = now + delay
        return at if at < expires_at else None
