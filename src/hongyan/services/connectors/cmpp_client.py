"""The CMPP SP connector for one channel: ``binds`` ISMG connections behind one submit
interface, the same one ``SmppConnector`` offers the channel.

Interface::

    connector = CmppConnector(name=..., host=..., port=..., system_id=SP_ID, password=SECRET,
                              service_id="", src_id="", binds=1, window=16, tps=0,
                              on_deliver=handle,          # async (Receipt | Inbound) -> None
                              on_receipt=hand_over)       # optional: (Receipt, done) -> None
    await connector.start()
    result = await connector.submit(OutboundMessage(source, destination, text))
    connector.bound, connector.stats(), connector.withdraw(reason)
    await connector.stop()                                # drain, CMPP_TERMINATE, close

Theory (as SMPP's, see ``smpp_client``): each connection is kept up by a supervisor task that
reconnects with exponential backoff. ``submit_nowait`` splits the text (ASCII as Msg_Fmt 0,
anything else as UCS2 exactly as ``core.segments`` bills it) and queues one CMPP_SUBMIT per
segment; the queue is pumped into the least busy connection whose window has room, paced by
the tps bucket. Result 8 (flow control) puts the segment back ahead of the queue after a pause
every send honours; other Results end the message (temporary or not, see ``cmpp_types``). No
answer within ``response_timeout``, or a lost connection, fails the message as temporary.

A status report goes to ``on_receipt`` (when given) with a ``done`` callback: CMPP_DELIVER_RESP
Result 0 is sent when ``done`` is called, Result 8 when with an error (so the ISMG sends it
again). Other CMPP_DELIVER (mobile-originated) run in their own task and are answered when
``on_deliver`` returns; parts of a long one are answered on arrival and the whole message is
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
from hongyan.protocols.cmpp import pdu as p
from hongyan.protocols.cmpp.codec import CmppError
from hongyan.protocols.cmpp.constants import DELIVER_STATUS_REPORT, MsgFmt, Result
from hongyan.protocols.cmpp.content import (
    SegmentContent,
    decode_text,
    segment_contents,
    split_ascii,
)
from hongyan.protocols.cmpp.msgid import msg_id_text
from hongyan.protocols.smpp.reassembly import Reassembler
from hongyan.services.connectors.cmpp_bind import AUTHENTICATOR_MISMATCH, LinkDown, SpLink
from hongyan.services.connectors.cmpp_deliver import as_inbound, as_receipt, from_assembled
from hongyan.services.connectors.cmpp_types import CHINA, THROTTLING_RESULTS, submit_failure
from hongyan.services.connectors.rate import TokenBucket
from hongyan.services.connectors.smpp_types import (
    ConnectorStats,
    DeliverEvent,
    Inbound,
    OutboundMessage,
    Receipt,
    SubmitResult,
)

log = logging.getLogger(__name__)
OnDeliver = Callable[[DeliverEvent], Awaitable[None]]
ReceiptDone = Callable[[BaseException | None], None]  # None: committed; else "send it again"
OnReceipt = Callable[[Receipt, ReceiptDone], None]
SubmitDone = Callable[[SubmitResult], None]
UCS2 = segments.Alphabet.UCS2


class _Job:
    """One message being submitted: its Msg_Ids as the segments are answered."""

    __slots__ = ("done", "expires", "finished", "ids", "left", "sent")

    def __init__(self, count: int, done: SubmitDone, expires: float) -> None:
        self.ids = [""] * count
        self.left = count
        self.sent = 0  # segments sent and not refused (flow control): the ISMG may have them
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
    """One CMPP_SUBMIT waiting for a window slot (or for its answer)."""

    __slots__ = ("content", "destination", "index", "job", "registered", "source", "tries")

    def __init__(
        self, job: _Job, index: int, source: str, destination: str, content: SegmentContent
    ) -> None:
        self.job, self.index, self.content = job, index, content
        self.source, self.destination = source, destination
        self.registered = 0
        self.tries = 0  # flow-control answers so far


class CmppConnector:
    def __init__(
        self,
        *,
        name: str,
        host: str,
        port: int,
        system_id: str,
        password: str,
        on_deliver: OnDeliver,
        service_id: str = "",
        src_id: str = "",
        fee_user_type: int = 2,
        fee_type: str = "01",
        fee_code: str = "000000",
        binds: int = 1,
        window: int = 16,
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
        self.system_id, self.password = system_id, password
        self.service_id, self.src_id = service_id, src_id
        self.fee_user_type, self.fee_type, self.fee_code = fee_user_type, fee_type, fee_code
        self.binds, self.window, self.response_timeout = binds, window, response_timeout
        self.active_test_interval = enquire_link_interval  # the SMPP name, shared options
        self.reconnect_delay, self.reconnect_max_delay = reconnect_delay, reconnect_max_delay
        self.throttle_delay, self.throttle_retries = throttle_delay, throttle_retries
        self.stop_timeout = stop_timeout
        self.on_deliver, self.on_receipt = on_deliver, on_receipt
        self._receipts_waiting = 0
        self._receipts_answered: asyncio.Future[None] | None = None
        self._bucket = TokenBucket(tps) if tps > 0 else None
        self._reassembler = Reassembler(reassembly_timeout, decode=decode_text)
        self._links: list[SpLink] = []
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
        self._queue: deque[_Segment] = deque()
        self._again: deque[_Segment] = deque()  # flow-controlled, in the order sent: first
        self._pump_scheduled = False
        self._pace_timer: asyncio.TimerHandle | None = None
        self._token_taken = False
        self._drained: asyncio.Future[None] | None = None

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Start every connection's supervisor; returns when one can submit (or after the
        response timeout: it keeps trying)."""
        for _ in range(self.binds):
            self._spawn(self._supervise(), self._tasks)
        self._spawn(self._expire_parts(), self._tasks)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.response_timeout):
                await self._up.wait()

    async def stop(self) -> None:
        """Stop reconnecting, let queued and in-flight submits finish, terminate, close."""
        self._stopping = True
        loop = asyncio.get_running_loop()
        if self._receipts_waiting:
            self._receipts_answered = loop.create_future()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._receipts_answered), self.stop_timeout)
        if self.queued:
            self._drained = loop.create_future()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._drained), self.stop_timeout)
        await asyncio.gather(*(link.leave(self.stop_timeout) for link in list(self._links)))
        self._fail_queued("connector stopped")
        if self._deliveries:
            await asyncio.wait(self._deliveries, timeout=self.stop_timeout)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def bound(self) -> bool:
        return any(link.can_submit for link in self._links)

    @property
    def queued(self) -> int:
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

    async def _supervise(self) -> None:
        delay = self.reconnect_delay
        while not self._stopping:
            link = await self._connect()
            if link is not None:
                delay = self.reconnect_delay
                self._links.append(link)
                self._up.set()
                keep_alive = asyncio.ensure_future(link.keep_alive(self.active_test_interval))
                await link.closed
                keep_alive.cancel()
                self._links.remove(link)
                if not self._stopping:
                    self._counts["reconnects"] += 1
                    log.warning("%s: ISMG connection lost", self.name)
                    if not self.bound:
                        self._fail_queued("no connection up")
            if self._stopping:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.reconnect_max_delay)

    async def _connect(self) -> SpLink | None:
        loop = asyncio.get_running_loop()

        def factory() -> SpLink:
            return SpLink(
                window=self.window,
                response_timeout=self.response_timeout,
                on_deliver=self._deliver_received,
            )

        try:
            _, link = await loop.create_connection(factory, self.host, self.port)
            status = await link.connect(self.system_id, self.password, datetime.now(CHINA))
        except (OSError, TimeoutError, LinkDown, ValueError) as exc:
            log.warning("%s: cannot connect to the ISMG: %s", self.name, exc)
            return None
        if status != 0:
            why = "AuthenticatorISMG mismatch" if status == AUTHENTICATOR_MISMATCH else status
            log.warning("%s: CMPP_CONNECT refused: Status %s", self.name, why)
            link.close()
            return None
        return link

    # --- submitting -----------------------------------------------------------------------

    async def submit(self, message: OutboundMessage) -> SubmitResult:
        future: asyncio.Future[SubmitResult] = asyncio.get_running_loop().create_future()
        self.submit_nowait(message, future.set_result)
        return await future

    def submit_nowait(self, message: OutboundMessage, done: SubmitDone) -> None:
        """Queue every segment of ``message``; ``done(result)`` is called once (maybe at once)."""
        if not self.bound:
            done(SubmitResult.link_failure("no connection up"))
            return
        source = message.source_addr or self.src_id
        try:
            if len(source) > 21 or len(message.destination_addr) > 21:
                raise ValueError("Src_Id and Dest_terminal_Id take at most 21 characters")
            contents = self._contents(message)
        except ValueError as exc:
            done(submit_failure(Result.OTHER_ERROR, str(exc)))
            return
        expires = message.expires_at.timestamp() if message.expires_at else math.inf
        job = _Job(len(contents), done, expires)
        for index, content in enumerate(contents):
            segment = _Segment(job, index, source, message.destination_addr, content)
            segment.registered = 1 if message.registered_delivery else 0
            self._queue.append(segment)
        if not self._pump_scheduled:
            self._pump_scheduled = True
            asyncio.get_running_loop().call_soon(self._pump)

    def _contents(self, message: OutboundMessage) -> list[SegmentContent]:
        """ASCII text as Msg_Fmt 0, anything else as UCS2 split as ``core.segments`` bills it."""
        text, fmt = message.text, message.data_coding
        if fmt is None:
            fmt = MsgFmt.ASCII if text.isascii() else MsgFmt.UCS2
        if fmt == MsgFmt.ASCII:
            parts = split_ascii(text)
        elif fmt == MsgFmt.UCS2:
            parts = segments.split(text, UCS2)
        else:
            raise ValueError(f"Msg_Fmt {fmt} is not sent as text")
        return segment_contents(parts, fmt, next(self._reference))

    def _pump(self) -> None:
        """Send queued segments while a window has room and pacing allows."""
        self._pump_scheduled = False
        queue, again = self._queue, self._again
        while queue or again:
            link = self._pick_link()
            if link is None:
                if not self.bound:
                    self._fail_queued("no connection up")
                return  # every window full: the next answer pumps again
            if (self._bucket is not None or self._paused_until) and self._must_wait():
                return
            segment = (again or queue).popleft()
            job = segment.job
            if job.finished:
                continue
            if not job.sent and job.expires <= time.time():
                job.finish(SubmitResult.expired())
                continue
            job.sent += 1
            link.send_request(self._submit_pdu(link, segment), self._answered, segment)
        self._queue_drained()

    def _submit_pdu(self, link: SpLink, segment: _Segment) -> p.Submit:
        content = segment.content
        return p.Submit(
            sequence_id=link.session.next_sequence(),
            pk_total=content.pk_total,
            pk_number=content.pk_number,
            registered_delivery=segment.registered,
            service_id=self.service_id,
            fee_user_type=self.fee_user_type,
            tp_udhi=content.tp_udhi,
            msg_fmt=content.msg_fmt,
            msg_src=self.system_id,
            fee_type=self.fee_type,
            fee_code=self.fee_code,
            src_id=segment.source,
            dest_terminal_ids=(segment.destination,),
            msg_content=content.msg_content,
        )

    def _must_wait(self) -> bool:
        """Pacing (tps, flow-control pause): True when the pump is to resume later."""
        if self._pace_timer is not None:
            return True
        loop = asyncio.get_running_loop()
        now = loop.time()
        wait = self._paused_until - now
        if wait <= 0 and self._bucket is not None and not self._token_taken:
            wait = self._bucket.delay(now)
            self._token_taken = wait > 0
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
            timed_out = isinstance(answer, TimeoutError)
            reason = "CMPP_SUBMIT_RESP timed out" if timed_out else "link lost before the answer"
            job.finish(SubmitResult.link_failure(reason))
        elif type(answer) is not p.SubmitResp:
            self._counts["errors"] += 1
            job.finish(SubmitResult.link_failure(f"{type(answer).__name__} for a CMPP_SUBMIT"))
        elif answer.result == Result.OK:
            self._counts["submitted"] += 1
            self._pause = self.throttle_delay
            job.ids[segment.index] = msg_id_text(answer.msg_id)
            job.left -= 1
            if not job.left:
                job.finish(SubmitResult.success(tuple(job.ids)))
        elif answer.result in THROTTLING_RESULTS:
            self._flow_controlled(segment)
        else:
            self._counts["errors"] += 1
            job.finish(submit_failure(answer.result))
        if self._queue or self._again:
            self._pump()

    def _flow_controlled(self, segment: _Segment) -> None:
        self._counts["throttles"] += 1
        loop = asyncio.get_running_loop()
        self._paused_until = max(self._paused_until, loop.time() + self._pause)
        self._pause = min(self._pause * 2, 5.0)
        segment.job.sent -= 1  # the ISMG did not take it
        segment.tries += 1
        if segment.tries > self.throttle_retries:
            segment.job.finish(
                submit_failure(Result.FLOW_CONTROL, "still flow-controlled after retries")
            )
        else:
            self._again.append(segment)

    def withdraw(self, reason: str) -> None:
        """Answer every queued message none of whose segments was sent, as temporary, at once;
        a message partly sent stays, to be finished (see ``SmppConnector.withdraw``)."""
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

    def _pick_link(self) -> SpLink | None:
        best: SpLink | None = None
        for link in self._links:
            if (
                link.can_submit
                and link.in_flight < self.window
                and (best is None or link.in_flight < best.in_flight)
            ):
                best = link
        return best

    # --- CMPP_DELIVER ---------------------------------------------------------------------

    def _deliver_received(self, link: SpLink, pdu: p.Deliver) -> None:
        if pdu.registered_delivery != DELIVER_STATUS_REPORT:
            self._spawn(self._handle_inbound(link, pdu), self._deliveries)
            return
        try:
            receipt = as_receipt(pdu)
        except CmppError as exc:
            log.warning("%s: unreadable status report: %s", self.name, exc.reason)
            self._counts["errors"] += 1
            _answer(link, pdu, exc.result)
            return
        if self.on_receipt is not None:
            self._hand_receipt(link, pdu, receipt, self.on_receipt)
        else:
            self._spawn(self._handle_event(link, pdu, receipt), self._deliveries)

    def _hand_receipt(
        self, link: SpLink, pdu: p.Deliver, receipt: Receipt, on_receipt: OnReceipt
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
            result = Result.OK if error is None else Result.FLOW_CONTROL
            _answer(link, pdu, result)
            waiter = self._receipts_answered
            if not self._receipts_waiting and waiter is not None and not waiter.done():
                waiter.set_result(None)

        self._receipts_waiting += 1
        try:
            on_receipt(receipt, done)
        except Exception as exc:
            log.exception("%s: on_receipt failed; asking the ISMG to send it again", self.name)
            done(exc)

    async def _handle_inbound(self, link: SpLink, pdu: p.Deliver) -> None:
        loop = asyncio.get_running_loop()
        event = as_inbound(pdu, self._reassembler, now=loop.time(), received_at=datetime.now(UTC))
        await self._handle_event(link, pdu, event)

    async def _handle_event(self, link: SpLink, pdu: p.Deliver, event: DeliverEvent | None) -> None:
        result = Result.OK
        if event is not None:
            try:
                await self.on_deliver(event)
            except Exception:
                log.exception("%s: on_deliver failed; asking the ISMG to send it again", self.name)
                result = Result.FLOW_CONTROL
            else:
                self._counts["inbound" if isinstance(event, Inbound) else "receipts"] += 1
        _answer(link, pdu, result)

    async def _expire_parts(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(self._reassembler.timeout, 30.0))
            for assembled in self._reassembler.expire(loop.time()):
                with contextlib.suppress(Exception):
                    await self.on_deliver(from_assembled(assembled, datetime.now(UTC)))


def _answer(link: SpLink, pdu: p.Deliver, result: int) -> None:
    """CMPP_DELIVER_RESP for ``pdu``: its Msg_Id echoed, with ``result``."""
    link.send(p.DeliverResp(sequence_id=pdu.sequence_id, msg_id=pdu.msg_id, result=result))
