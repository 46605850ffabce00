"""The partner's report receiver: a minimal HTTP/1.1 server that counts pushes by id.

    python -m benchmarks.harness.receiver [--port 0]

Prints ``receiver listening on 127.0.0.1:<port>``. Every request answers ``200 ok`` on a
kept-alive connection. A push's id is the HI8D report's ``"guid":"<n>"`` or a ``n=<n>`` query
parameter (Kannel's dlr-url); ids are kept in a bitmap so duplicates and gaps are exact.
``GET /stats`` answers the counters as JSON; ``GET /missing?lo=A&hi=B`` up to 20 ids in
[A, B] never pushed. Raw asyncio (uvloop when installed): the receiver must never be what limits
the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import time
from urllib.parse import parse_qsl, urlsplit

_GUID = re.compile(rb'"guid":"(\d+)"')
_N = re.compile(rb"[?&]n=(\d+)")
_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


class Counts:
    def __init__(self) -> None:
        self.bits = bytearray(1 << 20)
        self.pushes = 0
        self.unique = 0
        self.duplicates = 0
        self.without_id = 0
        self.first = 0.0
        self.last = 0.0
        self.low: int | None = None
        self.high: int | None = None

    def seen(self, n: int) -> bool:
        byte = n >> 3
        return byte < len(self.bits) and bool(self.bits[byte] & (1 << (n & 7)))

    def add(self, n: int | None) -> None:
        now = time.time()
        self.pushes += 1
        self.first = self.first or now
        self.last = now
        if n is None:
            self.without_id += 1
            return
        byte = n >> 3
        if byte >= len(self.bits):
            self.bits.extend(bytes(max(byte + 1 - len(self.bits), len(self.bits))))
        mask = 1 << (n & 7)
        if self.bits[byte] & mask:
            self.duplicates += 1
            return
        self.bits[byte] |= mask
        self.unique += 1
        self.low = n if self.low is None else min(self.low, n)
        self.high = n if self.high is None else max(self.high, n)

    def stats(self) -> dict[str, object]:
        return {
            "pushes": self.pushes,
            "unique": self.unique,
            "duplicates": self.duplicates,
            "without_id": self.without_id,
            "first": self.first,
            "last": self.last,
            "low": self.low,
            "high": self.high,
        }

    def missing(self, low: int, high: int, limit: int = 20) -> list[int]:
        out: list[int] = []
        for n in range(low, high + 1):
            if not self.seen(n):
                out.append(n)
                if len(out) >= limit:
                    break
        return out


class Connection(asyncio.Protocol):
    def __init__(self, counts: Counts) -> None:
        self.counts = counts
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  (uvloop's is no asyncio.Transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        out: list[bytes] = []
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = self.buffer[:end]
            length = 0
            lower = head.lower()
            at = lower.find(b"content-length:")
            if at >= 0:
                stop = lower.find(b"\r\n", at)
                length = int(lower[at + 15 : stop if stop >= 0 else len(lower)])
            total = end + 4 + length
            if len(self.buffer) < total:
                break
            body = self.buffer[end + 4 : total]
            self.buffer = self.buffer[total:]
            out.append(self._answer(head, body))
        if out and self.transport is not None:
            self.transport.write(b"".join(out))

    def _answer(self, head: bytes, body: bytes) -> bytes:
        target = head.split(b" ", 2)[1] if b" " in head else b"/"
        if target.startswith(b"/stats"):
            return _json(self.counts.stats())
        if target.startswith(b"/missing"):
            q = dict(parse_qsl(urlsplit(target.decode()).query))
            return _json(self.counts.missing(int(q["lo"]), int(q["hi"])))
        found = _GUID.search(body) or _N.search(target)
        self.counts.add(int(found.group(1)) if found else None)
        return _OK


def _json(value: object) -> bytes:
    payload = json.dumps(value).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}"
    return head.encode() + b"\r\n\r\n" + payload


async def serve(host: str, port: int) -> None:
    counts = Counts()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Connection(counts), host, port, backlog=1024)
    bound = server.sockets[0].getsockname()[1]
    print(f"receiver listening on {host}:{bound}", flush=True)
    await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
