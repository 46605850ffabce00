"""The SQLite writer: one thread, one connection, many callers' work in one transaction.

Theory of operation (group commit). Callers hand the writer an operation — a plain function of
a ``sqlite3.Connection`` — and await a future. The writer thread takes everything pending,
opens ``BEGIN IMMEDIATE``, runs each operation inside its own ``SAVEPOINT`` (so one caller's
failure, e.g. ``InsufficientBalance``, rolls back only its own work), commits once, and only
then resolves every caller's future: an answer always means "committed". The cost of the fsync
is shared by every operation in the batch.

Jobs that arrive while ``BEGIN IMMEDIATE`` waits for another process to release the write
lock join the transaction once it is granted: they would otherwise wait for the lock again,
and pay another commit's fsync.

A batch of one job runs without a savepoint: its failure rolls the whole transaction back,
which is the same outcome, and two statements fewer while the write lock is held (each
statement is a GIL hand-off, and on a busy machine taking the GIL back can wait).

Batched operations. An operation may also offer ``many(conn, operations)``: consecutive jobs
whose operations share the same ``many`` run as one call (``admit`` of many one-recipient
requests becomes one counter update and one multi-row insert instead of four statements and a
savepoint each). ``many`` answers one result or exception per operation, exactly as running
them one by one would; if it raises instead, its work is rolled back and the jobs run one by
one in their own savepoints.

Observers: ``on_commit`` gets the operations of each committed transaction and how long it
held the write lock (from ``BEGIN IMMEDIATE`` granted to ``COMMIT`` done); ``on_lock_wait``
how long ``BEGIN IMMEDIATE`` waited for another connection (another process) to let go of it.
With roles as separate processes on one database file the lock is what they share.

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
    exclusive: bool  # runs alone and manages its own transaction (migrations)


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


def _resolve(job: _Job, result: Any, error: BaseException | None) -> None:
    _resolve_all([(job, result, error)])


class Writer:
    """Owns the writing connection; ``run`` queues an operation and awaits its commit."""

    thread_name = "hongyan-sqlite-writer"
    waits_for_lock = True  # BEGIN IMMEDIATE retried by _begin, not SQLite's busy handler

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._deferred: list[_Job | None] = []  # taken from _jobs, to run after this batch
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.batches = 0  # transactions committed (observability, tests)
        # (operations in the transaction, seconds the write lock was held) and (seconds waited
        # for the lock); called on the writer thread, so they must be thread-safe
        # (prometheus-client's metrics are)
        self.on_commit: Callable[[int, float], None] | None = None
        self.on_lock_wait: Callable[[float], None] | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name=self.thread_name, daemon=True)
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

    async def run(self, operation: Callable[[sqlite3.Connection], T], exclusive: bool = False) -> T:
        if self._thread is None:
            raise RuntimeError("the SQLite store is not open")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put(_Job(operation, future, loop, exclusive))
        return await future

    def _main(self) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        if self.waits_for_lock:
            conn.execute("PRAGMA busy_timeout = 0")  # _begin waits for the lock itself
        self._ready.set()
        try:
            while (batch := self._take()) is not None:
                if len(batch) == 1 and batch[0].exclusive:
                    self._run_exclusive(conn, batch[0])
                else:
                    self._commit(conn, batch)
        finally:
            conn.close()

    def _take(self) -> list[_Job] | None:
        """Block for one job, then take what else is pending (an exclusive job goes alone)."""
        first = self._deferred.pop(0) if self._deferred else self._jobs.get()
        if first is None:
            return None
        batch = [first]
        if not first.exclusive:
            self._more(batch)
        return batch

    def _more(self, batch: list[_Job]) -> None:
        """Add the pending jobs to ``batch`` until an exclusive job or the stop (kept, in
        order, for after it) or ``MAX_BATCH``."""
        while len(batch) < MAX_BATCH and not self._deferred:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is None or job.exclusive:
                self._deferred.append(job)  # handled after this batch
                break
            batch.append(job)

    def _run_exclusive(self, conn: sqlite3.Connection, job: _Job) -> None:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_WAIT * 1000)}")  # its own BEGINs
        try:
            _resolve(job, job.operation(conn), None)
        except Exception as exc:
            _resolve(job, None, exc)
        finally:
            conn.execute("PRAGMA busy_timeout = 0")

    def _commit(self, conn: sqlite3.Connection, batch: list[_Job]) -> None:
        asked = time.perf_counter()
        try:
            _begin(conn)
            started = time.perf_counter()
            if self.waits_for_lock:
                self._more(batch)  # what came while waiting for the lock joins this commit
            outcomes = self._run(conn, batch)
            conn.execute("COMMIT")
        except Exception as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            _resolve_all([(job, None, exc) for job in batch])
            return
        done = time.perf_counter()
        self.batches += 1
        if self.on_lock_wait is not None:
            self.on_lock_wait(started - asked)
        if self.on_commit is not None:
            self.on_commit(len(batch), done - started)
        _resolve_all([(job, *outcome) for job, outcome in zip(batch, outcomes, strict=True)])

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


class Reader(Writer):
    """The thread and connection for plain reads: the reads pending when it wakes run in turn,
    each in its own implicit transaction (so it sees the latest commit, WAL lets it run beside
    the writer), and one wake-up of the callers' loop answers them all. Cheaper per read than
    an executor's future chaining, which showed in the send path's profile."""

    thread_name = "hongyan-sqlite-reader"
    waits_for_lock = False

    def _commit(self, conn: sqlite3.Connection, batch: list[_Job]) -> None:
        outcomes: list[Outcome] = []
        for job in batch:
            try:
                outcomes.append((job, job.operation(conn), None))
            except Exception as exc:
                outcomes.append((job, None, exc))
        _resolve_all(outcomes)


def _begin(conn: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, retried every fraction of a millisecond while another process holds
    the write lock (for up to ``BUSY_WAIT``).

    SQLite's own busy handler sleeps with a backoff that reaches 100 ms, so a process sharing
    the database with a busy writer (roles as separate processes) found the lock free only by
    luck and starved: the benchmark's dispatcher ran at a third of the API's rate."""
    deadline = time.monotonic() + BUSY_WAIT
    pause = 0.0001
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            busy = "locked" in str(exc) or "busy" in str(exc)
            if not busy or time.monotonic() > deadline:
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
