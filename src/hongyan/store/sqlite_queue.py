"""The SQLite message queue: admission, claims, submit results, expiry, cancel, receipts.

Every function here runs on the writer thread inside the group-commit transaction (see
``sqlite_writer``), so it is plain synchronous code on one connection. Batches travel as one
JSON parameter read with ``json_each`` — SQLite's ``unnest``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from hongyan.core.errors import InsufficientBalance, NotFound
from hongyan.core.messages import (
    ClaimedMessage,
    MessageState,
    NewMessage,
    SubmitFinal,
    SubmitRetry,
    SubmitSuccess,
    can_transition,
    check_transition,
    refunds,
)
from hongyan.core.receipts import ReceiptRecord, carrier_id_candidates, normalize_carrier_id
from hongyan.store import rows
from hongyan.store.base import ReceiptResult
from hongyan.store.rows import Finish, iso

S = MessageState
INITIAL = check_transition(S.ACCEPTED, S.QUEUED)
IDS = "(SELECT value FROM json_each(?))"


def ids_param(ids: Iterable[int]) -> str:
    return json.dumps(list(ids))


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
    (last,) = conn.execute(
        "UPDATE counters SET value = value + ? WHERE name = 'message_id' RETURNING value",
        (len(messages),),
    ).fetchone()
    ids = list(range(last - len(messages) + 1, last + 1))
    conn.executemany(_INSERT_MESSAGE, _message_rows(account_id, ids, messages, stamp, _Stamps()))
    return ids


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


_INSERT_MESSAGE = (
    "INSERT INTO messages (id, account_id, state, recipient, recipient_input, source_addr,"
    " text, segments, price, due_at, expires_at, created_at, client_ref, dialect)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _message_rows(
    account_id: int,
    ids: Sequence[int],
    messages: Sequence[NewMessage],
    stamp: str,
    stamps: Callable[[datetime], str],
) -> list[tuple[object, ...]]:
    return [
        (
            *(i, account_id, INITIAL.value, m.recipient, m.recipient_input, m.source_addr),
            *(m.text, m.segments, m.price, stamps(m.due_at), stamps(m.expires_at), stamp),
            *(m.client_ref, m.dialect),
        )
        for i, m in zip(ids, messages, strict=True)
    ]


def claim_due(
    conn: sqlite3.Connection, now: datetime, limit: int, until: datetime, owner: str
) -> list[ClaimedMessage]:
    """Queued and due, or leased to a dispatcher whose lease has passed (it went back to queued)."""
    found = conn.execute(
        "UPDATE messages SET state = 'submitting', claim_until = ?2, claim_owner = ?3"
        " WHERE id IN (SELECT id FROM messages"
        "  WHERE state IN ('queued', 'submitting') AND due_at <= ?1 AND expires_at > ?1"
        "  AND (state = 'queued' OR claim_until <= ?1) ORDER BY due_at, id LIMIT ?4)"
        " RETURNING id, account_id, recipient, source_addr, text, segments, attempts,"
        " expires_at, due_at",
        (iso(now), iso(until), owner, limit),
    ).fetchall()
    found.sort(key=lambda r: (r["due_at"], r["id"]))
    return [rows.claimed(r) for r in found]


def renew_claims(
    conn: sqlite3.Connection, message_ids: Sequence[int], owner: str, until: datetime
) -> int:
    """Extend ``owner``'s claims on messages still being submitted (see ``Store``)."""
    return conn.execute(
        f"UPDATE messages SET claim_until = ? WHERE id IN {IDS}"
        " AND state = 'submitting' AND claim_owner = ?",
        (iso(until), ids_param(message_ids), owner),
    ).rowcount


def _states(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, MessageState]:
    found = conn.execute(f"SELECT id, state FROM messages WHERE id IN {IDS}", (ids_param(ids),))
    return {r["id"]: MessageState(r["state"]) for r in found}


def record_submits(
    conn: sqlite3.Connection,
    now: datetime,
    successes: Sequence[SubmitSuccess],
    retries: Sequence[SubmitRetry],
    finals: Sequence[SubmitFinal],
) -> list[int]:
    asked = [s.message_id for s in successes] + [r.message_id for r in retries]
    states = _states(conn, asked)

    def allowed(message_id: int, target: MessageState) -> bool:
        return message_id in states and can_transition(states[message_id], target)

    ok = [s for s in successes if allowed(s.message_id, S.SUBMITTED)]
    again = [r for r in retries if allowed(r.message_id, S.QUEUED)]
    conn.executemany(
        "UPDATE messages SET state = 'submitted', channel = ?, claim_until = NULL,"
        " claim_owner = NULL WHERE id = ?",
        [(s.channel, s.message_id) for s in ok],
    )
    segments = [
        (s.message_id, seq, s.channel, normalize_carrier_id(cid))
        for s in ok
        for seq, cid in enumerate(s.carrier_ids)
    ]
    stamp = iso(now)
    conn.executemany(
        "INSERT INTO segments (message_id, seq, channel, carrier_id, submitted_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [(*segment, stamp) for segment in segments],
    )
    conn.executemany(
        "UPDATE messages SET state = 'queued', due_at = ?, attempts = attempts + 1,"
        " last_error = ?, claim_until = NULL, claim_owner = NULL WHERE id = ?",
        [(iso(r.retry_at), r.error, r.message_id) for r in again],
    )
    ended = [
        Finish(
            f.message_id,
            f.state,
            rows.OWN_STATS.get(f.state, f.state.value.upper()),
            f.error_code,
            now,
        )
        for f in finals
    ]
    finished = set(finish(conn, ended, now))
    _apply_pending(conn, [(channel, cid) for _, _, channel, cid in segments], now)
    refused = set(asked) - {s.message_id for s in ok} - {r.message_id for r in again}
    refused |= {f.message_id for f in finals} - finished
    return sorted(refused)


def finish(conn: sqlite3.Connection, ends: Sequence[Finish], now: datetime) -> list[int]:
    """Final states: checked, refunded where the table says so, reported, pushes queued."""
    if not ends:
        return []
    found = conn.execute(
        f"SELECT id, state, account_id, price FROM messages WHERE id IN {IDS}",
        (ids_param(e.message_id for e in ends),),
    )
    current = {r["id"]: r for r in found}
    done = [
        e
        for e in ends
        if e.message_id in current
        and can_transition(MessageState(current[e.message_id]["state"]), e.state)
    ]
    stamp = iso(now)
    conn.executemany(
        "UPDATE messages SET state = ?, stat = ?, error_code = ?, done_at = ?,"
        " claim_until = NULL, claim_owner = NULL WHERE id = ?",
        [(e.state.value, e.stat, e.error_code, iso(e.done_at), e.message_id) for e in done],
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
        (current[e.message_id]["account_id"], current[e.message_id]["price"])
        for e in done
        if refunds(MessageState(current[e.message_id]["state"]), e.state)
    )
    for account_id, amount in back.items():
        _change_balance(conn, account_id, amount, "refund", stamp)
    return [e.message_id for e in done]


def expire_due(conn: sqlite3.Connection, now: datetime, limit: int) -> int:
    found = conn.execute(
        "SELECT id FROM messages WHERE state IN ('queued', 'submitting') AND expires_at <= ?1"
        " AND (state = 'queued' OR claim_until <= ?1) ORDER BY expires_at LIMIT ?2",
        (iso(now), limit),
    ).fetchall()
    stat = rows.OWN_STATS[S.EXPIRED]
    return len(finish(conn, [Finish(r["id"], S.EXPIRED, stat, "", now) for r in found], now))


def expire_unreported(conn: sqlite3.Connection, before: datetime, now: datetime, limit: int) -> int:
    found = conn.execute(
        "SELECT id FROM messages WHERE state = 'submitted' AND expires_at <= ?"
        " ORDER BY expires_at LIMIT ?",
        (iso(before), limit),
    ).fetchall()
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


def _known_segments(
    conn: sqlite3.Connection, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], sqlite3.Row]:
    """(channel, carrier id) → segment; an undecided segment of the newest message wins."""
    found = conn.execute(
        "SELECT s.message_id, s.seq, s.channel, s.carrier_id, s.outcome FROM segments s"
        " JOIN json_each(?) j ON s.channel = j.value ->> 0 AND s.carrier_id = j.value ->> 1",
        (json.dumps(sorted(keys)),),
    ).fetchall()
    found.sort(key=lambda r: (r["outcome"] is None, r["message_id"]))
    return {(r["channel"], r["carrier_id"]): r for r in found}


def record_receipts(
    conn: sqlite3.Connection, receipts: Sequence[ReceiptRecord], now: datetime
) -> ReceiptResult:
    readings = [carrier_id_candidates(r.carrier_id) for r in receipts]
    keys = {(r.channel, c) for r, cs in zip(receipts, readings, strict=True) for c in cs}
    known = _known_segments(conn, keys)
    updates, pending = [], []
    for receipt, candidates in zip(receipts, readings, strict=True):
        segment = rows.pick_segment(candidates, receipt.channel, known)
        outcome = receipt.outcome.value if receipt.outcome else None
        fields = (receipt.stat, receipt.error_code, iso(receipt.done_at))
        if segment is None:
            pending.append((receipt.channel, candidates[0], *fields, iso(now)))
        else:
            updates.append((outcome, *fields, segment["message_id"], segment["seq"]))
    conn.executemany(
        "UPDATE segments SET outcome = ?, stat = ?, error_code = ?, done_at = ?"
        " WHERE message_id = ? AND seq = ? AND outcome IS NULL",
        updates,
    )
    conn.executemany(
        "INSERT INTO pending_receipts (channel, carrier_id, stat, error_code, done_at,"
        " received_at) VALUES (?, ?, ?, ?, ?, ?)",
        pending,
    )
    finished = finish(conn, _decided(conn, {u[-2] for u in updates}), now)
    return ReceiptResult(matched=len(updates), pending=len(pending), finished=tuple(finished))


def _decided(conn: sqlite3.Connection, message_ids: set[int]) -> list[Finish]:
    found = conn.execute(
        f"SELECT * FROM segments WHERE message_id IN {IDS} ORDER BY message_id, seq",
        (ids_param(sorted(message_ids)),),
    ).fetchall()
    by_message: dict[int, list[sqlite3.Row]] = {}
    for row in found:
        by_message.setdefault(row["message_id"], []).append(row)
    ends = (rows.receipt_finish(mid, segs) for mid, segs in by_message.items())
    return [e for e in ends if e is not None]


def _apply_pending(conn: sqlite3.Connection, keys: list[tuple[str, str]], now: datetime) -> None:
    """Receipts that came before their submit_sm_resp: apply them now the id is known."""
    if not keys or conn.execute("SELECT 1 FROM pending_receipts LIMIT 1").fetchone() is None:
        return  # the usual case: no receipt is waiting, so no readings of the ids to compute
    wanted = {(ch, c) for ch, cid in keys for c in carrier_id_candidates(cid)}
    found = conn.execute(
        "DELETE FROM pending_receipts WHERE id IN (SELECT p.id FROM pending_receipts p"
        " JOIN json_each(?) j ON p.channel = j.value ->> 0 AND p.carrier_id = j.value ->> 1)"
        " RETURNING *",
        (json.dumps(sorted(wanted)),),
    ).fetchall()
    found.sort(key=lambda r: r["id"])
    receipts = [
        ReceiptRecord(
            r["channel"], r["carrier_id"], r["stat"], r["error_code"], rows.utc(r["done_at"])
        )
        for r in found
    ]
    if receipts:
        record_receipts(conn, receipts, now)


def purge_pending_receipts(conn: sqlite3.Connection, before: datetime) -> int:
    return conn.execute(
        "DELETE FROM pending_receipts WHERE received_at < ?", (iso(before),)
    ).rowcount
