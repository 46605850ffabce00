"""The PostgreSQL boxes partners read from: inbound messages, status reports, the push outbox.

"Take and mark read" and push claims use ``FOR UPDATE SKIP LOCKED``: concurrent callers never
get the same row, and never wait for each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hongyan.core.inbound import InboundMessage, NewInbound, is_unsubscribe, owner_of
from hongyan.core.pushes import PushJob
from hongyan.store import rows
from hongyan.store.base import StatusReport

Connection = Any  # asyncpg.Connection


async def service_codes(con: Connection) -> dict[str, int]:
    found = await con.fetch("SELECT service_code, id FROM accounts WHERE service_code <> ''")
    return {r["service_code"]: r["id"] for r in found}


async def record_inbound(
    con: Connection, messages: Sequence[NewInbound], now: datetime
) -> list[InboundMessage]:
    if not messages:
        return []
    codes = await service_codes(con)
    owners = [owner_of(m.destination, codes) or (None, "") for m in messages]
    ids = sorted(
        r[0]
        for r in await con.fetch(
            "SELECT nextval(pg_get_serial_sequence('inbound', 'id')) FROM generate_series(1, $1)",
            len(messages),
        )
    )
    found = await con.fetch(
        "INSERT INTO inbound (id, account_id, channel, source, destination, extension, text,"
        " received_at, created_at) SELECT *, $9 FROM unnest($1::bigint[], $2::bigint[],"
        " $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])"
        " RETURNING *",
        ids,
        [o[0] for o in owners],
        [m.channel for m in messages],
        [m.source for m in messages],
        [m.destination for m in messages],
        [o[1] for o in owners],
        [m.text for m in messages],
        [m.received_at for m in messages],
        now,
    )
    stored = sorted((rows.inbound(r) for r in found), key=lambda m: m.id)
    quitters = [m for m in stored if m.account_id is not None and is_unsubscribe(m.text)]
    await con.execute(
        "INSERT INTO blacklist (number, account_id) SELECT * FROM unnest($1::text[], $2::bigint[])"
        " ON CONFLICT DO NOTHING",
        [m.source for m in quitters],
        [m.account_id for m in quitters],
    )
    await con.execute(
        "INSERT INTO outbox (kind, account_id, ref_id, created_at, next_attempt_at)"
        " SELECT 'inbound', i.account_id, i.id, $2, $2 FROM inbound i"
        " JOIN accounts a ON a.id = i.account_id"
        " WHERE i.id = ANY($1::bigint[]) AND a.inbound_url IS NOT NULL ORDER BY i.id",
        ids,
        now,
    )
    return stored


async def unread_inbound(con: Connection, account_id: int, limit: int) -> list[InboundMessage]:
    """The oldest unread inbound messages of an account, marked read."""
    found = await con.fetch(
        "WITH next AS (SELECT id FROM inbound WHERE account_id = $1 AND NOT read"
        " ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)"
        " UPDATE inbound i SET read = true FROM next WHERE i.id = next.id RETURNING i.*",
        account_id,
        limit,
    )
    return sorted((rows.inbound(r) for r in found), key=lambda m: m.id)


async def unread_reports(con: Connection, account_id: int, limit: int) -> list[StatusReport]:
    """The oldest unread status reports of an account, marked read."""
    found = await con.fetch(
        "WITH next AS (SELECT message_id FROM reports WHERE account_id = $1 AND NOT read"
        " ORDER BY message_id LIMIT $2 FOR UPDATE SKIP LOCKED),"
        " taken AS (UPDATE reports r SET read = true FROM next"
        "  WHERE r.message_id = next.message_id RETURNING r.message_id)"
        " SELECT m.* FROM messages m JOIN taken t ON t.message_id = m.id ORDER BY m.id",
        account_id,
        limit,
    )
    return [rows.status_report(r) for r in found]


# Lease the due rows and read what their pushes need, in one statement: ``taken`` gives the
# leased rows as updated, joined as ``rows.PUSH_JOINS`` says.
_CLAIM_PUSHES = (
    "WITH due AS (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= $1"
    "  AND (lease_until IS NULL OR lease_until <= $1)"
    "  ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED),"
    " taken AS (UPDATE outbox o SET lease_until = $3 FROM due WHERE o.id = due.id RETURNING o.*)"
    " SELECT "
    + ", ".join(f"{expr} AS {name}" for name, expr in rows.PUSH_COLUMNS)
    + " FROM taken o"
    + rows.PUSH_JOINS
    + " ORDER BY o.next_attempt_at, o.id"
)


async def claim_pushes(
    con: Connection, now: datetime, limit: int, until: datetime
) -> list[PushJob]:
    """Due, pending, unleased outbox rows, leased until ``until``; rows with no URL abandoned.

    Runs outside a transaction: the claim is one statement, and rows abandoned after it are
    leased to this caller meanwhile (if that fails, they are claimed again when the lease ends).
    """
    found = await con.fetch(_CLAIM_PUSHES, now, limit, until)
    lost = [r["id"] for r in found if not r["url"]]
    if lost:
        await con.execute(
            "UPDATE outbox SET state = 'abandoned', done_at = $2, last_error = 'no push URL',"
            " lease_until = NULL WHERE id = ANY($1::bigint[])",
            lost,
            now,
        )
    return [rows.push_job(r) for r in found if r["url"]]


async def finish_pushes(
    con: Connection,
    now: datetime,
    delivered: Sequence[int],
    retry: Sequence[tuple[int, datetime | None, str]],
) -> None:
    """Runs outside a transaction; one is opened only when more than one statement is sent."""
    later = [x for x in retry if x[1] is not None]
    given_up = [x for x in retry if x[1] is None]
    if sum(map(bool, (delivered, later, given_up))) > 1:
        async with con.transaction():
            await _finish_pushes(con, now, delivered, later, given_up)
    else:
        await _finish_pushes(con, now, delivered, later, given_up)


async def _finish_pushes(
    con: Connection,
    now: datetime,
    delivered: Sequence[int],
    later: Sequence[tuple[int, datetime | None, str]],
    given_up: Sequence[tuple[int, datetime | None, str]],
) -> None:
    if delivered:
        await con.execute(
            "UPDATE outbox SET state = 'delivered', done_at = $2, lease_until = NULL"
            " WHERE state = 'pending' AND id = ANY($1::bigint[])",
            list(delivered),
            now,
        )
    if later:
        await con.execute(
            "UPDATE outbox o SET next_attempt_at = u.at, attempts = o.attempts + 1,"
            " last_error = u.error, lease_until = NULL"
            " FROM unnest($1::bigint[], $2::timestamptz[], $3::text[]) AS u(id, at, error)"
            " WHERE o.id = u.id AND o.state = 'pending'",
            *([x[i] for x in later] for i in range(3)),
        )
    if given_up:
        await con.execute(
            "UPDATE outbox o SET state = 'abandoned', attempts = o.attempts + 1,"
            " last_error = u.error, done_at = $3, lease_until = NULL"
            " FROM unnest($1::bigint[], $2::text[]) AS u(id, error)"
            " WHERE o.id = u.id AND o.state = 'pending'",
            [x[0] for x in given_up],
            [x[2] for x in given_up],
            now,
        )
