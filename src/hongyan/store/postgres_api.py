"""PostgreSQL verbs of the REST API: message detail, inbound listing, API keys, idempotency keys.

A mixin for ``PostgresStore`` (``_tx``, ``_fetch``, ``_row``). ``admit_idempotent`` locks the
claim row, admits and writes the answer in one transaction, so a request that lost its claim
(it went stale and a retry took it) can never admit as well.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import asyncpg

from hongyan.core.errors import Conflict
from hongyan.core.inbound import InboundMessage
from hongyan.core.messages import NewMessage
from hongyan.store import postgres_queue as q
from hongyan.store import rows
from hongyan.store.api_rows import api_key, idempotency_record, push_detail, segment_detail
from hongyan.store.base import (
    ApiKey,
    ApiKeyCredential,
    ClaimLost,
    IdempotencyClaim,
    IdempotencyRecord,
    MessageDetail,
    StoredAnswer,
)

T = TypeVar("T")
Connection = Any  # asyncpg.Connection (untyped library)

_CLAIM = (
    "INSERT INTO idempotency_keys (account_id, key, fingerprint, token, claimed_at, expires_at)"
    " VALUES ($1, $2, $3, $4, $5, $6)"
    " ON CONFLICT (account_id, key) DO UPDATE SET fingerprint = excluded.fingerprint,"
    " token = excluded.token, claimed_at = excluded.claimed_at,"
    " expires_at = excluded.expires_at, status = NULL, body = NULL"
    " WHERE idempotency_keys.expires_at <= $5 OR (idempotency_keys.status IS NULL"
    " AND idempotency_keys.claimed_at <= $7 AND idempotency_keys.fingerprint = $3)"
    " RETURNING token"
)
_HELD = "account_id = $1 AND key = $2 AND token = $3 AND status IS NULL"


async def _message_detail(
    con: Connection, message_id: int, account_id: int | None
) -> MessageDetail | None:
    row = await con.fetchrow("SELECT * FROM messages WHERE id = $1", message_id)
    if row is None or (account_id is not None and row["account_id"] != account_id):
        return None
    found = await con.fetch("SELECT * FROM segments WHERE message_id = $1 ORDER BY seq", message_id)
    pushes = await con.fetch(
        "SELECT * FROM outbox WHERE kind = 'report' AND ref_id = $1 ORDER BY id", message_id
    )
    return MessageDetail(
        rows.message(row),
        tuple(segment_detail(s) for s in found),
        tuple(push_detail(p) for p in pushes),
    )


async def _claim(
    con: Connection,
    claim: IdempotencyClaim,
    fingerprint: str,
    now: datetime,
    ttl: timedelta,
    stale: timedelta,
) -> IdempotencyRecord | None:
    took = await con.fetchval(
        _CLAIM,
        *(claim.account_id, claim.key, fingerprint, claim.token),
        *(now, now + ttl, now - stale),
    )
    if took is not None:
        return None
    # ON CONFLICT locked the row even though it did not change it: this read is current.
    row = await con.fetchrow(
        "SELECT * FROM idempotency_keys WHERE account_id = $1 AND key = $2",
        claim.account_id,
        claim.key,
    )
    return idempotency_record(row)


async def _admit_idempotent(
    con: Connection,
    claim: IdempotencyClaim,
    messages: Sequence[NewMessage],
    answer: Callable[[list[int]], StoredAnswer],
    now: datetime,
) -> list[int]:
    held = (claim.account_id, claim.key, claim.token)
    if await con.fetchval(f"SELECT 1 FROM idempotency_keys WHERE {_HELD} FOR UPDATE", *held):
        ids: list[int] = await q.admit(con, claim.account_id, messages, now)
        stored = answer(ids)
        await con.execute(
            f"UPDATE idempotency_keys SET status = $4, body = $5 WHERE {_HELD}",
            *held,
            stored.status,
            stored.body,
        )
        return ids
    raise ClaimLost(claim.key)


class ApiVerbs:
    _clock: Callable[[], datetime]

    async def _tx(self, operation: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        raise NotImplementedError

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        raise NotImplementedError

    async def _row(self, sql: str, *args: Any) -> Any:
        raise NotImplementedError

    async def get_message_detail(
        self, message_id: int, account_id: int | None = None
    ) -> MessageDetail | None:
        # REPEATABLE READ would be stricter; one read-committed transaction is what the
        # other reads use, and a detail a receipt later overtakes is still a true snapshot
        # of each row.
        return await self._tx(_message_detail, message_id, account_id)

    async def find_inbound(
        self, account_id: int, before_id: int | None, limit: int
    ) -> list[InboundMessage]:
        found = await self._fetch(
            "SELECT * FROM inbound WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
            account_id,
            before_id if before_id is not None else 2**63 - 1,
            limit,
        )
        return [rows.inbound(r) for r in found]

    # API keys

    async def create_api_key(
        self, account_id: int, label: str, prefix: str, key_hash: str
    ) -> ApiKey:
        try:
            row = await self._row(
                "INSERT INTO api_keys (account_id, label, prefix, key_hash, created_at)"
                " VALUES ($1, $2, $3, $4, $5) RETURNING *",
                *(account_id, label, prefix, key_hash, self._clock()),
            )
        except (asyncpg.UniqueViolationError, asyncpg.ForeignKeyViolationError) as exc:
            raise Conflict(f"cannot store API key {prefix!r}: {exc}") from exc
        return api_key(row)

    async def list_api_keys(self, account_id: int) -> list[ApiKey]:
        found = await self._fetch(
            "SELECT * FROM api_keys WHERE account_id = $1 ORDER BY id", account_id
        )
        return [api_key(r) for r in found]

    async def revoke_api_key(self, account_id: int, key_id: int) -> bool:
        row = await self._row(
            "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND account_id = $3"
            " AND revoked_at IS NULL RETURNING id",
            *(self._clock(), key_id, account_id),
        )
        return row is not None

    async def find_api_key(self, prefix: str) -> ApiKeyCredential | None:
        row = await self._row("SELECT * FROM api_keys WHERE prefix = $1", prefix)
        return None if row is None else ApiKeyCredential(api_key(row), row["key_hash"])

    async def touch_api_key(self, key_id: int, now: datetime) -> None:
        await self._fetch("UPDATE api_keys SET last_used_at = $2 WHERE id = $1", key_id, now)

    # idempotency keys

    async def claim_idempotency_key(
        self,
        claim: IdempotencyClaim,
        fingerprint: str,
        now: datetime,
        *,
        ttl: timedelta,
        stale: timedelta,
    ) -> IdempotencyRecord | None:
        return await self._tx(_claim, claim, fingerprint, now, ttl, stale)

    async def admit_idempotent(
        self,
        claim: IdempotencyClaim,
        messages: Sequence[NewMessage],
        answer: Callable[[list[int]], StoredAnswer],
    ) -> list[int]:
        return await self._tx(_admit_idempotent, claim, messages, answer, self._clock())

    async def finish_idempotency_key(self, claim: IdempotencyClaim, answer: StoredAnswer) -> bool:
        row = await self._row(
            f"UPDATE idempotency_keys SET status = $4, body = $5 WHERE {_HELD} RETURNING 1",
            *(claim.account_id, claim.key, claim.token, answer.status, answer.body),
        )
        return row is not None

    async def release_idempotency_key(self, claim: IdempotencyClaim) -> None:
        await self._fetch(
            f"DELETE FROM idempotency_keys WHERE {_HELD}", claim.account_id, claim.key, claim.token
        )

    async def get_idempotency_key(
        self, account_id: int, key: str, now: datetime
    ) -> IdempotencyRecord | None:
        row = await self._row(
            "SELECT * FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND expires_at > $3",
            *(account_id, key, now),
        )
        return None if row is None else idempotency_record(row)

    async def purge_idempotency_keys(self, now: datetime) -> int:
        found = await self._fetch(
            "DELETE FROM idempotency_keys WHERE expires_at <= $1 RETURNING 1", now
        )
        return len(found)
