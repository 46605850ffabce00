"""One TCP connection carrying CMPP PDUs: decode what arrives, coalesce what leaves.

The CMPP twin of ``smpp_link.PduLink``: writes made in one event-loop turn go out as one
``transport.write``. An undecodable CMPP_SUBMIT or CMPP_DELIVER is answered with its
response and the Result the codec names; other undecodable requests have no response that
could say so and are only logged; a framing error closes the connection. Both the SP client
and the ISMG simulator build on ``CmppLink``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import cast

from hongyan.protocols.cmpp.codec import CmppError, Decoder, encode, error_response
from hongyan.protocols.cmpp.constants import VERSION_2_0
from hongyan.protocols.cmpp.pdu import Pdu

log = logging.getLogger(__name__)


class CmppLink(asyncio.Protocol):
    """Subclasses implement ``pdu_received`` and may override the other hooks."""

    def __init__(self, version: int = VERSION_2_0) -> None:
        self.version = version
        self.transport: asyncio.Transport | None = None
        self._decoder = Decoder(version)
        self._out: list[bytes] = []
        self._flush_scheduled = False
        self.closed = asyncio.get_running_loop().create_future()

    # --- hooks ----------------------------------------------------------------------------

    def pdu_received(self, pdu: Pdu) -> None:
        raise NotImplementedError

    def error_received(self, error: CmppError) -> None:
        """Answer an undecodable request as the codec says; close on framing errors."""
        log.warning("undecodable CMPP PDU: %s", error.reason)
        answer = error_response(error)
        if answer is not None:
            self.send(answer)
        if error.fatal:
            self.close()

    def link_made(self) -> None:
        """Called once the transport is ready."""

    def link_lost(self, exc: Exception | None) -> None:
        """Called once when the connection is gone."""

    # --- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.link_made()

    def data_received(self, data: bytes) -> None:
        try:
            items = self._decoder.feed(data)
        except RuntimeError:
            return  # stream already broken; the close is under way
        for item in items:
            if isinstance(item, CmppError):
                self.error_received(item)
            else:
                self.pdu_received(item)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._out.clear()
        if not self.closed.done():
            self.closed.set_result(None)
        self.link_lost(exc)

    # --- sending --------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.transport is not None and not self.transport.is_closing()

    def send(self, pdu: Pdu) -> None:
        if self.transport is None:
            return
        self._out.append(encode(pdu, self.version))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._out and self.transport is not None:
            self.transport.write(b"".join(self._out))
        self._out.clear()

    def close(self) -> None:
        """Flush what is queued, then close."""
        self._flush()
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()
