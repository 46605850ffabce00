"""uvicorn's httptools protocol, writing each answer in one piece.

Why (py-spy on the API process, one recipient per HI8D request): uvicorn writes a response's
head and its body with two ``transport.write`` calls, and uvloop sends each at once — two
``send`` system calls and, with TCP_NODELAY, two TCP segments per answer. Those two lines were
the largest self time in the process (~14% of its samples).

``CoalescingHttpProtocol`` gives uvicorn's request cycle a transport whose writes made in one
event-loop turn leave as one ``write`` at the end of that turn (as ``PduLink`` does for SMPP).
Closing or aborting flushes or drops what is queued first, so nothing is reordered or lost;
everything else is uvicorn's own code.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _CoalescingTransport:
    """The parts of ``asyncio.Transport`` uvicorn's HTTP cycle uses, with writes coalesced."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._queued: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._queued:
            self._loop.call_soon(self.flush)
        self._queued.append(bytes(data))

    def flush(self) -> None:
        if not self._queued:
            return
        queued, self._queued = self._queued, []
        if not self._transport.is_closing():
            self._transport.write(queued[0] if len(queued) == 1 else b"".join(queued))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._queued.clear()
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:  # is_closing, get_extra_info, pause_reading, …
        return getattr(self._transport, name)


class CoalescingHttpProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = _CoalescingTransport(transport, self.loop)  # type: ignore[assignment]
