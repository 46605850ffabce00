"""Row shapes of operators and audit entries, shared by the SQLite and PostgreSQL mixins."""

from __future__ import annotations

import json
from typing import Any

from hongyan.core.accounts import Account
from hongyan.core.operators import (
    AuditAction,
    AuditEntry,
    JsonObject,
    NewAuditEntry,
    Operator,
    account_view,
    changes,
)
from hongyan.store.base import AuditQuery
from hongyan.store.rows import Row, utc

AUDIT_INSERT = (
    "INSERT INTO audit_log (operator, action, target, before, after, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?) RETURNING *"
)


def operator(row: Row) -> Operator:
    return Operator(
        id=row["id"],
        name=row["name"],
        password_hash=row["password_hash"],
        active=bool(row["active"]),
        created_at=utc(row["created_at"]),
    )


def to_json(value: JsonObject | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _from_json(value: Any) -> JsonObject | None:
    if value is None:
        return None
    loaded = json.loads(value) if isinstance(value, str) else value
    return dict(loaded)


def audit_entry(row: Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        operator=row["operator"],
        action=row["action"],
        target=row["target"],
        before=_from_json(row["before"]),
        after=_from_json(row["after"]),
        created_at=utc(row["created_at"]),
    )


def account_entry(
    audit: AuditAction,
    before: Account | None,
    after: Account,
    extra: JsonObject | None = None,
) -> NewAuditEntry:
    """The audit entry of an account change: the fields that differ, plus ``extra`` (a note)."""
    old, new = changes(None if before is None else account_view(before), account_view(after))
    if extra:
        new = {**(new or {}), **extra}
    return NewAuditEntry(audit.operator, audit.action, audit.target, old, new)


def audit_values(entry: NewAuditEntry) -> tuple[str, str, str, str | None, str | None]:
    return (
        entry.operator,
        entry.action,
        entry.target,
        to_json(entry.before),
        to_json(entry.after),
    )


def audit_filter(query: AuditQuery, *, find: str) -> tuple[str, list[Any]]:
    """WHERE clause (``?`` marks) and parameters; ``find`` is the dialect's substring function
    (``instr`` in SQLite, ``strpos`` in PostgreSQL, both ``(text, part) > 0`` when found)."""
    where: list[str] = ["1 = 1"]
    params: list[Any] = []
    if query.operator:
        where.append("operator = ?")
        params.append(query.operator)
    if query.target:
        where.append(f"{find}(target, ?) > 0")
        params.append(query.target)
    if query.before_id is not None:
        where.append("id < ?")
        params.append(query.before_id)
    return " AND ".join(where), params


def numbered(sql: str) -> str:
    """``?`` marks → PostgreSQL's ``$1, $2, …``."""
    parts = sql.split("?")
    return "".join(p + (f"${i + 1}" if i < len(parts) - 1 else "") for i, p in enumerate(parts))
