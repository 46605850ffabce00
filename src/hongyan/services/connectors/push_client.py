"""The HTTP client the notifier posts pushes with: httpx's interface, a lean keep-alive path.

Why: profiling the notifier under load (py-spy, 1 recipient per request at ~3k/s) put a third
of the process's samples in httpx/httpcore for one small POST each — pool bookkeeping that
polls every pooled socket (``has_expired``, ``getpeername``), anyio stream wrappers, response
streaming objects. A push is one small POST whose answer only matters by status code.

``PushClient`` is an ``httpx.AsyncClient`` whose ``post(url, content=..., headers=...)`` to a
plain ``http://`` or ``https://`` URL goes over its own pool of kept-alive HTTP/1.1 connections
(one request at a time per connection, reused until the server closes it). Anything else — other
methods and arguments, URLs it does not handle, proxies from the environment — is httpx's own
path, unchanged. Failures raise httpx's exceptions (``ConnectError``, ``ReadError``,
``RemoteProtocolError``, ``TimeoutException``), so callers handle both paths alike; a
connection whose request was cancelled or failed half-way is closed, never reused.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

import httpx

MAX_HEAD = 64 * 1024  # status line and headers of an answer
MAX_BODY = 64 * 1024  # answer bytes kept (the rest is read and dropped)
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")
Origin = tuple[str, str, int]  # scheme, host, port


@dataclass(frozen=True)
class _Target:
    origin: Origin
    host_header: str
    path: str  # path and query, as sent


def _target(url: str) -> _Target | None:
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
    return _Target((parts.scheme, host, port), host_header, path)


def _proxies_configured(environ: Mapping[str, str]) -> bool:
    return any(environ.get(name) or environ.get(name.upper()) for name in _PROXY_VARIABLES)


class _Answer:
    """What was read of one response."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.keep_alive = True


class _AnswerParser:
    """An HTTP/1.x response fed bytes as they arrive; ``feed``/``eof`` return it when whole.

    Bodies by Content-Length, chunked, or (neither) until the server closes; only the first
    ``MAX_BODY`` bytes are kept. Malformed answers raise ``httpx.RemoteProtocolError``.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._answer: _Answer | None = None  # set once the head is read
        self._mode = ""  # length | chunked | close | none
        self._left = 0  # body bytes still to come (length mode)
        self._kept = bytearray()
        self.received = False  # any byte at all (a reused connection did answer)

    def feed(self, data: bytes) -> _Answer | None:
        self.received = True
        self._buffer += data
        if self._answer is None and not self._head():
            return None
        return self._body()

    def eof(self) -> _Answer:
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
        self._answer = _Answer(status, headers, b"")
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

    def _body(self) -> _Answer | None:
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


class _StaleConnection(Exception):
    """A reused keep-alive connection closed before any byte of the answer."""


def _expire(waiter: asyncio.Future[_Answer]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


class _Connection(asyncio.Protocol):
    """One kept-alive connection carrying one exchange at a time (a Protocol: the stream
    reader/writer layer was a fifth of the notifier's Python time)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.used = False  # has carried an exchange before (a stale keep-alive may be closed)
        self.closed = False
        self._parser = _AnswerParser()
        self._waiter: asyncio.Future[_Answer] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's: no asyncio subclass

    def data_received(self, data: bytes) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            self.close()  # bytes nobody asked for: this connection cannot be trusted
            return
        try:
            answer = self._parser.feed(data)
        except httpx.RemoteProtocolError as exc:
            waiter.set_exception(exc)
            return
        if answer is not None:
            waiter.set_result(answer)

    def eof_received(self) -> bool:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            try:
                waiter.set_result(self._parser.eof())
            except httpx.RemoteProtocolError as exc:
                waiter.set_exception(self._gone(exc))
        return False  # let the transport close

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(self._gone(exc or ConnectionResetError("connection lost")))

    def _gone(self, exc: Exception) -> Exception:
        if self.used and not self._parser.received:
            return _StaleConnection()
        return exc

    def exchange(self, request: bytes) -> asyncio.Future[_Answer]:
        assert self.transport is not None
        self._parser = _AnswerParser()
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self._waiter

    def reusable(self) -> bool:
        return not self.closed and self.transport is not None and not self.transport.is_closing()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class PushClient(httpx.AsyncClient):
    def __init__(
        self,
        *,
        timeout: float = 10.0,
        max_connections: int = 64,
        environ: Mapping[str, str] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            timeout=timeout,
            limits=httpx.Limits(max_connections=max_connections),
            follow_redirects=False,
            **options,
        )
        self._push_timeout = timeout
        self._push_lean = not _proxies_configured(os.environ if environ is None else environ)
        self._push_idle: dict[Origin, list[_Connection]] = {}
        self._push_max_idle = max_connections
        self._push_ssl: ssl.SSLContext | None = None
        self._push_slots = asyncio.Semaphore(max_connections)
        self.lean_posts = 0  # posts that took the lean path (tests, observability)

    async def post(self, url: httpx.URL | str, **kwargs: Any) -> httpx.Response:
        lean = self._push_lean and set(kwargs) <= {"content", "headers"}
        target = _target(str(url)) if lean else None
        content = kwargs.get("content", b"")
        if target is None or not isinstance(content, bytes):
            return await super().post(url, **kwargs)
        headers: Mapping[str, str] = kwargs.get("headers") or {}
        request = self._request_bytes(target, content, headers)
        async with self._push_slots:
            answer = await self._exchange(target.origin, request)
        self.lean_posts += 1
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body)

    async def aclose(self) -> None:
        for connections in self._push_idle.values():
            for connection in connections:
                connection.close()
        self._push_idle.clear()
        await super().aclose()

    @staticmethod
    def _request_bytes(target: _Target, content: bytes, headers: Mapping[str, str]) -> bytes:
        lines = [f"POST {target.path} HTTP/1.1", f"Host: {target.host_header}"]
        for name, value in headers.items():
            if any(c in name or c in value for c in "\r\n\0"):
                raise httpx.LocalProtocolError(f"header {name!r} holds a line break")
            if name.lower() != "content-length":
                lines.append(f"{name}: {value}")
        lines += [f"Content-Length: {len(content)}", "", ""]
        return "\r\n".join(lines).encode("latin-1") + content

    async def _exchange(self, origin: Origin, request: bytes) -> _Answer:
        """Send on an idle connection (one retry on a fresh one if a reused connection turns
        out closed before answering a byte), else on a new one."""
        connection = self._take_idle(origin)
        if connection is not None:
            try:
                return await self._over(origin, connection, request)
            except _StaleConnection:
                pass
        return await self._over(origin, await self._connect(origin), request)

    async def _over(self, origin: Origin, connection: _Connection, request: bytes) -> _Answer:
        """One exchange; a timer (cheaper than a timeout scope per push) bounds the wait."""
        done = False
        waiter = connection.exchange(request)
        timer = asyncio.get_running_loop().call_later(self._push_timeout, _expire, waiter)
        try:
            answer = await waiter
            done = True
        except (_StaleConnection, httpx.HTTPError):
            raise
        except TimeoutError:
            raise httpx.ReadTimeout(f"no answer within {self._push_timeout:g} s") from None
        except (ConnectionError, OSError) as exc:
            raise httpx.ReadError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            timer.cancel()
            if not done:
                connection.close()
        connection.used = True
        if answer.keep_alive:
            self._put_idle(origin, connection)
        else:
            connection.close()
        return answer

    def _take_idle(self, origin: Origin) -> _Connection | None:
        pool = self._push_idle.get(origin)
        while pool:
            connection = pool.pop()
            if connection.reusable():
                return connection
            connection.close()
        return None

    def _put_idle(self, origin: Origin, connection: _Connection) -> None:
        pool = self._push_idle.setdefault(origin, [])
        if len(pool) < self._push_max_idle:
            pool.append(connection)
        else:
            connection.close()

    async def _connect(self, origin: Origin) -> _Connection:
        scheme, host, port = origin
        context = None
        if scheme == "https":
            context = self._push_ssl = self._push_ssl or ssl.create_default_context()
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._push_timeout):
                _, connection = await loop.create_connection(
                    _Connection, host, port, ssl=context, server_hostname=host if context else None
                )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"no connection within {self._push_timeout:g} s") from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from exc
        return connection
