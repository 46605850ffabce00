"""Final states on PostgreSQL: balances and the one statement that ends messages.

``finish`` is shared by every way a message ends (receipts, refused submits, expiry, cancel);
``change_balance`` by admissions, refunds and operators.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hongyan.core.errors import InsufficientBalance, NotFound
from hongyan.core.messages import MessageState, can_transition, refunds
from hongyan.store import rows
from hongyan.store.rows import Finish

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
