"""One TCP connection carrying SMPP PDUs: decode what arrives, coalesce what leaves.

Writes made in one event-loop turn go out as one ``transport.write`` (with TCP_NODELAY on,
each write is a segment, so batching is what lets a full window flow at 10k PDUs/s). Both the
ESME client and the SMSC simulator build on ``PduLink``.
"""

from __future__ import annotations

import asyncio
import socket
from typing import cast

from hongyan.protocols.smpp.codec import Decoder, PduError, encode, response_status_pdu
from hongyan.protocols.smpp.pdu import Pdu


class PduLink(asyncio.Protocol):
    """Subclasses implement ``pdu_received`` and may override the other hooks."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._decoder = Decoder()
        self._out: list[bytes] = []
        self._flush_scheduled = False
        self.closed = asyncio.get_running_loop().create_future()

    # --- hooks ----------------------------------------------------------------------------

    def pdu_received(self, pdu: Pdu) -> None:
        raise NotImplementedError

    def error_received(self, error: PduError) -> None:
        """Answer an undecodable PDU as the codec says; close on framing errors."""
        self.send(response_status_pdu(error))
        if error.fatal:
            self.close()

    def link_made(self) -> None:
        """Called once the transport is ready."""

    def link_lost(self, exc: Exception | None) -> None:
        """Called once when the connection is gone."""

    # --- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (uvloop's is not an asyncio.Transport subclass, so no isinstance).
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
            if isinstance(item, PduError):
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
        if self.transport is not None:
            self.send_bytes(encode(pdu))

    def send_bytes(self, data: bytes) -> None:
        """Send one PDU already encoded (hot paths build some without a ``Pdu``)."""
        if self.transport is None:
            return
        self._out.append(data)
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
