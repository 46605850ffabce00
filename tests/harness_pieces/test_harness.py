"""Pieces of the benchmark harness, small: the report receiver counts by id, the open-loop
load generator sends what it says it sent. (The benchmarks themselves are not tests.)"""

from __future__ import annotations

import asyncio
import json

from benchmarks.harness import paced
from benchmarks.harness.receiver import Connection, Counts


async def _receiver() -> tuple[asyncio.Server, Counts, int]:
    counts = Counts()
    server = await asyncio.get_running_loop().create_server(
        lambda: Connection(counts), "127.0.0.1", 0
    )
    return server, counts, server.sockets[0].getsockname()[1]


async def _ask(port: int, raw: bytes, answers: int) -> list[bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)  # pipelined on one kept-alive connection
    out = []
    for _ in range(answers):
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        out.append(await reader.readexactly(length))
    writer.close()
    return out


async def test_receiver_counts_pushes_by_id_with_duplicates_and_gaps() -> None:
    server, counts, port = await _receiver()
    async with server:
        pushes = b"".join(
            b"POST /hi8d/report HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            for body in (b'{"status":1,"guid":"1"}', b'{"guid":"2"}', b'{"guid":"2"}', b"{}")
        )
        kannel = b"GET /kannel?n=4&d=1 HTTP/1.1\r\n\r\n"
        await _ask(port, pushes + kannel, 5)
        stats, missing = await _ask(
            port, b"GET /stats HTTP/1.1\r\n\r\nGET /missing?lo=1&hi=6 HTTP/1.1\r\n\r\n", 2
        )
    got = json.loads(stats)
    assert (got["pushes"], got["unique"], got["duplicates"], got["without_id"]) == (5, 3, 1, 1)
    assert (got["low"], got["high"]) == (1, 4)
    assert json.loads(missing) == [3, 5, 6]
    assert counts.seen(4) and not counts.seen(3)


async def test_open_loop_generator_sends_every_due_request_once() -> None:
    server, counts, port = await _receiver()
    async with server:
        result = await paced.run(
            f"http://127.0.0.1:{port}",
            lambda n: f"/kannel?n={n + 1}",
            lambda answer: answer.endswith(b"ok"),
            rate=200,
            seconds=0.25,
            connections=4,
        )
    assert (result.requests, result.ok, result.refused) == (50, 50, 0)
    assert (counts.unique, counts.duplicates, counts.low, counts.high) == (50, 0, 1, 50)
    assert 0 < result.p50_ms <= result.p99_ms <= result.max_ms
