"""The embedded store: SQLite in WAL mode, one group-committing writer, one reader thread.

Writes (and reads that mark rows, like ``next_inbound``) go through ``sqlite_writer.Writer``;
plain reads use a second connection on a thread of their own, which WAL lets run beside the
writer. An in-memory database cannot be shared between connections, so there every read goes
through the writer too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar

from hongyan.core.accounts import Account
from hongyan.core.errors import Conflict, NotFound
from hongyan.core.inbound import InboundMessage, NewInbound
from hongyan.core.messages import (
    ClaimedMessage,
    NewMessage,
    SubmitFinal,
    SubmitRetry,
    SubmitSuccess,
)
from hongyan.core.pushes import PushJob
from hongyan.core.receipts import ReceiptRecord
from hongyan.store import migrations, rows, sqlite_admit
from hongyan.store import sqlite_boxes as boxes
from hongyan.store import sqlite_queue as q
from hongyan.store import sqlite_results as results
from hongyan.store.base import (
    AccountChanges,
    NewAccount,
    ReceiptResult,
    StatusReport,
)
from hongyan.store.sqlite_api import ApiVerbs
from hongyan.store.sqlite_channels import Channels
from hongyan.store.sqlite_operators import Operators
from hongyan.store.sqlite_portal import PortalReads
from hongyan.store.sqlite_reads import Reads
from hongyan.store.sqlite_writer import Reader, Writer, open_connection

T = TypeVar("T")
Clock = Callable[[], datetime]

MIGRATIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY,"
    " applied_at TEXT NOT NULL) WITHOUT ROWID"
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _upgrade(conn: sqlite3.Connection, now: datetime) -> list[str]:
    conn.execute(MIGRATIONS_TABLE)
    applied = {r[0] for r in conn.execute("SELECT name FROM schema_migrations")}
    names = []
    for migration in migrations.pending("sqlite", applied):
        try:
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{migration.sql}\n;INSERT INTO schema_migrations"
                f" (name, applied_at) VALUES ('{migration.name}', '{rows.iso(now)}');\nCOMMIT;"
            )
        except Exception:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        names.append(migration.name)
    return names


class SqliteStore(Reads, Operators, ApiVerbs, Channels, PortalReads):
    """``Store`` on SQLite; ``path`` is a file name or ``":memory:"``."""

    def __init__(self, path: str, *, clock: Clock = _utcnow) -> None:
        self.path = path
        self._clock = clock
        self._memory = path == ":memory:"
        self._writer = Writer(partial(open_connection, path))
        self._reader: Reader | None = None

    # lifecycle

    async def open(self) -> None:
        if not self._memory:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._writer.start()
        if not self._memory:
            self._reader = Reader(partial(open_connection, self.path))
            self._reader.start()

    async def close(self) -> None:
        if self._reader is not None:
            await self._reader.stop()
            self._reader = None
        await self._writer.stop()

    async def upgrade(self) -> list[str]:
        return await self._writer.run(partial(_upgrade, now=self._clock()), exclusive=True)

    async def _read(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        if self._reader is None:
            return await self._writer.run(operation)
        return await self._reader.run(operation)

    async def _write(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        return await self._writer.run(operation)

    # accounts

    async def create_account(self, account: NewAccount) -> Account:
        values = rows.new_account_values(account)
        values["created_at"] = rows.iso(self._clock())
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        sql = f"INSERT INTO accounts ({columns}) VALUES ({marks}) RETURNING *"

        def insert(conn: sqlite3.Connection) -> Account:
            try:
                return rows.account(conn.execute(sql, tuple(values.values())).fetchone())
            except sqlite3.IntegrityError as exc:
                if "UNIQUE" in str(exc):
                    raise Conflict(f"an account named {account.name!r} exists") from exc
                raise

        return await self._write(insert)

    async def update_account(self, name: str, changes: AccountChanges) -> Account:
        values = rows.account_changes(changes)
        sets = ", ".join(f"{column} = ?" for column in values) or "name = name"
        sql = f"UPDATE accounts SET {sets} WHERE name = ? RETURNING *"

        def update(conn: sqlite3.Connection) -> Account:
            row = conn.execute(sql, (*values.values(), name)).fetchone()
            if row is None:
                raise NotFound(f"no account named {name!r}")
            return rows.account(row)

        return await self._write(update)

    async def adjust_balance(self, name: str, delta: int, note: str) -> Account:
        now = self._clock()

        def adjust(conn: sqlite3.Connection) -> Account:
            found = conn.execute("SELECT id FROM accounts WHERE name = ?", (name,)).fetchone()
            if found is None:
                raise NotFound(f"no account named {name!r}")
            q.change_balance(conn, found[0], delta, note, now)
            return rows.account(
                conn.execute("SELECT * FROM accounts WHERE id = ?", (found[0],)).fetchone()
            )

        return await self._write(adjust)

    # blacklist and banned words

    async def add_blacklist(self, numbers: Sequence[str], account_id: int | None) -> int:
        stamp = rows.iso(self._clock())
        return await self._write(
            lambda conn: (
                conn.executemany(
                    "INSERT INTO blacklist (number, account_id, created_at) VALUES (?, ?, ?)"
                    " ON CONFLICT DO NOTHING",
                    [(n, account_id, stamp) for n in dict.fromkeys(numbers)],
                ).rowcount
            )
        )

    async def remove_blacklist(self, numbers: Sequence[str], account_id: int | None) -> int:
        return await self._write(
            lambda conn: (
                conn.execute(
                    f"DELETE FROM blacklist WHERE number IN {q.IDS} AND account_id IS ?",
                    (q.ids_param(numbers), account_id),  # type: ignore[arg-type]
                ).rowcount
            )
        )

    async def add_banned_words(self, words: Sequence[str]) -> int:
        stamp = rows.iso(self._clock())
        return await self._write(
            lambda conn: (
                conn.executemany(
                    "INSERT INTO banned_words (word, created_at) VALUES (?, ?)"
                    " ON CONFLICT DO NOTHING",
                    [(w, stamp) for w in dict.fromkeys(words)],
                ).rowcount
            )
        )

    async def remove_banned_words(self, words: Sequence[str]) -> int:
        return await self._write(
            lambda conn: (
                conn.execute(
                    f"DELETE FROM banned_words WHERE word IN {q.IDS}",
                    (q.ids_param(words),),  # type: ignore[arg-type]
                ).rowcount
            )
        )

    # the queue

    async def admit(self, account_id: int, messages: Sequence[NewMessage]) -> list[int]:
        return await self._write(sqlite_admit.Admit(account_id, messages, self._clock()))

    async def claim_due(
        self, now: datetime, limit: int, lease_seconds: float, owner: str
    ) -> list[ClaimedMessage]:
        until = rows.iso(now + timedelta(seconds=lease_seconds))
        found = await self._write(
            partial(q.claim_due, now=rows.iso(now), limit=limit, until=until, owner=owner)
        )
        return q.claimed_from_json(found)

    async def renew_claims(
        self, message_ids: Sequence[int], owner: str, now: datetime, lease_seconds: float
    ) -> int:
        if not message_ids:
            return 0
        until = now + timedelta(seconds=lease_seconds)
        return await self._write(
            partial(q.renew_claims, message_ids=message_ids, owner=owner, until=until)
        )

    async def record_submits(
        self,
        now: datetime,
        successes: Sequence[SubmitSuccess] = (),
        retries: Sequence[SubmitRetry] = (),
        finals: Sequence[SubmitFinal] = (),
    ) -> list[int]:
        plan = results.plan_submits(now, successes, retries, finals)
        return await self._write(partial(results.record_submits, plan=plan))

    async def expire_due(self, now: datetime, limit: int) -> int:
        if not await self._read(partial(q.any_expired, now=now, before=None)):
            return 0  # the usual case: no write transaction, no turn on the write lock
        return await self._write(partial(q.expire_due, now=now, limit=limit))

    async def expire_unreported(self, before: datetime, now: datetime, limit: int) -> int:
        if not await self._read(partial(q.any_expired, now=now, before=before)):
            return 0
        return await self._write(partial(q.expire_unreported, before=before, now=now, limit=limit))

    async def cancel(self, account_id: int, message_id: int, now: datetime) -> bool:
        return await self._write(
            partial(q.cancel, account_id=account_id, message_id=message_id, now=now)
        )

    async def record_receipts(
        self, receipts: Sequence[ReceiptRecord], now: datetime
    ) -> ReceiptResult:
        plan = results.plan_receipts(receipts, now)
        return await self._write(partial(results.record_receipts, plan=plan))

    async def purge_pending_receipts(self, before: datetime) -> int:
        return await self._write(partial(results.purge_pending_receipts, before=before))

    # inbound, reports, pushes

    async def record_inbound(
        self, messages: Sequence[NewInbound], now: datetime
    ) -> list[InboundMessage]:
        return await self._write(partial(boxes.record_inbound, messages=messages, now=now))

    async def next_inbound(self, account_id: int) -> InboundMessage | None:
        found = await self.unread_inbound(account_id, 1)
        return found[0] if found else None

    async def unread_inbound(self, account_id: int, limit: int) -> list[InboundMessage]:
        return await self._write(partial(boxes.unread_inbound, account_id=account_id, limit=limit))

    async def unread_reports(self, account_id: int, limit: int) -> list[StatusReport]:
        return await self._write(partial(boxes.unread_reports, account_id=account_id, limit=limit))

    async def claim_pushes(self, now: datetime, limit: int, lease_seconds: float) -> list[PushJob]:
        until = rows.iso(now + timedelta(seconds=lease_seconds))
        found = await self._write(
            partial(boxes.claim_pushes, now=rows.iso(now), limit=limit, until=until)
        )
        return boxes.push_jobs(found)

    async def finish_pushes(
        self,
        now: datetime,
        delivered: Sequence[int] = (),
        retry: Sequence[tuple[int, datetime | None, str]] = (),
    ) -> None:
        await self._write(partial(boxes.finish_pushes, now=now, delivered=delivered, retry=retry))
