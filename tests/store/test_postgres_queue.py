"""PostgreSQL: a receipt racing its submit_sm_resp is never left pending, the channel lock is
taken only where that race can happen (postgres_receipts's module docstring), and verbs of
one statement are one round trip.

The lock tests hold one side's transaction open on a connection of their own and show the
other side waiting for it, or not waiting at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from hongyan.core.messages import MessageState, SubmitSuccess
from hongyan.store import postgres_queue as q
from hongyan.store import postgres_receipts
from hongyan.store.postgres import PostgresStore

from .factories import NOW, new_account, new_message, receipt

S = MessageState


@pytest.fixture
async def pg(
    postgres_databases: Any, postgres_template: str
) -> AsyncIterator[tuple[PostgresStore, asyncpg.Connection]]:
    url = await postgres_databases.create(template=postgres_template)
    store = PostgresStore(url)
    await store.open()
    con = await asyncpg.connect(url)
    try:
        yield store, con
    finally:
        await con.close()
        await store.close()
        await postgres_databases.drop(url)


async def claimed(store: PostgresStore, count: int = 1) -> list[int]:
    account = await store.create_account(new_account(report_url="http://partner/r"))
    ids = await store.admit(account.id, [new_message(account.id) for _ in range(count)])
    assert len(await store.claim_due(NOW, count, 30, "d1")) == count
    return ids


async def still_waiting(task: asyncio.Task[Any]) -> bool:
    done, _ = await asyncio.wait([task], timeout=0.5)
    return not done


async def test_receipt_without_segment_waits_for_the_submit_in_flight(
    pg: tuple[PostgresStore, asyncpg.Connection],
) -> None:
    store, con = pg
    (mid,) = await claimed(store)
    tx = con.transaction()
    await tx.start()
    await q.record_submits(con, NOW, [SubmitSuccess(mid, "cmcc", ("abc",))], [], [])
    receipts = asyncio.ensure_future(store.record_receipts([receipt("abc")], NOW))
    assert await still_waiting(receipts)  # it saw no segment: it waits for the lock
    await tx.commit()
    result = await asyncio.wait_for(receipts, 5)
    assert (result.matched, result.pending, result.finished) == (1, 0, (mid,))
    assert (await store.get_message(mid)).state is S.DELIVERED  # type: ignore[union-attr]


async def test_submit_waits_for_a_receipt_being_stored_as_pending(
    pg: tuple[PostgresStore, asyncpg.Connection],
) -> None:
    store, con = pg
    (mid,) = await claimed(store)
    tx = con.transaction()
    await tx.start()
    early = await postgres_receipts.record_receipts(con, [receipt("abc")], NOW)
    assert (early.matched, early.pending) == (0, 1)
    submits = asyncio.ensure_future(
        store.record_submits(NOW, successes=[SubmitSuccess(mid, "cmcc", ("abc",))])
    )
    assert await still_waiting(submits)
    await tx.commit()
    assert await asyncio.wait_for(submits, 5) == []
    assert (await store.get_message(mid)).state is S.DELIVERED  # type: ignore[union-attr]
    assert await con.fetchval("SELECT count(*) FROM pending_receipts") == 0


async def test_matched_receipts_and_other_submits_do_not_wait(
    pg: tuple[PostgresStore, asyncpg.Connection],
) -> None:
    store, con = pg
    first, second, third = await claimed(store, 3)
    await store.record_submits(NOW, successes=[SubmitSuccess(first, "cmcc", ("a1",))])
    tx = con.transaction()
    await tx.start()
    await q.record_submits(con, NOW, [SubmitSuccess(second, "cmcc", ("a2",))], [], [])
    # A submit is in flight on the channel; neither of these waits for it.
    result = await asyncio.wait_for(store.record_receipts([receipt("a1")], NOW), 5)
    assert result.finished == (first,)
    refused = await asyncio.wait_for(
        store.record_submits(NOW, successes=[SubmitSuccess(third, "cmcc", ("a3",))]), 5
    )
    assert refused == []
    await tx.rollback()


async def test_claims_and_push_flushes_are_one_round_trip(
    pg: tuple[PostgresStore, asyncpg.Connection],
) -> None:
    """No BEGIN and COMMIT around verbs of one statement, and none for an expiry with nothing
    to expire: each is one round trip (statements seen by the store's only connection)."""
    store, _ = pg
    await store.close()
    one = PostgresStore(store.url, min_size=1, max_size=1)
    await one.open()
    try:
        await claimed(one, 2)
        sent: list[str] = []
        async with one._pool.acquire() as con:  # the pool's one connection
            con.add_query_logger(lambda record: sent.append(record.query))

        await one.claim_due(NOW, 10, 30, "d1")
        await one.expire_due(NOW, 10)
        assert await one.claim_pushes(NOW, 10, 30) == []
        await one.finish_pushes(NOW, delivered=[1])
        assert len(sent) == 4
        assert not [
            q for q in sent if q.strip().upper() in ("BEGIN;", "COMMIT;", "BEGIN", "COMMIT")
        ]
    finally:
        await one.close()
        await store.open()  # the fixture closes it


async def test_batched_admits_give_each_caller_its_own_rows_in_arrival_order(
    pg: tuple[PostgresStore, asyncpg.Connection],
) -> None:
    """The batch draws ids inside its one statement: every id a caller gets names that
    caller's message, and ids follow the order the requests came in."""
    store, con = pg
    account = await store.create_account(new_account(balance=1000))
    sizes = [1, 3, 1, 2, 5, 1] * 4
    requests = [
        [new_message(account.id, recipient=f"86138{i:04d}{j:04d}") for j in range(n)]
        for i, n in enumerate(sizes)
    ]
    results = await asyncio.gather(*(store.admit(account.id, r) for r in requests))
    assert store._admits.batches < len(requests)  # they shared transactions
    flat = [i for ids in results for i in ids]
    assert flat == sorted(flat) and len(set(flat)) == len(flat)
    found = dict(await con.fetch("SELECT id, recipient FROM messages"))
    for messages, ids in zip(requests, results, strict=True):
        assert [found[i] for i in ids] == [m.recipient for m in messages]
