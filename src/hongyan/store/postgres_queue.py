"""The PostgreSQL message queue: admission, claims, submit results, expiry, cancel, receipts.

Each function runs inside the caller's transaction on one asyncpg connection. Batches travel as
arrays and are read with ``unnest``; claims use ``FOR UPDATE SKIP LOCKED`` so dispatchers on
many machines share the queue. Receipts and submits of one channel take a transaction-scoped
advisory lock, so a receipt racing the submit_sm_resp that names its carrier id is never
left pending: whichever commits second sees the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

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
from hongyan.store.rows import Finish

S = MessageState
INITIAL = check_transition(S.ACCEPTED, S.QUEUED)
Connection = Any  # asyncpg.Connection (untyped library)


async def change_balance(con: Connection, account_id: int, delta: int, note: str) -> int:
    """Add ``delta`` (may be negative) with a ledger row; InsufficientBalance below zero."""
    balance = await con.fetchval(
        "UPDATE accounts SET balance = balance + $2 WHERE id = $1 AND balance + $2 >= 0"
        " RETURNING balance",
        account_id,
        delta,
    )
    if balance is None:
        current = await con.fetchval("SELECT balance FROM accounts WHERE id = $1", account_id)
        if current is None:
            raise NotFound(f"no account with id {account_id}")
        raise InsufficientBalance(-delta, current)
    await con.execute(
        "INSERT INTO ledger (account_id, delta, balance_after, note) VALUES ($1, $2, $3, $4)",
        account_id,
        delta,
        balance,
        note,
    )
    return int(balance)


async def admit(
    con: Connection, account_id: int, messages: Sequence[NewMessage], now: datetime
) -> list[int]:
    if not messages:
        return []
    total = sum(m.price for m in messages)
    await change_balance(con, account_id, -total, f"admit {len(messages)} messages")
    found = await con.fetch(
        "SELECT nextval('message_id_seq') AS id FROM generate_series(1, $1)", len(messages)
    )
    ids = sorted(r["id"] for r in found)
    await con.execute(
        "INSERT INTO messages (id, account_id, state, recipient, recipient_input, source_addr,"
        " text, segments, price, due_at, expires_at, created_at, client_ref, dialect)"
        " SELECT u.id, $2, $3, u.recipient, u.recipient_input, u.source_addr, u.text,"
        " u.segments, u.price, u.due_at, u.expires_at, $4, u.client_ref, u.dialect"
        " FROM unnest($1::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[],"
        " $10::int[], $11::timestamptz[], $12::timestamptz[], $13::text[], $14::text[])"
        " AS u(id, recipient, recipient_input, source_addr, text, segments, price, due_at,"
        " expires_at, client_ref, dialect)",
        ids,
        account_id,
        INITIAL.value,
        now,
        *[[getattr(m, f) for m in messages] for f in _ADMIT_FIELDS],
    )
    return ids


_ADMIT_FIELDS = (
    "recipient",
    "recipient_input",
    "source_addr",
    "text",
    "segments",
    "price",
    "due_at",
    "expires_at",
    "client_ref",
    "dialect",
)


async def claim_due(
    con: Connection, now: datetime, limit: int, until: datetime, owner: str
) -> list[ClaimedMessage]:
    """Queued and due, or leased to a dispatcher whose lease has passed (it went back to queued)."""
    found = await con.fetch(
        "WITH due AS (SELECT id FROM messages"
        "  WHERE state IN ('queued', 'submitting') AND due_at <= $1 AND expires_at > $1"
        "  AND (state = 'queued' OR claim_until <= $1)"
        "  ORDER BY due_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)"
        " UPDATE messages m SET state = 'submitting', claim_until = $3, claim_owner = $4"
        " FROM due WHERE m.id = due.id"
        " RETURNING m.id, m.account_id, m.recipient, m.source_addr, m.text, m.segments,"
        " m.attempts, m.expires_at, m.due_at",
        now,
        limit,
        until,
        owner,
    )
    return [rows.claimed(r) for r in sorted(found, key=lambda r: (r["due_at"], r["id"]))]


async def renew_claims(
    con: Connection, message_ids: Sequence[int], owner: str, until: datetime
) -> int:
    """Extend ``owner``'s claims on messages still being submitted (see ``Store``)."""
    status = await con.execute(
        "UPDATE messages SET claim_until = $3 WHERE id = ANY($1::bigint[])"
        " AND state = 'submitting' AND claim_owner = $2",
        list(message_ids),
        owner,
        until,
    )
    return int(status.split()[-1])


async def _lock_channels(con: Connection, channels: set[str]) -> None:
    for channel in sorted(channels):
        await con.execute(
            "SELECT pg_advisory_xact_lock(hashtext('hongyan.receipts:' || $1))", channel
        )


async def record_submits(
    con: Connection,
    now: datetime,
    successes: Sequence[SubmitSuccess],
    retries: Sequence[SubmitRetry],
    finals: Sequence[SubmitFinal],
) -> list[int]:
    asked = [s.message_id for s in successes] + [r.message_id for r in retries]
    await _lock_channels(con, {s.channel for s in successes})  # before rows: one lock order
    found = await con.fetch(
        "SELECT id, state FROM messages WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE", asked
    )
    states = {r["id"]: MessageState(r["state"]) for r in found}
    ok = [
        s
        for s in successes
        if s.message_id in states and can_transition(states[s.message_id], S.SUBMITTED)
    ]
    again = [
        r
        for r in retries
        if r.message_id in states and can_transition(states[r.message_id], S.QUEUED)
    ]
    await con.execute(
        "UPDATE messages m SET state = 'submitted', channel = u.channel, claim_until = NULL,"
        " claim_owner = NULL FROM unnest($1::bigint[], $2::text[]) AS u(id, channel)"
        " WHERE m.id = u.id",
        [s.message_id for s in ok],
        [s.channel for s in ok],
    )
    segments = [
        (s.message_id, seq, s.channel, normalize_carrier_id(cid))
        for s in ok
        for seq, cid in enumerate(s.carrier_ids)
    ]
    await con.execute(
        "INSERT INTO segments (message_id, seq, channel, carrier_id, submitted_at)"
        " SELECT *, $5::timestamptz FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[])",
        *([seg[i] for seg in segments] for i in range(4)),
        now,
    )
    await con.execute(
        "UPDATE messages m SET state = 'queued', due_at = u.due_at, attempts = attempts + 1,"
        " last_error = u.error, claim_until = NULL, claim_owner = NULL"
        " FROM unnest($1::bigint[], $2::timestamptz[], $3::text[]) AS u(id, due_at, error)"
        " WHERE m.id = u.id",
        [r.message_id for r in again],
        [r.retry_at for r in again],
        [r.error for r in again],
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
    finished = set(await finish(con, ended, now))
    await _apply_pending(con, [(channel, cid) for _, _, channel, cid in segments], now)
    refused = set(asked) - {s.message_id for s in ok} - {r.message_id for r in again}
    refused |= {f.message_id for f in finals} - finished
    return sorted(refused)


async def finish(con: Connection, ends: Sequence[Finish], now: datetime) -> list[int]:
    """Final states: checked, refunded where the table says so, reported, pushes queued."""
    if not ends:
        return []
    found = await con.fetch(
        "SELECT id, state, account_id, price FROM messages WHERE id = ANY($1::bigint[])"
        " ORDER BY id FOR UPDATE",
        [e.message_id for e in ends],
    )
    current = {r["id"]: r for r in found}
    done = [
        e
        for e in ends
        if e.message_id in current
        and can_transition(MessageState(current[e.message_id]["state"]), e.state)
    ]
    ids = [e.message_id for e in done]
    await con.execute(
        "UPDATE messages m SET state = u.state, stat = u.stat, error_code = u.error_code,"
        " done_at = u.done_at, claim_until = NULL, claim_owner = NULL"
        " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])"
        " AS u(id, state, stat, error_code, done_at) WHERE m.id = u.id",
        ids,
        [e.state.value for e in done],
        [e.stat for e in done],
        [e.error_code for e in done],
        [e.done_at for e in done],
    )
    await con.execute(
        "INSERT INTO reports (message_id, account_id, created_at)"
        " SELECT id, account_id, $2 FROM messages WHERE id = ANY($1::bigint[])",
        ids,
        now,
    )
    await con.execute(
        "INSERT INTO outbox (kind, account_id, ref_id, created_at, next_attempt_at)"
        " SELECT 'report', m.account_id, m.id, $2, $2 FROM messages m"
        " JOIN accounts a ON a.id = m.account_id"
        " WHERE m.id = ANY($1::bigint[]) AND a.report_url IS NOT NULL ORDER BY m.id",
        ids,
        now,
    )
    back = rows.refund_totals(
        (current[e.message_id]["account_id"], current[e.message_id]["price"])
        for e in done
        if refunds(MessageState(current[e.message_id]["state"]), e.state)
    )
    for account_id in sorted(back):
        await change_balance(con, account_id, back[account_id], "refund")
    return ids


async def expire_due(con: Connection, now: datetime, limit: int) -> int:
    found = await con.fetch(
        "SELECT id FROM messages WHERE state IN ('queued', 'submitting') AND expires_at <= $1"
        " AND (state = 'queued' OR claim_until <= $1) ORDER BY expires_at LIMIT $2"
        " FOR UPDATE SKIP LOCKED",
        now,
        limit,
    )
    stat = rows.OWN_STATS[S.EXPIRED]
    return len(await finish(con, [Finish(r["id"], S.EXPIRED, stat, "", now) for r in found], now))


async def expire_unreported(con: Connection, before: datetime, now: datetime, limit: int) -> int:
    found = await con.fetch(
        "SELECT id FROM messages WHERE state = 'submitted' AND expires_at <= $1"
        " ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        before,
        limit,
    )
    stat = rows.OWN_STATS[S.EXPIRED]
    return len(await finish(con, [Finish(r["id"], S.EXPIRED, stat, "", now) for r in found], now))


async def cancel(con: Connection, account_id: int, message_id: int, now: datetime) -> bool:
    found = await con.fetchval(
        "SELECT id FROM messages WHERE id = $1 AND account_id = $2", message_id, account_id
    )
    if found is None:
        return False
    stat = rows.OWN_STATS[S.CANCELLED]
    return bool(await finish(con, [Finish(message_id, S.CANCELLED, stat, "", now)], now))


async def record_receipts(
    con: Connection, receipts: Sequence[ReceiptRecord], now: datetime
) -> ReceiptResult:
    await _lock_channels(con, {r.channel for r in receipts})
    readings = [carrier_id_candidates(r.carrier_id) for r in receipts]
    keys = sorted({(r.channel, c) for r, cs in zip(receipts, readings, strict=True) for c in cs})
    found = await con.fetch(
        "SELECT s.message_id, s.seq, s.channel, s.carrier_id, s.outcome FROM segments s"
        " JOIN unnest($1::text[], $2::text[]) AS u(channel, carrier_id)"
        " ON s.channel = u.channel AND s.carrier_id = u.carrier_id",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    found.sort(key=lambda r: (r["outcome"] is None, r["message_id"]))
    known = {(r["channel"], r["carrier_id"]): r for r in found}
    updates: list[tuple[Any, ...]] = []
    pending: list[tuple[Any, ...]] = []
    for receipt, candidates in zip(receipts, readings, strict=True):
        segment = rows.pick_segment(candidates, receipt.channel, known)
        fields = (receipt.stat, receipt.error_code, receipt.done_at)
        if segment is None:
            pending.append((receipt.channel, candidates[0], *fields))
        else:
            outcome = receipt.outcome.value if receipt.outcome else None
            updates.append((segment["message_id"], segment["seq"], outcome, *fields))
    await con.execute(
        "UPDATE segments s SET outcome = u.outcome, stat = u.stat, error_code = u.error_code,"
        " done_at = u.done_at FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[],"
        " $5::text[], $6::timestamptz[]) AS u(message_id, seq, outcome, stat, error_code, done_at)"
        " WHERE s.message_id = u.message_id AND s.seq = u.seq AND s.outcome IS NULL",
        *([u[i] for u in updates] for i in range(6)),
    )
    await con.execute(
        "INSERT INTO pending_receipts (channel, carrier_id, stat, error_code, done_at, received_at)"
        " SELECT *, $6 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],"
        " $5::timestamptz[])",
        *([p[i] for p in pending] for i in range(5)),
        now,
    )
    finished = await finish(con, await _decided(con, {u[0] for u in updates}), now)
    return ReceiptResult(matched=len(updates), pending=len(pending), finished=tuple(finished))


async def _decided(con: Connection, message_ids: set[int]) -> list[Finish]:
    # Lock the messages first: a concurrent receipt for another segment of the same message
    # then commits before we read the segments, and we see its outcome.
    ids = sorted(message_ids)
    await con.execute(
        "SELECT id FROM messages WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE", ids
    )
    found = await con.fetch(
        "SELECT * FROM segments WHERE message_id = ANY($1::bigint[]) ORDER BY message_id, seq", ids
    )
    by_message: dict[int, list[Any]] = {}
    for row in found:
        by_message.setdefault(row["message_id"], []).append(row)
    ends = (rows.receipt_finish(mid, segs) for mid, segs in by_message.items())
    return [e for e in ends if e is not None]


async def _apply_pending(con: Connection, keys: list[tuple[str, str]], now: datetime) -> None:
    """Receipts that came before their submit_sm_resp: apply them now the id is known."""
    wanted = sorted({(ch, c) for ch, cid in keys for c in carrier_id_candidates(cid)})
    if not wanted:
        return
    await _lock_channels(con, {ch for ch, _ in wanted})
    found = await con.fetch(
        "DELETE FROM pending_receipts p USING unnest($1::text[], $2::text[]) AS u(channel, cid)"
        " WHERE p.channel = u.channel AND p.carrier_id = u.cid RETURNING p.*",
        [w[0] for w in wanted],
        [w[1] for w in wanted],
    )
    receipts = [
        ReceiptRecord(r["channel"], r["carrier_id"], r["stat"], r["error_code"], r["done_at"])
        for r in sorted(found, key=lambda r: r["id"])
    ]
    if receipts:
        await record_receipts(con, receipts, now)


async def purge_pending_receipts(con: Connection, before: datetime) -> int:
    status = await con.execute("DELETE FROM pending_receipts WHERE received_at < $1", before)
    return int(status.split()[-1])
