"""Admits of concurrent requests committed together give what one-by-one admits give."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hongyan.core.errors import InsufficientBalance
from hongyan.store.base import Store
from hongyan.store.sqlite import SqliteStore
from hongyan.store.sqlite_writer import Writer, open_connection

from .factories import new_account, new_message


async def test_mixed_concurrent_admits_charge_in_order(store: Store) -> None:
    a = await store.create_account(new_account("a", balance=100))
    b = await store.create_account(new_account("b", balance=30))
    sizes = [1, 5, 1, 40, 2, 1, 60, 3, 1, 1, 25, 1] * 3
    requests = [(a if i % 3 else b, n) for i, n in enumerate(sizes)]

    async def one(account_id: int, n: int) -> list[int] | InsufficientBalance:
        try:
            return await store.admit(account_id, [new_message(account_id) for _ in range(n)])
        except InsufficientBalance as refused:
            return refused

    results = await asyncio.gather(*(one(acc.id, n) for acc, n in requests))
    charged = {a.id: 0, b.id: 0}
    all_ids: list[int] = []
    for (acc, n), result in zip(requests, results, strict=True):
        if isinstance(result, InsufficientBalance):
            continue
        assert len(result) == n and result == list(range(result[0], result[0] + n))
        charged[acc.id] += n
        all_ids += result
        for message_id in (result[0], result[-1]):
            message = await store.get_message(message_id)
            assert message is not None and message.account_id == acc.id
    assert len(set(all_ids)) == len(all_ids)
    assert any(isinstance(r, InsufficientBalance) for r in results)
    for acc, start in ((a, 100), (b, 30)):
        now = await store.get_account(acc.name)
        assert now is not None and now.balance == start - charged[acc.id] >= 0
        # every refused request really did not fit in what was left at the end
        refused = [n for (x, n), r in zip(requests, results, strict=True)
                   if x.id == acc.id and isinstance(r, InsufficientBalance)]  # fmt: skip
        assert all(n > now.balance for n in refused)


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(str(tmp_path / "group.db"))
    await store.open()
    await store.upgrade()
    yield store
    await store.close()


async def test_sqlite_ledger_has_one_row_per_admit_in_order(
    sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    store = sqlite_store
    a = await store.create_account(new_account(balance=10))
    results = await asyncio.gather(
        *(store.admit(a.id, [new_message(a.id)] * n) for n in (3, 4, 5, 2, 1)),
        return_exceptions=True,
    )
    assert [len(r) if isinstance(r, list) else "refused" for r in results] == [
        3, 4, "refused", 2, 1,
    ]  # fmt: skip
    conn = sqlite3.connect(tmp_path / "group.db")
    ledger = conn.execute(
        "SELECT delta, balance_after, note FROM ledger WHERE note LIKE 'admit%' ORDER BY id"
    ).fetchall()
    assert ledger == [
        (-3, 7, "admit 3 messages"),
        (-4, 3, "admit 4 messages"),
        (-2, 1, "admit 2 messages"),
        (-1, 0, "admit 1 messages"),
    ]
    assert conn.execute("SELECT count(*) FROM messages").fetchone() == (10,)


class _Op:
    """A writer operation that inserts ``value``; its ``many`` fails when told to."""

    fail_many = False

    def __init__(self, value: int) -> None:
        self.value = value

    def __call__(self, conn: sqlite3.Connection) -> int:
        if self.value < 0:
            raise ValueError("negative")
        conn.execute("INSERT INTO t VALUES (?)", (self.value,))
        return self.value

    @staticmethod
    def many(conn: sqlite3.Connection, ops: list[Any]) -> list[Any]:
        conn.executemany("INSERT INTO t VALUES (?)", [(op.value,) for op in ops])
        if _Op.fail_many:
            raise RuntimeError("batch broke")
        return [op.value * 10 for op in ops]  # tells the batched path from the single one


@pytest.mark.parametrize("fail_many", [False, True])
async def test_writer_many_and_its_fallback(tmp_path: Path, fail_many: bool) -> None:
    path = str(tmp_path / "w.db")
    open_connection(path).execute("CREATE TABLE t (v INTEGER)")
    writer = Writer(lambda: open_connection(path))
    writer.start()
    _Op.fail_many = fail_many
    try:
        values = [1, 2, -3, 4] if fail_many else [1, 2, 3, 4]
        # queued in one turn of the loop: one transaction, one ``many`` call for the four
        results = await asyncio.gather(
            *(writer.run(_Op(v)) for v in values), return_exceptions=True
        )
        assert writer.batches == 1
    finally:
        _Op.fail_many = False
        await writer.stop()
    stored = sorted(v for (v,) in open_connection(path).execute("SELECT v FROM t"))
    if fail_many:  # rolled back, then one by one: the failing one alone is refused
        assert results[:2] == [1, 2] and isinstance(results[2], ValueError)
        assert results[3] == 4 and stored == [1, 2, 4]
    else:  # one ``many`` call for the four
        assert results == [10, 20, 30, 40] and stored == [1, 2, 3, 4]


@pytest.mark.parametrize("store", ["postgres"], indirect=True)  # PostgreSQL's admit batcher
async def test_postgres_admits_share_transactions_and_a_bad_one_fails_alone(store: Store) -> None:
    from hongyan.store.postgres import PostgresStore

    assert isinstance(store, PostgresStore)
    a = await store.create_account(new_account(balance=1000))
    before = store._admits.batches
    results = await asyncio.gather(*(store.admit(a.id, [new_message(a.id)]) for _ in range(60)))
    assert len({r[0] for r in results}) == 60
    assert store._admits.batches - before < 60  # many callers shared transactions

    bad = new_message(a.id, recipient="86138\x0000000")  # PostgreSQL text refuses NUL
    outcomes = await asyncio.gather(
        store.admit(a.id, [new_message(a.id)]),
        store.admit(a.id, [bad]),
        store.admit(a.id, [new_message(a.id)]),
        return_exceptions=True,
    )
    assert isinstance(outcomes[0], list) and isinstance(outcomes[2], list)
    assert isinstance(outcomes[1], Exception) and not isinstance(outcomes[1], list)
    account = await store.get_account(a.name)
    assert account is not None and account.balance == 1000 - 62


async def test_concurrent_blacklist_lookups_answer_per_account(store: Store) -> None:
    a = await store.create_account(new_account("a"))
    b = await store.create_account(new_account("b"))
    await store.add_blacklist(["8613800000001"], None)  # everyone
    await store.add_blacklist(["8613800000002"], a.id)
    await store.add_blacklist(["8613800000003"], b.id)
    asked = ["8613800000001", "8613800000002", "8613800000003", "8613800000004"]
    answers = await asyncio.gather(
        *(store.blacklisted(account.id, asked) for account in (a, b, a, b, a)),
        store.blacklisted(a.id, []),
    )
    for_a = {"8613800000001", "8613800000002"}
    for_b = {"8613800000001", "8613800000003"}
    assert answers == [for_a, for_b, for_a, for_b, for_a, set()]
    lookups = getattr(store, "_blacklist", None)
    if lookups is not None:  # PostgreSQL: concurrent lookups shared queries
        assert lookups.queries < 5
