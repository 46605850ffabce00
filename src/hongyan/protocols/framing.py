"""The stream framing SMPP and CMPP share: PDUs prefixed by their whole length, 4 octets big-endian.

``FrameDecoder`` cuts a byte stream into frames and hands each to the protocol's ``decode``.
A length below the header's or above the protocol's maximum cannot be resynchronised from,
so it breaks the stream: the protocol's framing error is the last item, and feeding more
raises ``RuntimeError``. A decoding error in one frame is an item of its own and the stream
goes on.

Cost per PDU is what a 10k PDUs/s link pays: a burst is sliced from one ``bytes`` (one copy
per frame), and only the tail of an incomplete frame is kept, in a ``bytearray`` that grows
without copying what it holds until the frame is whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

PduT = TypeVar("PduT")
ErrorT = TypeVar("ErrorT", bound=Exception)


class FrameDecoder(Generic[PduT, ErrorT]):
    """Bytes in, PDUs (or decoding errors) out; a partial frame waits for more bytes."""

    def __init__(
        self,
        *,
        header_length: int,
        max_length: int,
        decode: Callable[[bytes], PduT],
        error_type: type[ErrorT],
        framing_error: Callable[[bytes, int], ErrorT],
    ) -> None:
        """``decode`` turns one whole frame into a PDU or raises ``error_type``;
        ``framing_error(header, length)`` is the error for an impossible length."""
        self._header = header_length
        self._max = max_length
        self._decode = decode
        self._error_type = error_type
        self._framing_error = framing_error
        self._buffer = bytearray()
        self._wanted = 0  # octets the buffered frame needs before it can be cut
        self._broken = False

    def feed(self, data: bytes) -> list[PduT | ErrorT]:
        if self._broken:
            raise RuntimeError("the stream is broken by a framing error")
        buf = self._buffer
        if buf:
            buf += data
            if len(buf) < self._wanted:
                return []
            data = bytes(buf)
            buf.clear()
        decode, error_type = self._decode, self._error_type
        header, most = self._header, self._max
        out: list[PduT | ErrorT] = []
        pos, size = 0, len(data)
        while size - pos >= header:
            length = int.from_bytes(data[pos : pos + 4], "big")
            if length < header or length > most:
                self._broken = True
                out.append(self._framing_error(data[pos : pos + header], length))
                return out
            end = pos + length
            if end > size:
                self._wanted = length
                break
            try:
                out.append(decode(data[pos:end]))
            except error_type as exc:
                out.append(exc)
            pos = end
        else:
            self._wanted = header
        if pos < size:
            buf += memoryview(data)[pos:]
        return out

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame held back."""
        return len(self._buffer)
