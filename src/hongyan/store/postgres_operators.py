"""PostgreSQL verbs of the operator console: operators, the audit log, audited account changes.

A mixin for ``PostgresStore``. An audited verb runs in one transaction (``_tx``), so the change
and its audit entry commit together (or neither does); the account row is locked first so two
operators changing the same account record what each of them really changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import asyncpg

from hongyan.core.accounts import Account
from hongyan.core.errors import Conflict, NotFound
from hongyan.core.operators import AuditAction, AuditEntry, NewAuditEntry, Operator
from hongyan.store import audit_rows, rows
from hongyan.store.audit_rows import numbered
from hongyan.store.base import AccountChanges, AuditQuery, NewAccount, OperatorChanges
from hongyan.store.postgres_finish import change_balance

T = TypeVar("T")
Connection = Any  # asyncpg.Connection (untyped library)

_AUDIT_INSERT = (
    numbered(audit_rows.AUDIT_INSERT).replace("$4", "$4::jsonb").replace("$5", "$5::jsonb")
)


async def _insert_audit(con: Connection, entry: NewAuditEntry, now: datetime) -> AuditEntry:
    row = await con.fetchrow(_AUDIT_INSERT, *audit_rows.audit_values(entry), now)
    return audit_rows.audit_entry(row)


async def _locked_account(con: Connection, name: str) -> Account:
    row = await con.fetchrow("SELECT * FROM accounts WHERE name = $1 FOR UPDATE", name)
    if row is None:
        raise NotFound(f"no account named {name!r}")
    return rows.account(row)


class PostgresOperators:
    _clock: Callable[[], datetime]

    async def _tx(self, operation: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        raise NotImplementedError

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        raise NotImplementedError

    async def _row(self, sql: str, *args: Any) -> Any:
        raise NotImplementedError

    # operators

    async def create_operator(self, name: str, password_hash: str) -> Operator:
        try:
            row = await self._row(
                "INSERT INTO operators (name, password_hash, created_at) VALUES ($1, $2, $3)"
                " RETURNING *",
                name,
                password_hash,
                self._clock(),
            )
        except asyncpg.UniqueViolationError as exc:
            raise Conflict(f"an operator named {name!r} exists") from exc
        return audit_rows.operator(row)

    async def get_operator(self, name: str) -> Operator | None:
        row = await self._row("SELECT * FROM operators WHERE name = $1", name)
        return audit_rows.operator(row) if row else None

    async def get_operator_by_id(self, operator_id: int) -> Operator | None:
        row = await self._row("SELECT * FROM operators WHERE id = $1", operator_id)
        return audit_rows.operator(row) if row else None

    async def list_operators(self) -> list[Operator]:
        found = await self._fetch("SELECT * FROM operators ORDER BY name")
        return [audit_rows.operator(r) for r in found]

    async def update_operator(self, name: str, changes: OperatorChanges) -> Operator:
        values: dict[str, object] = {}
        if changes.password_hash is not None:
            values["password_hash"] = changes.password_hash
        if changes.active is not None:
            values["active"] = changes.active
        sets = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(values)) or "name = name"
        row = await self._row(
            f"UPDATE operators SET {sets} WHERE name = $1 RETURNING *", name, *values.values()
        )
        if row is None:
            raise NotFound(f"no operator named {name!r}")
        return audit_rows.operator(row)

    # the audit log

    async def record_audit(self, entry: NewAuditEntry) -> AuditEntry:
        now = self._clock()
        return await self._tx(_insert_audit, entry, now)

    async def find_audit(self, query: AuditQuery) -> list[AuditEntry]:
        where, params = audit_rows.audit_filter(query, find="strpos")
        found = await self._fetch(
            numbered(f"SELECT * FROM audit_log WHERE {where} ORDER BY id DESC LIMIT ?"),
            *params,
            query.limit,
        )
        return [audit_rows.audit_entry(r) for r in found]

    # account changes with their audit entry

    async def create_account_audited(self, account: NewAccount, audit: AuditAction) -> Account:
        now = self._clock()
        values = rows.new_account_values(account)
        marks = ", ".join(f"${i + 1}" for i in range(len(values)))
        sql = f"INSERT INTO accounts ({', '.join(values)}) VALUES ({marks}) RETURNING *"

        async def insert(con: Connection) -> Account:
            try:
                created = rows.account(await con.fetchrow(sql, *values.values()))
            except asyncpg.UniqueViolationError as exc:
                raise Conflict(f"an account named {account.name!r} exists") from exc
            await _insert_audit(con, audit_rows.account_entry(audit, None, created), now)
            return created

        return await self._tx(insert)

    async def update_account_audited(
        self, name: str, changes: AccountChanges, audit: AuditAction
    ) -> Account:
        now = self._clock()
        values = rows.account_changes(changes)
        sets = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(values)) or "name = name"

        async def update(con: Connection) -> Account:
            before = await _locked_account(con, name)
            after = rows.account(
                await con.fetchrow(
                    f"UPDATE accounts SET {sets} WHERE id = $1 RETURNING *",
                    before.id,
                    *values.values(),
                )
            )
            await _insert_audit(con, audit_rows.account_entry(audit, before, after), now)
            return after

        return await self._tx(update)

    async def adjust_balance_audited(
        self, name: str, delta: int, note: str, audit: AuditAction
    ) -> Account:
        now = self._clock()

        async def adjust(con: Connection) -> Account:
            before = await _locked_account(con, name)
            await change_balance(con, before.id, delta, note)
            after = rows.account(
                await con.fetchrow("SELECT * FROM accounts WHERE id = $1", before.id)
            )
            entry = audit_rows.account_entry(audit, before, after, {"note": note})
            await _insert_audit(con, entry, now)
            return after

        return await self._tx(adjust)

    # charts

    async def receipt_latencies(self, since: datetime, scan: int) -> dict[str, list[float]]:
        found = await self._fetch(
            "WITH bound AS (SELECT coalesce(max(id), 0) - $2 AS low FROM messages)"
            " SELECT m.channel AS channel,"
            " extract(epoch FROM r.created_at - s.first)::float8 AS seconds"
            " FROM bound, reports r JOIN messages m ON m.id = r.message_id"
            " JOIN (SELECT message_id, min(submitted_at) AS first FROM segments, bound"
            "  WHERE message_id > bound.low AND submitted_at IS NOT NULL GROUP BY message_id) s"
            "  ON s.message_id = r.message_id"
            " WHERE r.message_id > bound.low AND r.created_at >= $1 AND m.channel IS NOT NULL",
            since,
            scan,
        )
        out: dict[str, list[float]] = {}
        for row in found:
            out.setdefault(row["channel"], []).append(max(0.0, float(row["seconds"])))
        return {channel: sorted(values) for channel, values in sorted(out.items())}
