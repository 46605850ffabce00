"""SQLite: the work done while the write lock is held — set-based statements, a lone job without
a savepoint, the lock wait observed apart from the hold."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from hongyan.core.messages import MessageState, SubmitSuccess
from hongyan.core.receipts import ReceiptRecord
from hongyan.store.sqlite import SqliteStore
from hongyan.store.sqlite_queue import by_values
from hongyan.store.sqlite_writer import Writer, open_connection

from .factories import NOW, new_account, new_message, receipt

S = MessageState


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(str(tmp_path / "lock.db"))
    await store.open()
    await store.upgrade()
    yield store
    await store.close()


@pytest.mark.parametrize("count", [0, 1, 3, 25, 255, 256, 257, 600])
def test_by_values_inserts_every_row_in_order(count: int) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a INTEGER, b TEXT)")
    values = [v for i in range(count) for v in (i, f"row {i}")]
    by_values(
        conn,
        "INSERT INTO t (a, b) SELECT * FROM (VALUES {values}) WHERE column1 IS NOT NULL",
        2,
        values,
    )
    found = conn.execute("SELECT id, a, b FROM t ORDER BY id").fetchall()
    assert found == [(i + 1, i, f"row {i}") for i in range(count)]  # padding rows left out


def test_by_values_update_ignores_padding_rows() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, 'old')", [(i,) for i in range(10)])
    by_values(
        conn,
        "UPDATE t SET v = u.column2 FROM (VALUES {values}) AS u WHERE t.id = u.column1",
        2,
        [3, "three", 5, "five", 7, "seven"],  # three rows, padded to four
    )
    changed = dict(conn.execute("SELECT id, v FROM t WHERE v <> 'old'").fetchall())
    assert changed == {3: "three", 5: "five", 7: "seven"}


async def test_a_large_admit_keeps_ids_order_and_text(sqlite_store: SqliteStore) -> None:
    store = sqlite_store
    a = await store.create_account(new_account(balance=1000))
    texts = ["plain", "引号'\"\\", "line\nbreak", "nul\x00inside", "emoji 😀", ""]
    messages = [new_message(a.id, f"861380000{i:04d}") for i in range(600)]
    ids = await store.admit(a.id, messages)
    odd = [replace(new_message(a.id, "8613811112222"), text=t) for t in texts]
    odd_ids = await store.admit(a.id, odd)
    assert ids == list(range(ids[0], ids[0] + 600)) and odd_ids[0] == ids[-1] + 1
    for i in (0, 255, 256, 599):
        found = await store.get_message(ids[i])
        assert found is not None and found.recipient == f"861380000{i:04d}"
    for mid, text in zip(odd_ids, texts, strict=True):
        found = await store.get_message(mid)
        assert found is not None and found.text == text


async def test_a_lone_failing_job_leaves_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "w.db")
    open_connection(path).execute("CREATE TABLE t (v INTEGER)")
    writer = Writer(lambda: open_connection(path))
    writer.start()

    def insert_then_fail(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t VALUES (1)")
        raise ValueError("refused")

    try:
        with pytest.raises(ValueError, match="refused"):
            await writer.run(insert_then_fail)
        await writer.run(lambda conn: conn.execute("INSERT INTO t VALUES (2)"))
    finally:
        await writer.stop()
    assert [tuple(r) for r in open_connection(path).execute("SELECT v FROM t")] == [(2,)]


async def test_lock_wait_is_observed_apart_from_the_hold(
    sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    store = sqlite_store
    waits: list[float] = []
    holds: list[tuple[int, float]] = []
    store.on_lock_wait = waits.append
    store.on_commit = lambda n, seconds: holds.append((n, seconds))
    other = open_connection(str(tmp_path / "lock.db"))
    other.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    timer = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    timer.start()
    try:
        await store.create_account(new_account())
    finally:
        timer.join()
    assert len(waits) == 1 and waits[0] >= 0.25
    assert len(holds) == 1 and holds[0][0] == 1 and holds[0][1] < waits[0]


async def test_two_receipts_for_one_segment_in_one_batch(sqlite_store: SqliteStore) -> None:
    store = sqlite_store
    a = await store.create_account(new_account(report_url="http://partner/r"))
    (mid,) = await store.admit(a.id, [new_message(a.id)])
    await store.claim_due(NOW, 1, 30, "d1")
    await store.record_submits(NOW, successes=[SubmitSuccess(mid, "cmcc", ("0A1B",))])
    first = receipt("0A1B")
    second = ReceiptRecord("cmcc", "2587", "UNDELIV", "001", first.done_at)  # the same id
    result = await store.record_receipts([first, second], NOW)
    assert result.matched == 2 and result.pending == 0 and result.finished == (mid,)
    found = await store.get_message(mid)
    assert found is not None and found.state is S.DELIVERED  # the first one decided
    assert len(await store.claim_pushes(NOW, 10, 30)) == 1


async def test_concurrent_verbs_share_transactions_and_answer_alike(
    sqlite_store: SqliteStore,
) -> None:
    store = sqlite_store
    a = await store.create_account(new_account(balance=100, report_url="http://partner/r"))
    ids = [
        i
        for (i,) in await asyncio.gather(
            *(store.admit(a.id, [new_message(a.id)]) for _ in range(30))
        )
    ]
    claimed = await store.claim_due(NOW, 100, 30, "d1")
    assert [c.id for c in claimed] == sorted(ids)
    successes = [SubmitSuccess(c.id, "cmcc", (f"{c.id:x}",)) for c in claimed]
    refused = await asyncio.gather(
        store.record_submits(NOW, successes=successes[:15]),
        store.record_submits(NOW, successes=successes[15:]),
    )
    assert refused == [[], []]
    result = await store.record_receipts([receipt(f"{i:x}") for i in ids], NOW)
    assert result.matched == 30 and sorted(result.finished) == sorted(ids)
    jobs = await store.claim_pushes(NOW, 100, 30)
    assert sorted(j.ref_id for j in jobs) == sorted(ids)
    assert all(j.state == "delivered" and j.url == "http://partner/r" for j in jobs)


async def test_jobs_arriving_while_the_lock_is_awaited_share_its_commit(tmp_path: Path) -> None:
    path = str(tmp_path / "w.db")
    open_connection(path).execute("CREATE TABLE t (v INTEGER)")
    writer = Writer(lambda: open_connection(path))
    writer.start()
    other = open_connection(path)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock

    def insert(v: int) -> Callable[[sqlite3.Connection], None]:
        return lambda conn: conn.execute("INSERT INTO t VALUES (?)", (v,)) and None

    try:
        first = asyncio.ensure_future(writer.run(insert(1)))
        await asyncio.sleep(0.1)  # the writer took it and waits for the lock
        later = [asyncio.ensure_future(writer.run(insert(v))) for v in (2, 3, 4)]
        await asyncio.sleep(0.05)
        other.execute("COMMIT")
        await asyncio.gather(first, *later)
        assert writer.batches == 1  # one transaction, one fsync, for all four
    finally:
        await writer.stop()
    assert sorted(r[0] for r in open_connection(path).execute("SELECT v FROM t")) == [1, 2, 3, 4]


async def test_admits_of_one_account_charged_at_once_keep_a_ledger_row_each(
    sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    store = sqlite_store
    a = await store.create_account(new_account(balance=100))
    sizes = (3, 4, 5, 2, 1)
    results = await asyncio.gather(*(store.admit(a.id, [new_message(a.id)] * n) for n in sizes))
    assert [len(r) for r in results] == list(sizes)
    ledger = [
        tuple(r)
        for r in open_connection(str(tmp_path / "lock.db")).execute(
            "SELECT delta, balance_after, note FROM ledger WHERE note LIKE 'admit%' ORDER BY id"
        )
    ]
    assert ledger == [
        (-3, 97, "admit 3 messages"),
        (-4, 93, "admit 4 messages"),
        (-5, 88, "admit 5 messages"),
        (-2, 86, "admit 2 messages"),
        (-1, 85, "admit 1 messages"),
    ]
    account = await store.get_account(a.name)
    assert account is not None and account.balance == 85


async def test_expiry_sweeps_take_the_write_lock_only_with_work(sqlite_store: SqliteStore) -> None:
    store = sqlite_store
    a = await store.create_account(new_account(balance=10))
    (mid,) = await store.admit(a.id, [new_message(a.id)])
    before = store._writer.batches
    assert await store.expire_due(NOW, 10) == 0
    assert await store.expire_unreported(NOW, NOW, 10) == 0
    assert store._writer.batches == before  # two reads, no transaction
    later = NOW + timedelta(days=2)
    assert await store.expire_due(later, 10) == 1
    found = await store.get_message(mid)
    assert found is not None and found.state is S.EXPIRED


async def test_a_late_second_receipt_changes_nothing(sqlite_store: SqliteStore) -> None:
    store = sqlite_store
    a = await store.create_account(new_account(report_url="http://partner/r"))
    one, two = await store.admit(a.id, [new_message(a.id), new_message(a.id, segments=2)])
    await store.claim_due(NOW, 2, 30, "d1")
    await store.record_submits(
        NOW,
        successes=[SubmitSuccess(one, "cmcc", ("a1",)), SubmitSuccess(two, "cmcc", ("b1", "b2"))],
    )
    first = await store.record_receipts([receipt("a1"), receipt("b1")], NOW)
    assert first.matched == 2 and first.finished == (one,)  # two waits for its second segment
    late = await store.record_receipts(
        [receipt("a1", stat="UNDELIV", err="001"), receipt("b2", stat="UNDELIV", err="002")], NOW
    )
    assert late.matched == 2 and late.finished == (two,)
    found_one, found_two = await store.get_message(one), await store.get_message(two)
    assert found_one is not None and found_one.state is S.DELIVERED and found_one.stat == "DELIVRD"
    assert found_two is not None and found_two.state is S.UNDELIVERABLE
    assert found_two.error_code == "002"
    assert sorted(j.ref_id for j in await store.claim_pushes(NOW, 10, 30)) == [one, two]
