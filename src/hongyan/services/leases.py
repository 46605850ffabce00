"""Bind leases: which dispatcher runs which of a channel's binds, kept in the store.

Theory of operation. A carrier allows a channel a fixed number of sessions (``binds``); each
is a *slot* with a lease row in the store. Every ``renew_seconds`` a dispatcher:

1. renews the slots it holds (one statement, ``WHERE owner = me``) and writes each bind's live
   state into its row (the operator console reads it from there, whatever process it runs in);
   a slot the renewal no longer finds was taken over after our lease ran out, and its bind is
   stopped at once;
2. acquires free, released or expired slots up to the channel's ``binds`` (one race-free
   statement per channel) and starts their binds;
3. reads the channels operators paused.

Safety does not rest on the database alone: the holder also keeps a local deadline (the start
of its last successful renewal plus the TTL less one renewal interval, on the monotonic clock)
and stops every bind when it passes without a renewal — a dispatcher cut off from the database,
or paused for longer than the TTL, lets go before anyone else may take over. (A process frozen
by the OS cannot close its sockets; the carrier then sees the old session until its own
keep-alive gives up.) Takeover of a dead holder's slots takes at most
``ttl_seconds + renew_seconds``; slots of a holder on this same host whose process is gone are
released at once (a restart does not wait out the TTL).
On a clean shutdown the binds unbind and the slots are released for the next holder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from hongyan.services.channels import ChannelSet
from hongyan.services.timing import utcnow, wait_any
from hongyan.store.base import BindState, Store

log = logging.getLogger(__name__)


def new_owner() -> str:
    """This dispatcher's name in lease rows and claims: host, pid and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def holder_is_gone(owner: str, host: str | None = None) -> bool:
    """Whether ``owner`` (from ``new_owner``) was a process on this host that no longer runs."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != (host or socket.gethostname()) or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class BindLeases:
    def __init__(
        self,
        *,
        store: Store,
        channels: ChannelSet,
        owner: str,
        renew_seconds: float = 2.0,
        ttl_seconds: float = 10.0,
        clock: Callable[[], datetime] = utcnow,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        if ttl_seconds < 2 * renew_seconds:
            raise ValueError("the bind lease must last at least two renewal intervals")
        self._store = store
        self._channels = channels
        self._owner = owner
        self._renew = renew_seconds
        self._ttl = ttl_seconds
        self._clock = clock
        self._on_change = on_change
        self._deadline: asyncio.TimerHandle | None = None
        self._submits: dict[tuple[str, int], tuple[int, float]] = {}
        self._dropping: set[asyncio.Task[None]] = set()
        self.ready = asyncio.Event()  # set after the first round
        self.lost = 0  # slots taken from us (observability, tests)
        self.rounds = 0  # rounds completed

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    async with asyncio.timeout(self._ttl):
                        await self.round()
                except Exception:
                    log.exception("bind lease round failed; trying again")
                self.ready.set()
                await wait_any(stop, timeout=self._renew)
        finally:
            await self.release_all()

    async def round(self) -> None:
        """Renew, let go of lost slots, acquire free ones, read the paused channels."""
        await self._renew_held()
        await self._acquire_free()
        paused = await self._store.paused_channels()
        changed = False
        for name, channel in self._channels.by_name.items():
            if channel.paused != (name in paused):
                channel.paused = name in paused
                changed = True
                log.info("%s: %s", name, "paused" if channel.paused else "resumed")
        if changed:
            self._on_change()
        self.rounds += 1

    async def release_all(self) -> None:
        """Clean shutdown: unbind every held slot, then free the rows for the next holder."""
        if self._deadline is not None:
            self._deadline.cancel()
        await self._drop(self._held())
        if self._dropping:
            await asyncio.gather(*self._dropping, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._store.release_channel_slots(self._owner)

    def _held(self) -> list[tuple[str, int]]:
        return [(n, s) for n, c in self._channels.by_name.items() for s in sorted(c.slots)]

    async def _renew_held(self) -> None:
        held = self._held()
        if not held:
            return
        started = asyncio.get_running_loop().time()
        states = self._with_rates(self._channels.bind_states())
        kept = set(
            await self._store.renew_channel_slots(self._owner, states, self._clock(), self._ttl)
        )
        self._arm_deadline(started + self._ttl - self._renew)
        lost = [slot for slot in held if slot not in kept]
        if lost:
            self.lost += len(lost)
            log.warning("bind leases lost to another dispatcher: %s", lost)
            await self._drop(lost)

    async def _acquire_free(self) -> None:
        gained = False
        for name, channel in self._channels.by_name.items():
            wanted = [s for s in range(channel.settings.binds) if s not in channel.slots]
            if not wanted:
                continue
            started = asyncio.get_running_loop().time()
            got = await self._acquire(name, wanted)
            if got and not self._held():
                self._arm_deadline(started + self._ttl - self._renew)
            for slot in got:
                channel.hold(slot)
                gained = True
        if gained:
            self._on_change()

    async def _acquire(self, name: str, wanted: list[int]) -> list[int]:
        now = self._clock()
        got = await self._store.acquire_channel_slots(name, wanted, self._owner, now, self._ttl)
        if len(got) == len(wanted):
            return got
        rows = await self._store.channel_states()
        gone = {r.owner for r in rows if r.channel == name and r.owner and holder_is_gone(r.owner)}
        for owner in gone:
            log.info("%s: releasing the bind slots of %s (its process is gone)", name, owner)
            await self._store.release_channel_slots(owner)
        if gone:
            rest = [s for s in wanted if s not in got]
            got += await self._store.acquire_channel_slots(name, rest, self._owner, now, self._ttl)
        return sorted(got)

    def _arm_deadline(self, at: float) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = asyncio.get_running_loop().call_at(at, self._expired)

    def _expired(self) -> None:
        held = self._held()
        if held:
            log.error("bind leases not renewed within %g s: stopping binds %s", self._ttl, held)
            task = asyncio.ensure_future(self._drop(held))
            self._dropping.add(task)
            task.add_done_callback(self._dropping.discard)

    async def _drop(self, slots: Iterable[tuple[str, int]]) -> None:
        connectors = []
        for name, slot in slots:
            self._submits.pop((name, slot), None)
            connector = self._channels.by_name[name].release(slot)  # no submit goes there now
            if connector is not None:
                connectors.append(connector)
        self._on_change()
        await asyncio.gather(*(c.stop() for c in connectors), return_exceptions=True)

    def _with_rates(self, states: list[BindState]) -> list[BindState]:
        """Fill in sends/s from the submit counters since the last renewal."""
        now = time.monotonic()
        out = []
        for state in states:
            key = (state.channel, state.slot)
            before, then = self._submits.get(key, (state.submits, now))
            rate = (state.submits - before) / (now - then) if now > then else 0.0
            self._submits[key] = (state.submits, now)
            out.append(BindState(**{**state.__dict__, "sends_per_second": round(rate, 1)}))
        return out
