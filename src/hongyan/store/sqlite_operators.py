"""SQLite verbs of the operator console: operators, the audit log, audited account changes.

A mixin for ``SqliteStore``. An audited verb runs as one writer operation, so the change and
its audit entry commit together (or neither does).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from hongyan.core.accounts import Account
from hongyan.core.errors import Conflict, NotFound
from hongyan.core.operators import AuditAction, AuditEntry, NewAuditEntry, Operator
from hongyan.store import audit_rows, rows
from hongyan.store.base import AccountChanges, AuditQuery, NewAccount, OperatorChanges
from hongyan.store.rows import iso
from hongyan.store.sqlite_queue import change_balance

T = TypeVar("T")


def _insert_audit(conn: sqlite3.Connection, entry: NewAuditEntry, now: datetime) -> AuditEntry:
    row = conn.execute(audit_rows.AUDIT_INSERT, (*audit_rows.audit_values(entry), iso(now)))
    return audit_rows.audit_entry(row.fetchone())


def _account(conn: sqlite3.Connection, name: str) -> Account:
    row = conn.execute("SELECT * FROM accounts WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise NotFound(f"no account named {name!r}")
    return rows.account(row)


class Operators:
    _clock: Callable[[], datetime]

    async def _read(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    async def _write(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    # operators

    async def create_operator(self, name: str, password_hash: str) -> Operator:
        stamp = iso(self._clock())

        def insert(conn: sqlite3.Connection) -> Operator:
            try:
                row = conn.execute(
                    "INSERT INTO operators (name, password_hash, created_at) VALUES (?, ?, ?)"
                    " RETURNING *",
                    (name, password_hash, stamp),
                ).fetchone()
            except sqlite3.IntegrityError as exc:
                raise Conflict(f"an operator named {name!r} exists") from exc
            return audit_rows.operator(row)

        return await self._write(insert)

    async def get_operator(self, name: str) -> Operator | None:
        row = await self._read(
            lambda conn: conn.execute("SELECT * FROM operators WHERE name = ?", (name,)).fetchone()
        )
        return audit_rows.operator(row) if row else None

    async def get_operator_by_id(self, operator_id: int) -> Operator | None:
        row = await self._read(
            lambda conn: conn.execute(
                "SELECT * FROM operators WHERE id = ?", (operator_id,)
            ).fetchone()
        )
        return audit_rows.operator(row) if row else None

    async def list_operators(self) -> list[Operator]:
        found = await self._read(
            lambda conn: conn.execute("SELECT * FROM operators ORDER BY name").fetchall()
        )
        return [audit_rows.operator(r) for r in found]

    async def update_operator(self, name: str, changes: OperatorChanges) -> Operator:
        values: dict[str, object] = {}
        if changes.password_hash is not None:
            values["password_hash"] = changes.password_hash
        if changes.active is not None:
            values["active"] = changes.active
        sets = ", ".join(f"{column} = ?" for column in values) or "name = name"

        def update(conn: sqlite3.Connection) -> Operator:
            row = conn.execute(
                f"UPDATE operators SET {sets} WHERE name = ? RETURNING *", (*values.values(), name)
            ).fetchone()
            if row is None:
                raise NotFound(f"no operator named {name!r}")
            return audit_rows.operator(row)

        return await self._write(update)

    # the audit log

    async def record_audit(self, entry: NewAuditEntry) -> AuditEntry:
        now = self._clock()
        return await self._write(lambda conn: _insert_audit(conn, entry, now))

    async def find_audit(self, query: AuditQuery) -> list[AuditEntry]:
        where, params = audit_rows.audit_filter(query, find="instr")
        found = await self._read(
            lambda conn: conn.execute(
                f"SELECT * FROM audit_log WHERE {where} ORDER BY id DESC LIMIT ?",
                (*params, query.limit),
            ).fetchall()
        )
        return [audit_rows.audit_entry(r) for r in found]

    # account changes with their audit entry

    async def create_account_audited(self, account: NewAccount, audit: AuditAction) -> Account:
        now = self._clock()
        values = rows.new_account_values(account)
        values["created_at"] = iso(now)
        sql = (
            f"INSERT INTO accounts ({', '.join(values)})"
            f" VALUES ({', '.join('?' for _ in values)}) RETURNING *"
        )

        def insert(conn: sqlite3.Connection) -> Account:
            try:
                created = rows.account(conn.execute(sql, tuple(values.values())).fetchone())
            except sqlite3.IntegrityError as exc:
                raise Conflict(f"an account named {account.name!r} exists") from exc
            _insert_audit(conn, audit_rows.account_entry(audit, None, created), now)
            return created

        return await self._write(insert)

    async def update_account_audited(
        self, name: str, changes: AccountChanges, audit: AuditAction
    ) -> Account:
        now = self._clock()
        values = rows.account_changes(changes)
        sets = ", ".join(f"{column} = ?" for column in values) or "name = name"

        def update(conn: sqlite3.Connection) -> Account:
            before = _account(conn, name)
            row = conn.execute(
                f"UPDATE accounts SET {sets} WHERE id = ? RETURNING *",
                (*values.values(), before.id),
            ).fetchone()
            after = rows.account(row)
            _insert_audit(conn, audit_rows.account_entry(audit, before, after), now)
            return after

        return await self._write(update)

    async def adjust_balance_audited(
        self, name: str, delta: int, note: str, audit: AuditAction
    ) -> Account:
        now = self._clock()

        def adjust(conn: sqlite3.Connection) -> Account:
            before = _account(conn, name)
            change_balance(conn, before.id, delta, note, now)
            after = _account(conn, name)
            entry = audit_rows.account_entry(audit, before, after, {"note": note})
            _insert_audit(conn, entry, now)
            return after

        return await self._write(adjust)

    # charts

    async def receipt_latencies(self, since: datetime, scan: int) -> dict[str, list[float]]:
        sql = (
            "SELECT m.channel AS channel,"
            " (julianday(r.created_at) - julianday(s.first)) * 86400.0 AS seconds"
            " FROM reports r JOIN messages m ON m.id = r.message_id"
            " JOIN (SELECT message_id, min(submitted_at) AS first FROM segments"
            "  WHERE message_id > ?1 AND submitted_at IS NOT NULL GROUP BY message_id) s"
            "  ON s.message_id = r.message_id"
            " WHERE r.message_id > ?1 AND r.created_at >= ?2 AND m.channel IS NOT NULL"
        )

        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            (newest,) = conn.execute(
                "SELECT value FROM counters WHERE name = 'message_id'"
            ).fetchone()
            return conn.execute(sql, (newest - scan, iso(since))).fetchall()

        found: dict[str, list[float]] = {}
        for row in await self._read(read):
            found.setdefault(row["channel"], []).append(max(0.0, float(row["seconds"])))
        return {channel: sorted(values) for channel, values in sorted(found.items())}
