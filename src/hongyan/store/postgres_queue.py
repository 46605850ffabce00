"""The PostgreSQL message queue: admission, claims, submit results, expiry, cancel.

Each function runs inside the caller's transaction on one asyncpg connection. Batches travel as
arrays and are read with ``unnest``; claims use ``FOR UPDATE SKIP LOCKED`` so dispatchers on
many machines share the queue. Statements that depend on each other's rows go as one statement
with data-modifying CTEs, and a statement with nothing to do is not sent: every round trip is
server and client CPU. Receipts, and the lock that keeps them from racing submits, are in
``postgres_receipts``; final states in ``postgres_finish``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hongyan.core.messages import (
    ClaimedMessage,
    MessageState,
    NewMessage,
    SubmitFinal,
    SubmitRetry,
    SubmitSuccess,
    can_transition,
    check_transition,
)
from hongyan.core.receipts import carrier_id_candidates, normalize_carrier_id
from hongyan.store import rows
from hongyan.store.postgres_finish import change_balance, finish
from hongyan.store.postgres_receipts import apply_receipts, lock_channels, pending_receipt
from hongyan.store.rows import Finish

S = MessageState
INITIAL = check_transition(S.ACCEPTED, S.QUEUED)
Connection = Any  # asyncpg.Connection (untyped library)


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
    await lock_channels(con, {s.channel for s in successes}, shared=True)  # before rows
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
            await apply_receipts(con, [pending_receipt(r) for r in sorted(early, key=_by_id)], now)
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


# Messages whose validity ended before they were sent (unclaimed, or their claim ran out)
_EXPIRED = (
    "messages WHERE state IN ('queued', 'submitting') AND expires_at <= $1"
    " AND (state = 'queued' OR claim_until <= $1)"
)


async def any_expired(con: Connection, now: datetime) -> bool:
    """Whether ``expire_due`` would find anything (asked outside a transaction, to skip one)."""
    return bool(await con.fetchval(f"SELECT EXISTS (SELECT 1 FROM {_EXPIRED})", now))


async def expire_due(con: Connection, now: datetime, limit: int) -> int:
    found = await con.fetch(
        f"SELECT id FROM {_EXPIRED} ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED",
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


def _by_id(row: Any) -> int:
    return int(row["id"])
