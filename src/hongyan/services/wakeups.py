"""Wake-ups between processes: "new messages are due", "new pushes are waiting".

In one process the API wakes the dispatcher and the delivery sink wakes the notifier directly.
When the roles run as separate processes on PostgreSQL, the waker announces on a topic
(``NOTIFY``) and the sleeper listens (``LISTEN``); on SQLite there is nothing to announce to and
the roles poll. Wake-ups only save latency: every role also polls, so a lost one costs at most a
poll interval, never a message.

``Announcer`` coalesces: while one announcement is on its way, any number of further calls
become one more, so a busy API sends a handful of NOTIFYs a second, not one per request.
"""

from __future__ import annotations

import asyncio
import logging

from hongyan.store.base import Store

log = logging.getLogger(__name__)

DUE = "hongyan_due"  # messages were admitted (dispatchers listen)
OUTBOX = "hongyan_outbox"  # pushes were queued (notifiers listen)


class Announcer:
    def __init__(self, store: Store, topic: str) -> None:
        self._store = store
        self._topic = topic
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def __call__(self) -> None:
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.ensure_future(self._announce())

    async def _announce(self) -> None:
        while True:
            self._again = False
            try:
                await self._store.announce(self._topic)
            except Exception as exc:  # pollers still find the work
                log.warning("announcing on %s failed: %s", self._topic, exc)
                return
            if not self._again:
                return

    async def close(self) -> None:
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
