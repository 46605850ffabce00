"""The SQLite message queue: admission, claims, final states, expiry, cancel.

Every function here runs inside the writer's group-commit transaction (see ``sqlite_writer``),
so it is plain synchronous code on one connection. Batches travel as one
JSON parameter read with ``json_each`` — SQLite's ``unnest`` — or, for wide rows, as one
multi-row ``VALUES`` (``by_values``: binding is cheaper than SQLite parsing JSON columns); rows
come back as one JSON text (``json_group_array``), not a row per step.

Why set-based: the transaction holds the database's only write lock, shared by every process
(roles run as separate processes). Each ``sqlite3_step`` releases the GIL and takes it back;
when the writer ran on a thread of its own, taking it back waited behind the event loop, so a
statement per row (``executemany``, ``RETURNING`` many rows) held the lock several times
longer than the SQL itself took (the benchmark's dispatcher: ~10 ms per transaction of 50
messages, ~1 ms of it SQL). Fewer statements are still fewer steps and less Python per row.
Python work that needs no database (times as text, carrier-id readings, domain objects from
rows) is done before ``BEGIN`` or after ``COMMIT``.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from hongyan.core.errors import InsufficientBalance, NotFound
from hongyan.core.messages import (
    ClaimedMessage,
    MessageState,
    NewMessage,
    can_transition,
    check_transition,
    refunds,
)
from hongyan.store import rows
from hongyan.store.rows import Finish, iso, utc

S = MessageState
INITIAL = check_transition(S.ACCEPTED, S.QUEUED)
IDS = "(SELECT value FROM json_each(?))"


def ids_param(ids: Iterable[int]) -> str:
    return json.dumps(list(ids))


def as_json(values: object) -> str:
    """A batch parameter: UTF-8 as is (SQLite's JSON reader then only unescapes the few
    characters JSON must escape)."""
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


CHUNK = 256  # rows per statement at most (14 columns: 3,584 parameters of SQLite's 32,766)
_SIZES = (1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, CHUNK)


def _chunks(count: int) -> Iterator[tuple[int, int]]:
    """(rows, rows padded to a size class): full chunks, then the rest in one statement padded
    with empty rows. Few distinct statements for the connection's cache, one step each."""
    while count >= CHUNK:
        yield CHUNK, CHUNK
        count -= CHUNK
    if count:
        yield count, next(size for size in _SIZES if size >= count)


@functools.cache
def _statement(template: str, width: int, count: int) -> str:
    row = "(" + ", ".join("?" * width) + ")"
    return template.replace("{values}", ", ".join([row] * count))


def by_values(
    conn: sqlite3.Connection, template: str, width: int, params: Sequence[object]
) -> None:
    """Run ``template``, whose ``{values}`` stands for rows of ``width`` parameters taken from
    the flat ``params``: one statement, so one step, per chunk of rows instead of one per row.

    A chunk is padded with rows of NULLs up to its size class, so ``template`` must ignore a
    row whose first column is NULL: ``… FROM (VALUES {values}) AS v WHERE x.id = v.column1``,
    or ``INSERT … SELECT * FROM (VALUES {values}) WHERE column1 IS NOT NULL``."""
    start = 0
    for count, size in _chunks(len(params) // width):
        end = start + count * width
        chunk = params[start:end]
        if size > count:
            chunk = [*chunk, *(None,) * ((size - count) * width)]
        conn.execute(_statement(template, width, size), chunk)
        start = end


def one_json(conn: sqlite3.Connection, sql: str, params: Sequence[object]) -> list[list[Any]]:
    """The rows of a ``SELECT json_group_array(json_array(…))``, decoded: one step, not one per
    row."""
    text = conn.execute(sql, params).fetchone()[0]
    return json.loads(text) if text else []


def _change_balance(
    conn: sqlite3.Connection, account_id: int, delta: int, note: str, now: str
) -> int:
    """Add ``delta`` (may be negative) with a ledger row; InsufficientBalance below zero."""
    row = conn.execute(
        "UPDATE accounts SET balance = balance + ? WHERE id = ? AND balance + ? >= 0"
        " RETURNING balance",
        (delta, account_id, delta),
    ).fetchone()
    if row is None:
        current = conn.execute(
            "SELECT balance FROM accounts WHERE id = ?", (account_id,)
        ).fetchone()
        if current is None:
            raise NotFound(f"no account with id {account_id}")
        raise InsufficientBalance(-delta, current[0])
    conn.execute(
        "INSERT INTO ledger (account_id, delta, balance_after, note, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (account_id, delta, row[0], note, now),
    )
    return int(row[0])


def change_balance(
    conn: sqlite3.Connection, account_id: int, delta: int, note: str, now: datetime
) -> int:
    return _change_balance(conn, account_id, delta, note, iso(now))


def admit(
    conn: sqlite3.Connection, account_id: int, messages: Sequence[NewMessage], now: datetime
) -> list[int]:
    if not messages:
        return []
    stamp = iso(now)
    total = sum(m.price for m in messages)
    _change_balance(conn, account_id, -total, f"admit {len(messages)} messages", stamp)
    return insert_messages(conn, message_rows(account_id, messages, stamp))


class _Stamps:
    """``iso`` remembered for the last few times (a batch's messages share due and expiry)."""

    def __init__(self) -> None:
        self._known: dict[datetime, str] = {}

    def __call__(self, moment: datetime) -> str:
        text = self._known.get(moment)
        if text is None:
            if len(self._known) > 64:
                self._known.clear()
            text = self._known[moment] = iso(moment)
        return text


_INSERT_MESSAGES = (
    "INSERT INTO messages (id, account_id, state, recipient, recipient_input, source_addr,"
    " text, segments, price, due_at, expires_at, created_at, client_ref, dialect)"
    " SELECT * FROM (VALUES {values}) WHERE column1 IS NOT NULL"
)

MessageRow = tuple[object, ...]  # a message's columns after its id (``message_rows``)


def message_rows(account_id: int, messages: Sequence[NewMessage], stamp: str) -> list[MessageRow]:
    """The messages of one admit as ``insert_messages`` binds them (no database needed, so
    built before the transaction)."""
    stamps = _Stamps()
    state = INITIAL.value
    return [
        (
            *(account_id, state, m.recipient, m.recipient_input, m.source_addr, m.text),
            *(m.segments, m.price, stamps(m.due_at), stamps(m.expires_at), stamp),
            *(m.client_ref, m.dialect),
        )
        for m in messages
    ]


def insert_messages(conn: sqlite3.Connection, messages: Sequence[MessageRow]) -> list[int]:
    """Take the next ids from the counter and insert ``messages`` with them, in order."""
    (last,) = conn.execute(
        "UPDATE counters SET value = value + ? WHERE name = 'message_id' RETURNING value",
        (len(messages),),
    ).fetchone()
    ids = range(last - len(messages) + 1, last + 1)
    params = [v for i, row in zip(ids, messages, strict=True) for v in (i, *row)]
    by_values(conn, _INSERT_MESSAGES, 14, params)
    return list(ids)


# The columns a claim answers, as ``claimed_from_json`` reads them.
CLAIMED = "json_array(id, account_id, recipient, source_addr, text, segments, attempts,"
CLAIMED += " expires_at, due_at)"


def claimed_from_json(found: list[list[Any]]) -> list[ClaimedMessage]:
    """Claimed messages in (due_at, id) order (after the commit: no lock held)."""
    found.sort(key=lambda r: (r[8], r[0]))
    return [
        ClaimedMessage(
            id=r[0],
            account_id=r[1],
            recipient=r[2],
            source_addr=r[3],
            text=r[4],
            segments=r[5],
            attempts=r[6],
            expires_at=utc(r[7]),
        )
        for r in found
    ]


def lease(conn: sqlite3.Connection, found: list[list[Any]], until: str, owner: str) -> None:
    conn.execute(
        "UPDATE messages SET state = 'submitting', claim_until = ?, claim_owner = ?"
        f" WHERE id IN {IDS}",
        (until, owner, ids_param(r[0] for r in found)),
    )


def claim_due(
    conn: sqlite3.Connection, now: str, limit: int, until: str, owner: str
) -> list[list[Any]]:
    """Queued and due, or leased to a dispatcher whose lease has passed (it went back to queued).

    Answers the rows for ``claimed_from_json``: one step to find them, one to lease them."""
    found = one_json(
        conn,
        f"SELECT json_group_array({CLAIMED}) FROM (SELECT * FROM messages"
        " WHERE state IN ('queued', 'submitting') AND due_at <= ?1 AND expires_at > ?1"
        " AND (state = 'queued' OR claim_until <= ?1) ORDER BY due_at, id LIMIT ?2)",
        (now, limit),
    )
    if found:
        lease(conn, found, until, owner)
    return found


def renew_claims(
    conn: sqlite3.Connection, message_ids: Sequence[int], owner: str, until: datetime
) -> int:
    """Extend ``owner``'s claims on messages still being submitted (see ``Store``)."""
    return conn.execute(
        f"UPDATE messages SET claim_until = ? WHERE id IN {IDS}"
        " AND state = 'submitting' AND claim_owner = ?",
        (iso(until), ids_param(message_ids), owner),
    ).rowcount


def states(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, MessageState]:
    found = one_json(
        conn,
        f"SELECT json_group_array(json_array(id, state)) FROM messages WHERE id IN {IDS}",
        (ids_param(ids),),
    )
    return {r[0]: MessageState(r[1]) for r in found}


Current = dict[int, tuple[MessageState, int, int]]  # message id → (state, account id, price)


def finish(
    conn: sqlite3.Connection, ends: Sequence[Finish], now: datetime, known: Current | None = None
) -> list[int]:
    """Final states: checked, refunded where the table says so, reported, pushes queued.
    ``known``: messages' current rows the caller read in this transaction."""
    if not ends:
        return []
    current = dict(known or {})
    missing = [e.message_id for e in ends if e.message_id not in current]
    if missing:
        found = one_json(
            conn,
            "SELECT json_group_array(json_array(id, state, account_id, price)) FROM messages"
            f" WHERE id IN {IDS}",
            (ids_param(missing),),
        )
        current.update({r[0]: (MessageState(r[1]), r[2], r[3]) for r in found})
    allowed = {
        e.message_id: e  # one write per message (the last, as one UPDATE per end would leave)
        for e in ends
        if e.message_id in current and can_transition(current[e.message_id][0], e.state)
    }
    done = list(allowed.values())
    if not done:
        return []
    stamp = iso(now)
    by_values(
        conn,
        "UPDATE messages SET state = v.column2, stat = v.column3, error_code = v.column4,"
        " done_at = v.column5, claim_until = NULL, claim_owner = NULL"
        " FROM (VALUES {values}) AS v WHERE messages.id = v.column1",
        5,
        [v for e in done for v in _final_row(e)],
    )
    ids = ids_param(e.message_id for e in done)
    conn.execute(
        "INSERT INTO reports (message_id, account_id, created_at)"
        f" SELECT id, account_id, ? FROM messages WHERE id IN {IDS}",
        (stamp, ids),
    )
    conn.execute(
        "INSERT INTO outbox (kind, account_id, ref_id, created_at, next_attempt_at)"
        " SELECT 'report', m.account_id, m.id, ?1, ?1 FROM messages m"
        " JOIN accounts a ON a.id = m.account_id"
        " WHERE m.id IN (SELECT value FROM json_each(?2)) AND a.report_url IS NOT NULL"
        " ORDER BY m.id",
        (stamp, ids),
    )
    back = rows.refund_totals(
        current[e.message_id][1:] for e in done if refunds(current[e.message_id][0], e.state)
    )
    for account_id, amount in back.items():
        _change_balance(conn, account_id, amount, "refund", stamp)
    return [e.message_id for e in done]


def _final_row(end: Finish) -> tuple[object, ...]:
    return (end.message_id, end.state.value, end.stat, end.error_code, iso(end.done_at))


_EXPIRED_DUE = (
    "SELECT id FROM messages WHERE state IN ('queued', 'submitting') AND expires_at <= ?1"
    " AND (state = 'queued' OR claim_until <= ?1) ORDER BY expires_at LIMIT ?2"
)
_UNREPORTED = (
    "SELECT id FROM messages WHERE state = 'submitted' AND expires_at <= ?1"
    " ORDER BY expires_at LIMIT ?2"
)


def any_expired(conn: sqlite3.Connection, now: datetime, before: datetime | None) -> bool:
    """Whether ``expire_due`` (or, given ``before``, ``expire_unreported``) would find work: a
    read first, so a dispatcher's claim round takes the write lock only when there is some."""
    sql, moment = (_EXPIRED_DUE, now) if before is None else (_UNREPORTED, before)
    return conn.execute(sql, (iso(moment), 1)).fetchone() is not None


def expire_due(conn: sqlite3.Connection, now: datetime, limit: int) -> int:
    found = conn.execute(_EXPIRED_DUE, (iso(now), limit)).fetchall()
    stat = rows.OWN_STATS[S.EXPIRED]
    return len(finish(conn, [Finish(r["id"], S.EXPIRED, stat, "", now) for r in found], now))


def expire_unreported(conn: sqlite3.Connection, before: datetime, now: datetime, limit: int) -> int:
    found = conn.execute(_UNREPORTED, (iso(before), limit)).fetchall()
    stat = rows.OWN_STATS[S.EXPIRED]
    return len(finish(conn, [Finish(r["id"], S.EXPIRED, stat, "", now) for r in found], now))


def cancel(conn: sqlite3.Connection, account_id: int, message_id: int, now: datetime) -> bool:
    found = conn.execute(
        "SELECT id FROM messages WHERE id = ? AND account_id = ?", (message_id, account_id)
    ).fetchone()
    if found is None:
        return False
    stat = rows.OWN_STATS[S.CANCELLED]
    return bool(finish(conn, [Finish(message_id, S.CANCELLED, stat, "", now)], now))
