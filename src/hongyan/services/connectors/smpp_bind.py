"""One ESME bind: a ``RequestLink`` speaking SMPP as the ESME, and deliver_sm intake.

Outstanding requests, their timeouts, keep-alive and the drain before unbind are
``request_link``'s. deliver_sm is handed to ``on_deliver`` (which answers it) without waiting,
so many are in progress at once; a generic_nack to a request reads as its response with the
nack's command_status.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from hongyan.protocols.smpp import pdu as p
from hongyan.protocols.smpp.codec import PduError
from hongyan.protocols.smpp.constants import CommandStatus as S
from hongyan.protocols.smpp.session import Session, SessionState, Side
from hongyan.services.connectors.request_link import LinkDown, OnAnswer, RequestLink
from hongyan.services.connectors.smpp_link import SMPP

__all__ = ["DeliverHandler", "EsmeLink", "LinkDown", "OnAnswer"]

T = TypeVar("T")
DeliverHandler = Callable[["EsmeLink", p.DeliverSm], None]
_SUBMITTING = frozenset({SessionState.BOUND_TX, SessionState.BOUND_TRX})
_BOUND = frozenset({SessionState.BOUND_TX, SessionState.BOUND_RX, SessionState.BOUND_TRX})


class EsmeLink(RequestLink[p.Pdu, PduError, Session]):
    SEQUENCE = "sequence_number"

    def __init__(self, *, window: int, response_timeout: float, on_deliver: DeliverHandler) -> None:
        session = Session(Side.ESME, window=window)
        super().__init__(SMPP, session, response_timeout=response_timeout)
        self.on_deliver = on_deliver

    @property
    def bound(self) -> bool:
        return self.is_open and self.session.state in _BOUND

    def unexpected(self, answer: p.Pdu, expect: type[T]) -> T:
        """A generic_nack answers any request: as ``expect`` with its command_status."""
        if isinstance(answer, p.GenericNack):
            as_expected: Callable[..., T] = expect  # every response takes these two fields
            return as_expected(
                sequence_number=answer.sequence_number,
                command_status=answer.command_status or S.ESME_RUNKNOWNERR,
            )
        return super().unexpected(answer, expect)

    # --- incoming -------------------------------------------------------------------------

    def pdu_received(self, pdu: p.Pdu) -> None:
        self.last_heard = asyncio.get_running_loop().time()
        if pdu.is_response:
            self.session.received_response(pdu.command_id, pdu.sequence_number, pdu.command_status)
            self.response_received(pdu.sequence_number, pdu)
            return
        if type(pdu) is p.DeliverSm:
            self.on_deliver(self, pdu)
        elif type(pdu) is p.EnquireLink:
            self.send(p.EnquireLinkResp(sequence_number=pdu.sequence_number))
        elif type(pdu) is p.Unbind:
            self.peer_left(pdu.command_id, p.UnbindResp(sequence_number=pdu.sequence_number))
        elif type(pdu) is p.DataSm:
            self.send(
                p.DataSmResp(sequence_number=pdu.sequence_number, command_status=S.ESME_RINVCMDID)
            )
        elif type(pdu) is p.AlertNotification:
            pass  # no response is defined for alert_notification
        else:
            resp = p.RESPONSE_OF.get(type(pdu), p.GenericNack)
            self.send(resp(sequence_number=pdu.sequence_number, command_status=S.ESME_RINVCMDID))

    # --- session operations ---------------------------------------------------------------

    async def bind(self, pdu: p.Bind) -> int:
        resp = await self.call(pdu, p.BindResp)
        self.can_submit = self.is_open and self.session.state in _SUBMITTING
        return resp.command_status

    async def ping(self) -> None:
        await self.call(p.EnquireLink(), p.EnquireLinkResp)

    async def goodbye(self) -> None:
        await self.call(p.Unbind(), p.UnbindResp)
