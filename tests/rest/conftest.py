"""Fixtures for /api/v1 tests.

``rest``: the real ASGI app over a real store (SQLite by default, both backends where a test
asks for ``backend``), reached in-process through httpx's ASGI transport, with a clock and a
monotonic time the test can move. ``live``: the whole platform on real HTTP with the SMSC
simulator (tests/api/harness.py), for end-to-end and concurrency tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.api.harness import Live, live_platform
from tests.store import conftest as store_fixtures

from hongyan.core import api_keys
from hongyan.core.accounts import Account
from hongyan.services.api.app import create_app
from hongyan.services.api.auth import Authenticator
from hongyan.services.api.context import ApiContext
from hongyan.services.api.sending import BannedWords, RequestRate, Sender
from hongyan.store.base import NewAccount, Store
from hongyan.store.sqlite import SqliteStore

SERVER_KEY = b"rest-test-server-key"
# The store contract suite's ``store`` fixture: SQLite and PostgreSQL.
store = store_fixtures.store


@pytest.fixture(scope="session")
def postgres_template(postgres_databases: Any) -> str:
    """``store``'s migrated template, under a name of its own: tests/store makes another when
    both folders run in one session."""
    from hongyan.store.postgres import PostgresStore

    async def make() -> str:
        url = await postgres_databases.create(name="hongyan_rest_template")
        migrated = PostgresStore(url)
        await migrated.open()
        await migrated.upgrade()
        await migrated.close()
        return "hongyan_rest_template"

    return str(store_fixtures._in_thread(make))


@dataclass
class Clock:
    """Real time plus an offset the test moves (both wall clock and monotonic)."""

    offset: float = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        import time

        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass(frozen=True)
class Tenant:
    account: Account
    key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@dataclass
class Rest:
    store: Store
    context: ApiContext
    http: httpx.AsyncClient
    clock: Clock
    _names: int = field(default=0)

    async def tenant(self, **overrides: Any) -> Tenant:
        """A fresh account (balance 100) with one API key."""
        self._names += 1
        fields: dict[str, Any] = {
            "password_hash": "x",
            "balance": 100,
            "service_code": f"1069{self._names:02d}",
        }
        fields.update(overrides)
        account = await self.store.create_account(NewAccount(name=f"t{self._names}", **fields))
        return Tenant(account, await add_key(self.store, account))

    async def balance(self, tenant: Tenant) -> int:
        fresh = await self.store.get_account_by_id(tenant.account.id)
        assert fresh is not None
        return fresh.balance


async def add_key(target: Store, account: Account, label: str = "test") -> str:
    issued = api_keys.issue_api_key()
    await target.create_api_key(account.id, label, issued.prefix, issued.key_hash)
    return issued.secret


def build_context(target: Store, clock: Clock) -> ApiContext:
    return ApiContext(
        store=target,
        authenticator=Authenticator(
            store=target, server_key=SERVER_KEY, monotonic=clock.monotonic, clock=clock.now
        ),
        sender=Sender(
            store=target,
            banned_words=BannedWords(target),
            clock=clock.now,
            rate=RequestRate(monotonic=clock.monotonic),
        ),
        clock=clock.now,
        server_key=SERVER_KEY,
    )


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = SqliteStore(str(tmp_path / "rest.db"))
    await opened.open()
    await opened.upgrade()
    try:
        yield opened
    finally:
        await opened.close()


async def _rest(target: Store) -> AsyncIterator[Rest]:
    clock = Clock()
    context = build_context(target, clock)
    transport = httpx.ASGITransport(app=create_app(context))
    async with httpx.AsyncClient(transport=transport, base_url="http://rest.test") as http:
        yield Rest(target, context, http, clock)


@pytest.fixture
async def rest(sqlite_store: Store) -> AsyncIterator[Rest]:
    async for running in _rest(sqlite_store):
        yield running


@pytest.fixture
async def rest_both(store: Store) -> AsyncIterator[Rest]:
    """``rest`` on SQLite and on PostgreSQL."""
    async for running in _rest(store):
        yield running


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    async with live_platform(tmp_path) as running:
        yield running


@pytest.fixture(params=["sqlite", "postgres"])
async def live_both(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Live]:
    """The live platform on SQLite and on a fresh PostgreSQL database."""
    url = None
    if request.param == "postgres":
        databases = request.getfixturevalue("postgres_databases")
        url = await databases.create()
    try:
        async with live_platform(tmp_path, url) as running:
            yield running
    finally:
        if url is not None:
            await databases.drop(url)


def problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    """The response's problem body, after checking its status, media type and type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"/api/v1/docs#problem-{slug}", body
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def pointers(body: dict[str, Any]) -> list[str]:
    return [e.get("pointer") or e.get("parameter") or e.get("header") for e in body["errors"]]
