"""Deliveries from one connector's links (receipts and inbound messages) to their handlers,
each answered to the carrier once it is taken.

A receipt goes to ``on_receipt`` (when given) from the read callback itself, with a ``done``
callback: the delivery is answered as taken when ``done`` is called, and as to be delivered
again when with an error (deliver_sm_resp ESME_RX_T_APPN, CMPP_DELIVER_RESP Result 8) — no
task per receipt. Any other delivery (and every receipt without ``on_receipt``) runs in its
own task: the event goes to ``on_deliver`` and the answer is sent only when it returns (to
be delivered again if it raised). Parts of a long inbound message are answered on arrival;
the whole message is handed over when its last part comes, or incomplete once the reassembly
timeout passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

from hongyan.protocols.smpp.reassembly import Reassembler
from hongyan.services.connectors.smpp_types import DeliverEvent, Inbound, Receipt

log = logging.getLogger(__name__)
OnDeliver = Callable[[DeliverEvent], Awaitable[None]]
ReceiptDone = Callable[[BaseException | None], None]  # None: committed; else "send it again"
OnReceipt = Callable[[Receipt, ReceiptDone], None]
K = TypeVar("K")  # the link a delivery came on
D = TypeVar("D")  # the protocol's delivery PDU
D_contra = TypeVar("D_contra", contravariant=True)


class AsInbound(Protocol[D_contra]):
    """``smpp_deliver.as_inbound`` or ``cmpp_deliver.as_inbound``."""

    def __call__(
        self, pdu: D_contra, reassembler: Reassembler, *, now: float, received_at: datetime
    ) -> Inbound | None: ...


class DeliveryIntake(Generic[K, D]):
    def __init__(
        self,
        *,
        name: str,
        on_deliver: OnDeliver,
        on_receipt: OnReceipt | None,
        reassembler: Reassembler,
        as_inbound: AsInbound[D],
        answer: Callable[[K, D, bool], None],  # taken (True) or to be delivered again
        redeliver: str,  # the log's words for "to be delivered again"
    ) -> None:
        self.name = name
        self.on_deliver, self.on_receipt = on_deliver, on_receipt
        self.reassembler = reassembler
        self._as_inbound = as_inbound
        self._answer, self._redeliver = answer, redeliver
        self.receipts = 0  # handed over and answered as taken
        self.inbound = 0
        self._receipts_waiting = 0  # handed to on_receipt, not answered yet
        self._receipts_answered: asyncio.Future[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def receipt(self, link: K, pdu: D, receipt: Receipt) -> None:
        """``receipt``, which ``pdu`` carried, to ``on_receipt`` (or ``on_deliver``)."""
        on_receipt = self.on_receipt
        if on_receipt is None:
            self._spawn(self._handle(link, pdu, receipt))
            return
        answered = False

        def done(error: BaseException | None) -> None:
            nonlocal answered
            if answered:
                return
            answered = True
            self._receipts_waiting -= 1
            if error is None:
                self.receipts += 1
            self._answer(link, pdu, error is None)
            waiter = self._receipts_answered
            if not self._receipts_waiting and waiter is not None and not waiter.done():
                waiter.set_result(None)

        self._receipts_waiting += 1
        try:
            on_receipt(receipt, done)
        except Exception as exc:
            log.exception("%s: on_receipt failed; %s", self.name, self._redeliver)
            done(exc)

    def inbound_part(self, link: K, pdu: D) -> None:
        """``pdu``, a mobile-originated message or a part of one, to ``on_deliver``."""
        self._spawn(self._handle_inbound(link, pdu))

    async def _handle_inbound(self, link: K, pdu: D) -> None:
        loop = asyncio.get_running_loop()
        event = self._as_inbound(
            pdu, self.reassembler, now=loop.time(), received_at=datetime.now(UTC)
        )
        await self._handle(link, pdu, event)

    async def _handle(self, link: K, pdu: D, event: DeliverEvent | None) -> None:
        ok = True
        if event is not None:
            try:
                await self.on_deliver(event)
            except Exception:
                log.exception("%s: on_deliver failed; %s", self.name, self._redeliver)
                ok = False
            else:
                if isinstance(event, Inbound):
                    self.inbound += 1
                else:
                    self.receipts += 1
        self._answer(link, pdu, ok)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def expire_parts(self) -> None:
        """Hand over, incomplete, the inbound messages whose parts stopped coming (forever)."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(self.reassembler.timeout, 30.0))
            for assembled in self.reassembler.expire(loop.time()):
                with contextlib.suppress(Exception):
                    await self.on_deliver(Inbound.from_assembled(assembled, datetime.now(UTC)))

    async def receipts_answered(self, timeout: float) -> None:
        """Wait (up to ``timeout``) until every receipt handed to ``on_receipt`` is answered."""
        if self._receipts_waiting:
            self._receipts_answered = asyncio.get_running_loop().create_future()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._receipts_answered), timeout)

    async def handled(self, timeout: float) -> None:
        """Wait (up to ``timeout``) for the deliveries running in tasks."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=timeout)
