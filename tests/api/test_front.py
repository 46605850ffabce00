"""The API's front door (legacy sends skip Starlette) and the HTTP server it runs in."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from tests.api.harness import Live

from hongyan.services.api.front import Front
from hongyan.services.api.http import came_over_tls
from hongyan.services.api.http_protocol import _CoalescingTransport
from hongyan.services.metrics import REQUESTS
from hongyan.services.platform import _Server, _server_config, listen

GATEWAY = "/servlet/gateway.php"
QXT = "/send/g70send.aspx"


def _front(live: Live) -> Front:
    assert live.platform.server is not None
    app = live.platform.server.config.app
    assert isinstance(app, Front)
    return app


async def _both_doors(live: Live, method: str, url: str, **kwargs: Any) -> list[httpx.Response]:
    """The same request through the front and straight to the Starlette app behind it."""
    front = _front(live)
    answers = []
    for app in (front, front.app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            answers.append(await client.request(method, url, **kwargs))
    return answers


@pytest.mark.parametrize(
    ("method", "url", "params"),
    [
        ("GET", GATEWAY, {"account": "nobody", "passwd": "x" * 32, "mb": "8613800000001"}),
        ("POST", GATEWAY, {"account": "nobody"}),
        ("GET", QXT, {"name": "nobody", "pwd": "x", "dst": "13800000001", "msg": "hi"}),
        ("POST", "/send/getfee.asp", {"name": "nobody", "pwd": "x"}),
    ],
)
async def test_legacy_answers_are_the_same_bytes_through_either_door(
    live: Live, method: str, url: str, params: dict[str, str]
) -> None:
    kwargs = {"params": params} if method == "GET" else {"data": params}
    fast, starlette = await _both_doors(live, method, url, **kwargs)
    assert fast.status_code == starlette.status_code == 200
    assert fast.headers.raw == starlette.headers.raw
    assert fast.content == starlette.content
    assert fast.content  # a refusal in the dialect, not an empty answer


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("PUT", GATEWAY, 405),  # other methods still get Starlette's answers
        ("GET", "/send/no-such-interface.aspx", 404),
        ("GET", "/send/a/b.aspx", 404),
    ],
)
async def test_other_requests_go_to_starlette(
    live: Live, method: str, url: str, status: int
) -> None:
    fast, starlette = await _both_doors(live, method, url)
    assert fast.status_code == starlette.status_code == status
    assert fast.content == starlette.content


async def test_front_counts_requests_in_the_metrics(live: Live) -> None:
    counter = REQUESTS.labels("qxt", "/send/getfee.aspx", "200")
    before = counter._value.get()
    for spelling in ("/send/getfee.aspx", "/send/GetFee.aspx"):  # one label for both
        await live.http.get(spelling, params={"name": "nobody", "pwd": "x"})
    assert counter._value.get() == before + 2
    # Starlette's door (a HEAD request) names the endpoint by the same rule
    await live.http.head("/send/GETFEE.aspx", params={"name": "nobody", "pwd": "x"})
    assert counter._value.get() == before + 3


# --- the HTTP server ------------------------------------------------------------------------


async def _echo_client(scope: Any, receive: Any, send: Any) -> None:
    body = f"{scope['client'][0]} {scope['path']}".encode()
    headers = [(b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@contextlib.asynccontextmanager
async def _server() -> AsyncIterator[int]:
    sock = listen("127.0.0.1", 0)
    server = _Server(_server_config(_echo_client, "127.0.0.1", 0))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        yield int(sock.getsockname()[1])
    finally:
        server.should_exit = True
        await task


async def test_a_local_client_cannot_claim_another_address() -> None:
    # Proxies are trusted only as [http] trusted_proxies says, not by uvicorn's defaults.
    async with _server() as port, httpx.AsyncClient() as client:
        answer = await client.get(
            f"http://127.0.0.1:{port}/x", headers={"X-Forwarded-For": "10.1.2.3"}
        )
    assert answer.text == "127.0.0.1 /x"


@pytest.mark.parametrize(
    ("scheme", "peer", "proto", "trusted", "tls"),
    [
        ("https", "192.0.2.1", "", (), True),  # TLS to us
        ("http", "127.0.0.1", "https", ("127.0.0.1/32",), True),  # a trusted proxy says so
        ("http", "127.0.0.1", "http, https", ("127.0.0.1/32",), True),  # its own hop counts
        ("http", "127.0.0.1", "https, http", ("127.0.0.1/32",), False),
        ("http", "127.0.0.1", "https", (), False),  # no proxy trusted
        ("http", "192.0.2.1", "https", ("127.0.0.1/32",), False),  # not the trusted proxy
    ],
)
def test_https_is_believed_only_from_trusted_proxies(
    scheme: str, peer: str, proto: str, trusted: tuple[str, ...], tls: bool
) -> None:
    headers = [(b"x-forwarded-proto", proto.encode())] if proto else []
    scope = {"type": "http", "scheme": scheme, "client": (peer, 1234), "headers": headers}
    assert came_over_tls(Request(scope), trusted) is tls


async def test_pipelined_requests_are_answered_in_order() -> None:
    async with _server() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"".join(b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(3)))
        answers = []
        for _ in range(3):
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            answers.append(await reader.readexactly(length))
        writer.close()
    assert answers == [b"127.0.0.1 /0", b"127.0.0.1 /1", b"127.0.0.1 /2"]


class _Recording:
    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(("write", data))

    def close(self) -> None:
        self.calls.append(("close", b""))
        self.closing = True

    def abort(self) -> None:
        self.calls.append(("abort", b""))
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing


async def test_writes_in_one_turn_leave_as_one() -> None:
    raw = _Recording()
    transport = _CoalescingTransport(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(b"body")
    assert raw.calls == []
    await asyncio.sleep(0)  # the end of this turn of the loop
    assert raw.calls == [("write", b"HTTP/1.1 200 OK\r\n\r\nbody")]


async def test_close_sends_what_is_queued_first_and_abort_drops_it() -> None:
    raw = _Recording()
    transport = _CoalescingTransport(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"last answer")
    transport.close()
    assert raw.calls == [("write", b"last answer"), ("close", b"")]
    aborted = _Recording()
    transport = _CoalescingTransport(aborted, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"never sent")
    transport.abort()
    await asyncio.sleep(0)
    assert aborted.calls == [("abort", b"")]
    assert transport.is_closing()
