"""Group commit on PostgreSQL: concurrent ``admit`` calls share one transaction.

Why: one-recipient send requests each paid a transaction of four round trips and a commit
(an fsync) of their own; on a 2-core machine that capped PostgreSQL at a few hundred
requests per second, with the server's CPU per message above the API's (benchmark profile).

Theory of operation. ``admit`` queues its request and, if no batch is being written, starts
one; while a transaction is in flight new requests wait, and the next transaction takes all
of them (up to ``max_batch``). One transaction locks the accounts involved (in id order, as
any admit does; ``FOR NO KEY UPDATE``, so the foreign-key checks of receipts and pushes
writing reports and outbox rows of the same account do not wait for the batch's commit),
charges each request in arrival order against the balance the ones before it left —
refusing with ``InsufficientBalance`` exactly as one by one would — and in one statement
draws the ids from the sequence, writes the new balances, one ledger row per request and
every message (``unnest``). Every caller is answered only after the commit. If the
transaction fails for any other reason, each request is retried alone in its own
transaction, so one bad request never fails the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hongyan.core.errors import InsufficientBalance, NotFound
from hongyan.core.messages import NewMessage
from hongyan.store.postgres_queue import INITIAL, admit

Connection = Any  # asyncpg.Connection


@dataclass
class _Request:
    account_id: int
    messages: Sequence[NewMessage]
    now: datetime
    future: asyncio.Future[list[int]] = field(repr=False)


class AdmitBatcher:
    def __init__(
        self,
        pool: Callable[[], Any],
        *,
        max_batch: int = 256,
        on_commit: Callable[[int, float], None] | None = None,
    ) -> None:
        self._pool = pool  # the store's current asyncpg pool
        self._max_batch = max_batch
        self._pending: list[_Request] = []
        self._writing = False
        self._task: asyncio.Future[None] | None = None
        self.on_commit = on_commit
        self.batches = 0  # transactions committed (tests, observability)

    async def admit(
        self, account_id: int, messages: Sequence[NewMessage], now: datetime
    ) -> list[int]:
        if not messages:
            return []
        future: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._pending.append(_Request(account_id, messages, now, future))
        if not self._writing:
            self._writing = True
            self._task = asyncio.ensure_future(self._write_all())
        return await future

    async def _write_all(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                await self._write(batch)
        finally:
            self._writing = False

    async def _write(self, batch: list[_Request]) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with self._pool().acquire() as con, con.transaction():
                outcomes = await admit_many(con, batch)
        except Exception:
            await asyncio.gather(*(self._alone(request) for request in batch))
            return
        self.batches += 1
        if self.on_commit is not None:
            self.on_commit(len(batch), loop.time() - started)
        for request, outcome in zip(batch, outcomes, strict=True):
            if request.future.done():  # the caller went away; its work stands
                continue
            if isinstance(outcome, Exception):
                request.future.set_exception(outcome)
            else:
                request.future.set_result(outcome)

    async def _alone(self, request: _Request) -> None:
        """One request in a transaction of its own (after its batch failed)."""
        if request.future.done():
            return
        try:
            async with self._pool().acquire() as con, con.transaction():
                ids = await admit(con, request.account_id, request.messages, request.now)
        except Exception as exc:
            if not request.future.done():
                request.future.set_exception(exc)
        else:
            if not request.future.done():
                request.future.set_result(ids)


async def admit_many(con: Connection, batch: Sequence[_Request]) -> list[list[int] | Exception]:
    """Every request's admit in one transaction; one ids list or exception per request."""
    wanted = sorted({r.account_id for r in batch})
    found = await con.fetch(
        "SELECT id, balance FROM accounts WHERE id = ANY($1::bigint[]) ORDER BY id"
        " FOR NO KEY UPDATE",
        wanted,
    )
    balances: dict[int, int] = {r["id"]: r["balance"] for r in found}
    outcomes: list[list[int] | Exception] = []
    taken: list[_Request] = []
    ledger: list[tuple[int, int, int, str]] = []
    for request in batch:
        total = sum(m.price for m in request.messages)
        balance = balances.get(request.account_id)
        if balance is None:
            outcomes.append(NotFound(f"no account with id {request.account_id}"))
        elif balance < total:
            outcomes.append(InsufficientBalance(total, balance))
        else:
            balances[request.account_id] = balance - total
            note = f"admit {len(request.messages)} messages"
            ledger.append((request.account_id, -total, balance - total, note))
            taken.append(request)
            outcomes.append([])
    if taken:
        ids_of = await _insert(con, taken, balances, ledger)
        outcomes = [ids_of.get(id(r), o) for r, o in zip(batch, outcomes, strict=True)]
    return outcomes


# Ids drawn, messages inserted, the new balances and their ledger rows: one statement. The
# n-th message (in request order) gets the id drawn n-th, which the statement returns.
_INSERT = (
    "WITH ids AS MATERIALIZED (SELECT n, nextval('message_id_seq') AS id"
    "  FROM generate_series(1, cardinality($1::bigint[])) AS n),"
    " charged AS (UPDATE accounts a SET balance = u.balance"
    "  FROM unnest($13::bigint[], $14::bigint[]) AS u(id, balance) WHERE a.id = u.id),"
    " booked AS (INSERT INTO ledger (account_id, delta, balance_after, note)"
    "  SELECT * FROM unnest($15::bigint[], $16::bigint[], $17::bigint[], $18::text[])),"
    " inserted AS (INSERT INTO messages (id, account_id, recipient, recipient_input,"
    "  source_addr, text, segments, price, due_at, expires_at, created_at, client_ref, dialect,"
    "  state) SELECT ids.id, u.account_id, u.recipient, u.recipient_input, u.source_addr,"
    "  u.text, u.segments, u.price, u.due_at, u.expires_at, u.created_at, u.client_ref,"
    "  u.dialect, $19 FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],"
    "  $6::int[], $7::int[], $8::timestamptz[], $9::timestamptz[], $10::timestamptz[],"
    "  $11::text[], $12::text[]) WITH ORDINALITY AS u(account_id, recipient, recipient_input,"
    "  source_addr, text, segments, price, due_at, expires_at, created_at, client_ref, dialect,"
    "  n) JOIN ids ON ids.n = u.n)"
    " SELECT id FROM ids ORDER BY n"
)


async def _insert(
    con: Connection,
    taken: Sequence[_Request],
    balances: dict[int, int],
    ledger: Sequence[tuple[int, int, int, str]],
) -> dict[int, list[int]]:
    columns: list[list[Any]] = [[] for _ in range(12)]
    for request in taken:
        for m in request.messages:
            for column, value in zip(columns, _row(request, m), strict=True):
                column.append(value)
    charged = sorted({r.account_id for r in taken})
    drawn = await con.fetch(
        _INSERT,
        *columns,
        charged,
        [balances[a] for a in charged],
        *([row[i] for row in ledger] for i in range(4)),
        INITIAL.value,
    )
    ids = [r["id"] for r in drawn]
    ids_of: dict[int, list[int]] = {}
    at = 0
    for request in taken:
        ids_of[id(request)] = ids[at : at + len(request.messages)]
        at += len(request.messages)
    return ids_of


def _row(request: _Request, m: NewMessage) -> tuple[Any, ...]:
    return (
        *(request.account_id, m.recipient, m.recipient_input, m.source_addr),
        *(m.text, m.segments, m.price, m.due_at, m.expires_at, request.now, m.client_ref),
        m.dialect,
    )


_Lookup = tuple[int, list[str], "asyncio.Future[set[str]]"]  # account, numbers, answer


class BlacklistLookups:
    """``blacklisted`` for concurrent requests answered by one query.

    Each send request asks whether its numbers are blacklisted, a round trip per request; while
    one lookup is in flight, the next ones queue and then go together (their numbers in one
    ``ANY``), and each caller gets the numbers blocked for its own account or for everyone.
    Same answer as one query each; only fewer round trips.
    """

    def __init__(self, pool: Callable[[], Any], max_numbers: int = 20_000) -> None:
        self._pool = pool
        self._max_numbers = max_numbers
        self._pending: list[_Lookup] = []
        self._running = False
        self._task: asyncio.Future[None] | None = None
        self.queries = 0  # tests, observability

    async def blacklisted(self, account_id: int, numbers: Sequence[str]) -> set[str]:
        if not numbers:
            return set()
        future: asyncio.Future[set[str]] = asyncio.get_running_loop().create_future()
        self._pending.append((account_id, list(numbers), future))
        if not self._running:
            self._running = True
            self._task = asyncio.ensure_future(self._run())
        return await future

    async def _run(self) -> None:
        try:
            while self._pending:
                batch: list[_Lookup] = []
                size = 0
                while self._pending and (
                    not batch or size + len(self._pending[0][1]) <= self._max_numbers
                ):
                    size += len(self._pending[0][1])
                    batch.append(self._pending.pop(0))
                await self._lookup(batch)
        finally:
            self._running = False

    async def _lookup(self, batch: list[_Lookup]) -> None:
        numbers = sorted({n for _, wanted, _ in batch for n in wanted})
        accounts = sorted({a for a, _, _ in batch})
        try:
            found = await self._pool().fetch(
                "SELECT number, account_id FROM blacklist WHERE number = ANY($1::text[])"
                " AND (account_id IS NULL OR account_id = ANY($2::bigint[]))",
                numbers,
                accounts,
            )
        except Exception as exc:
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        self.queries += 1
        blocked: dict[int | None, set[str]] = {}
        for row in found:
            blocked.setdefault(row["account_id"], set()).add(row["number"])
        everyone = blocked.get(None, set())
        for account_id, wanted, future in batch:
            if not future.done():
                mine = everyone | blocked.get(account_id, set())
                future.set_result({n for n in wanted if n in mine})
