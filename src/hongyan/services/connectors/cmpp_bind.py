"""One SP connection to an ISMG: a ``RequestLink`` speaking CMPP as the SP, and CMPP_DELIVER
intake.

Outstanding requests, their timeouts, keep-alive (CMPP_ACTIVE_TEST) and the drain before
CMPP_TERMINATE are ``request_link``'s. CMPP_CONNECT is authenticated both ways: the ISMG's
AuthenticatorISMG must be the digest of its Status, our AuthenticatorSource and the shared
secret, or the connection is refused here. A request out of turn closes the connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from hongyan.protocols.cmpp import pdu as p
from hongyan.protocols.cmpp.auth import authenticator_ismg, authenticator_source, timestamp
from hongyan.protocols.cmpp.codec import CmppError
from hongyan.protocols.cmpp.constants import VERSION_2_0, CommandId, ConnectStatus
from hongyan.protocols.cmpp.session import Session, SessionState, Side
from hongyan.services.connectors.cmpp_link import cmpp_codec
from hongyan.services.connectors.request_link import LinkDown, OnAnswer, RequestLink

__all__ = ["AUTHENTICATOR_MISMATCH", "DeliverHandler", "LinkDown", "OnAnswer", "SpLink"]

log = logging.getLogger(__name__)
DeliverHandler = Callable[["SpLink", p.Deliver], None]
AUTHENTICATOR_MISMATCH = -1  # connect()'s answer when the ISMG's digest is wrong
_CMPP_2_0 = cmpp_codec(VERSION_2_0)


class SpLink(RequestLink[p.Pdu, CmppError, Session]):
    SEQUENCE = "sequence_id"

    def __init__(self, *, window: int, response_timeout: float, on_deliver: DeliverHandler) -> None:
        session = Session(Side.SP, window=window)
        super().__init__(_CMPP_2_0, session, response_timeout=response_timeout)
        self.version = VERSION_2_0
        self.on_deliver = on_deliver

    @property
    def bound(self) -> bool:
        return self.is_open and self.session.state is SessionState.CONNECTED

    # --- incoming -------------------------------------------------------------------------

    def pdu_received(self, pdu: p.Pdu) -> None:
        self.last_heard = asyncio.get_running_loop().time()
        if pdu.is_response:
            status = pdu.status if type(pdu) is p.ConnectResp else 0
            self.session.received_response(pdu.command_id, pdu.sequence_id, status)
            self.response_received(pdu.sequence_id, pdu)
            return
        if type(pdu) is p.Deliver and self.session.may_receive(CommandId.CMPP_DELIVER):
            self.on_deliver(self, pdu)
        elif type(pdu) is p.ActiveTest:
            self.send(p.ActiveTestResp(sequence_id=pdu.sequence_id))
        elif type(pdu) is p.Terminate:
            self.peer_left(CommandId.CMPP_TERMINATE, p.TerminateResp(sequence_id=pdu.sequence_id))
        else:
            log.warning("ISMG sent %s out of turn: closing", type(pdu).__name__)
            self.close()

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

    async def ping(self) -> None:
        await self.call(p.ActiveTest(), p.ActiveTestResp)

    async def goodbye(self) -> None:
        await self.call(p.Terminate(), p.TerminateResp)
