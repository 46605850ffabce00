"""Binds kept up: one task per bind connects, keeps the link alive while it lasts, and
connects again after a loss, with exponential backoff.

``links`` holds the links that are up, in the order they came up; it is one list for the
supervisor's life (changed in place), so a connector may keep a reference to it. Connecting
and binding is the protocol's (``connect``: a bound link, or None after logging why not);
``lost`` hears of each link gone while not stopping.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, TypeVar

from hongyan.services.connectors.request_link import RequestLink

L = TypeVar("L", bound=RequestLink[Any, Any, Any])


class BindSupervisor(Generic[L]):
    def __init__(
        self,
        *,
        connect: Callable[[str], Awaitable[L | None]],
        lost: Callable[[str], None],
        keep_alive_interval: float,
        reconnect_delay: float,
        reconnect_max_delay: float,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,  # the backoff's waits
    ) -> None:
        self._connect, self._lost, self._sleep = connect, lost, sleep
        self.keep_alive_interval = keep_alive_interval
        self.reconnect_delay, self.reconnect_max_delay = reconnect_delay, reconnect_max_delay
        self.links: list[L] = []
        self.reconnects = 0  # links lost (not on stop) since the start
        self.stopping = False
        self._up = asyncio.Event()  # a link came up that can submit
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, roles: Iterable[str]) -> None:
        """One supervising task per role (a bind of each role)."""
        for role in roles:
            task = asyncio.ensure_future(self._supervise(role))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def up(self, timeout: float) -> None:
        """Return when a link can submit, or after ``timeout`` (the binds keep trying)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._up.wait()

    async def leave(self, timeout: float) -> None:
        """Connect no more; every link drains (up to ``timeout``), says goodbye, closes."""
        self.stopping = True
        await asyncio.gather(*(link.leave(timeout) for link in list(self.links)))

    async def close(self) -> None:
        """Connect no more and end the supervising tasks."""
        self.stopping = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _supervise(self, role: str) -> None:
        delay = self.reconnect_delay
        while not self.stopping:
            link = await self._connect(role)
            if link is not None:
                delay = self.reconnect_delay
                self.links.append(link)
                if link.can_submit:
                    self._up.set()
                keep_alive = asyncio.ensure_future(link.keep_alive(self.keep_alive_interval))
                await link.closed
                keep_alive.cancel()
                self.links.remove(link)
                if not self.stopping:
                    self.reconnects += 1
                    self._lost(role)
            if self.stopping:
                return
            await self._sleep(delay)
            delay = min(delay * 2, self.reconnect_max_delay)
