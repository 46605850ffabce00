"""What the SMPP and CMPP connectors share: binds kept up, one submit queue pumped into them,
and deliveries handed over and answered.

Theory: each bind is a ``RequestLink`` kept up by a ``BindSupervisor``. ``submit_nowait``
(the dispatcher's way: a callback, no task per message) has the protocol split the text into
segment bodies and queues them; the queue is pumped into the least busy submitting link whose
window has room, and again from the read callback as each submit response frees a slot, paced
by the tps bucket. A segment the carrier refuses for now (throttling, flow control) goes back
ahead of the queue, behind earlier retries, after a pause that every send honours (the channel
slows down): on one link the carrier sees the submits in queue order. With no bind up,
``submit`` fails at once as temporary; a lost link fails what it had in flight and, with no
other link, what was queued, as temporary. Every message gets exactly one answer (``done``),
the segments of a failed message still queued are not sent, and ``stop`` sends the queue,
waits for the answers, then fails what is left as temporary. ``withdraw`` answers at once, as
temporary, the queued messages none of whose segments was sent; a message partly sent stays
queued, to be finished.

Deliveries go through a ``DeliveryIntake``. A subclass brings the protocol: how a link is
bound (``_connect``), how a message becomes segment bodies and a body a submit PDU
(``_bodies``, ``_submit_pdu``), what a submit response means (``_outcome``), and how a
delivery is told apart and answered (``_deliver_received``, ``_answer_deliver``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from hongyan.protocols.smpp.reassembly import Reassembler
from hongyan.services.connectors.bind_supervisor import BindSupervisor
from hongyan.services.connectors.delivery_intake import (
    AsInbound,
    DeliveryIntake,
    OnDeliver,
    OnReceipt,
)
from hongyan.services.connectors.rate import TokenBucket
from hongyan.services.connectors.request_link import RequestLink
from hongyan.services.connectors.smpp_types import (
    ConnectorStats,
    OutboundMessage,
    SubmitResult,
)

log = logging.getLogger(__name__)
SubmitDone = Callable[[SubmitResult], None]
L = TypeVar("L", bound=RequestLink[Any, Any, Any])  # the protocol's link
B = TypeVar("B")  # the protocol's segment body
D = TypeVar("D")  # the protocol's delivery PDU


class Job:
    """One message being submitted: its carrier ids as the segments are answered."""

    __slots__ = ("done", "expires", "finished", "ids", "left", "sent")

    def __init__(self, segments: int, done: SubmitDone, expires: float) -> None:
        self.ids = [""] * segments
        self.left = segments
        self.sent = 0  # segments sent and not refused for now: the carrier may have them
        self.done = done
        self.finished = False
        self.expires = expires  # POSIX time after which no segment is sent first (inf: never)

    def finish(self, result: SubmitResult) -> None:
        if self.finished:
            return
        self.finished = True
        try:
            self.done(result)
        except Exception:  # the caller's bug must not stop the answers behind this one
            log.exception("handling a submit result failed")


class Segment(Generic[B]):
    """One submit waiting for a window slot (or for its answer)."""

    __slots__ = ("body", "index", "job", "message", "tries")

    def __init__(self, job: Job, index: int, body: B, message: OutboundMessage) -> None:
        self.job, self.index, self.body, self.message = job, index, body, message
        self.tries = 0  # answers "not now" (throttled, flow-controlled) so far


class QueuedConnector(Generic[L, B, D]):
    NO_LINK: ClassVar[str]  # why a submit fails when no link can take it
    TIMED_OUT: ClassVar[str]  # why a segment fails when its response did not come in time
    LINK_LOST: ClassVar[str]  # why a segment fails when its link went before the response
    STILL_THROTTLED: ClassVar[SubmitResult]  # a segment refused for now too many times
    REDELIVER: ClassVar[str]  # the log's words for a delivery answered "send it again"

    def __init__(
        self,
        *,
        name: str,
        host: str,
        port: int,
        link: Callable[..., L],  # EsmeLink or SpLink: (window, response_timeout, on_deliver)
        roles: list[str],  # what each of the ``binds`` runs: one link per role
        on_deliver: OnDeliver,
        on_receipt: OnReceipt | None,
        reassembler: Reassembler,
        as_inbound: AsInbound[D],
        binds: int,
        window: int,
        tps: float,
        response_timeout: float,
        keep_alive_interval: float,
        reconnect_delay: float,
        reconnect_max_delay: float,
        throttle_delay: float,
        throttle_retries: int,
        stop_timeout: float,
    ) -> None:
        self.name, self.host, self.port = name, host, port
        self.binds, self.window, self.response_timeout = binds, window, response_timeout
        self.throttle_delay, self.throttle_retries = throttle_delay, throttle_retries
        self.stop_timeout = stop_timeout
        self._link, self._roles = link, roles
        self._binds: BindSupervisor[L] = BindSupervisor(
            connect=self._connect,
            lost=self._bind_lost,
            keep_alive_interval=keep_alive_interval,
            reconnect_delay=reconnect_delay,
            reconnect_max_delay=reconnect_max_delay,
        )
        self._links = self._binds.links  # the links up: one list, changed in place
        self._intake: DeliveryIntake[L, D] = DeliveryIntake(
            name=name,
            on_deliver=on_deliver,
            on_receipt=on_receipt,
            reassembler=reassembler,
            as_inbound=as_inbound,
            answer=self._answer_deliver,
            redeliver=self.REDELIVER,
        )
        self._expiry: asyncio.Task[None] | None = None
        self._bucket = TokenBucket(tps) if tps > 0 else None
        self._paused_until = 0.0
        self._pause = throttle_delay
        self._reference = itertools.count(1)  # concatenation references, for the subclass
        self._counts = dict.fromkeys(("submitted", "errors", "throttles"), 0)
        self._queue: deque[Segment[B]] = deque()  # segments waiting for a window slot
        self._again: deque[Segment[B]] = deque()  # refused for now, in the order sent: first
        self._pump_scheduled = False
        self._pace_timer: asyncio.TimerHandle | None = None
        self._token_taken = False  # a tps token taken for the next send, paid by a wait
        self._drained: asyncio.Future[None] | None = None  # stop() waits for the queue

    # --- protocol hooks -------------------------------------------------------------------

    async def _connect(self, role: str) -> L | None:
        """A link (``_open``) bound as ``role``; None, logged, when out of reach or refused."""
        raise NotImplementedError

    def _bind_lost(self, role: str) -> None:
        """A bound link went (not on stop); called once it left the links up."""
        raise NotImplementedError

    def _bodies(self, message: OutboundMessage) -> list[B]:
        """The segment bodies of ``message``; ``ValueError`` when it cannot be sent as asked."""
        raise NotImplementedError

    def _unencodable(self, reason: str) -> SubmitResult:
        """The answer to a message ``_bodies`` refused (final)."""
        raise NotImplementedError

    def _submit_pdu(self, link: L, segment: Segment[B]) -> Any:
        """The submit PDU of ``segment``, numbered for ``link``."""
        raise NotImplementedError

    def _outcome(self, answer: Any) -> str | SubmitResult | None:
        """A submit's response: the carrier id, None to send it again after a pause, or the
        message's (failed) result."""
        raise NotImplementedError

    def _deliver_received(self, link: L, pdu: D) -> None:
        """A delivery came: to ``self._intake`` as a receipt or an inbound part."""
        raise NotImplementedError

    def _answer_deliver(self, link: L, pdu: D, ok: bool) -> None:
        """Answer delivery ``pdu``: taken (``ok``), or to be delivered again."""
        raise NotImplementedError

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Start every bind's supervisor; returns when one can submit (or after the response
        timeout: it keeps trying)."""
        self._binds.start(role for _ in range(self.binds) for role in self._roles)
        self._expiry = asyncio.ensure_future(self._intake.expire_parts())
        await self._binds.up(self.response_timeout)

    async def stop(self) -> None:
        """Stop reconnecting, let queued and in-flight submits finish, leave, close."""
        self._binds.stopping = True
        await self._intake.receipts_answered(self.stop_timeout)
        if self.queued:  # queued submits go out first (their answers are awaited below)
            self._drained = asyncio.get_running_loop().create_future()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._drained), self.stop_timeout)
        await self._binds.leave(self.stop_timeout)
        self._fail_queued("connector stopped")
        await self._intake.handled(self.stop_timeout)
        if self._expiry is not None:
            self._expiry.cancel()
            await asyncio.gather(self._expiry, return_exceptions=True)
        await self._binds.close()

    @property
    def bound(self) -> bool:
        for link in self._links:  # noqa: SIM110 (per message: cheaper than any() of a genexpr)
            if link.can_submit:
                return True
        return False

    @property
    def queued(self) -> int:
        """Segments waiting for a window slot (those refused for now waiting to go again too)."""
        return len(self._queue) + len(self._again)

    def stats(self) -> ConnectorStats:
        return ConnectorStats(
            binds_up=sum(1 for link in self._links if link.bound),
            window_in_use=sum(link.in_flight for link in self._links),
            receipts=self._intake.receipts,
            inbound=self._intake.inbound,
            reconnects=self._binds.reconnects,
            **self._counts,
        )

    async def _open(self) -> L:
        """A new TCP connection to the carrier and its link (not bound yet)."""
        _, link = await asyncio.get_running_loop().create_connection(
            self._new_link, self.host, self.port
        )
        return link

    def _new_link(self) -> L:
        return self._link(
            window=self.window,
            response_timeout=self.response_timeout,
            on_deliver=self._deliver_received,
        )

    # --- submitting -----------------------------------------------------------------------

    async def submit(self, message: OutboundMessage) -> SubmitResult:
        """Send every segment of ``message``; see the module docstring for the outcome."""
        future: asyncio.Future[SubmitResult] = asyncio.get_running_loop().create_future()
        self.submit_nowait(message, future.set_result)
        return await future

    def submit_nowait(self, message: OutboundMessage, done: SubmitDone) -> None:
        """Queue every segment of ``message``; ``done(result)`` is called once (maybe at once)."""
        if not self.bound:
            done(SubmitResult.link_failure(self.NO_LINK))
            return
        try:
            bodies = self._bodies(message)
        except ValueError as exc:  # text not encodable as asked, or a field too long
            done(self._unencodable(str(exc)))
            return
        expires = message.expires_at.timestamp() if message.expires_at else math.inf
        job = Job(len(bodies), done, expires)
        queue = self._queue
        for index, body in enumerate(bodies):
            queue.append(Segment(job, index, body, message))
        if not self._pump_scheduled:
            self._pump_scheduled = True
            asyncio.get_running_loop().call_soon(self._pump)

    def _pump(self) -> None:
        """Send queued segments while a window has room and pacing allows."""
        self._pump_scheduled = False
        queue, again = self._queue, self._again
        while queue or again:
            link = self._pick_link()
            if link is None:
                if not self.bound:
                    self._fail_queued(self.NO_LINK)
                return  # every window full: the next answer pumps again
            if (self._bucket is not None or self._paused_until) and self._must_wait():
                return
            segment = (again or queue).popleft()
            job = segment.job
            if job.finished:
                continue
            if not job.sent and job.expires <= time.time():
                job.finish(SubmitResult.expired())  # queued too long: sending it now is late
                continue
            job.sent += 1
            link.send_request(self._submit_pdu(link, segment), self._answered, segment)
        self._queue_drained()

    def _must_wait(self) -> bool:
        """Pacing (tps, the pause after a refusal): True when the pump is to resume later."""
        if self._pace_timer is not None:
            return True
        loop = asyncio.get_running_loop()
        now = loop.time()
        wait = self._paused_until - now
        if wait <= 0 and self._bucket is not None and not self._token_taken:
            wait = self._bucket.delay(now)
            self._token_taken = wait > 0  # the token is ours once the wait is over
        elif wait <= 0:
            self._token_taken = False
        if wait <= 0:
            return False
        self._pace_timer = loop.call_later(wait, self._paced)
        return True

    def _paced(self) -> None:
        self._pace_timer = None
        self._pump()

    def _answered(self, segment: Segment[B], answer: Any) -> None:
        job = segment.job
        if isinstance(answer, Exception):
            self._counts["errors"] += 1
            timed_out = isinstance(answer, TimeoutError)
            job.finish(SubmitResult.link_failure(self.TIMED_OUT if timed_out else self.LINK_LOST))
        else:
            outcome = self._outcome(answer)
            if isinstance(outcome, str):
                self._counts["submitted"] += 1
                self._pause = self.throttle_delay
                job.ids[segment.index] = outcome
                job.left -= 1
                if not job.left:
                    job.finish(SubmitResult.success(tuple(job.ids)))
            elif outcome is None:
                self._refused_for_now(segment)
            else:
                self._counts["errors"] += 1
                job.finish(outcome)
        if self._queue or self._again:
            self._pump()

    def _refused_for_now(self, segment: Segment[B]) -> None:
        """Throttled or flow-controlled: every send pauses, the segment goes again first."""
        self._counts["throttles"] += 1
        loop = asyncio.get_running_loop()
        self._paused_until = max(self._paused_until, loop.time() + self._pause)
        self._pause = min(self._pause * 2, 5.0)
        segment.job.sent -= 1  # the carrier did not take it
        segment.tries += 1
        if segment.tries > self.throttle_retries:
            segment.job.finish(self.STILL_THROTTLED)
        else:
            self._again.append(segment)  # ahead of the queue, behind earlier retries

    def withdraw(self, reason: str) -> None:
        """Answer every queued message none of whose segments was sent as temporary, at once
        (the dispatcher stops: it hands them back rather than wait for the tps limit).

        A message partly sent stays: its other segments follow the ones in flight, as a
        message handed back would have its first parts sent (and billed) twice.
        """
        again, queue = self._again, self._queue
        self._again = deque(s for s in again if s.job.sent)
        self._queue = deque(s for s in queue if s.job.sent)
        for segment in itertools.chain(again, queue):
            if not segment.job.sent:
                segment.job.finish(SubmitResult.link_failure(reason))
        if not self.queued:
            self._queue_drained()

    def _fail_queued(self, reason: str) -> None:
        again, queue = self._again, self._queue
        self._again, self._queue = deque(), deque()
        for segment in itertools.chain(again, queue):
            segment.job.finish(SubmitResult.link_failure(reason))
        self._queue_drained()

    def _queue_drained(self) -> None:
        waiter = self._drained
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _pick_link(self) -> L | None:
        best: L | None = None
        for link in self._links:
            if (
                link.can_submit
                and link.in_flight < self.window
                and (best is None or link.in_flight < best.in_flight)
            ):
                best = link
        return best
