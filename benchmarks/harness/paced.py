"""An open-loop load generator: requests at a fixed rate, latency from when each was due.

wrk sends the next request when the last answer arrives, so a slow answer delays the
requests behind it and its latency percentiles hide the wait (coordinated omission). Here a
request is due every ``1/rate`` s whatever happens; it goes out on the first idle kept-alive
connection, and its latency counts from the moment it was due. Used for the accept-latency
target at 1,000 requests/s.

    python -m benchmarks.harness.paced URL_TEMPLATE --rate 1000 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
from collections import deque
from collections.abc import Callable
from urllib.parse import urlsplit

from benchmarks.harness.load import WrkResult


class _Client(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.waiter: asyncio.Future[bytes] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None:
            return
        head = self.buffer[:end].lower()
        at = head.find(b"content-length:")
        length = int(head[at + 15 :].split(b"\r\n", 1)[0]) if at >= 0 else 0
        if len(self.buffer) >= end + 4 + length:
            answer, self.buffer = self.buffer[: end + 4 + length], self.buffer[end + 4 + length :]
            waiter, self.waiter = self.waiter, None
            if not waiter.done():
                waiter.set_result(answer)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc or ConnectionError("closed"))

    def ask(self, request: bytes) -> asyncio.Future[bytes]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self.waiter


async def run(
    base_url: str,
    path_for: Callable[[int], str],
    accepted: Callable[[bytes], bool],
    *,
    rate: float,
    seconds: float,
    connections: int = 32,
) -> WrkResult:
    """GET ``path_for(n)`` at ``rate``/s for ``seconds``; ``accepted`` reads an answer."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    loop = asyncio.get_running_loop()
    idle: deque[_Client] = deque()
    for _ in range(connections):
        _, client = await loop.create_connection(_Client, host, port)
        idle.append(client)
    latencies: list[float] = []
    counts = {"ok": 0, "refused": 0, "errors": 0}
    sample = [""]
    backlog: deque[tuple[int, float]] = deque()  # (n, due) waiting for a connection

    async def one(client: _Client, n: int, due: float) -> None:
        request = f"GET {path_for(n)} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
        try:
            answer = await client.ask(request)
        except Exception:
            counts["errors"] += 1
            return
        latencies.append(loop.time() - due)
        if accepted(answer):
            counts["ok"] += 1
        else:
            counts["refused"] += 1
            sample[0] = answer[-120:].decode(errors="replace")
        if backlog:
            n2, due2 = backlog.popleft()
            tasks.add(asyncio.ensure_future(one(client, n2, due2)))
        else:
            idle.append(client)

    tasks: set[asyncio.Future[None]] = set()
    start = loop.time()
    total = int(rate * seconds)
    for n in range(total):
        due = start + n / rate
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        if idle:
            tasks.add(asyncio.ensure_future(one(idle.popleft(), n, due)))
        else:
            backlog.append((n, due))
        tasks = {t for t in tasks if not t.done()}
    while backlog or tasks:
        await asyncio.sleep(0.01)
        tasks = {t for t in tasks if not t.done()}
    elapsed = loop.time() - start
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return WrkResult(
        requests=len(latencies),
        seconds=elapsed,
        ok=counts["ok"],
        refused=counts["refused"],
        accepted=counts["ok"],
        errors={"connect": 0, "read": counts["errors"], "write": 0, "status": 0, "timeout": 0},
        p50_ms=pct(50) if latencies else 0.0,
        p90_ms=pct(90) if latencies else 0.0,
        p99_ms=pct(99) if latencies else 0.0,
        max_ms=latencies[-1] * 1000 if latencies else 0.0,
        sample=sample[0],
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url", help="base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("path", help="path and query with {n}, e.g. /x?mb=86139{n:08d}")
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    result = asyncio.run(
        run(
            args.url,
            lambda n: str(args.path).format(n=n),
            lambda answer: answer.startswith((b"HTTP/1.1 2", b"HTTP/1.0 2")),
            rate=args.rate,
            seconds=args.seconds,
        )
    )
    print(result)


if __name__ == "__main__":
    main()
