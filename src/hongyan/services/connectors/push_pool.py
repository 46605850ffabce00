"""The lean path's connections: kept-alive HTTP/1.1 per origin, one exchange at a time each,
driven by the protocol callbacks (no task per push), every exchange cut off at its deadline by
one watchdog timer.
"""

from __future__ import annotations

import asyncio
import math
import ssl
from collections import deque
from collections.abc import Callable
from typing import cast

import httpx

from hongyan.services.connectors.push_http import Answer, AnswerParser, Origin


class _StaleConnection(Exception):
    """A reused keep-alive connection closed before any byte of the answer."""


# How an exchange ends: the answer, or why there is none.
Finished = Callable[[Answer | None, Exception | None], None]


class _Connection(asyncio.Protocol):
    """One kept-alive connection carrying one exchange at a time (a Protocol: the stream
    reader/writer layer was a fifth of the notifier's Python time). The exchange's end is
    handed to its ``Finished`` callback from the protocol callbacks themselves."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.used = False  # has carried an exchange before (a stale keep-alive may be closed)
        self.closed = False
        self._parser = AnswerParser()
        self._finished: Finished | None = None  # the exchange under way

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's: no asyncio subclass

    def data_received(self, data: bytes) -> None:
        if self._finished is None:
            self.close()  # bytes nobody asked for: this connection cannot be trusted
            return
        try:
            answer = self._parser.feed(data)
        except httpx.RemoteProtocolError as exc:
            self._finish(None, exc)
            return
        if answer is not None:
            self._finish(answer, None)

    def eof_received(self) -> bool:
        if self._finished is not None:
            try:
                answer = self._parser.eof()
            except httpx.RemoteProtocolError as exc:
                self._finish(None, self._gone(exc))
            else:
                self._finish(answer, None)
        return False  # let the transport close

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._finished is not None:
            self._finish(None, self._gone(exc or ConnectionResetError("connection lost")))

    def _gone(self, exc: Exception) -> Exception:
        if self.used and not self._parser.received:
            return _StaleConnection()
        return exc

    def _finish(self, answer: Answer | None, exc: Exception | None) -> None:
        finished, self._finished = self._finished, None
        assert finished is not None
        finished(answer, exc)

    def exchange(self, request: bytes, finished: Finished) -> None:
        assert self.transport is not None
        self._parser = AnswerParser()
        self._finished = finished
        self.transport.write(request)

    def abandon(self) -> None:
        """Give up the exchange under way: its answer could still come, so close."""
        self._finished = None
        self.close()

    def reusable(self) -> bool:
        return not self.closed and self.transport is not None and not self.transport.is_closing()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class PushExchange:
    """One lean POST: an idle connection (or a new one; once more on a fresh one if a reused
    connection turns out closed before answering a byte), the request, then the answer, an
    error or the deadline settles ``future`` and hands the connection slot on. It runs on the
    connection's callbacks, without a task: only connecting (rare, connections are kept) is
    one."""

    __slots__ = (
        "connecting",
        "connection",
        "deadline",
        "future",
        "origin",
        "pool",
        "request",
        "settled",
        "timeout",
    )

    def __init__(
        self,
        pool: PushPool,
        origin: Origin,
        request: bytes,
        future: asyncio.Future[Answer],
        timeout: float,
    ) -> None:
        self.pool = pool
        self.origin = origin
        self.request = request
        self.future = future
        self.timeout = timeout
        self.deadline = math.inf
        self.connection: _Connection | None = None
        self.connecting: asyncio.Task[_Connection] | None = None
        self.settled = False

    def start(self) -> None:
        self.deadline = self.future.get_loop().time() + self.timeout
        self.pool.watch(self)
        connection = self.pool.take_idle(self.origin)
        if connection is None:
            self._connect()
        else:
            self._send(connection)

    def _send(self, connection: _Connection) -> None:
        self.connection = connection
        try:
            connection.exchange(self.request, self._answered)
        except (OSError, RuntimeError) as exc:  # the transport refused the bytes
            self.connection = None
            connection.abandon()
            self._settle(None, httpx.WriteError(f"{type(exc).__name__}: {exc}"))

    def _answered(self, answer: Answer | None, exc: Exception | None) -> None:
        connection, self.connection = self.connection, None
        assert connection is not None
        if answer is not None:
            connection.used = True
            if answer.keep_alive:
                self.pool.put_idle(self.origin, connection)
            else:
                connection.close()
            self.pool.answered += 1
            self._settle(answer, None)
            return
        connection.close()
        if isinstance(exc, _StaleConnection):
            self._connect()  # a fresh connection is never stale: at most once
        elif isinstance(exc, httpx.HTTPError):
            self._settle(None, exc)
        else:
            self._settle(None, httpx.ReadError(f"{type(exc).__name__}: {exc}"))

    def _connect(self) -> None:
        self.connecting = asyncio.ensure_future(self.pool.connect(self.origin))
        self.connecting.add_done_callback(self._connected)

    def _connected(self, task: asyncio.Task[_Connection]) -> None:
        self.connecting = None
        if task.cancelled():
            return  # settled already (deadline or close)
        exc = task.exception()
        if exc is not None:
            self._settle(None, exc if isinstance(exc, Exception) else httpx.ConnectError(repr(exc)))
        elif self.settled:
            self.pool.put_idle(self.origin, task.result())  # connected just too late: keep it
        else:
            self._send(task.result())

    def fail(self, exc: Exception) -> None:
        """The deadline passed or the client closes: drop the connection or the connecting."""
        if self.connection is not None:
            self.connection.abandon()
            self.connection = None
        if self.connecting is not None:
            self.connecting.cancel()
        self._settle(None, exc)

    def expire(self) -> None:
        if self.connection is not None:
            self.fail(httpx.ReadTimeout(f"no answer within {self.timeout:g} s"))
        else:
            self.fail(httpx.ConnectTimeout(f"no connection within {self.timeout:g} s"))

    def _settle(self, answer: Answer | None, exc: Exception | None) -> None:
        if self.settled:
            return
        self.settled = True
        self.pool.unwatch(self)
        if not self.future.done():  # else the caller stopped waiting
            if exc is None:
                self.future.set_result(cast(Answer, answer))
            else:
                self.future.set_exception(exc)
        self.pool.release()


class PushPool:
    """Idle kept-alive connections per origin, the slots that bound the connections in use, and
    one watchdog timer for every exchange's deadline (it fires about once per timeout while
    answers come in time, where a timer or a timeout scope per push cost microseconds each)."""

    def __init__(self, max_connections: int) -> None:
        self.idle: dict[Origin, list[_Connection]] = {}
        self.max_idle = max_connections
        self.free = max_connections
        self.waiting: deque[PushExchange] = deque()
        self.in_flight: dict[PushExchange, None] = {}  # started, not settled
        self.answered = 0
        self.closed = False
        self._ssl: ssl.SSLContext | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._watch_at = math.inf

    def submit(self, exchange: PushExchange) -> None:
        if self.free > 0:
            self.free -= 1
            exchange.start()
        else:
            self.waiting.append(exchange)

    def release(self) -> None:
        while self.waiting and not self.closed:
            exchange = self.waiting.popleft()
            if not exchange.future.done():  # a caller that gave up waiting is not sent
                exchange.start()
                return
        self.free += 1

    def watch(self, exchange: PushExchange) -> None:
        self.in_flight[exchange] = None
        if exchange.deadline < self._watch_at:
            self._arm(exchange.deadline)

    def unwatch(self, exchange: PushExchange) -> None:
        self.in_flight.pop(exchange, None)

    def _arm(self, at: float) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        self._watch_at = at
        self._watchdog = asyncio.get_running_loop().call_at(at, self._sweep)

    def _sweep(self) -> None:
        self._watchdog, self._watch_at = None, math.inf
        now = asyncio.get_running_loop().time()
        for expired in [e for e in self.in_flight if e.deadline <= now]:
            expired.expire()
        if self.in_flight:
            self._arm(min(e.deadline for e in self.in_flight))

    def take_idle(self, origin: Origin) -> _Connection | None:
        pool = self.idle.get(origin)
        while pool:
            connection = pool.pop()
            if connection.reusable():
                return connection
            connection.close()
        return None

    def put_idle(self, origin: Origin, connection: _Connection) -> None:
        pool = self.idle.setdefault(origin, [])
        if len(pool) < self.max_idle and not self.closed:
            pool.append(connection)
        else:
            connection.close()

    async def connect(self, origin: Origin) -> _Connection:
        scheme, host, port = origin
        context = None
        if scheme == "https":
            context = self._ssl = self._ssl or ssl.create_default_context()
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(
                _Connection, host, port, ssl=context, server_hostname=host if context else None
            )
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from exc
        return connection

    def close(self) -> None:
        self.closed = True
        gone = httpx.ReadError("the push client was closed")
        for exchange in [*self.waiting, *self.in_flight]:
            exchange.fail(gone)
        self.waiting.clear()
        if self._watchdog is not None:
            self._watchdog.cancel()
        for connections in self.idle.values():
            for connection in connections:
                connection.close()
        self.idle.clear()
