"""The SQLite boxes partners read from: inbound messages, status reports, and the push outbox.

Like ``sqlite_queue``, every function runs inside the writer's transaction, so
"take and mark read" is atomic: no two callers are given the same row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hongyan.core.inbound import InboundMessage, NewInbound, is_unsubscribe, owner_of
from hongyan.core.pushes import PushJob
from hongyan.store import rows
from hongyan.store.base import StatusReport
from hongyan.store.rows import iso
from hongyan.store.sqlite_queue import IDS, ids_param, one_json

_INSERT_INBOUND = (
    "INSERT INTO inbound (account_id, channel, source, destination, extension, text,"
    " received_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *"
)


def service_codes(conn: sqlite3.Connection) -> dict[str, int]:
    found = conn.execute("SELECT service_code, id FROM accounts WHERE service_code <> ''")
    return {r["service_code"]: r["id"] for r in found}


def record_inbound(
    conn: sqlite3.Connection, messages: Sequence[NewInbound], now: datetime
) -> list[InboundMessage]:
    codes = service_codes(conn)
    urls = dict(conn.execute("SELECT id, inbound_url FROM accounts WHERE inbound_url IS NOT NULL"))
    stamp = iso(now)
    out = []
    for m in messages:
        account_id, extension = owner_of(m.destination, codes) or (None, "")
        row = conn.execute(
            _INSERT_INBOUND,
            (
                *(account_id, m.channel, m.source, m.destination, extension, m.text),
                *(iso(m.received_at), stamp),
            ),
        ).fetchone()
        out.append(rows.inbound(row))
        if account_id is None:
            continue
        if is_unsubscribe(m.text):
            conn.execute(
                "INSERT INTO blacklist (number, account_id, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (m.source, account_id, stamp),
            )
        if account_id in urls:
            conn.execute(
                "INSERT INTO outbox (kind, account_id, ref_id, created_at, next_attempt_at)"
                " VALUES ('inbound', ?, ?, ?, ?)",
                (account_id, row["id"], stamp, stamp),
            )
    return out


def unread_inbound(conn: sqlite3.Connection, account_id: int, limit: int) -> list[InboundMessage]:
    """The oldest unread inbound messages of an account, marked read."""
    found = conn.execute(
        "UPDATE inbound SET read = 1 WHERE id IN (SELECT id FROM inbound"
        " WHERE account_id = ? AND read = 0 ORDER BY id LIMIT ?) RETURNING *",
        (account_id, limit),
    ).fetchall()
    return sorted((rows.inbound(r) for r in found), key=lambda m: m.id)


def unread_reports(conn: sqlite3.Connection, account_id: int, limit: int) -> list[StatusReport]:
    """The oldest unread status reports of an account, marked read."""
    taken = conn.execute(
        "UPDATE reports SET read = 1 WHERE message_id IN (SELECT message_id FROM reports"
        " WHERE account_id = ? AND read = 0 ORDER BY message_id LIMIT ?) RETURNING message_id",
        (account_id, limit),
    ).fetchall()
    found = conn.execute(
        f"SELECT * FROM messages WHERE id IN {IDS} ORDER BY id",
        (ids_param(r[0] for r in taken),),
    )
    return [rows.status_report(r) for r in found]


# The leased rows with what their pushes need (``rows.PUSH_COLUMNS``), as one JSON text
_PUSH_NAMES = tuple(name for name, _ in rows.PUSH_COLUMNS)
_PUSH_ROWS = (
    "SELECT json_group_array(json_array("
    + ", ".join(expr for _, expr in rows.PUSH_COLUMNS)
    + ")) FROM (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?1"
    "  AND (lease_until IS NULL OR lease_until <= ?1) ORDER BY next_attempt_at, id LIMIT ?2) t"
    " JOIN outbox o ON o.id = t.id" + rows.PUSH_JOINS
)


def claim_pushes(conn: sqlite3.Connection, now: str, limit: int, until: str) -> list[list[Any]]:
    """Due, pending, unleased outbox rows, leased until ``until``; rows with no URL abandoned.
    Answers the leased rows for ``push_jobs``: two steps, not one per row."""
    found = one_json(conn, _PUSH_ROWS, (now, limit))
    orphans = [r[0] for r in found if not r[7]]
    found = [r for r in found if r[7]]
    if found:
        conn.execute(
            f"UPDATE outbox SET lease_until = ? WHERE id IN {IDS}",
            (until, ids_param(r[0] for r in found)),
        )
    if orphans:
        conn.execute(
            "UPDATE outbox SET state = 'abandoned', done_at = ?, last_error = 'no push URL',"
            f" lease_until = NULL WHERE id IN {IDS}",
            (now, ids_param(orphans)),
        )
    return found


def push_jobs(found: list[list[Any]]) -> list[PushJob]:
    """Claimed pushes in (next attempt, id) order (after the commit: no lock held)."""
    found.sort(key=lambda r: (r[6], r[0]))
    return [rows.push_job(dict(zip(_PUSH_NAMES, r, strict=True))) for r in found]


def finish_pushes(
    conn: sqlite3.Connection,
    now: datetime,
    delivered: Sequence[int],
    retry: Sequence[tuple[int, datetime | None, str]],
) -> None:
    stamp = iso(now)
    if delivered:
        conn.execute(
            "UPDATE outbox SET state = 'delivered', done_at = ?, lease_until = NULL"
            f" WHERE state = 'pending' AND id IN {IDS}",
            (stamp, ids_param(delivered)),
        )
    if retry:
        conn.executemany(
            "UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1, last_error = ?,"
            " lease_until = NULL WHERE id = ? AND state = 'pending'",
            [(iso(at), error, push_id) for push_id, at, error in retry if at is not None],
        )
        conn.executemany(
            "UPDATE outbox SET state = 'abandoned', attempts = attempts + 1, last_error = ?,"
            " done_at = ?, lease_until = NULL WHERE id = ? AND state = 'pending'",
            [(error, stamp, push_id) for push_id, at, error in retry if at is None],
        )
