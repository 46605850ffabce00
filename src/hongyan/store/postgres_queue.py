"""The PostgreSQL message queue: admission, claims, submit results, expiry, cancel, receipts.

Each function runs inside the caller's transaction on one asyncpg connection. Batches travel as
arrays and are read with ``unnest``; claims use ``FOR UPDATE SKIP LOCKED`` so dispatchers on
many machines share the queue. Statements that depend on each other's rows go as one statement
with data-modifying CTEs, and a statement with nothing to do is not sent: every round trip is
server and client CPU.

A receipt racing the submit_sm_resp that names its carrier id is never left pending. Submits
hold a transaction-scoped advisory lock per channel in *shared* mode (they never wait for each
other), and look for pending receipts only after taking it. A receipt that matches no segment
takes the same lock *exclusively* before it looks again and stores itself as pending, so it
waits for the submits in flight to commit, and a submit that starts meanwhile waits for the
pending row. Receipts that find their segment take no lock at all: with the usual receipt
delay they are nearly all of them.
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


async def _lock_channels(con: Connection, channels: set[str], *, shared: bool) -> None:
    """The receipt/submit lock of each channel, in name order (one lock order everywhere)."""
    if channels:
        kind = "_shared" if shared else ""
        await con.execute(
            f"SELECT count(pg_advisory_xact_lock{kind}(hashtext('hongyan.receipts:' || c)))"
            " FROM (SELECT c FROM unnest($1::text[]) AS c ORDER BY c) AS ordered",
            sorted(channels),
        )


# The sent messages, their segments, and the receipts that came before them: one statement.
_SUBMITTED = (
    "WITH sent AS (UPDATE messages m SET state = 'submitted', channel = u.channel,"
    "  claim_until = NULL, claim_owner = NULL FROM unnest($1::bigint[], $2::text[])"
    "  AS u(id, channel) WHERE m.id = u.id),"
    " segs AS (INSERT INTO segments (message_id, seq, channel, carrier_id, submitted_at)"
    "  SELECT *, $7::timestamptz FROM unnest($3::bigint[], $4::int[], $5::text[], $6::text[]))"
    " DELETE FROM pending_receipts p USING unnest($8::text[], $9::text[]) AS u(channel, cid)"
    " WHERE p.channel = u.channel AND p.carrier_id = u.cid RETURNING p.*"
)


async def record_submits(
    con: Connection,
    now: datetime,
    successes: Sequence[SubmitSuccess],
    retries: Sequence[SubmitRetry],
    finals: Sequence[SubmitFinal],
) -> list[int]:
    asked = [s.message_id for s in successes] + [r.message_id for r in retries]
    await _lock_channels(con, {s.channel for s in successes}, shared=True)  # before rows
    found = (
        await con.fetch(
            "SELECT id, state FROM messages WHERE id = ANY($1::bigint[]) ORDER BY id"
            " FOR NO KEY UPDATE",
            asked,
        )
        if asked
        else []
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
    segments = [
        (s.message_id, seq, s.channel, normalize_carrier_id(cid))
        for s in ok
        for seq, cid in enumerate(s.carrier_ids)
    ]
    if ok:
        wanted = sorted({(ch, c) for _, _, ch, cid in segments for c in carrier_id_candidates(cid)})
        early = await con.fetch(
            _SUBMITTED,
            [s.message_id for s in ok],
            [s.channel for s in ok],
            *([seg[i] for seg in segments] for i in range(4)),
            now,
            [w[0] for w in wanted],
            [w[1] for w in wanted],
        )
        if early:  # receipts that came before their submit_sm_resp, applied now
            await _record_receipts(con, [_receipt(r) for r in sorted(early, key=_by_id)], now)
    if again:
        await con.execute(
            "UPDATE messages m SET state = 'queued', due_at = u.due_at,"
            " attempts = attempts + 1, last_error = u.error, claim_until = NULL,"
            " claim_owner = NULL FROM unnest($1::bigint[], $2::timestamptz[], $3::text[])"
            " AS u(id, due_at, error) WHERE m.id = u.id",
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
    refused = set(asked) - {s.message_id for s in ok} - {r.message_id for r in again}
    refused |= {f.message_id for f in finals} - finished
    return sorted(refused)


# Final states, their reports and their pushes (accounts with a report URL): one statement.
_FINISH = (
    "WITH ended AS (UPDATE messages m SET state = u.state, stat = u.stat,"
    "  error_code = u.error_code, done_at = u.done_at, claim_until = NULL, claim_owner = NULL"
    "  FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])"
    "  AS u(id, state, stat, error_code, done_at) WHERE m.id = u.id"
    "  RETURNING m.id, m.account_id),"
    " reported AS (INSERT INTO reports (message_id, account_id, created_at)"
    "  SELECT id, account_id, $6 FROM ended)"
    " INSERT INTO outbox (kind, account_id, ref_id, created_at, next_attempt_at)"
    " SELECT 'report', e.account_id, e.id, $6, $6 FROM ended e"
    " JOIN accounts a ON a.id = e.account_id WHERE a.report_url IS NOT NULL ORDER BY e.id"
)


async def finish(
    con: Connection, ends: Sequence[Finish], now: datetime, locked: Sequence[Any] = ()
) -> list[int]:
    """Final states: checked, refunded where the table says so, reported, pushes queued.

    ``locked``: the messages' rows (id, state, account_id, price) when the caller has locked
    them already in this transaction; else they are locked here.
    """
    if not ends:
        return []
    found = locked or await con.fetch(
        "SELECT id, state, account_id, price FROM messages WHERE id = ANY($1::bigint[])"
        " ORDER BY id FOR NO KEY UPDATE",
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
    if done:
        await con.execute(
            _FINISH,
            ids,
            [e.state.value for e in done],
            [e.stat for e in done],
            [e.error_code for e in done],
            [e.done_at for e in done],
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
    return await _record_receipts(con, receipts, now, lock=True)


async def _record_receipts(
    con: Connection, receipts: Sequence[ReceiptRecord], now: datetime, *, lock: bool = False
) -> ReceiptResult:
    """``lock``: take the channel lock before storing a receipt as pending (see the module
    docstring). Receipts applied by ``record_submits`` match the segments it just wrote."""
    readings = [carrier_id_candidates(r.carrier_id) for r in receipts]
    known = await _segments_named(con, receipts, readings)
    unmatched = [
        (r, cs)
        for r, cs in zip(receipts, readings, strict=True)
        if rows.pick_segment(cs, r.channel, known) is None
    ]
    if unmatched and lock:  # wait for the submits in flight, then look again
        await _lock_channels(con, {r.channel for r, _ in unmatched}, shared=False)
        again = await _segments_named(con, [r for r, _ in unmatched], [cs for _, cs in unmatched])
        known.update(again)
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
    message_ids = sorted({u[0] for u in updates})
    locked = await con.fetch(
        _RECEIPTS,
        *([u[i] for u in updates] for i in range(6)),
        *([p[i] for p in pending] for i in range(5)),
        now,
        message_ids,
    )
    finished = await finish(con, await _decided(con, message_ids), now, locked)
    return ReceiptResult(matched=len(updates), pending=len(pending), finished=tuple(finished))


# Segment outcomes, receipts left pending, and the messages concerned locked (in id order,
# so that a concurrent receipt for another segment of the same message has committed before
# ``_decided`` reads the segments): one statement.
_RECEIPTS = (
    "WITH outcomes AS (UPDATE segments s SET outcome = u.outcome, stat = u.stat,"
    "  error_code = u.error_code, done_at = u.done_at FROM unnest($1::bigint[], $2::int[],"
    "  $3::text[], $4::text[], $5::text[], $6::timestamptz[])"
    "  AS u(message_id, seq, outcome, stat, error_code, done_at)"
    "  WHERE s.message_id = u.message_id AND s.seq = u.seq AND s.outcome IS NULL),"
    " early AS (INSERT INTO pending_receipts (channel, carrier_id, stat, error_code, done_at,"
    "  received_at) SELECT *, $12 FROM unnest($7::text[], $8::text[], $9::text[], $10::text[],"
    "  $11::timestamptz[]))"
    " SELECT id, state, account_id, price FROM messages WHERE id = ANY($13::bigint[])"
    " ORDER BY id FOR NO KEY UPDATE"
)


def _receipt(row: Any) -> ReceiptRecord:
    return ReceiptRecord(
        row["channel"], row["carrier_id"], row["stat"], row["error_code"], row["done_at"]
    )


def _by_id(row: Any) -> int:
    return int(row["id"])


async def _segments_named(
    con: Connection, receipts: Sequence[ReceiptRecord], readings: Sequence[tuple[str, ...]]
) -> dict[tuple[str, str], Any]:
    """The segments any reading of the receipts' carrier ids names, by (channel, carrier id)."""
    keys = sorted({(r.channel, c) for r, cs in zip(receipts, readings, strict=True) for c in cs})
    found = await con.fetch(
        "SELECT s.message_id, s.seq, s.channel, s.carrier_id, s.outcome FROM segments s"
        " JOIN unnest($1::text[], $2::text[]) AS u(channel, carrier_id)"
        " ON s.channel = u.channel AND s.carrier_id = u.carrier_id",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    found.sort(key=lambda r: (r["outcome"] is None, r["message_id"]))
    return {(r["channel"], r["carrier_id"]): r for r in found}


async def _decided(con: Connection, message_ids: list[int]) -> list[Finish]:
    """The final states the segments decide, read after the messages were locked."""
    if not message_ids:
        return []
    found = await con.fetch(
        "SELECT * FROM segments WHERE message_id = ANY($1::bigint[]) ORDER BY message_id, seq",
        message_ids,
    )
    by_message: dict[int, list[Any]] = {}
    for row in found:
        by_message.setdefault(row["message_id"], []).append(row)
    ends = (rows.receipt_finish(mid, segs) for mid, segs in by_message.items())
    return [e for e in ends if e is not None]


async def purge_pending_receipts(con: Connection, before: datetime) -> int:
    status = await con.execute("DELETE FROM pending_receipts WHERE received_at < $1", before)
    return int(status.split()[-1])
