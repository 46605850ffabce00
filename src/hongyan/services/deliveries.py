"""Delivery receipts and inbound messages from carriers, written to the store in batches.

A connector hands each receipt over with ``receipt_nowait(record, done)`` (or awaits
``receipt()`` / ``inbound()``) and answers the SMSC only when ``done`` is called after the
commit (with the error when the write failed), so the SMSC redelivers anything we did not
commit. Receipts are the bulk of the traffic: the callback costs no task and no future each.
Records handed over while a write is under way go in the next one, which takes them all: under
load, one transaction carries hundreds of receipts (natural batching, no timer).

A receipt whose carrier id no segment has (yet) is kept by the store and matched when the
submit result is written (receipts often overtake it); one still unmatched after
``pending_receipt_ttl`` is purged, and both are logged, so nothing disappears silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from hongyan.core.inbound import NewInbound
from hongyan.core.receipts import ReceiptRecord
from hongyan.services import metrics
from hongyan.services.timing import utcnow, wait_any
from hongyan.store.base import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")
Done = Callable[[BaseException | None], None]  # called once: None when committed, else why not


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


class DeliverySink:
    def __init__(
        self,
        *,
        store: Store,
        clock: Callable[[], datetime] = utcnow,
        on_committed: Callable[[], None] = lambda: None,
        on_finished: Callable[[tuple[int, ...]], None] = lambda ids: None,
        max_batch: int = 1000,
        pending_receipt_ttl: timedelta = timedelta(hours=1),
        purge_every: float = 60.0,
    ) -> None:
        self._store = store
        self._clock = clock
        self._on_committed = on_committed
        self._on_finished = on_finished
        self._max_batch = max_batch
        self._pending_ttl = pending_receipt_ttl
        self._purge_every = purge_every
        self._receipts: list[tuple[ReceiptRecord, Done]] = []
        self._inbound: list[tuple[NewInbound, Done]] = []
        self._pending = asyncio.Event()
        self.receipts_recorded = 0
        self.receipts_pending = 0  # recorded before their carrier id was known
        self.inbound_recorded = 0
        self.receipts_purged = 0  # kept pending past the TTL, then dropped

    def receipt_nowait(self, record: ReceiptRecord, done: Done) -> None:
        """Queue ``record`` for the next write; ``done`` is called once it is over."""
        self._receipts.append((record, done))
        self._pending.set()

    async def receipt(self, record: ReceiptRecord) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.receipt_nowait(record, partial(_settle, future))
        await future

    async def inbound(self, record: NewInbound) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._inbound.append((record, partial(_settle, future)))
        self._pending.set()
        await future

    async def run(self, stop: asyncio.Event) -> None:
        purger = asyncio.create_task(self._purge_loop(stop))
        try:
            await self._write_loop(stop)
        finally:
            purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purger

    async def purge_pending(self) -> int:
        """Drop receipts that matched no segment within the TTL; returns how many."""
        purged = await self._store.purge_pending_receipts(self._clock() - self._pending_ttl)
        if purged:
            self.receipts_purged += purged
            log.warning(
                "dropped %d receipts whose carrier id matched no message within %s",
                purged,
                self._pending_ttl,
            )
        return purged

    async def _purge_loop(self, stop: asyncio.Event) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._purge_every)
            if stop.is_set():
                return
            try:
                await self.purge_pending()
            except Exception:
                log.exception("purging unmatched receipts failed; trying again later")

    async def _write_loop(self, stop: asyncio.Event) -> None:
        while not (stop.is_set() and not self._receipts and not self._inbound):
            await wait_any(self._pending, stop)
            self._pending.clear()
            await self._flush()

    async def _flush(self) -> None:
        receipts, self._receipts = (
            self._receipts[: self._max_batch],
            self._receipts[self._max_batch :],
        )
        inbound, self._inbound = self._inbound[: self._max_batch], self._inbound[self._max_batch :]
        if self._receipts or self._inbound:
            self._pending.set()
        if receipts:
            result = await self._write(receipts, self._store.record_receipts)
            self.receipts_recorded += len(receipts)
            if result is not None:
                metrics.RECEIPTS.labels("matched").inc(result.matched)
                metrics.RECEIPTS.labels("pending").inc(result.pending)
                if result.pending:
                    log.info("%d receipts for carrier ids not known (yet): kept", result.pending)
                self.receipts_pending += result.pending
                if result.finished:
                    self._on_finished(result.finished)
        if inbound:
            if await self._write(inbound, self._store.record_inbound) is not None:
                metrics.INBOUND.inc(len(inbound))
            self.inbound_recorded += len(inbound)
        if receipts or inbound:
            self._on_committed()

    async def _write(
        self,
        items: Sequence[tuple[T, Done]],
        write: Callable[[list[T], datetime], Awaitable[R]],
    ) -> R | None:
        error: Exception | None = None
        result: R | None = None
        try:
            result = await write([record for record, _ in items], self._clock())
        except Exception as exc:
            log.exception("recording %d deliveries failed; the SMSC will redeliver", len(items))
            error = exc
        for _, done in items:
            try:
                done(error)
            except Exception:  # one broken callback must not leave the others unanswered
                log.exception("answering a recorded delivery failed")
        return result
