"""A live platform for end-to-end API tests: real HTTP server, store, dispatcher, notifier,
an SMSC simulator that records what it was sent, and a partner that receives pushes.

Everything runs in the test's event loop. Outcomes are awaited through the simulator's change
event or through short, bounded polling of the store, never through fixed sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hongyan.config import (
    ChannelSettings,
    DatabaseSettings,
    HttpSettings,
    RouteSettings,
    SecuritySettings,
    Settings,
)
from hongyan.core.accounts import Account, md5_hex
from hongyan.core.messages import Message
from hongyan.protocols.smpp import pdu as p
from hongyan.protocols.smpp.body import body_text
from hongyan.services.platform import Platform, listen
from hongyan.simulator import SmscSimulator
from hongyan.store.base import MessageQuery, NewAccount, Store

PASSWORD = "s3cret-pass"
PASSWD_MD5 = hashlib.md5(PASSWORD.encode()).hexdigest().upper()
SYSTEM_ID, SMPP_PASSWORD = "hongyan", "smpp-pw"


@functools.cache
def password_hash() -> str:
    """An argon2id hash of ``PASSWORD`` with cheap parameters, shared by every test account.

    Verification reads its parameters from the stored hash, so the platform checks it with the
    same code as a production hash, in about a millisecond instead of a few hundred.
    """
    return PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(md5_hex(PASSWORD))


class RecordingSmsc(SmscSimulator):
    """The simulator, keeping every accepted submit_sm so tests can read what went out."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.submitted: list[p.SubmitSm] = []

    def submit(self, conn: Any, pdu: p.SubmitSm) -> p.SubmitSmResp:
        resp = super().submit(conn, pdu)
        if resp.command_status == 0:
            self.submitted.append(pdu)
        return resp

    def to(self, destination: str) -> list[p.SubmitSm]:
        return [s for s in self.submitted if s.destination_addr == destination]

    def text_to(self, destination: str) -> str:
        """The text sent to ``destination``, segments joined in their UDH order."""
        parts: list[tuple[int, str]] = []
        for pdu in self.to(destination):
            concat, text = body_text(pdu.esm_class, pdu.data_coding, pdu.short_message)
            parts.append((concat.seqnum if concat else 1, text))
        return "".join(text for _, text in sorted(parts))


@dataclass
class PushReceiver:
    """The partner's report/inbound URL, served by the platform's own HTTP server."""

    up: bool = True
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def routes(self) -> list[BaseRoute]:
        return [Route("/partner/push", self._push, methods=["POST"])]

    async def _push(self, request: Request) -> Response:
        body = await request.body()
        self.changed.set()
        if not self.up:
            self.refused += 1
            return Response("down", status_code=503)
        self.received.append(json.loads(body))
        return Response("ok")

    def for_guid(self, guid: str) -> list[dict[str, Any]]:
        return [r for r in self.received if r.get("guid") == guid]


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout: float = 5.0, what: str = "condition"
) -> None:
    """Poll ``check`` every 20 ms until it holds; fail after ``timeout`` seconds."""
    try:
        async with asyncio.timeout(timeout):
            while not await check():
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


@dataclass
class Live:
    platform: Platform
    smsc: RecordingSmsc
    receiver: PushReceiver
    http: httpx.AsyncClient
    base_url: str
    _names: int = 0

    @property
    def store(self) -> Store:
        assert self.platform.store is not None
        return self.platform.store

    @property
    def push_url(self) -> str:
        return f"{self.base_url}/partner/push"

    async def account(self, **overrides: Any) -> Account:
        """A fresh account (balance 100, service code 1069xxxx) sharing ``PASSWORD``."""
        self._names += 1
        fields: dict[str, Any] = {
            "password_hash": password_hash(),
            "balance": 100,
            "service_code": f"1069{self._names:03d}",
            "short_name": f"鸿雁{self._names}",
        }
        fields.update(overrides)
        return await self.store.create_account(NewAccount(name=f"acct{self._names}", **fields))

    async def balance(self, account: Account) -> int:
        fresh = await self.store.get_account_by_id(account.id)
        assert fresh is not None
        return fresh.balance

    async def messages(self, account: Account) -> list[Message]:
        query = MessageQuery(account_id=account.id, limit=1000)
        return sorted(await self.store.find_messages(query), key=lambda m: m.id)

    async def wait_submitted(self, count: int, timeout: float = 5.0) -> None:
        """Until the simulator has accepted ``count`` submit_sm in all."""
        await self.smsc.wait_until(lambda: len(self.smsc.submitted) >= count, timeout)

    async def wait_pushes(self, count: int, timeout: float = 5.0) -> None:
        async def enough() -> bool:
            return len(self.receiver.received) >= count

        await eventually(enough, timeout, f"{count} pushes")

    async def wait_states(self, account: Account, done: Callable[[list[Message]], bool]) -> None:
        async def check() -> bool:
            return done(await self.messages(account))

        await eventually(check, what="message states")


def settings(tmp_path: Path, smsc_port: int, database_url: str | None = None) -> Settings:
    return Settings(
        database=DatabaseSettings(url=database_url or f"sqlite:///{tmp_path / 'hongyan.db'}"),
        # Trusting the loopback proxy lets a test speak for any client address (X-Forwarded-For).
        http=HttpSettings(host="127.0.0.1", port=0, trusted_proxies=("127.0.0.1/32",)),
        security=SecuritySettings(secret_key="api-test-key"),
        channels=(
            ChannelSettings(
                name="smsc",
                protocol="smpp",
                port=smsc_port,
                system_id=SYSTEM_ID,
                password=SMPP_PASSWORD,
            ),
        ),
        routes=(RouteSettings(prefix="", channels=("smsc",)),),
    )


@contextlib.asynccontextmanager
async def live_platform(tmp_path: Path, database_url: str | None = None) -> AsyncIterator[Live]:
    smsc = RecordingSmsc(port=0, credentials={SYSTEM_ID: SMPP_PASSWORD}, dlr_delay=0, seed=5)
    await smsc.start()
    receiver = PushReceiver()
    sock = listen("127.0.0.1", 0)
    platform = Platform(
        settings(tmp_path, smsc.port, database_url),
        base_dir=tmp_path,
        extra_routes=receiver.routes(),
        sockets=[sock],
    )
    stop = asyncio.Event()
    runner = asyncio.create_task(platform.run(stop))
    try:
        started = asyncio.ensure_future(platform.started.wait())
        await asyncio.wait({runner, started}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if runner.done():
            runner.result()  # raises why it could not start
        await smsc.wait_until(lambda: smsc.stats.binds_active >= 1, timeout=5)
        base_url = f"http://127.0.0.1:{platform.http_port}"
        async with httpx.AsyncClient(base_url=base_url, timeout=20) as http:
            yield Live(platform, smsc, receiver, http, base_url)
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(runner, 10)
        await smsc.stop()


__all__ = ["PASSWD_MD5", "PASSWORD", "Live", "eventually", "live_platform"]
