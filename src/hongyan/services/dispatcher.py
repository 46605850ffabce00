"""The dispatcher: claims due messages in batches and hands them to channels, failing over.

Theory of operation. The messages table is the queue. Each round claims up to ``batch`` due
messages (a leased claim: if this process dies, the lease runs out and another round — here or
in another dispatcher — claims them again), hands each to its first channel, and keeps at most
``max_in_flight`` messages being submitted across all channels, so every bind's SMPP window
stays full. No task per message: a channel with ``submit_nowait`` queues it and calls back
with the outcome (an ``async submit`` alone also works, with a task each). A message tries
its route's channels in order; a channel that is down or refuses is skipped for the next.
Results are written back in batches by one flushing task: carrier ids (``submitted``), later
retries (``queued`` again, with backoff), or final failures (``failed``/``expired``, refunded).
The retry and routing decisions are pure (``core``).

With several dispatchers, each sends only on the channels it holds bind leases for
(``services/leases.py``), whose bind is up and that are not paused: ``serving`` says which. A
round then claims only messages whose route has such a channel (all of them in the usual case,
with the plain claim; a routed claim otherwise), so a dispatcher never holds hostage messages
it cannot send.
A claimed message whose channels all stopped serving meanwhile goes back to the queue at the
next flush, due as before and without using an attempt. So does, when the dispatcher stops,
whatever a channel queued but did not send any part of yet (``withdraw``): a stop waits only
for the answers to submit_sm in flight (and the other parts of messages partly sent), however
slow the channel's tps, and leaves no claim to run out.

Claims are renewed. A message can wait in a channel's queue longer than the lease (a channel
slower than about ``max_in_flight / lease_seconds`` submit_sm/s, a throttling SMSC); were its
claim to run out, the next round — here or in another dispatcher — would claim and send it a
second time. So every quarter of the lease one statement extends the claims of all messages
still with a channel (``Store.renew_claims``). That is simpler than sizing claims to what
the channels can send within the lease, and unlike it holds whatever the route's channels,
failover, throttling pauses or an SMSC slow to answer do to the pace. Should a renewal fail
or hang (a quarter of the lease at most), every claim still has a quarter of its lease left:
the channels then withdraw the messages they have sent no part of, which go back to the
queue (or, the store being down, wait unsent for their claims to run out). Only messages with
a part already sent stay, to be answered within the response timeout. A message whose
validity ends while it waits is not sent late: the connector answers it as temporary when its
turn comes, and the retry rule, finding the validity over, ends it as expired.

Carriers lose receipts. About once a minute a round also finishes, as ``expired``, submitted
messages whose validity ended ``receipt_grace`` ago without a final receipt, so every message
reaches a final state and its partner a report.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from hongyan.core.messages import (
    ClaimedMessage,
    MessageState,
    SubmitFinal,
    SubmitRetry,
    SubmitSuccess,
)
from hongyan.core.retry import SubmitRetryPolicy
from hongyan.core.routing import Router
from hongyan.services import metrics
from hongyan.services.timing import utcnow, wait_any
from hongyan.store.base import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChannelResult:
    carrier_ids: tuple[str, ...] | None  # one per segment when the carrier took the message
    error: str = ""
    temporary: bool = True  # worth trying again later (throttled, link down, timeout)


class Channel(Protocol):
    """What the dispatcher needs of a carrier connection (SMPP, CMPP, …).

    A channel may also offer ``submit_nowait(message, done)``: queue the message and call
    ``done(ChannelResult)`` once, maybe before returning. The dispatcher then uses it.
    And ``withdraw()``: answer at once (before returning), as temporary, what it queued but
    did not send any part of yet; the dispatcher calls it when it stops, or when it could
    not renew its claims.
    """

    name: str

    @property
    def available(self) -> bool: ...

    async def submit(self, message: ClaimedMessage) -> ChannelResult: ...


SubmitNowait = Callable[[ClaimedMessage, Callable[[ChannelResult], None]], None]


class _Attempt:
    """One claimed message going through its route's channels, in order."""

    __slots__ = ("dispatcher", "error", "message", "names", "next", "over", "temporary")

    def __init__(self, dispatcher: Dispatcher, message: ClaimedMessage, names: list[str]) -> None:
        self.dispatcher, self.message, self.names = dispatcher, message, names
        self.next = 0
        self.temporary, self.error = False, ""
        self.over = False

    def try_next(self, serving: AbstractSet[str]) -> None:
        """Hand the message to the next channel that serves, or conclude."""
        d = self.dispatcher
        names = self.names
        while self.next < len(names):
            name = names[self.next]
            self.next += 1
            if name not in serving:
                continue
            channel = d._channels.get(name)
            submit: SubmitNowait | None = getattr(channel, "submit_nowait", None)
            if submit is not None:
                submit(self.message, self.answered)
                return
            if channel is None or not channel.available:
                self.temporary, self.error = True, f"{name}: down"
                continue
            d._spawn(self._submit(channel))
            return
        d._conclude(self)

    async def _submit(self, channel: Channel) -> None:
        try:
            result = await channel.submit(self.message)
        except Exception as exc:  # a bug in a connector must not lose the message
            log.exception("submitting message %s failed", self.message.id)
            self.dispatcher._fail(self, exc)
            return
        self.answered(result)

    def answered(self, result: ChannelResult) -> None:
        if self.over:
            return
        d = self.dispatcher
        try:
            name = self.names[self.next - 1]
            if result.carrier_ids is not None:
                d._succeeded(self, SubmitSuccess(self.message.id, name, result.carrier_ids))
                return
            if (d._stopping or d._withdrawing) and (
                result.temporary or self.next < len(self.names)
            ):
                d._hand_back(self)  # withdrawn, or untried channels left: not an attempt
                return
            self.temporary = self.temporary or result.temporary
            self.error = f"{name}: {result.error}"
            self.try_next(d._serving())
        except Exception as exc:
            log.exception("submitting message %s failed", self.message.id)
            d._fail(self, exc)


class _Results:
    """Submit outcomes waiting to be written in one batch."""

    def __init__(self) -> None:
        self.successes: list[SubmitSuccess] = []
        self.retries: list[SubmitRetry] = []
        self.finals: list[SubmitFinal] = []
        self.unclaims: list[int] = []  # claimed, but no channel serving them here any more
        self.ready = asyncio.Event()

    def __len__(self) -> int:
        return len(self.successes) + len(self.retries) + len(self.finals) + len(self.unclaims)

    def take(self) -> tuple[list[SubmitSuccess], list[SubmitRetry], list[SubmitFinal], list[int]]:
        taken = self.successes, self.retries, self.finals, self.unclaims
        self.successes, self.retries, self.finals, self.unclaims = [], [], [], []
        self.ready.clear()
        return taken


class Dispatcher:
    def __init__(
        self,
        *,
        store: Store,
        channels: Mapping[str, Channel],
        router: Router,
        owner: str,
        clock: Callable[[], datetime] = utcnow,
        retry_policy: SubmitRetryPolicy | None = None,
        batch: int = 500,
        lease_seconds: float = 60.0,
        max_in_flight: int = 2000,
        poll_seconds: float = 0.25,
        flush_size: int = 500,
        on_submitted: Callable[[SubmitSuccess], None] = lambda success: None,
        serving: Callable[[], AbstractSet[str]] | None = None,  # None: every channel
        receipt_grace: timedelta = timedelta(hours=24),
        sweep_every: timedelta = timedelta(minutes=1),  # looking for receipts that never came
    ) -> None:
        self._store = store
        self._channels = channels
        self._router = router
        self._owner = owner
        self._clock = clock
        self._retry = retry_policy or SubmitRetryPolicy()
        self._batch = batch
        self._lease = lease_seconds
        self._poll = poll_seconds
        self._flush_size = flush_size
        self._on_submitted = on_submitted
        self._serving = serving or (lambda: frozenset(channels))
        self._receipt_grace = receipt_grace
        self._sweep_every = sweep_every
        self._next_sweep: datetime | None = None
        self._max_in_flight = max_in_flight
        self._in_flight = 0  # messages handed to channels, not answered yet
        self._live: dict[int, _Attempt] = {}  # their claims, renewed while they stay
        self._withdrawing = False  # a withdrawal is answering: hand answers back
        self._answered = asyncio.Event()  # one was answered: room to claim again?
        self._tasks: set[asyncio.Task[None]] = set()  # channels without submit_nowait
        self._results = _Results()
        self._wake = asyncio.Event()
        self._stopping = False
        self.submitted = 0

    def wake(self) -> None:
        """New messages may be due now (saves waiting for the next poll)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        flusher = asyncio.create_task(self._flush_loop(stop))
        renewer = asyncio.create_task(self._renew_loop())
        try:
            await self._claim_loop(stop)
        finally:
            self._stopping = True
            self._withdraw("dispatcher stopping")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._lease / 2):
                    while self._in_flight:
                        self._answered.clear()
                        await self._answered.wait()
            self._results.ready.set()
            await flusher
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer

    async def _claim_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                claimed = await self._claim_round()
            except Exception:
                log.exception("dispatcher round failed; retrying")
                claimed = 0
            if claimed < self._batch // 2:
                await self._idle(stop)

    async def _claim_round(self) -> int:
        free = self._max_in_flight - self._in_flight
        if free < min(self._batch, self._max_in_flight) // 4:
            self._answered.clear()
            await self._answered.wait()
            return self._batch  # capacity came back: claim again at once
        now = self._clock()
        await self._store.expire_due(now, self._batch)
        if self._next_sweep is None or now >= self._next_sweep:
            swept = await self._store.expire_unreported(now - self._receipt_grace, now, self._batch)
            if swept < self._batch:  # a full batch: more are waiting, sweep again next round
                self._next_sweep = now + self._sweep_every
        messages = await self._claim(now, min(self._batch, free))
        if messages:
            self._hand_over(messages)
        return len(messages)

    async def _claim(self, now: datetime, limit: int) -> list[ClaimedMessage]:
        serving = self._serving()
        routes = [(r.prefix, not serving.isdisjoint(r.channels)) for r in self._router.routes]
        if all(ok for _, ok in routes):
            return await self._store.claim_due(now, limit, self._lease, self._owner)
        if not any(ok for _, ok in routes) and any(p == "" for p, _ in routes):
            return []  # nothing here can be sent, and every number has a route
        return await self._store.claim_due_routed(now, limit, self._lease, self._owner, routes)

    async def _idle(self, stop: asyncio.Event) -> None:
        self._wake.clear()
        await wait_any(stop, self._wake, timeout=self._poll)

    def _hand_over(self, messages: list[ClaimedMessage]) -> None:
        """Start each claimed message on its first serving channel (answers come back later)."""
        serving = self._serving()
        now = self._clock()
        for message in messages:
            if message.expires_at <= now:
                self._finish(message, MessageState.EXPIRED, "validity")
                continue
            names = self._router.channels_for(message.recipient)
            if not names:
                self._finish(message, MessageState.FAILED, "no route")
                continue
            if serving.isdisjoint(names):
                self._results.unclaims.append(message.id)  # paused or let go since the claim
                continue
            attempt = _Attempt(self, message, list(names))
            self._in_flight += 1
            self._live[message.id] = attempt
            try:
                attempt.try_next(serving)
            except Exception as exc:  # a bug in a connector must not lose the message
                log.exception("submitting message %s failed", message.id)
                self._fail(attempt, exc)
        if len(self._results) >= self._flush_size:
            self._results.ready.set()

    def _withdraw(self, why: str) -> None:
        """What channels queued but did not send any part of comes back now, for the queue
        (stopping, or claims that could not be renewed)."""
        self._withdrawing = True
        try:
            for channel in self._channels.values():
                withdraw: Callable[[], None] | None = getattr(channel, "withdraw", None)
                if withdraw is not None:
                    try:
                        withdraw()
                    except Exception:  # their claims run out and they are claimed again
                        log.exception("withdrawing queued messages from %s failed", channel.name)
        finally:
            self._withdrawing = False
        log.info("%s: queued messages withdrawn from the channels", why)

    async def _renew_loop(self) -> None:
        """Every quarter of the lease, extend the claims of the messages still with a channel."""
        while True:
            await asyncio.sleep(self._lease / 4)
            await self._renew()

    async def _renew(self) -> None:
        ids = list(self._live)
        if not ids:
            return
        try:
            async with asyncio.timeout(self._lease / 4):
                renewed = await self._store.renew_claims(
                    ids, self._owner, self._clock(), self._lease
                )
        except Exception:  # TimeoutError too: a quarter of the lease is left, not more
            log.exception("renewing %d claims failed", len(ids))
            self._withdraw("claims not renewed")
            return
        if renewed < len(ids):  # finished meanwhile, or (a stalled process) claimed elsewhere
            log.debug("renewed %d of %d claims", renewed, len(ids))

    def _hand_back(self, attempt: _Attempt) -> None:
        self._results.unclaims.append(attempt.message.id)
        self._over(attempt)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _succeeded(self, attempt: _Attempt, success: SubmitSuccess) -> None:
        self._results.successes.append(success)
        self.submitted += 1
        self._on_submitted(success)
        self._over(attempt)

    def _conclude(self, attempt: _Attempt) -> None:
        """Every channel of the route tried (or skipped): retry later or give up."""
        if attempt.temporary:
            self._retry_later(attempt.message, attempt.error)
        else:
            self._finish(attempt.message, MessageState.FAILED, attempt.error)
        self._over(attempt)

    def _fail(self, attempt: _Attempt, exc: Exception) -> None:
        if not attempt.over:
            self._retry_later(attempt.message, f"internal: {type(exc).__name__}")
            self._over(attempt)

    def _over(self, attempt: _Attempt) -> None:
        if attempt.over:
            return
        attempt.over = True
        self._in_flight -= 1
        if self._live.get(attempt.message.id) is attempt:
            del self._live[attempt.message.id]
        self._answered.set()
        if len(self._results) >= self._flush_size:
            self._results.ready.set()

    def _retry_later(self, message: ClaimedMessage, error: str) -> None:
        at = self._retry.next_attempt(message.attempts + 1, self._clock(), message.expires_at)
        if at is None:
            self._finish(message, MessageState.EXPIRED, error or "validity")
        else:
            self._results.retries.append(SubmitRetry(message.id, at, error[:200]))

    def _finish(self, message: ClaimedMessage, state: MessageState, error: str) -> None:
        self._results.finals.append(SubmitFinal(message.id, state, error[:200]))

    async def _flush_loop(self, stop: asyncio.Event) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._results.ready.wait(), timeout=0.02)
            if len(self._results):
                await self._flush()
            elif stop.is_set() and not self._in_flight:
                return

    async def _flush(self) -> None:
        successes, retries, finals, unclaims = self._results.take()
        if unclaims:
            try:
                await self._store.unclaim(unclaims, self._owner)
            except Exception:  # their claims run out and they are claimed again: no loss
                log.exception("handing back %d claimed messages failed", len(unclaims))
            else:
                metrics.SUBMIT_RESULTS.labels("unclaimed").inc(len(unclaims))
        if not (successes or retries or finals):
            return
        try:
            await self._store.record_submits(
                self._clock(), successes=successes, retries=retries, finals=finals
            )
        except Exception:
            # Not written: the claims stay leased and come back after the lease; the carrier
            # may then see these messages twice, which beats losing them.
            log.exception("recording %d submit results failed", len(successes) + len(retries))
        else:
            _observe(successes, retries, finals)


def _observe(
    successes: list[SubmitSuccess], retries: list[SubmitRetry], finals: list[SubmitFinal]
) -> None:
    """Metrics for written results, and a log line per message (debug: one per submit)."""
    metrics.SUBMIT_RESULTS.labels("submitted").inc(len(successes))
    metrics.SUBMIT_RESULTS.labels("retry").inc(len(retries))
    for final in finals:
        metrics.SUBMIT_RESULTS.labels(final.state.value).inc()
        log.info(
            "message %d %s: %s",
            final.message_id,
            final.state.value,
            final.error_code,
            extra={"message_id": final.message_id, "state": final.state.value},
        )
    if log.isEnabledFor(logging.DEBUG):
        for success in successes:
            log.debug(
                "message %d submitted on %s",
                success.message_id,
                success.channel,
                extra={"message_id": success.message_id, "channel": success.channel},
            )
        for retry in retries:
            log.debug(
                "message %d retried at %s: %s",
                retry.message_id,
                retry.retry_at.isoformat(),
                retry.error,
                extra={"message_id": retry.message_id},
            )
