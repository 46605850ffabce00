"""One TCP connection carrying PDUs of one protocol: decode what arrives, coalesce what leaves.

Writes made in one event-loop turn go out as one ``transport.write`` (with TCP_NODELAY on,
each write is a segment, so batching is what lets a full window flow at 10k PDUs/s). The
protocol comes in as a ``LinkCodec``: its stream decoder, its encoder, its error type and
what to answer an undecodable PDU with. ``smpp_link.PduLink`` and ``cmpp_link.CmppLink`` are
this class with their codec; the carrier connectors and the simulators build on them.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar, cast

P = TypeVar("P")  # the protocol's PDU type


class LinkError(Protocol):
    """What a codec's decoding error tells the link: whether the stream is beyond repair."""

    @property
    def fatal(self) -> bool: ...


E = TypeVar("E", bound=LinkError)  # the protocol's decoding error


class StreamDecoder(Protocol[P, E]):
    def feed(self, data: bytes) -> list[P | E]:
        """The PDUs (and errors) the bytes complete; raises ``RuntimeError`` once broken."""
        ...


@dataclass(frozen=True, slots=True)
class LinkCodec(Generic[P, E]):
    """One protocol's wire format, as the link uses it (every part is pure)."""

    decoder: Callable[[], StreamDecoder[P, E]]  # a fresh one per connection
    encode: Callable[[P], bytes]
    error_type: type[E]
    error_answer: Callable[[E], P | None]  # the answer to an undecodable PDU, if one exists


class Link(asyncio.Protocol, Generic[P, E]):
    """Subclasses implement ``pdu_received`` and may override the other hooks."""

    def __init__(self, codec: LinkCodec[P, E]) -> None:
        self.transport: asyncio.Transport | None = None
        self._decoder = codec.decoder()
        self._encode = codec.encode
        self._error_type = codec.error_type
        self._error_answer = codec.error_answer
        self._out: list[bytes] = []
        self._flush_scheduled = False
        self.closed = asyncio.get_running_loop().create_future()

    # --- hooks ----------------------------------------------------------------------------

    def pdu_received(self, pdu: P) -> None:
        raise NotImplementedError

    def error_received(self, error: E) -> None:
        """Answer an undecodable PDU as the codec says; close on framing errors."""
        answer = self._error_answer(error)
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
        error_type = self._error_type
        for item in items:
            if isinstance(item, error_type):
                self.error_received(item)
            else:  # mypy does not narrow by a type[E]; no cast() call on the per-PDU path
                self.pdu_received(item)  # type: ignore[arg-type]

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

    def send(self, pdu: P) -> None:
        if self.transport is not None:
            self.send_bytes(self._encode(pdu))

    def send_bytes(self, data: bytes) -> None:
        """Send one PDU already encoded (hot paths build some without a PDU object)."""
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
