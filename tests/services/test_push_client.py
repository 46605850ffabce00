"""PushClient: pushes over kept-alive HTTP/1.1 to a real server on 127.0.0.1 (port 0)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest

from hongyan.services.connectors.push_client import PushClient

Handler = Callable[[bytes, bytes], Awaitable[bytes | None]]  # (head, body) -> raw answer


@dataclass
class Server:
    port: int
    connections: int = 0
    requests: list[tuple[bytes, bytes]] = field(default_factory=list)
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    def url(self, path: str = "/push") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def answer(status: int = 200, body: bytes = b"ok", extra: str = "") -> bytes:
    head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


class HeldUntil:
    """A handler that holds each request until ``count`` are under way at once, then answers
    them all; ``peak`` is the most it saw under way together."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.under_way = self.peak = 0
        self.all_in = asyncio.Event()

    async def __call__(self, head: bytes, body: bytes) -> bytes:
        self.under_way += 1
        self.peak = max(self.peak, self.under_way)
        if self.under_way == self.count:
            self.all_in.set()
        await self.all_in.wait()
        self.under_way -= 1
        return answer()


async def start_server(handler: Handler) -> tuple[Server, asyncio.Server]:
    state = Server(0)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections += 1
        state.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length)
                state.requests.append((head, body))
                raw = await handler(head, body)
                if raw is None:
                    writer.close()
                    return
                writer.write(raw)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    return state, server


@pytest.fixture
async def client() -> AsyncIterator[PushClient]:
    async with PushClient(timeout=2.0, environ={}) as c:
        yield c


async def ok(head: bytes, body: bytes) -> bytes:
    return answer()


async def test_posts_reuse_one_kept_alive_connection(client: PushClient) -> None:
    state, server = await start_server(ok)
    async with server:
        for i in range(5):
            response = await client.post(
                state.url("/r?x=1"), content=f"body{i}".encode(), headers={"X-Sig": "abc"}
            )
            assert response.status_code == 200
            assert response.content == b"ok"
    assert state.connections == 1
    assert client.lean_posts == 5
    head, body = state.requests[4]
    assert head.startswith(b"POST /r?x=1 HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{state.port}\r\n".encode() in head
    assert b"X-Sig: abc\r\n" in head and b"Content-Length: 5\r\n" in head
    assert body == b"body4"


async def test_status_and_body_of_a_refusal(client: PushClient) -> None:
    async def refuse(head: bytes, body: bytes) -> bytes:
        return answer(503, b"busy")

    state, server = await start_server(refuse)
    async with server:
        response = await client.post(state.url(), content=b"x", headers={})
    assert response.status_code == 503
    assert response.content == b"busy"


async def test_chunked_and_close_delimited_answers(client: PushClient) -> None:
    answers = iter(
        [
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n3;x=y\r\n!!!\r\n"
            b"0\r\nTrailer: 1\r\n\r\n",
            b"HTTP/1.1 201 Created\r\n\r\nuntil close",  # no length: the body ends at EOF
        ]
    )

    async def handler(head: bytes, body: bytes) -> bytes:
        return next(answers, answer(202))

    state, server = await start_server(handler)
    async with server:
        first = await client.post(state.url(), content=b"1", headers={})
        assert (first.status_code, first.content) == (200, b"ok!!!")
        second = asyncio.ensure_future(client.post(state.url(), content=b"2", headers={}))
        while len(state.requests) < 2:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        state.writers[0].close()  # the server ends the close-delimited body
        assert ((await second).status_code, (await second).content) == (201, b"until close")
        third = await client.post(state.url(), content=b"3", headers={})
        assert third.status_code == 202
    assert state.connections == 2  # chunked kept the connection; close-delimited did not


async def test_connection_close_is_honoured(client: PushClient) -> None:
    async def closing(head: bytes, body: bytes) -> bytes:
        return answer(extra="Connection: close\r\n")

    state, server = await start_server(closing)
    async with server:
        for _ in range(3):
            assert (await client.post(state.url(), content=b"x", headers={})).status_code == 200
    assert state.connections == 3


async def test_a_stale_kept_alive_connection_is_replaced(client: PushClient) -> None:
    state, server = await start_server(ok)
    async with server:
        assert (await client.post(state.url(), content=b"1", headers={})).status_code == 200
        for writer in state.writers:
            writer.close()  # the server drops its idle keep-alive connection
        await asyncio.sleep(0.05)
        assert (await client.post(state.url(), content=b"2", headers={})).status_code == 200
    assert state.connections == 2
    assert [body for _, body in state.requests] == [b"1", b"2"]


async def test_no_answer_times_out_and_the_connection_is_not_reused() -> None:
    calls = 0

    async def slow_first(head: bytes, body: bytes) -> bytes:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(5)
        return answer()

    state, server = await start_server(slow_first)
    async with server, PushClient(timeout=0.3, environ={}) as client:
        with pytest.raises(httpx.TimeoutException):
            await client.post(state.url(), content=b"1", headers={})
        assert (await client.post(state.url(), content=b"2", headers={})).status_code == 200
    assert state.connections == 2


async def test_refused_connection_is_a_connect_error(client: PushClient) -> None:
    state, server = await start_server(ok)
    server.close()
    await server.wait_closed()
    with pytest.raises(httpx.ConnectError):
        await client.post(state.url(), content=b"x", headers={})


async def test_not_http_is_a_protocol_error(client: PushClient) -> None:
    async def garbage(head: bytes, body: bytes) -> bytes:
        return b"SSH-2.0-OpenSSH\r\n\r\n"

    state, server = await start_server(garbage)
    async with server:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(state.url(), content=b"x", headers={})


async def test_header_with_a_line_break_is_refused(client: PushClient) -> None:
    state, server = await start_server(ok)
    async with server:
        with pytest.raises(httpx.LocalProtocolError):
            await client.post(state.url(), content=b"x", headers={"X-A": "1\r\nX-B: 2"})
    assert state.requests == []


async def test_proxies_in_the_environment_leave_everything_to_httpx() -> None:
    state, server = await start_server(ok)
    environ = {"HTTPS_PROXY": "http://proxy.invalid:3128"}
    async with server, PushClient(timeout=2.0, environ=environ) as client:
        response = await client.post(state.url(), content=b"x", headers={})
        assert response.status_code == 200  # plain http: httpx's path (no proxy for http)
        assert client.lean_posts == 0


async def test_urls_it_does_not_handle_go_to_httpx(client: PushClient) -> None:
    state, server = await start_server(ok)
    async with server:
        url = f"http://user:pw@127.0.0.1:{state.port}/x"
        assert (await client.post(url, content=b"x", headers={})).status_code == 200
        assert (await client.post(state.url("/路径"), content=b"x")).status_code == 200
    assert client.lean_posts == 0
    assert state.requests[1][0].startswith(b"POST /%E8%B7%AF%E5%BE%84 HTTP/1.1")


async def test_start_post_answers_without_a_response(client: PushClient) -> None:
    state, server = await start_server(ok)
    async with server:
        assert (await client.start_post(state.url(), b"a", {"X-Sig": "1"})).status == 200
        answered = client.start_post(state.url(), b"b", {})
        assert isinstance(answered, asyncio.Future)
        got = await answered
        assert (got.status, got.body) == (200, b"ok")
        assert (b"content-length", b"2") in [(k.lower(), v) for k, v in got.headers]
    assert state.connections == 1 and client.lean_posts == 2


async def test_posts_beyond_max_connections_wait_for_a_free_one() -> None:
    held = HeldUntil(2)
    state, server = await start_server(held)
    async with server, PushClient(timeout=2.0, max_connections=2, environ={}) as client:
        answers = await asyncio.gather(
            *(client.start_post(state.url(), str(i).encode(), {}) for i in range(6))
        )
    assert [answer.status for answer in answers] == [200] * 6
    assert held.peak == 2 and state.connections == 2


async def test_each_exchange_is_cut_off_at_its_own_deadline() -> None:
    release = asyncio.Event()
    arrived: list[bytes] = []

    async def silent(head: bytes, body: bytes) -> bytes:
        arrived.append(body)
        await release.wait()
        return answer()

    state, server = await start_server(silent)
    loop = asyncio.get_running_loop()
    async with server, PushClient(timeout=5.0, environ={}) as client:
        started = loop.time()
        late = client.start_post(state.url(), b"late", {}, timeout=1.0)
        early = client.start_post(state.url(), b"early", {}, timeout=0.1)
        with pytest.raises(httpx.ReadTimeout, match=r"no answer within 0\.1 s"):
            await early
        assert loop.time() - started >= 0.1 and not late.done()
        with pytest.raises(httpx.ReadTimeout, match=r"no answer within 1 s"):
            await late
        assert loop.time() - started >= 1.0
        release.set()
        assert (await client.start_post(state.url(), b"after", {})).status == 200
    assert state.connections == 3  # the two cut off were closed, not reused


async def test_a_post_given_up_while_it_waited_for_a_connection_is_not_sent() -> None:
    arrived, release = asyncio.Event(), asyncio.Event()

    async def held(head: bytes, body: bytes) -> bytes:
        arrived.set()
        await release.wait()
        return answer()

    state, server = await start_server(held)
    async with server, PushClient(timeout=2.0, max_connections=1, environ={}) as client:
        first = client.start_post(state.url(), b"first", {})
        await arrived.wait()
        given_up = asyncio.ensure_future(client.post(state.url(), content=b"given up"))
        await asyncio.sleep(0)  # it waits for the one connection
        given_up.cancel()
        release.set()
        assert (await first).status == 200
        assert (await client.start_post(state.url(), b"third", {})).status == 200
    assert [body for _, body in state.requests] == [b"first", b"third"]
    assert state.connections == 1


async def test_closing_the_client_fails_posts_under_way() -> None:
    arrived = asyncio.Event()

    async def never(head: bytes, body: bytes) -> bytes:
        arrived.set()
        await asyncio.Event().wait()
        return answer()

    state, server = await start_server(never)
    async with server:
        client = PushClient(timeout=5.0, environ={})
        answered = client.start_post(state.url(), b"1", {})
        await arrived.wait()
        await client.aclose()
        with pytest.raises(httpx.ReadError):
            await answered
        for writer in state.writers:
            writer.close()


async def test_a_transport_of_its_own_leaves_everything_to_httpx() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202)

    async with PushClient(transport=httpx.MockTransport(handle), environ={}) as client:
        answer = await client.start_post("http://partner.example/r", b"x", {"X-A": "1"})
        assert answer.status == 202
        assert (await client.post("http://partner.example/r", content=b"y")).status_code == 202
    assert [r.content for r in seen] == [b"x", b"y"] and seen[0].headers["x-a"] == "1"
    assert client.lean_posts == 0
