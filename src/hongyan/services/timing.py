"""Time for the daemons: the default clock, and waiting on whichever event comes first."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime


def utcnow() -> datetime:
    """The default clock of every role (tests pass their own)."""
    return datetime.now(UTC)


async def wait_any(*events: asyncio.Event, timeout: float | None = None) -> None:
    """Return as soon as one of ``events`` is set, or after ``timeout`` seconds."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
