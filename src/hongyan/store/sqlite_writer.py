"""The SQLite writer: one connection, many callers' work in one transaction, on the event loop.

Theory of operation (group commit). Callers hand the writer an operation — a plain function of
a ``sqlite3.Connection`` — and await a future. The first job of a batch schedules a flush for
the end of the event loop's turn, so every job queued in that turn (and in the turns spent
waiting for the write lock) shares it: the flush opens ``BEGIN IMMEDIATE``, runs each operation
inside its own ``SAVEPOINT`` (so one caller's failure, e.g. ``InsufficientBalance``, rolls back
only its own work), commits once, and only then resolves every caller's future: an answer
always means "committed". The cost of the fsync is shared by every operation in the batch.

Why on the event loop's thread, not a thread of its own. With roles as separate processes on
one database file the write lock is what they share, and it is held from ``BEGIN IMMEDIATE`` to
``COMMIT``. On a writer thread every ``sqlite3_step`` gives the GIL up and must take it back
from a busy event loop, which can take the whole 5 ms switch interval: statements held the lock
4–13× their uncontended time (the dispatcher's 50-row ``UPDATE … submitted``: 2.7 ms under
load, 0.2 ms alone), and the API's admits waited up to 88 ms for a dispatcher transaction in a
1,000 requests/s run. Run on the loop, alternating runs at 1,000 requests/s (three processes,
10 s each) held the lock 4.5 s instead of 6.3–7.1 s (the API's transactions: 3.3 s instead of
5.0–5.3 s, median 0.42 ms instead of 0.60–0.99 ms), and the API used 0.65 ms of CPU per request
instead of 0.73–0.75. The loop is blocked for the transaction (its median is one fsync, well
under a millisecond) but never for the lock: while another process holds it,
``BEGIN IMMEDIATE`` fails at once (``busy_timeout`` 0) and is tried again a millisecond later,
the loop serving everything else meanwhile.

A batch of one job runs without a savepoint: its failure rolls the whole transaction back,
which is the same outcome, and two statements fewer while the write lock is held.

Batched operations. An operation may also offer ``many(conn, operations)``: consecutive jobs
whose operations share the same ``many`` run as one call (``admit`` of many one-recipient
requests becomes one counter update and one multi-row insert instead of four statements and a
savepoint each). ``many`` answers one result or exception per operation, exactly as running
them one by one would; if it raises instead, its work is rolled back and the jobs run one by
one in their own savepoints.

Observers: ``on_commit`` gets the operations of each committed transaction and how long it
held the write lock (from ``BEGIN IMMEDIATE`` granted to ``COMMIT`` done); ``on_lock_wait``
how long the batch waited for another connection (another process) to let go of it.

Plain reads go to ``Reader``, a thread with a second connection (WAL lets it read beside the
writer): the back office's reads can take long, and must not stop the loop.

Durability: WAL mode with ``synchronous=FULL``. With NORMAL a commit is not synced until the
next checkpoint, so a power cut could lose messages already acknowledged to a partner; FULL
syncs the WAL at every commit, and group commit keeps that to one sync per batch.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
Operation = Callable[[sqlite3.Connection], Any]
# (connection, operations) -> one result or exception per operation, in order
Many = Callable[[sqlite3.Connection, list[Any]], list[Any]]

MAX_BATCH = 512  # operations per transaction
BUSY_WAIT = 10.0  # seconds a transaction waits for another process's write lock
LOCK_RETRY = 0.001  # seconds between tries for it (the event loop's timer resolution)


def open_connection(path: str, *, uri: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, synchronous=FULL."""
    conn = sqlite3.connect(path, uri=uri, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA foreign_keys = ON")
    if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] not in ("wal", "memory"):
        raise RuntimeError(f"{path}: cannot switch SQLite to WAL mode")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


@dataclass
class _Job:
    operation: Operation
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


Outcome = tuple[_Job, Any, BaseException | None]


def _settle(outcomes: list[Outcome]) -> None:
    """On the callers' loop: resolve their futures."""
    for job, result, error in outcomes:
        if job.future.done():  # the caller was cancelled; its work stands
            continue
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(result)


def _resolve_all(outcomes: list[Outcome]) -> None:
    """One wake-up per event loop for a whole batch (a thread-safe call is a syscall)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].loop, []).append(outcome)
    for loop, mine in by_loop.items():
        loop.call_soon_threadsafe(_settle, mine)


class Writer:
    """Owns the writing connection; ``run`` queues an operation and awaits its commit.

    Used from one event loop at a time (the one whose callers have jobs queued)."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._conn: sqlite3.Connection | None = None
        self._pending: list[_Job] = []
        self._loop: asyncio.AbstractEventLoop | None = None  # of the pending jobs
        self._flush_handle: asyncio.Handle | None = None
        self._asked = 0.0  # when the pending batch first tried for the lock
        self._drained: list[asyncio.Future[None]] = []  # stop() and exclusive jobs wait here
        self.batches = 0  # transactions committed (observability, tests)
        # (operations in the transaction, seconds the write lock was held) and (seconds waited
        # for the lock), called on the loop after each commit
        self.on_commit: Callable[[int, float], None] | None = None
        self.on_lock_wait: Callable[[float], None] | None = None

    def start(self) -> None:
        self._conn = self._connect()
        self._conn.execute("PRAGMA busy_timeout = 0")  # _flush retries without blocking

    async def stop(self) -> None:
        if self._conn is None:
            return
        await self._until_drained()
        self._conn.close()
        self._conn = None

    async def run(self, operation: Callable[[sqlite3.Connection], T], exclusive: bool = False) -> T:
        """``operation``'s result once its transaction committed (or its exception).

        ``exclusive``: runs alone, after what is queued, managing its own transaction and
        waiting for the lock as SQLite does (migrations)."""
        if self._conn is None:
            raise RuntimeError("the SQLite store is not open")
        loop = asyncio.get_running_loop()
        if exclusive:
            await self._until_drained()
            return self._exclusive(self._conn, operation)
        if self._loop is not loop:
            if self._pending:
                raise RuntimeError("the SQLite store is in use by another event loop")
            self._loop = loop
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append(_Job(operation, future, loop))
        if self._flush_handle is None:
            self._asked = time.perf_counter()
            self._flush_handle = loop.call_soon(self._flush)
        return await future

    async def _until_drained(self) -> None:
        if self._pending:
            waiter = asyncio.get_running_loop().create_future()
            self._drained.append(waiter)
            await waiter

    @staticmethod
    def _exclusive(conn: sqlite3.Connection, operation: Callable[[sqlite3.Connection], T]) -> T:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_WAIT * 1000)}")  # its own BEGINs
        try:
            return operation(conn)
        finally:
            conn.execute("PRAGMA busy_timeout = 0")

    def _flush(self) -> None:
        """Commit what is pending (up to ``MAX_BATCH``) if the write lock is free, else come
        back in a millisecond."""
        self._flush_handle = None
        conn, loop = self._conn, self._loop
        assert conn is not None and loop is not None
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if _busy(exc) and time.perf_counter() - self._asked < BUSY_WAIT:
                self._flush_handle = loop.call_later(LOCK_RETRY, self._flush)
                return
            batch, self._pending = self._pending, []
            self._after([(job, None, exc) for job in batch])
            return
        started = time.perf_counter()
        batch = self._pending[:MAX_BATCH]
        del self._pending[:MAX_BATCH]
        try:
            outcomes = self._run(conn, batch)
            conn.execute("COMMIT")
        except Exception as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._after([(job, None, exc) for job in batch])
            return
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        done = time.perf_counter()
        self.batches += 1
        if self.on_lock_wait is not None:
            self.on_lock_wait(started - self._asked)
        if self.on_commit is not None:
            self.on_commit(len(batch), done - started)
        self._after([(job, *outcome) for job, outcome in zip(batch, outcomes, strict=True)])

    def _after(self, outcomes: list[Outcome]) -> None:
        """Answer a batch's callers; flush again if more came meanwhile, else wake the waiters
        for a drained writer."""
        _settle(outcomes)
        if self._pending:
            assert self._loop is not None
            self._asked = time.perf_counter()
            self._flush_handle = self._loop.call_soon(self._flush)
            return
        waiters, self._drained = self._drained, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _run(
        self, conn: sqlite3.Connection, batch: list[_Job]
    ) -> list[tuple[Any, BaseException | None]]:
        """The batch's operations in the open transaction: one outcome per job."""
        groups = _groups(batch)
        if len(batch) == 1:  # alone: a failure rolls back the transaction, no savepoint
            return [(batch[0].operation(conn), None)]
        if len(groups) == 1 and groups[0][0] is not None:  # one ``many``: no savepoint either
            try:
                return _outcomes(groups[0][0](conn, [job.operation for job in batch]))
            except Exception:
                conn.execute("ROLLBACK")  # rare: start again, one by one
                _begin(conn)
                return [self._one(conn, job) for job in batch]
        outcomes: list[tuple[Any, BaseException | None]] = []
        for many, group in groups:
            if many is None or len(group) == 1:
                outcomes += [self._one(conn, job) for job in group]
            else:
                outcomes += self._many(conn, many, group)
        return outcomes

    def _many(
        self, conn: sqlite3.Connection, many: Many, group: list[_Job]
    ) -> list[tuple[Any, BaseException | None]]:
        conn.execute("SAVEPOINT many")
        try:
            results = many(conn, [job.operation for job in group])
        except Exception:
            conn.execute("ROLLBACK TO many")
            conn.execute("RELEASE many")
            return [self._one(conn, job) for job in group]
        conn.execute("RELEASE many")
        return _outcomes(results)

    @staticmethod
    def _one(conn: sqlite3.Connection, job: _Job) -> tuple[Any, BaseException | None]:
        conn.execute("SAVEPOINT job")
        try:
            result = job.operation(conn)
        except Exception as exc:
            conn.execute("ROLLBACK TO job")
            conn.execute("RELEASE job")
            return None, exc
        conn.execute("RELEASE job")
        return result, None


class Reader:
    """The thread and connection for plain reads: the reads pending when it wakes run in turn,
    each in its own implicit transaction (so it sees the latest commit, WAL lets it run beside
    the writer), and one wake-up of the callers' loop answers them all. Cheaper per read than
    an executor's future chaining, which showed in the send path's profile."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._main, name="hongyan-sqlite-reader", daemon=True
        )
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    async def stop(self) -> None:
        if self._thread is None:
            return
        self._jobs.put(None)
        await asyncio.to_thread(self._thread.join)
        self._thread = None

    async def run(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        if self._thread is None:
            raise RuntimeError("the SQLite store is not open")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put(_Job(operation, future, loop))
        return await future

    def _main(self) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while (batch := self._take()) is not None:
                outcomes: list[Outcome] = []
                for job in batch:
                    try:
                        outcomes.append((job, job.operation(conn), None))
                    except Exception as exc:
                        outcomes.append((job, None, exc))
                _resolve_all(outcomes)
        finally:
            conn.close()

    def _take(self) -> list[_Job] | None:
        """Block for one job, then take what else is pending (``None``: stop)."""
        first = self._jobs.get()
        if first is None:
            return None
        batch = [first]
        while len(batch) < MAX_BATCH:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is None:
                self._jobs.put(None)  # stop after this batch
                break
            batch.append(job)
        return batch


def _busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _begin(conn: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, retried every fraction of a millisecond while another process holds
    the write lock (for up to ``BUSY_WAIT``), blocking: only for the rare restart of a batch
    whose ``many`` raised (``_flush`` itself never blocks for the lock).

    Not SQLite's own busy handler: it sleeps with a backoff that reaches 100 ms, so a process
    sharing the database with a busy writer found the lock free only by luck and starved."""
    deadline = time.monotonic() + BUSY_WAIT
    pause = 0.0001
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.001)


def _outcomes(results: list[Any]) -> list[tuple[Any, BaseException | None]]:
    """``many``'s answers as (result, error) pairs."""
    return [(None, r) if isinstance(r, Exception) else (r, None) for r in results]


def _groups(batch: list[_Job]) -> list[tuple[Many | None, list[_Job]]]:
    """Consecutive jobs whose operations share one ``many``, and single jobs."""
    groups: list[tuple[Many | None, list[_Job]]] = []
    for job in batch:
        many: Many | None = getattr(job.operation, "many", None)
        if many is not None and groups and groups[-1][0] is many:
            groups[-1][1].append(job)
        else:
            groups.append((many, [job]))
    return groups
