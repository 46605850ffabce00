"""The SMPP ESME connector for one channel: ``binds`` sessions behind one submit interface.

Interface the dispatcher drives::

    connector = SmppConnector(name=..., host=..., port=..., system_id=..., password=...,
                              bind_mode="transceiver", binds=1, window=64, tps=0,
                              on_deliver=handle,          # async (Receipt | Inbound) -> None
                              on_receipt=hand_over)       # optional: (Receipt, done) -> None
    await connector.start()
    result = await connector.submit(OutboundMessage(source, destination, text))
    # result.ok and result.carrier_ids (one per segment, in order), or
    # result.command_status / result.temporary / result.reason
    connector.bound, connector.stats()                    # bool, ConnectorStats
    await connector.stop()                                # drain, unbind, close

Theory: each bind (a transceiver, or a transmitter + receiver pair) is a link kept up by its own
supervisor task, which reconnects with exponential backoff. ``submit`` (or ``submit_nowait``
with a callback, the dispatcher's way: no task per message) splits the text exactly as
``hongyan.core.segments`` bills it and queues the segments; the queue is pumped into the least
busy transmitting link whose window has room, and again from the read callback as each
submit_sm_resp frees a slot, paced by the tps bucket. A segment answered ESME_RTHROTTLED or
ESME_RMSGQFUL goes back ahead of the queue, behind earlier retries, after a pause that every
send honours (the channel slows down): on one link the SMSC sees submit_sm in queue order.
With no bind up, ``submit`` fails at once as temporary; a lost link fails what it had in flight
and, with no other link, what was queued, as temporary. Every message gets exactly one answer
(``done``), the segments of a failed message still queued are not sent, and ``stop`` sends the
queue, waits for the answers, then fails what is left as temporary. ``withdraw`` answers at
once, as temporary, the queued messages none of whose segments was sent; a message partly
sent stays queued, to be finished.

A receipt goes to ``on_receipt`` (when given) from the read callback itself, with a ``done``
callback: deliver_sm_resp is sent when ``done`` is called, ESME_RX_T_APPN when with an error
(so the SMSC delivers again) — no task per receipt.
Any other deliver_sm (and every receipt without ``on_receipt``) runs in its own task: the event
goes to ``on_deliver`` and deliver_sm_resp is sent only when it returns (ESME_RX_T_APPN if it
raised). Parts of a concatenated inbound message are answered on arrival; the whole message is
handed over when its last part comes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from hongyan.core import segments
from hongyan.protocols import gsm7
from hongyan.protocols.smpp import pdu as p
from hongyan.protocols.smpp.body import SegmentBody, segment_bodies
from hongyan.protocols.smpp.codec import encode_deliver_sm_resp
from hongyan.protocols.smpp.constants import CommandStatus as S
from hongyan.protocols.smpp.constants import DataCoding
from hongyan.protocols.smpp.reassembly import Reassembler
from hongyan.services.connectors.rate import TokenBucket
from hongyan.services.connectors.smpp_bind import EsmeLink, LinkDown
from hongyan.services.connectors.smpp_deliver import as_inbound, as_receipt, from_assembled
from hongyan.services.connectors.smpp_types import (
    THROTTLING_STATUSES,
    BindMode,
    ConnectorStats,
    DeliverEvent,
    Inbound,
    OutboundMessage,
    Receipt,
    SubmitResult,
)

log = logging.getLogger(__name__)
OnDeliver = Callable[[DeliverEvent], Awaitable[None]]
ReceiptDone = Callable[[BaseException | None], None]  # None: committed; else answer "try again"
OnReceipt = Callable[[Receipt, ReceiptDone], None]
SubmitDone = Callable[[SubmitResult], None]
GSM7, UCS2 = segments.Alphabet.GSM7, segments.Alphabet.UCS2
_BIND_CLASSES = {"trx": p.BindTransceiver, "tx": p.BindTransmitter, "rx": p.BindReceiver}


class _Job:
    """One message being submitted: its carrier ids as the segments are answered."""

    __slots__ = ("done", "expires", "finished", "ids", "left", "sent")

    def __init__(self, segments: int, done: SubmitDone, expires: float) -> None:
        self.ids = [""] * segments
        self.left = segments
        self.sent = 0  # segments sent and not refused (throttled): the SMSC may have them
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


class _Segment:
    """One submit_sm waiting for a window slot (or for its answer)."""

    __slots__ = ("body", "destination_addr", "index", "job", "registered", "source_addr", "tries")

    def __init__(
        self,
        job: _Job,
        index: int,
        source_addr: str,
        destination_addr: str,
        body: SegmentBody,
        registered: int,
    ) -> None:
        self.job, self.index, self.body = job, index, body
        self.source_addr, self.destination_addr = source_addr, destination_addr
        self.registered = registered
        self.tries = 0  # throttling answers so far


class SmppConnector:
    def __init__(
        self,
        *,
        name: str,
        host: str,
        port: int,
        system_id: str,
        password: str,
        on_deliver: OnDeliver,
        system_type: str = "",
        bind_mode: str | BindMode = BindMode.TRANSCEIVER,
        binds: int = 1,
        window: int = 64,
        tps: float = 0,
        response_timeout: float = 10.0,
        enquire_link_interval: float = 30.0,
        reconnect_delay: float = 1.0,
        reconnect_max_delay: float = 30.0,
        throttle_delay: float = 0.2,
        throttle_retries: int = 8,
        stop_timeout: float = 5.0,
        reassembly_timeout: float = 300.0,
        on_receipt: OnReceipt | None = None,
    ) -> None:
        self.name, self.host, self.port = name, host, port
        self.system_id, self.password, self.system_type = system_id, password, system_type
        self.bind_mode = BindMode(bind_mode)
        self.binds, self.window, self.response_timeout = binds, window, response_timeout
        self.enquire_link_interval = enquire_link_interval
        self.reconnect_delay, self.reconnect_max_delay = reconnect_delay, reconnect_max_delay
        self.throttle_delay, self.throttle_retries = throttle_delay, throttle_retries
        self.stop_timeout = stop_timeout
        self.on_deliver = on_deliver
        self.on_receipt = on_receipt
        self._receipts_waiting = 0  # handed to on_receipt, not answered yet
        self._receipts_answered: asyncio.Future[None] | None = None  # stop() waits on it
        self._bucket = TokenBucket(tps) if tps > 0 else None
        self._reassembler = Reassembler(reassembly_timeout)
        self._links: list[EsmeLink] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._deliveries: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._paused_until = 0.0
        self._pause = throttle_delay
        self._reference = itertools.count(1)
        self._counts = dict.fromkeys(
            ("submitted", "errors", "throttles", "receipts", "inbound", "reconnects"), 0
        )
        self._up = asyncio.Event()
        self._queue: deque[_Segment] = deque()  # segments waiting for a window slot
        self._again: deque[_Segment] = deque()  # throttled, in the order sent: they go first
        self._pump_scheduled = False
        self._pace_timer: asyncio.TimerHandle | None = None
        self._token_taken = False  # a tps token taken for the next send, paid by a wait
        self._drained: asyncio.Future[None] | None = None  # stop() waits for the queue

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Start every bind's supervisor; returns when one can submit (or after a timeout)."""
        roles = ["trx"] if self.bind_mode is BindMode.TRANSCEIVER else ["tx", "rx"]
        for _ in range(self.binds):
            for role in roles:
                self._spawn(self._supervise(role), self._tasks)
        self._spawn(self._expire_parts(), self._tasks)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.response_timeout):
                await self._up.wait()

    async def stop(self) -> None:
        """Stop reconnecting, let in-flight submits finish, unbind, close."""
        self._stopping = True
        if self._receipts_waiting:
            self._receipts_answered = asyncio.get_running_loop().create_future()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._receipts_answered), self.stop_timeout)
        if self.queued:  # queued submits go out first (their answers are awaited below)
            self._drained = asyncio.get_running_loop().create_future()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._drained), self.stop_timeout)
        links = list(self._links)
        await asyncio.gather(*(link.leave(self.stop_timeout) for link in links))
        self._fail_queued("connector stopped")
        if self._deliveries:
            await asyncio.wait(self._deliveries, timeout=self.stop_timeout)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def bound(self) -> bool:
        for link in self._links:  # noqa: SIM110 (per message: cheaper than any() of a genexpr)
            if link.can_submit:
                return True
        return False

    @property
    def queued(self) -> int:
        """Segments waiting for a window slot (throttled ones waiting to be sent again too)."""
        return len(self._queue) + len(self._again)

    def stats(self) -> ConnectorStats:
        return ConnectorStats(
            binds_up=sum(1 for link in self._links if link.bound),
            window_in_use=sum(link.in_flight for link in self._links),
            **self._counts,
        )

    def _spawn(self, coro: Awaitable[None], into: set[asyncio.Task[None]]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        into.add(task)
        task.add_done_callback(into.discard)

    async def _supervise(self, role: str) -> None:
        delay = self.reconnect_delay
        while not self._stopping:
            link = await self._connect(role)
            if link is not None:
                delay = self.reconnect_delay
                self._links.append(link)
                if link.can_submit:
                    self._up.set()
                keep_alive = asyncio.ensure_future(link.keep_alive(self.enquire_link_interval))
                await link.closed
                keep_alive.cancel()
                self._links.remove(link)
                if not self._stopping:
                    self._counts["reconnects"] += 1
                    log.warning("%s: %s bind lost", self.name, role)
            if self._stopping:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.reconnect_max_delay)

    async def _connect(self, role: str) -> EsmeLink | None:
        loop = asyncio.get_running_loop()

        def factory() -> EsmeLink:
            return EsmeLink(
                window=self.window,
                response_timeout=self.response_timeout,
                on_deliver=self._deliver_received,
            )

        try:
            _, link = await loop.create_connection(factory, self.host, self.port)
            bind = _BIND_CLASSES[role](
                system_id=self.system_id, password=self.password, system_type=self.system_type
            )
            status = await link.bind(bind)
        except (OSError, TimeoutError, LinkDown) as exc:
            log.warning("%s: cannot bind %s: %s", self.name, role, exc)
            return None
        if status != S.ESME_ROK:
            log.warning("%s: bind %s refused: %s", self.name, role, S(status).name)
            link.close()
            return None
        return link

    # --- submitting -----------------------------------------------------------------------

    async def submit(self, message: OutboundMessage) -> SubmitResult:
        """Send every segment of ``message``; see the module docstring for the outcome."""
        future: asyncio.Future[SubmitResult] = asyncio.get_running_loop().create_future()
        self.submit_nowait(message, future.set_result)
        return await future

    def submit_nowait(self, message: OutboundMessage, done: SubmitDone) -> None:
        """Queue every segment of ``message``; ``done(result)`` is called once (maybe at once)."""
        if not self.bound:
            done(SubmitResult.link_failure("no bind up"))
            return
        try:
            bodies = self._bodies(message)
        except ValueError as exc:  # text not encodable in the requested data_coding
            done(SubmitResult(False, (), S.ESME_RX_P_APPN, False, str(exc)))
            return
        expires = message.expires_at.timestamp() if message.expires_at else math.inf
        job = _Job(len(bodies), done, expires)
        registered = 1 if message.registered_delivery else 0
        source, destination = message.source_addr, message.destination_addr
        for index, body in enumerate(bodies):
            self._queue.append(_Segment(job, index, source, destination, body, registered))
        if not self._pump_scheduled:
            self._pump_scheduled = True
            asyncio.get_running_loop().call_soon(self._pump)

    def _bodies(self, message: OutboundMessage) -> list[SegmentBody]:
        """Segment bodies exactly as ``segments.split`` bills them (single SMS: fast path)."""
        text, coding = message.text, message.data_coding
        if coding is None:
            septets = gsm7.try_encode(text)
            if septets is not None and len(septets) <= segments.SINGLE_LIMIT[GSM7]:
                return [SegmentBody(0, DataCoding.DEFAULT, septets)]
            coding = DataCoding.DEFAULT if septets is not None else DataCoding.UCS2
        if coding == DataCoding.UCS2:
            wire = text.encode("utf-16-be")
            if len(wire) <= 2 * segments.SINGLE_LIMIT[UCS2]:
                return [SegmentBody(0, coding, wire)]
        alphabet = GSM7 if coding == DataCoding.DEFAULT else UCS2
        parts = segments.split(text, alphabet)
        return segment_bodies(parts, coding, next(self._reference) & 0xFF)

    def _pump(self) -> None:
        """Send queued segments while a window has room and pacing allows."""
        self._pump_scheduled = False
        queue, again = self._queue, self._again
        while queue or again:
            link = self._pick_link()
            if link is None:
                if not self.bound:
                    self._fail_queued("no bind up")
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
            body = segment.body
            pdu = p.SubmitSm(
                sequence_number=link.session.next_sequence(),
                source_addr=segment.source_addr,
                destination_addr=segment.destination_addr,
                esm_class=body.esm_class,
                registered_delivery=segment.registered,
                data_coding=body.data_coding,
                short_message=body.short_message,
            )
            link.send_request(pdu, self._answered, segment)
        self._queue_drained()

    def _must_wait(self) -> bool:
        """Pacing (tps, throttling pause): True when the pump is to resume later."""
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

    def _answered(self, segment: _Segment, answer: p.Pdu | Exception) -> None:
        job = segment.job
        if isinstance(answer, Exception):
            self._counts["errors"] += 1
            reason = (
                "submit_sm_resp timed out"
                if isinstance(answer, TimeoutError)
                else ("link lost before submit_sm_resp")
            )
            job.finish(SubmitResult.link_failure(reason))
        elif answer.command_status == S.ESME_ROK and type(answer) is p.SubmitSmResp:
            self._counts["submitted"] += 1
            self._pause = self.throttle_delay
            job.ids[segment.index] = answer.message_id
            job.left -= 1
            if not job.left:
                job.finish(SubmitResult.success(tuple(job.ids)))
        elif answer.command_status in THROTTLING_STATUSES:
            self._counts["throttles"] += 1
            self._slow_down(asyncio.get_running_loop())
            job.sent -= 1  # the SMSC did not take it
            segment.tries += 1
            if segment.tries > self.throttle_retries:
                job.finish(SubmitResult.failure(S.ESME_RTHROTTLED, "still throttled after retries"))
            else:
                self._again.append(segment)  # ahead of the queue, behind earlier retries
        else:
            self._counts["errors"] += 1
            job.finish(SubmitResult.failure(answer.command_status or S.ESME_RUNKNOWNERR))
        if self._queue or self._again:
            self._pump()

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

    def _pick_link(self) -> EsmeLink | None:
        best: EsmeLink | None = None
        for link in self._links:
            if (
                link.can_submit
                and link.in_flight < self.window
                and (best is None or link.in_flight < best.in_flight)
            ):
                best = link
        return best

    def _slow_down(self, loop: asyncio.AbstractEventLoop) -> None:
        self._paused_until = max(self._paused_until, loop.time() + self._pause)
        self._pause = min(self._pause * 2, 5.0)

    # --- deliver_sm -----------------------------------------------------------------------

    def _deliver_received(self, link: EsmeLink, pdu: p.DeliverSm) -> None:
        receipt = as_receipt(pdu)
        if receipt is not None and self.on_receipt is not None:
            self._hand_receipt(link, pdu.sequence_number, receipt, self.on_receipt)
        else:
            self._spawn(self._handle_deliver(link, pdu, receipt), self._deliveries)

    def _hand_receipt(
        self, link: EsmeLink, sequence: int, receipt: Receipt, on_receipt: OnReceipt
    ) -> None:
        answered = False

        def done(error: BaseException | None) -> None:
            nonlocal answered
            if answered:
                return
            answered = True
            self._receipts_waiting -= 1
            if error is None:
                self._counts["receipts"] += 1
            status = S.ESME_ROK if error is None else S.ESME_RX_T_APPN
            link.send_bytes(encode_deliver_sm_resp(sequence, status))
            waiter = self._receipts_answered
            if not self._receipts_waiting and waiter is not None and not waiter.done():
                waiter.set_result(None)

        self._receipts_waiting += 1
        try:
            on_receipt(receipt, done)
        except Exception as exc:
            log.exception("%s: on_receipt failed; asking the SMSC to redeliver", self.name)
            done(exc)

    async def _handle_deliver(
        self, link: EsmeLink, pdu: p.DeliverSm, event: DeliverEvent | None
    ) -> None:
        status = S.ESME_ROK
        if event is None:
            loop = asyncio.get_running_loop()
            event = as_inbound(
                pdu, self._reassembler, now=loop.time(), received_at=datetime.now(UTC)
            )
        if event is not None:
            try:
                await self.on_deliver(event)
            except Exception:
                log.exception("%s: on_deliver failed; asking the SMSC to redeliver", self.name)
                status = S.ESME_RX_T_APPN
            else:
                self._counts["inbound" if isinstance(event, Inbound) else "receipts"] += 1
        link.send_bytes(encode_deliver_sm_resp(pdu.sequence_number, status))

    async def _expire_parts(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(self._reassembler.timeout, 30.0))
            for assembled in self._reassembler.expire(loop.time()):
                with contextlib.suppress(Exception):
                    await self.on_deliver(from_assembled(assembled, datetime.now(UTC)))
