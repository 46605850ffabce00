"""One ESME bind: a TCP link, its session, outstanding requests, keep-alive, deliver_sm intake.

Requests get a sequence number and a future; a response resolves it, a timer fails it after
``response_timeout``, and a lost link fails them all. The window is a semaphore the caller
holds around each submit_sm. deliver_sm is handed to ``on_deliver`` (which answers it) without
waiting, so many are in progress at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from hongyan.protocols.smpp import pdu as p
from hongyan.protocols.smpp.constants import CommandStatus as S
from hongyan.protocols.smpp.session import Session, SessionState, Side
from hongyan.services.connectors.smpp_link import PduLink

T = TypeVar("T", bound=p.Pdu)
DeliverHandler = Callable[["EsmeLink", p.DeliverSm], None]


class LinkDown(ConnectionError):
    pass


class EsmeLink(PduLink):
    def __init__(self, *, window: int, response_timeout: float, on_deliver: DeliverHandler) -> None:
        super().__init__()
        self.session = Session(Side.ESME, window=window)
        self.window = asyncio.Semaphore(window)
        self.response_timeout = response_timeout
        self.on_deliver = on_deliver
        self._pending: dict[int, tuple[asyncio.Future[p.Pdu], asyncio.TimerHandle]] = {}
        self.last_heard = 0.0

    @property
    def bound(self) -> bool:
        return self.is_open and self.session.state in (
            SessionState.BOUND_TX,
            SessionState.BOUND_RX,
            SessionState.BOUND_TRX,
        )

    @property
    def can_submit(self) -> bool:
        return self.is_open and self.session.state in (
            SessionState.BOUND_TX,
            SessionState.BOUND_TRX,
        )

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    # --- requests -------------------------------------------------------------------------

    def request(self, pdu: p.Pdu) -> asyncio.Future[p.Pdu]:
        """Send ``pdu``; the future gets the answer.

        A ``sequence_number`` of 0 is replaced by the next one; the hot path builds its PDU
        with ``session.next_sequence()`` already to save the copy.
        """
        if self.transport is None:
            raise LinkDown("link is down")
        sequence = pdu.sequence_number
        if not sequence:
            sequence = self.session.next_sequence()
            pdu = replace(pdu, sequence_number=sequence)
        self.session.sent_request(pdu.command_id, sequence)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[p.Pdu] = loop.create_future()
        timer = loop.call_later(self.response_timeout, self._expire, sequence)
        self._pending[sequence] = (future, timer)
        self.send(pdu)
        return future

    async def call(self, pdu: p.Pdu, expect: type[T]) -> T:
        answer = await self.request(pdu)
        if not isinstance(answer, expect | p.GenericNack):
            raise LinkDown(f"unexpected answer {type(answer).__name__}")
        if isinstance(answer, p.GenericNack):
            return expect(
                sequence_number=answer.sequence_number,
                command_status=answer.command_status or S.ESME_RUNKNOWNERR,
            )
        return answer

    def _expire(self, sequence: int) -> None:
        entry = self._pending.pop(sequence, None)
        self.session.outstanding.pop(sequence, None)
        if entry is not None and not entry[0].done():
            entry[0].set_exception(TimeoutError("no response"))

    # --- incoming -------------------------------------------------------------------------

    def pdu_received(self, pdu: p.Pdu) -> None:
        self.last_heard = asyncio.get_running_loop().time()
        if pdu.is_response:
            self.session.received_response(pdu.command_id, pdu.sequence_number, pdu.command_status)
            entry = self._pending.pop(pdu.sequence_number, None)
            if entry is not None:
                entry[1].cancel()
                if not entry[0].done():
                    entry[0].set_result(pdu)
            return
        if type(pdu) is p.DeliverSm:
            self.on_deliver(self, pdu)
        elif type(pdu) is p.EnquireLink:
            self.send(p.EnquireLinkResp(sequence_number=pdu.sequence_number))
        elif type(pdu) is p.Unbind:
            self.session.received_request(pdu.command_id)
            self.send(p.UnbindResp(sequence_number=pdu.sequence_number))
            self.close()
        elif type(pdu) is p.DataSm:
            self.send(
                p.DataSmResp(sequence_number=pdu.sequence_number, command_status=S.ESME_RINVCMDID)
            )
        elif type(pdu) is p.AlertNotification:
            pass  # no response is defined for alert_notification
        else:
            resp = p.RESPONSE_OF.get(type(pdu), p.GenericNack)
            self.send(resp(sequence_number=pdu.sequence_number, command_status=S.ESME_RINVCMDID))

    def link_lost(self, exc: Exception | None) -> None:
        self.session.closed()
        pending, self._pending = self._pending, {}
        for future, timer in pending.values():
            timer.cancel()
            if not future.done():
                future.set_exception(LinkDown("link lost"))

    # --- session operations ---------------------------------------------------------------

    async def bind(self, pdu: p.Bind) -> int:
        resp = await self.call(pdu, p.BindResp)
        return resp.command_status

    async def keep_alive(self, interval: float) -> None:
        """enquire_link whenever ``interval`` passes without hearing from the SMSC."""
        loop = asyncio.get_running_loop()
        while self.is_open:
            idle = loop.time() - self.last_heard
            if idle < interval:
                await asyncio.sleep(interval - idle)
                continue
            try:
                await self.call(p.EnquireLink(), p.EnquireLinkResp)
            except (TimeoutError, LinkDown):
                self.abort()
                return
            self.last_heard = loop.time()

    async def unbind(self, timeout: float) -> None:
        """Wait for outstanding requests (up to ``timeout``), then unbind and close."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._pending and loop.time() < deadline and self.is_open:
            futures = [f for f, _ in self._pending.values()]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait(futures, timeout=deadline - loop.time())
        if self.bound:
            with contextlib.suppress(TimeoutError, LinkDown):
                async with asyncio.timeout(max(0.1, deadline - loop.time())):
                    await self.call(p.Unbind(), p.UnbindResp)
        self.close()
