"""One SP connection to an ISMG: a CMPP link, its state, outstanding requests, keep-alive,
CMPP_DELIVER intake.

The CMPP twin of ``smpp_bind.EsmeLink``. Requests get a Sequence_Id and a future (or a
callback, on the submit path); a response resolves it and a lost link fails them all. One
periodic sweep per link fails requests once they are ``response_timeout`` old. CMPP_CONNECT
is authenticated both ways: the ISMG's AuthenticatorISMG must be the digest of its Status,
our AuthenticatorSource and the shared secret, or the connection is refused here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from hongyan.protocols.cmpp import pdu as p
from hongyan.protocols.cmpp.auth import authenticator_ismg, authenticator_source, timestamp
from hongyan.protocols.cmpp.constants import CommandId, ConnectStatus
from hongyan.protocols.cmpp.session import Session, SessionState, Side
from hongyan.services.connectors.cmpp_link import CmppLink

log = logging.getLogger(__name__)
T = TypeVar("T", bound=p.Pdu)
DeliverHandler = Callable[["SpLink", p.Deliver], None]
# Called once with (context, the answer or why there is none: TimeoutError, LinkDown).
OnAnswer = Callable[[Any, "p.Pdu | Exception"], None]
_SWEEPS_PER_TIMEOUT = 8
AUTHENTICATOR_MISMATCH = -1  # connect()'s answer when the ISMG's digest is wrong


def _resolve(future: asyncio.Future[p.Pdu], answer: p.Pdu | Exception) -> None:
    if future.done():
        return
    if isinstance(answer, Exception):
        future.set_exception(answer)
    else:
        future.set_result(answer)


class LinkDown(ConnectionError):
    pass


class SpLink(CmppLink):
    def __init__(self, *, window: int, response_timeout: float, on_deliver: DeliverHandler) -> None:
        super().__init__()
        self.session = Session(Side.SP, window=window)
        self.response_timeout = response_timeout
        self.on_deliver = on_deliver
        # sequence -> (on_answer, context, sent at): insertion order is send order
        self._pending: dict[int, tuple[OnAnswer, Any, float]] = {}
        self._sweeper: asyncio.TimerHandle | None = None
        self._drained: asyncio.Future[None] | None = None  # terminate() waits on it
        self.last_heard = 0.0
        self.can_submit = False  # connected and open: kept as a field, read per segment

    @property
    def bound(self) -> bool:
        return self.is_open and self.session.state is SessionState.CONNECTED

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
        """Send ``pdu`` (a Sequence_Id of 0 is replaced by the next one); the future gets
        the answer."""
        future: asyncio.Future[p.Pdu] = asyncio.get_running_loop().create_future()
        if not pdu.sequence_id:
            pdu = replace(pdu, sequence_id=self.session.next_sequence())
        self.send_request(pdu, _resolve, future)
        return future

    def send_request(self, pdu: p.Pdu, on_answer: OnAnswer, context: Any) -> None:
        """Send ``pdu`` (its Sequence_Id set); ``on_answer(context, answer)`` follows."""
        if self.transport is None:
            raise LinkDown("link is down")
        sequence = pdu.sequence_id
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
        if not isinstance(answer, expect):
            raise LinkDown(f"unexpected answer {type(answer).__name__}")
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
            status = pdu.status if type(pdu) is p.ConnectResp else 0
            self.session.received_response(pdu.command_id, pdu.sequence_id, status)
            entry = self._pending.pop(pdu.sequence_id, None)
            if entry is not None:
                entry[0](entry[1], pdu)
                if not self._pending:
                    self._settle_drained()
            return
        if type(pdu) is p.Deliver and self.session.may_receive(CommandId.CMPP_DELIVER):
            self.on_deliver(self, pdu)
        elif type(pdu) is p.ActiveTest:
            self.send(p.ActiveTestResp(sequence_id=pdu.sequence_id))
        elif type(pdu) is p.Terminate:
            self.session.received_request(CommandId.CMPP_TERMINATE)
            self.can_submit = False
            self.send(p.TerminateResp(sequence_id=pdu.sequence_id))
            self.close()
        else:
            log.warning("ISMG sent %s out of turn: closing", type(pdu).__name__)
            self.close()

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

    async def connect(self, source_addr: str, secret: str, now: datetime) -> int:
        """CMPP_CONNECT; the Status (``AUTHENTICATOR_MISMATCH`` when the ISMG's proof of the
        secret is wrong: then the link is closed)."""
        stamp = timestamp(now)
        source = authenticator_source(source_addr, secret, stamp)
        connect = p.Connect(
            source_addr=source_addr,
            authenticator_source=source,
            version=self.version,
            timestamp=stamp,
        )
        resp = await self.call(connect, p.ConnectResp)
        if resp.status != ConnectStatus.OK:
            return resp.status
        if resp.authenticator_ismg != authenticator_ismg(resp.status, source, secret, self.version):
            self.close()
            return AUTHENTICATOR_MISMATCH
        self.can_submit = self.bound
        return resp.status

    async def keep_alive(self, interval: float) -> None:
        """CMPP_ACTIVE_TEST whenever ``interval`` passes without hearing from the ISMG;
        no answer within the response timeout drops the link (and the client reconnects)."""
        loop = asyncio.get_running_loop()
        while self.is_open:
            idle = loop.time() - self.last_heard
            if idle < interval:
                await asyncio.sleep(interval - idle)
                continue
            try:
                await self.call(p.ActiveTest(), p.ActiveTestResp)
            except (TimeoutError, LinkDown):
                self.abort()
                return
            self.last_heard = loop.time()

    async def terminate(self, timeout: float) -> None:
        """Wait for outstanding requests (up to ``timeout``), then CMPP_TERMINATE and close."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if self._pending and self.is_open:
            self._drained = loop.create_future()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._drained), timeout)
        if self.bound:
            self.can_submit = False  # the terminate goes out now: no submit after it
            with contextlib.suppress(TimeoutError, LinkDown):
                async with asyncio.timeout(max(0.1, deadline - loop.time())):
                    await self.call(p.Terminate(), p.TerminateResp)
        self.close()
