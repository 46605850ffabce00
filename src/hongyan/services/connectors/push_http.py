"""HTTP/1.1 for pushes, with no I/O: a POST's bytes out, an answer's bytes in.

Only what a push needs: a POST to an ``http://`` or ``https://`` URL (``target``; anything it
does not handle is ``None``, left to httpx), and an HTTP/1.x answer read by Content-Length,
chunked, or until the server closes (``AnswerParser``), of which only the status, the headers
and the first ``MAX_BODY`` bytes of the body are kept. Malformed answers raise
``httpx.RemoteProtocolError`` and header values with line breaks ``httpx.LocalProtocolError``,
so callers handle these exactly like httpx's own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

MAX_HEAD = 64 * 1024  # status line and headers of an answer
MAX_BODY = 64 * 1024  # answer bytes kept (the rest is read and dropped)
_LINE_BREAK = re.compile("[\r\n\0]")
Origin = tuple[str, str, int]  # scheme, host, port


@dataclass(frozen=True)
class Target:
    origin: Origin
    head: str  # request line and Host header, as sent


def target(url: str) -> Target | None:
    """The parts of ``url`` the lean path needs, or ``None`` to leave it to httpx."""
    if not url.isascii() or any(c <= " " or c == "\x7f" for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        return None
    default = 443 if parts.scheme == "https" else 80
    port = port or default
    shown = f"[{host}]" if ":" in host else host
    host_header = shown if port == default else f"{shown}:{port}"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target((parts.scheme, host, port), f"POST {path} HTTP/1.1\r\nHost: {host_header}\r\n")


def request_bytes(target: Target, content: bytes, headers: Mapping[str, str]) -> bytes:
    """The POST's bytes: ``headers`` in their order, then its own Content-Length."""
    parts = [target.head]
    for name, value in headers.items():
        if _LINE_BREAK.search(name) or _LINE_BREAK.search(value):
            raise httpx.LocalProtocolError(f"header {name!r} holds a line break")
        if name.lower() != "content-length":
            parts.append(f"{name}: {value}\r\n")
    parts.append(f"Content-Length: {len(content)}\r\n\r\n")
    return "".join(parts).encode("latin-1") + content


class Answer:
    """What was read of one response (the first ``MAX_BODY`` bytes of its body)."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.keep_alive = True


class AnswerParser:
    """An HTTP/1.x response fed bytes as they arrive; ``feed``/``eof`` return it when whole.

    Bodies by Content-Length, chunked, or (neither) until the server closes; only the first
    ``MAX_BODY`` bytes are kept. Malformed answers raise ``httpx.RemoteProtocolError``.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._answer: Answer | None = None  # set once the head is read
        self._mode = ""  # length | chunked | close | none
        self._left = 0  # body bytes still to come (length mode)
        self._kept = bytearray()
        self.received = False  # any byte at all (a reused connection did answer)

    def feed(self, data: bytes) -> Answer | None:
        self.received = True
        self._buffer += data
        if self._answer is None and not self._head():
            return None
        return self._body()

    def eof(self) -> Answer:
        """The server closed: the answer if that ends it, else a protocol error."""
        if self._answer is not None and self._mode == "close":
            self._keep(self._buffer)
            self._answer.body = bytes(self._kept)
            self._answer.keep_alive = False
            return self._answer
        raise httpx.RemoteProtocolError("the server closed the connection mid-answer")

    def _head(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > MAX_HEAD:
                raise httpx.RemoteProtocolError("answer headers too large")
            return False
        lines = bytes(self._buffer[:end]).split(b"\r\n")
        del self._buffer[: end + 4]
        version, _, rest = lines[0].partition(b" ")
        code = rest[:3]
        if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
            raise httpx.RemoteProtocolError(f"not an HTTP/1.x answer: {lines[0][:80]!r}")
        headers = [_header(line) for line in lines[1:] if line]
        fields = {name.lower(): value for name, value in headers}
        status = int(code)
        self._answer = Answer(status, headers, b"")
        connection = fields.get(b"connection", b"").lower()
        self._answer.keep_alive = connection != b"close" and (
            version != b"HTTP/1.0" or connection == b"keep-alive"
        )
        length = fields.get(b"content-length")
        if status in (204, 304) or 100 <= status < 200:
            self._mode = "none"
        elif fields.get(b"transfer-encoding", b"").lower() == b"chunked":
            self._mode = "chunked"
        elif length is not None:
            if not length.isdigit():
                raise httpx.RemoteProtocolError(f"bad Content-Length {length[:40]!r}")
            self._mode, self._left = "length", int(length)
        else:
            self._mode = "close"
        return True

    def _body(self) -> Answer | None:
        answer = self._answer
        assert answer is not None
        if self._mode == "length":
            take = self._buffer[: self._left]
            self._left -= len(take)
            self._keep(take)
            del self._buffer[: len(take)]
            if self._left:
                return None
        elif self._mode == "chunked":
            if not self._chunks():
                return None
        elif self._mode == "close":
            return None  # until the server closes
        answer.body = bytes(self._kept)
        return answer

    def _chunks(self) -> bool:
        """Consume whole chunks from the buffer; True once the last one and trailers are in."""
        while True:
            line_end = self._buffer.find(b"\r\n")
            if line_end < 0:
                return False
            size_text = bytes(self._buffer[:line_end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise httpx.RemoteProtocolError(f"bad chunk size {size_text[:20]!r}") from None
            if size == 0:  # then trailers, each a line, ended by an empty line
                return self._buffer.find(b"\r\n\r\n", line_end) >= 0
            if len(self._buffer) < line_end + 2 + size + 2:
                return False
            self._keep(self._buffer[line_end + 2 : line_end + 2 + size])
            del self._buffer[: line_end + 2 + size + 2]

    def _keep(self, data: bytes | bytearray) -> None:
        if len(self._kept) < MAX_BODY:
            self._kept += data[: MAX_BODY - len(self._kept)]


def _header(line: bytes) -> tuple[bytes, bytes]:
    name, sep, value = line.partition(b":")
    if not sep:
        raise httpx.RemoteProtocolError(f"malformed header line {line[:80]!r}")
    return name.strip(), value.strip()
