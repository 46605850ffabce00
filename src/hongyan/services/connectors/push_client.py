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
import contextlib
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
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


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.used = False  # has carried a request before (a stale keep-alive may be closed)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class _Answer:
    """What was read of one response."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.keep_alive = True


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
        try:
            async with self._push_slots, asyncio.timeout(self._push_timeout):
                answer = await self._exchange(target.origin, request)
        except TimeoutError:
            raise httpx.ReadTimeout(f"no answer within {self._push_timeout:g} s") from None
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
        done = False
        try:
            connection.writer.write(request)
            answer = await _read_answer(connection)
            done = True
        except _StaleConnection:
            raise
        except (ConnectionError, OSError, asyncio.IncompleteReadError) as exc:
            raise httpx.ReadError(f"{type(exc).__name__}: {exc}") from exc
        finally:
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
            if not connection.reader.at_eof() and not connection.writer.is_closing():
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
        try:
            reader, writer = await asyncio.open_connection(
                host, port, ssl=context, server_hostname=host if context else None, limit=MAX_HEAD
            )
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from exc
        return _Connection(reader, writer)


class _StaleConnection(Exception):
    """A reused keep-alive connection closed before any byte of the answer."""


async def _read_answer(connection: _Connection) -> _Answer:
    reader = connection.reader
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if connection.used and not exc.partial:
            raise _StaleConnection from exc
        raise
    except asyncio.LimitOverrunError as exc:
        raise httpx.RemoteProtocolError("answer headers too large") from exc
    lines = head[:-4].split(b"\r\n")
    status_line = lines[0].split(b" ", 2)
    if (
        len(status_line) < 2
        or not status_line[0].startswith(b"HTTP/1.")
        or not (status_line[1].isdigit())
    ):
        raise httpx.RemoteProtocolError(f"not an HTTP/1.x answer: {lines[0][:80]!r}")
    headers = [_header(line) for line in lines[1:] if line]
    fields = {name.lower(): value for name, value in headers}
    status = int(status_line[1])
    answer = _Answer(status, headers, await _read_body(reader, status, fields))
    connection_field = fields.get(b"connection", b"").lower()
    answer.keep_alive = (
        connection_field != b"close"
        and (status_line[0] != b"HTTP/1.0" or connection_field == b"keep-alive")
        and (b"content-length" in fields or b"transfer-encoding" in fields or status in (204, 304))
    )
    return answer


def _header(line: bytes) -> tuple[bytes, bytes]:
    name, sep, value = line.partition(b":")
    if not sep:
        raise httpx.RemoteProtocolError(f"malformed header line {line[:80]!r}")
    return name.strip(), value.strip()


async def _read_body(
    reader: asyncio.StreamReader, status: int, fields: dict[bytes, bytes]
) -> bytes:
    if status in (204, 304) or 100 <= status < 200:
        return b""
    if fields.get(b"transfer-encoding", b"").lower() == b"chunked":
        return await _read_chunked(reader)
    length = fields.get(b"content-length")
    if length is not None:
        if not length.isdigit():
            raise httpx.RemoteProtocolError(f"bad Content-Length {length[:40]!r}")
        return await _read_exactly(reader, int(length))
    return await _read_to_close(reader)


async def _read_to_close(reader: asyncio.StreamReader) -> bytes:
    kept = bytearray()
    while chunk := await reader.read(MAX_BODY):
        if len(kept) < MAX_BODY:
            kept += chunk[: MAX_BODY - len(kept)]
    return bytes(kept)


async def _read_exactly(reader: asyncio.StreamReader, size: int) -> bytes:
    kept = await reader.readexactly(min(size, MAX_BODY))
    left = size - len(kept)
    while left > 0:
        left -= len(await reader.readexactly(min(left, MAX_BODY)))
    return kept


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    kept = bytearray()
    while True:
        size_line = (await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise httpx.RemoteProtocolError(f"bad chunk size {size_line[:20]!r}") from None
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                pass
            return bytes(kept)
        chunk = await _read_exactly(reader, size)
        if len(kept) < MAX_BODY:
            kept += chunk[: MAX_BODY - len(kept)]
        await reader.readexactly(2)
