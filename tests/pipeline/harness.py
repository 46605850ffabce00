"""The pipeline under test: a real Platform, SMSC simulators and a partner's push receiver.

Everything talks over real TCP on 127.0.0.1 with port 0. Waits are bounded polls of the store
(``eventually``) or the simulator's own ``wait_until``; nothing sleeps a fixed time.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hongyan.config import (
    ChannelSettings,
    DatabaseSettings,
    DispatcherSettings,
    HttpSettings,
    RouteSettings,
    SecuritySettings,
    Settings,
)
from hongyan.core.accounts import Account, hash_password
from hongyan.core.admission import SendRequest
from hongyan.core.messages import FINAL_STATES, Message, MessageState
from hongyan.core.retry import SubmitRetryPolicy
from hongyan.protocols.smpp import pdu as p
from hongyan.protocols.smpp.body import body_text
from hongyan.services.platform import Platform, Tuning, listen
from hongyan.simulator import SmscSimulator
from hongyan.store.base import NewAccount, Store

PASSWORD = "secret-pw"
SECRET_KEY = "pipeline-test-key"


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]], timeout: float = 10.0, every: float = 0.02
) -> None:
    """Poll ``condition`` until it holds; ``TimeoutError`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = condition()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition still false after {timeout} s")
        await asyncio.sleep(every)


def fast_push_retry(attempts: int, created_at: datetime, now: datetime) -> datetime | None:
    """The notifier's schedule shrunk to milliseconds: 50 ms doubling, give up after 30 s."""
    at = now + timedelta(milliseconds=50 * 2 ** min(attempts - 1, 4))
    return at if at - created_at < timedelta(seconds=30) else None


FAST = Tuning(
    submit_retry=SubmitRetryPolicy(
        first_delay=timedelta(milliseconds=50), max_delay=timedelta(milliseconds=400)
    ),
    push_retry=fast_push_retry,
    connector_options={
        "reconnect_delay": 0.05,
        "reconnect_max_delay": 0.2,
        "throttle_delay": 0.02,
        "response_timeout": 3.0,
    },
    dispatcher_poll_seconds=0.05,
    notifier_poll_seconds=0.05,
)


class RecordingSmsc(SmscSimulator):
    """The simulator, keeping (destination, text) of every submit_sm it accepted."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.accepted: list[tuple[str, str]] = []
        self.first_accepted_at: dict[str, datetime] = {}  # destination → first accept

    def submit(self, conn: Any, pdu: p.SubmitSm) -> p.SubmitSmResp:
        resp = super().submit(conn, pdu)
        if resp.command_status == 0:
            _, text = body_text(pdu.esm_class, pdu.data_coding, pdu.short_message)
            self.accepted.append((pdu.destination_addr, text))
            self.first_accepted_at.setdefault(pdu.destination_addr, datetime.now(UTC))
        return resp

    def destinations(self) -> set[str]:
        return {destination for destination, _ in self.accepted}


class _QuietServer(uvicorn.Server):
    """uvicorn without signal handlers: it runs inside the test's event loop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@dataclass(frozen=True)
class Push:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


@dataclass
class PushReceiver:
    """The partner's HTTP endpoint: records every push; answers ``statuses`` first, then 200."""

    statuses: deque[int] = field(default_factory=deque)
    pushes: list[Push] = field(default_factory=list)
    port: int = 0
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    async def _receive(self, request: Request) -> Response:
        status = self.statuses.popleft() if self.statuses else 200
        body = await request.body()
        self.pushes.append(Push(request.url.path, dict(request.headers), body, status))
        return Response(b"ok" if status < 300 else b"boom", status_code=status)

    def url(self, kind: str) -> str:
        return f"http://127.0.0.1:{self.port}/{kind}"

    def received(self, kind: str, answered: int | None = 200) -> list[Push]:
        return [
            p
            for p in self.pushes
            if p.path == f"/{kind}" and (answered is None or p.answered == answered)
        ]

    async def start(self) -> None:
        app = Starlette(routes=[Route("/{kind:path}", self._receive, methods=["POST"])])
        sock = listen("127.0.0.1", 0)
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self._server = _QuietServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        await eventually(lambda: self._server is not None and self._server.started)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task


def channel(name: str, simulator: SmscSimulator, **options: Any) -> ChannelSettings:
    return ChannelSettings(
        name=name, protocol="smpp", host="127.0.0.1", port=simulator.port, **options
    )


def settings_for(
    database_url: str,
    channels: Sequence[ChannelSettings],
    routes: Sequence[tuple[str, tuple[str, ...]]],
    dispatcher: DispatcherSettings | None = None,
) -> Settings:
    return Settings(
        database=DatabaseSettings(url=database_url),
        http=HttpSettings(host="127.0.0.1", port=0),
        security=SecuritySettings(secret_key=SECRET_KEY),
        dispatcher=dispatcher or DispatcherSettings(batch=100, lease_seconds=5.0),
        channels=tuple(channels),
        routes=tuple(RouteSettings(prefix=p, channels=c) for p, c in routes),
    )


@dataclass
class Pipeline:
    platform: Platform
    receiver: PushReceiver
    account: Account

    @property
    def store(self) -> Store:
        assert self.platform.store is not None
        return self.platform.store

    async def send(self, recipients: Sequence[str], text: str, **request: Any) -> list[int]:
        context = self.platform.context
        assert context is not None
        outcome = await context.sender.send(
            self.account, SendRequest(tuple(recipients), text, **request)
        )
        assert outcome.refusal is None, outcome.admission
        return list(outcome.ids)

    async def message(self, message_id: int) -> Message:
        found = await self.store.get_message(message_id)
        assert found is not None
        return found

    async def wait_final(self, ids: Sequence[int], timeout: float = 10.0) -> list[Message]:
        """Every message in ``ids`` once all are in a final state."""
        messages: list[Message] = []

        async def all_final() -> bool:
            messages[:] = [await self.message(i) for i in ids]
            return all(m.state in FINAL_STATES for m in messages)

        await eventually(all_final, timeout)
        return messages

    async def wait_state(self, message_id: int, state: MessageState, timeout: float = 10) -> None:
        async def reached() -> bool:
            return (await self.message(message_id)).state is state

        await eventually(reached, timeout)

    async def create_account(self, name: str, service_code: str) -> Account:
        return await create_account(self.store, self.receiver, name, service_code)


async def create_account(
    store: Store, receiver: PushReceiver, name: str, service_code: str
) -> Account:
    """An account with 1000 in balance whose pushes go to ``receiver`` under ``/<name>/``."""
    return await store.create_account(
        NewAccount(
            name=name,
            password_hash=_password_hash(),
            balance=1000,
            service_code=service_code,
            report_url=receiver.url(f"{name}/reports"),
            inbound_url=receiver.url(f"{name}/inbound"),
        )
    )


_HASH: list[str] = []


def _password_hash() -> str:
    """One slow hash per test session, not per account."""
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


@contextlib.asynccontextmanager
async def running_pipeline(
    settings: Settings, base_dir: Path, tuning: Tuning = FAST
) -> AsyncIterator[Pipeline]:
    """The platform with every role, a push receiver and an ``acme`` account (code 1069001)."""
    receiver = PushReceiver()
    await receiver.start()
    stop = asyncio.Event()
    platform = Platform(
        settings, base_dir=base_dir, sockets=[listen("127.0.0.1", 0)], tuning=tuning
    )
    runner = asyncio.create_task(platform.run(stop))
    started = asyncio.create_task(platform.started.wait())
    await asyncio.wait({runner, started}, return_when=asyncio.FIRST_COMPLETED)
    if runner.done():
        started.cancel()
        runner.result()  # raises why it could not start
    try:
        assert platform.store is not None
        account = await create_account(platform.store, receiver, "acme", "1069001")
        yield Pipeline(platform, receiver, account)
    finally:
        stop.set()
        await runner
        await receiver.stop()
