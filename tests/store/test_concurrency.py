"""Contract under concurrency: balances never go negative, claims never overlap, group commit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hongyan.core.errors import InsufficientBalance
from hongyan.store.base import Store
from hongyan.store.sqlite import SqliteStore

from .factories import NOW, new_account, new_message


async def test_concurrent_admits_never_overdraw(store: Store) -> None:
    a = await store.create_account(new_account(balance=20))

    async def one() -> list[int] | None:
        try:
            return await store.admit(a.id, [new_message(a.id)])
        except InsufficientBalance:
            return None

    results = await asyncio.gather(*(one() for _ in range(50)))
    admitted = [r[0] for r in results if r is not None]
    assert len(admitted) == 20 and len(set(admitted)) == 20
    account = await store.get_account("acme")
    assert account is not None and account.balance == 0


async def test_concurrent_claims_never_overlap(store: Store) -> None:
    a = await store.create_account(new_account(balance=100))
    ids = await store.admit(a.id, [new_message(a.id) for _ in range(60)])
    batches = await asyncio.gather(*(store.claim_due(NOW, 7, 30, f"d{i}") for i in range(12)))
    claimed = [c.id for batch in batches for c in batch]
    assert sorted(claimed) == ids


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(str(tmp_path / "group.db"))
    await store.open()
    await store.upgrade()
    yield store
    await store.close()


async def test_sqlite_group_commit_batches_callers(sqlite_store: SqliteStore) -> None:
    store = sqlite_store
    a = await store.create_account(new_account(balance=1000))
    before = store._writer.batches
    results = await asyncio.gather(*(store.admit(a.id, [new_message(a.id)]) for _ in range(100)))
    assert sorted(r[0] for r in results) == [r[0] for r in results]
    assert store._writer.batches - before < 100  # many callers shared transactions


async def test_sqlite_failing_caller_does_not_spoil_its_batch(sqlite_store: SqliteStore) -> None:
    store = sqlite_store
    a = await store.create_account(new_account(balance=1))
    good, bad = await asyncio.gather(
        store.admit(a.id, [new_message(a.id)]),
        store.admit(a.id, [new_message(a.id)]),
        return_exceptions=True,
    )
    assert isinstance(good, list) and isinstance(bad, InsufficientBalance)
    assert await store.get_message(good[0]) is not None
