"""One ESME bind: a TCP link, its session, outstanding requests, keep-alive, deliver_sm intake.

Requests get a sequence number and a future (or a callback, on the submit path); a response
resolves it and a lost link fails them all. Timeouts cost no timer per request: outstanding
requests sit in a dict in the order they were sent, and one periodic sweep per link fails the
oldest ones once they are ``response_timeout`` old (it stops at the first younger one).
The caller keeps the window (``in_flight`` says how full it is). deliver_sm is handed to
``on_deliver`` (which answers it) without waiting, so many are in progress at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from hongyan.protocols.smpp import pdu as p
from hongyan.protocols.smpp.constants import CommandStatus as S
from hongyan.protocols.smpp.session import Session, SessionState, Side
from hongyan.services.connectors.smpp_link import PduLink

T = TypeVar("T", bound=p.Pdu)
DeliverHandler = Callable[["EsmeLink", p.DeliverSm], None]
# Called once with (context, the answer or why there is none: TimeoutError, LinkDown).
OnAnswer = Callable[[Any, "p.Pdu | Exception"], None]
_SWEEPS_PER_TIMEOUT = 8  # a request fails between 1 and 1⅛ response_timeout after it was sent
_SUBMITTING = frozenset({SessionState.BOUND_TX, SessionState.BOUND_TRX})


def _resolve(future: asyncio.Future[p.Pdu], answer: p.Pdu | Exception) -> None:
    if future.done():
        return
    if isinstance(answer, Exception):
        future.set_exception(answer)
    else:
        future.set_result(answer)


class LinkDown(ConnectionError):
    pass


class EsmeLink(PduLink):
    def __init__(self, *, window: int, response_timeout: float, on_deliver: DeliverHandler) -> None:
        super().__init__()
        self.session = Session(Side.ESME, window=window)
        self.response_timeout = response_timeout
        self.on_deliver = on_deliver
        # sequence -> (on_answer, context, sent at): insertion order is send order
        self._pending: dict[int, tuple[OnAnswer, Any, float]] = {}
        self._sweeper: asyncio.TimerHandle | None = None
        self._drained: asyncio.Future[None] | None = None  # unbind() waits on it
        self.last_heard = 0.0
        # Whether submit_sm may be sent (bound to transmit, link open): read per message and
        # per segment, so kept as a field, set at each change (bind, unbind, close, loss).
        self.can_submit = False

    @property
    def bound(self) -> bool:
        return self.is_open and self.session.state in (
            SessionState.BOUND_TX,
            SessionState.BOUND_RX,
            SessionState.BOUND_TRX,
        )

    def _changed(self) -> None:
        self.can_submit = self.is_open and self.session.state in _SUBMITTING

    def close(self) -> None:
        super().close()
        self.can_submit = False

    def abort(self) -> None:
        super().abort()
        self.can_submit = False

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    # --- requests -------------------------------------------------------------------------

    def request(self, pdu: p.Pdu) -> asyncio.Future[p.Pdu]:
        """Send ``pdu``; the future gets the answer.

        A ``sequence_number`` of 0 is replaced by the next one.
        """
        future: asyncio.Future[p.Pdu] = asyncio.get_running_loop().create_future()
        if not pdu.sequence_number:
            pdu = replace(pdu, sequence_number=self.session.next_sequence())
        self.send_request(pdu, _resolve, future)
        return future

    def send_request(self, pdu: p.Pdu, on_answer: OnAnswer, context: Any) -> None:
        """Send ``pdu`` (its sequence number set); ``on_answer(context, answer)`` follows.

        The submit path's way: no future per request, and ``context`` says what it was for.
        """
        if self.transport is None:
            raise LinkDown("link is down")
        sequence = pdu.sequence_number
        self.session.sent_request(pdu.command_id, sequence)
        loop = asyncio.get_running_loop()
        self._pending[sequence] = (on_answer, context, loop.time())
        if self._sweeper is None:
            self._sweeper = loop.call_later(self._sweep_every, self._sweep)
        self.send(pdu)

    @property
    def _sweep_every(self) -> float:
        return self.response_timeout / _SWEEPS_PER_TIMEOUT

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

    def _sweep(self) -> None:
        """Fail the requests sent ``response_timeout`` ago or earlier (the oldest come first)."""
        self._sweeper = None
        loop = asyncio.get_running_loop()
        cutoff = loop.time() - self.response_timeout
        expired = []
        for sequence, (_, _, sent_at) in self._pending.items():
            if sent_at > cutoff:
                break
            expired.append(sequence)
        for sequence in expired:
            entry = self._pending.pop(sequence, None)
            self.session.outstanding.pop(sequence, None)
            if entry is not None:
                entry[0](entry[1], TimeoutError("no response"))
        if self._pending:
            if self._sweeper is None:
                self._sweeper = loop.call_later(self._sweep_every, self._sweep)
        else:
            self._settle_drained()

    def _settle_drained(self) -> None:
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    # --- incoming -------------------------------------------------------------------------

    def pdu_received(self, pdu: p.Pdu) -> None:
        self.last_heard = asyncio.get_running_loop().time()
        if pdu.is_response:
            self.session.received_response(pdu.command_id, pdu.sequence_number, pdu.command_status)
            entry = self._pending.pop(pdu.sequence_number, None)
            if entry is not None:
                entry[0](entry[1], pdu)
                if not self._pending:
                    self._settle_drained()
            return
        if type(pdu) is p.DeliverSm:
            self.on_deliver(self, pdu)
        elif type(pdu) is p.EnquireLink:
            self.send(p.EnquireLinkResp(sequence_number=pdu.sequence_number))
        elif type(pdu) is p.Unbind:
            self.session.received_request(pdu.command_id)
            self.can_submit = False
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
        self.can_submit = False
        pending, self._pending = self._pending, {}
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for on_answer, context, _ in pending.values():
            on_answer(context, LinkDown("link lost"))
        self._settle_drained()

    # --- session operations ---------------------------------------------------------------

    async def bind(self, pdu: p.Bind) -> int:
        resp = await self.call(pdu, p.BindResp)
        self._changed()
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
        if self._pending and self.is_open:
            self._drained = loop.create_future()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._drained), timeout)
        if self.bound:
            self.can_submit = False  # the unbind goes out now: no submit_sm after it
            with contextlib.suppress(TimeoutError, LinkDown):
                async with asyncio.timeout(max(0.1, deadline - loop.time())):
                    await self.call(p.Unbind(), p.UnbindResp)
        self.close()
