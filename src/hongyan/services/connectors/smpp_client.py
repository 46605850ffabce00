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
supervisor task, which reconnects with exponential backoff. ``submit`` splits the text exactly
as ``hongyan.core.segments`` bills it, sends each segment through the least busy transmitting
link while holding a window slot, and retries a segment answered ESME_RTHROTTLED or
ESME_RMSGQFUL after a pause that every submit honours (the channel slows down). With no bind
up, ``submit`` fails at once as temporary. A receipt goes to ``on_receipt`` (when given) from
the read callback itself, with a ``done`` callback: deliver_sm_resp is sent when ``done`` is
called, ESME_RX_T_APPN when with an error (so the SMSC delivers again) — no task per receipt.
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
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from hongyan.core import segments
from hongyan.protocols import gsm7
from hongyan.protocols.smpp import pdu as p
from hongyan.protocols.smpp.body import SegmentBody, segment_bodies
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
GSM7, UCS2 = segments.Alphabet.GSM7, segments.Alphabet.UCS2
_BIND_CLASSES = {"trx": p.BindTransceiver, "tx": p.BindTransmitter, "rx": p.BindReceiver}


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
        links = list(self._links)
        await asyncio.gather(*(link.unbind(self.stop_timeout) for link in links))
        if self._deliveries:
            await asyncio.wait(self._deliveries, timeout=self.stop_timeout)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def bound(self) -> bool:
        return any(link.can_submit for link in self._links)

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
        if not self.bound:
            return SubmitResult.link_failure("no bind up")
        try:
            bodies = self._bodies(message)
        except ValueError as exc:  # text not encodable in the requested data_coding
            return SubmitResult(False, (), S.ESME_RX_P_APPN, False, str(exc))
        registered = 1 if message.registered_delivery else 0
        results = [
            self._submit_segment(
                message, body.esm_class, body.data_coding, body.short_message, registered
            )
            for body in bodies
        ]
        outcomes = [await results[0]] if len(results) == 1 else await asyncio.gather(*results)
        ids: list[str] = []
        for outcome in outcomes:
            if isinstance(outcome, SubmitResult):
                return outcome
            ids.append(outcome)
        return SubmitResult.success(tuple(ids))

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

    async def _submit_segment(
        self, message: OutboundMessage, esm_class: int, coding: int, body: bytes, registered: int
    ) -> str | SubmitResult:
        """The carrier id, or the failure; throttling answers are retried here."""
        loop = asyncio.get_running_loop()
        for _ in range(self.throttle_retries + 1):
            link = self._pick_link()
            if link is None:
                return SubmitResult.link_failure("no bind up")
            async with link.window:
                if self._bucket is not None or self._paused_until:
                    await self._pace(loop)
                if not link.can_submit:
                    continue
                pdu = p.SubmitSm(
                    sequence_number=link.session.next_sequence(),
                    source_addr=message.source_addr,
                    destination_addr=message.destination_addr,
                    esm_class=esm_class,
                    registered_delivery=registered,
                    data_coding=coding,
                    short_message=body,
                )
                try:
                    resp = await link.request(pdu)
                except TimeoutError:
                    self._counts["errors"] += 1
                    return SubmitResult.link_failure("submit_sm_resp timed out")
                except LinkDown:
                    self._counts["errors"] += 1
                    return SubmitResult.link_failure("link lost before submit_sm_resp")
            status = resp.command_status
            if status == S.ESME_ROK and isinstance(resp, p.SubmitSmResp):
                self._counts["submitted"] += 1
                self._pause = self.throttle_delay
                return resp.message_id
            if status in THROTTLING_STATUSES:
                self._counts["throttles"] += 1
                self._slow_down(loop)
                continue
            self._counts["errors"] += 1
            return SubmitResult.failure(status or S.ESME_RUNKNOWNERR)
        return SubmitResult.failure(S.ESME_RTHROTTLED, "still throttled after retries")

    def _pick_link(self) -> EsmeLink | None:
        best: EsmeLink | None = None
        for link in self._links:
            if link.can_submit and (best is None or link.in_flight < best.in_flight):
                best = link
        return best

    def _slow_down(self, loop: asyncio.AbstractEventLoop) -> None:
        self._paused_until = max(self._paused_until, loop.time() + self._pause)
        self._pause = min(self._pause * 2, 5.0)

    async def _pace(self, loop: asyncio.AbstractEventLoop) -> None:
        wait = self._paused_until - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        if self._bucket is not None:
            wait = self._bucket.delay(loop.time())
            if wait > 0:
                await asyncio.sleep(wait)

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
            link.send(p.DeliverSmResp(sequence_number=sequence, command_status=status))
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
        link.send(p.DeliverSmResp(sequence_number=pdu.sequence_number, command_status=status))

    async def _expire_parts(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(self._reassembler.timeout, 30.0))
            for assembled in self._reassembler.expire(loop.time()):
                with contextlib.suppress(Exception):
                    await self.on_deliver(from_assembled(assembled, datetime.now(UTC)))
