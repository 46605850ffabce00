"""The production store: PostgreSQL through an asyncpg pool, one transaction per verb.

Queue verbs live in ``postgres_queue`` and ``postgres_boxes``; this module holds the pool,
migrations, accounts, lists and plain reads.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import asyncpg

from hongyan.core.accounts import Account
from hongyan.core.errors import Conflict, NotFound
from hongyan.core.inbound import InboundMessage, NewInbound
from hongyan.core.messages import (
    ClaimedMessage,
    Message,
    MessageState,
    NewMessage,
    SubmitFinal,
    SubmitRetry,
    SubmitSuccess,
)
from hongyan.core.pushes import PushJob
from hongyan.core.receipts import ReceiptRecord
from hongyan.store import migrations, rows
from hongyan.store import postgres_boxes as boxes
from hongyan.store import postgres_queue as q
from hongyan.store import postgres_receipts as receipts_sql
from hongyan.store.base import AccountChanges, MessageQuery, NewAccount, ReceiptResult, StatusReport
from hongyan.store.postgres_api import ApiVerbs
from hongyan.store.postgres_batch import AdmitBatcher, BlacklistLookups
from hongyan.store.postgres_channels import Channels
from hongyan.store.postgres_finish import change_balance
from hongyan.store.postgres_operators import PostgresOperators
from hongyan.store.postgres_portal import PostgresPortalReads

T = TypeVar("T")
MIGRATIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY,"
    " applied_at timestamptz NOT NULL DEFAULT now())"
)
_MIGRATION_LOCK = 0x686F6E6779616E  # "hongyan": one upgrader at a time


def _numbered(where: str) -> str:
    """``?`` marks → ``$1, $2, …``."""
    parts = where.split("?")
    return "".join(p + (f"${i + 1}" if i < len(parts) - 1 else "") for i, p in enumerate(parts))


async def _no_session_state(con: Any) -> None:
    """Pool release: asyncpg's own check rolls back a transaction left open and drops
    listeners; the default reset query (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL) is a
    round trip per release that a quarter of the API's PostgreSQL time went to (profile), for
    session state the store never sets (its locks are transaction-scoped; LISTEN uses its own
    connection)."""


class PostgresStore(PostgresOperators, ApiVerbs, Channels, PostgresPortalReads):
    """``Store`` on PostgreSQL; ``url`` is a libpq-style ``postgresql://`` URL."""

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        min_size: int = 1,
        max_size: int = 10,
    ) -> None:
        self.url = url
        self._clock = clock
        self._sizes = (min_size, max_size)
        self._pool: Any = None
        self._admits = AdmitBatcher(  # group commit of concurrent admits (postgres_batch)
            lambda: self._pool,
            on_commit=lambda n, seconds: self.on_commit(n, seconds) if self.on_commit else None,
        )
        self._blacklist = BlacklistLookups(lambda: self._pool)

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(
            self.url, min_size=self._sizes[0], max_size=self._sizes[1], reset=_no_session_state
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _tx(self, operation: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """A verb of several statements, in one transaction."""

        async def in_transaction(con: Any) -> T:
            async with con.transaction():
                return await operation(con, *args, **kwargs)

        return await self._once(in_transaction)

    async def _once(self, operation: Callable[..., Awaitable[T]], *args: Any) -> T:
        """A verb of one statement, which commits on its own: no BEGIN and COMMIT round trips
        (three round trips become one for every claim and push flush)."""
        started = time.perf_counter()
        async with self._pool.acquire() as con:
            result = await operation(con, *args)
        if self.on_commit is not None:  # metrics: one verb per transaction here
            self.on_commit(1, time.perf_counter() - started)
        return result

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        return list(await self._pool.fetch(sql, *args))

    async def _row(self, sql: str, *args: Any) -> Any:
        return await self._pool.fetchrow(sql, *args)

    async def upgrade(self) -> list[str]:
        names: list[str] = []
        async with self._pool.acquire() as con:
            await con.execute(MIGRATIONS_TABLE)
            for migration in migrations.migrations("postgres"):
                async with con.transaction():
                    await con.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
                    if await con.fetchval(
                        "SELECT 1 FROM schema_migrations WHERE name = $1", migration.name
                    ):
                        continue
                    await con.execute(migration.sql)
                    await con.execute(
                        "INSERT INTO schema_migrations (name) VALUES ($1)", migration.name
                    )
                names.append(migration.name)
        return names

    # accounts

    async def create_account(self, account: NewAccount) -> Account:
        values = rows.new_account_values(account)
        marks = ", ".join(f"${i + 1}" for i in range(len(values)))
        try:
            row = await self._row(
                f"INSERT INTO accounts ({', '.join(values)}) VALUES ({marks}) RETURNING *",
                *values.values(),
            )
        except asyncpg.UniqueViolationError as exc:
            raise Conflict(f"an account named {account.name!r} exists") from exc
        return rows.account(row)

    async def get_account(self, name: str) -> Account | None:
        row = await self._row("SELECT * FROM accounts WHERE name = $1", name)
        return rows.account(row) if row else None

    async def get_account_by_id(self, account_id: int) -> Account | None:
        row = await self._row("SELECT * FROM accounts WHERE id = $1", account_id)
        return rows.account(row) if row else None

    async def list_accounts(self) -> list[Account]:
        return [rows.account(r) for r in await self._fetch("SELECT * FROM accounts ORDER BY name")]

    async def update_account(self, name: str, changes: AccountChanges) -> Account:
        values = rows.account_changes(changes)
        sets = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(values)) or "name = name"
        row = await self._row(
            f"UPDATE accounts SET {sets} WHERE name = $1 RETURNING *", name, *values.values()
        )
        if row is None:
            raise NotFound(f"no account named {name!r}")
        return rows.account(row)

    async def adjust_balance(self, name: str, delta: int, note: str) -> Account:
        async def adjust(con: Any) -> Account:
            account_id = await con.fetchval("SELECT id FROM accounts WHERE name = $1", name)
            if account_id is None:
                raise NotFound(f"no account named {name!r}")
            await change_balance(con, account_id, delta, note)
            return rows.account(
                await con.fetchrow("SELECT * FROM accounts WHERE id = $1", account_id)
            )

        return await self._tx(adjust)

    async def service_codes(self) -> dict[str, int]:
        async with self._pool.acquire() as con:
            return await boxes.service_codes(con)

    # blacklist and banned words

    async def add_blacklist(self, numbers: Sequence[str], account_id: int | None) -> int:
        found = await self._fetch(
            "INSERT INTO blacklist (number, account_id) SELECT DISTINCT n, $2::bigint"
            " FROM unnest($1::text[]) AS n ON CONFLICT DO NOTHING RETURNING id",
            list(numbers),
            account_id,
        )
        return len(found)

    async def remove_blacklist(self, numbers: Sequence[str], account_id: int | None) -> int:
        found = await self._fetch(
            "DELETE FROM blacklist WHERE number = ANY($1::text[])"
            " AND account_id IS NOT DISTINCT FROM $2::bigint RETURNING id",
            list(numbers),
            account_id,
        )
        return len(found)

    async def list_blacklist(self, account_id: int | None) -> list[tuple[str, int | None]]:
        found = await self._fetch(
            "SELECT number, account_id FROM blacklist"
            " WHERE account_id IS NOT DISTINCT FROM $1::bigint ORDER BY number",
            account_id,
        )
        return [(r["number"], r["account_id"]) for r in found]

    async def blacklisted(self, account_id: int, numbers: Sequence[str]) -> set[str]:
        return await self._blacklist.blacklisted(account_id, numbers)  # postgres_batch

    async def add_banned_words(self, words: Sequence[str]) -> int:
        found = await self._fetch(
            "INSERT INTO banned_words (word) SELECT DISTINCT w FROM unnest($1::text[]) AS w"
            " ON CONFLICT DO NOTHING RETURNING word",
            list(words),
        )
        return len(found)

    async def remove_banned_words(self, words: Sequence[str]) -> int:
        found = await self._fetch(
            "DELETE FROM banned_words WHERE word = ANY($1::text[]) RETURNING word", list(words)
        )
        return len(found)

    async def list_banned_words(self) -> list[str]:
        return [r["word"] for r in await self._fetch("SELECT word FROM banned_words ORDER BY word")]

    # the queue

    async def admit(self, account_id: int, messages: Sequence[NewMessage]) -> list[int]:
        return await self._admits.admit(account_id, messages, self._clock())

    async def claim_due(
        self, now: datetime, limit: int, lease_seconds: float, owner: str
    ) -> list[ClaimedMessage]:
        until = now + timedelta(seconds=lease_seconds)
        return await self._once(q.claim_due, now, limit, until, owner)

    async def renew_claims(
        self, message_ids: Sequence[int], owner: str, now: datetime, lease_seconds: float
    ) -> int:
        if not message_ids:
            return 0
        until = now + timedelta(seconds=lease_seconds)
        return await self._once(q.renew_claims, message_ids, owner, until)

    async def record_submits(
        self,
        now: datetime,
        successes: Sequence[SubmitSuccess] = (),
        retries: Sequence[SubmitRetry] = (),
        finals: Sequence[SubmitFinal] = (),
    ) -> list[int]:
        return await self._tx(q.record_submits, now, successes, retries, finals)

    async def expire_due(self, now: datetime, limit: int) -> int:
        if not await self._once(q.any_expired, now):  # nearly every poll: one round trip
            return 0
        return await self._tx(q.expire_due, now, limit)

    async def expire_unreported(self, before: datetime, now: datetime, limit: int) -> int:
        return await self._tx(q.expire_unreported, before, now, limit)

    async def cancel(self, account_id: int, message_id: int, now: datetime) -> bool:
        return await self._tx(q.cancel, account_id, message_id, now)

    async def record_receipts(
        self, receipts: Sequence[ReceiptRecord], now: datetime
    ) -> ReceiptResult:
        return await self._tx(receipts_sql.record_receipts, receipts, now)

    async def purge_pending_receipts(self, before: datetime) -> int:
        return await self._once(receipts_sql.purge_pending_receipts, before)

    # inbound, reports, pushes

    async def record_inbound(
        self, messages: Sequence[NewInbound], now: datetime
    ) -> list[InboundMessage]:
        return await self._tx(boxes.record_inbound, messages, now)

    async def next_inbound(self, account_id: int) -> InboundMessage | None:
        found = await self.unread_inbound(account_id, 1)
        return found[0] if found else None

    async def unread_inbound(self, account_id: int, limit: int) -> list[InboundMessage]:
        return await self._once(boxes.unread_inbound, account_id, limit)

    async def unread_reports(self, account_id: int, limit: int) -> list[StatusReport]:
        return await self._once(boxes.unread_reports, account_id, limit)

    async def claim_pushes(self, now: datetime, limit: int, lease_seconds: float) -> list[PushJob]:
        until = now + timedelta(seconds=lease_seconds)
        return await self._once(boxes.claim_pushes, now, limit, until)

    async def finish_pushes(
        self,
        now: datetime,
        delivered: Sequence[int] = (),
        retry: Sequence[tuple[int, datetime | None, str]] = (),
    ) -> None:
        await self._once(boxes.finish_pushes, now, delivered, retry)

    # reads

    async def get_message(self, message_id: int, account_id: int | None = None) -> Message | None:
        row = await self._row("SELECT * FROM messages WHERE id = $1", message_id)
        if row is None or (account_id is not None and row["account_id"] != account_id):
            return None
        return rows.message(row)

    async def find_messages(self, query: MessageQuery) -> list[Message]:
        where, params = rows.message_filter(query, iso=False)
        limit = f"${len(params) + 1}"
        found = await self._fetch(
            f"SELECT * FROM messages WHERE {_numbered(where)} ORDER BY id DESC LIMIT {limit}",
            *params,
            query.limit,
        )
        return [rows.message(r) for r in found]

    async def message_counts(self) -> dict[int, dict[MessageState, int]]:
        found = await self._fetch(
            "SELECT account_id, state, count(*) AS n FROM messages GROUP BY account_id, state"
        )
        counts: dict[int, dict[MessageState, int]] = {}
        for r in found:
            counts.setdefault(r["account_id"], {})[MessageState(r["state"])] = r["n"]
        return counts
