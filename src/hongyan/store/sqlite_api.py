"""SQLite verbs of the REST API: message detail, inbound listing, API keys, idempotency keys.

A mixin for ``SqliteStore``: ``_read`` runs on the reader, ``_write`` on the group-committing
writer, where each operation is its own savepoint — so ``admit_idempotent``'s admit and
its answer commit together or not at all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from hongyan.core.errors import Conflict
from hongyan.core.inbound import InboundMessage
from hongyan.core.messages import NewMessage
from hongyan.store import rows
from hongyan.store import sqlite_queue as q
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
from hongyan.store.rows import iso

T = TypeVar("T")

_CLAIM = (
    "INSERT INTO idempotency_keys (account_id, key, fingerprint, token, claimed_at, expires_at)"
    " VALUES (:account_id, :key, :fingerprint, :token, :now, :expires)"
    " ON CONFLICT (account_id, key) DO UPDATE SET fingerprint = excluded.fingerprint,"
    " token = excluded.token, claimed_at = excluded.claimed_at,"
    " expires_at = excluded.expires_at, status = NULL, body = NULL"
    " WHERE idempotency_keys.expires_at <= :now OR (idempotency_keys.status IS NULL"
    " AND idempotency_keys.claimed_at <= :stale AND idempotency_keys.fingerprint = :fingerprint)"
    " RETURNING token"
)
_HELD = "account_id = ? AND key = ? AND token = ? AND status IS NULL"


def _message_detail(
    conn: sqlite3.Connection, message_id: int, account_id: int | None
) -> MessageDetail | None:
    row = conn.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
    if row is None or (account_id is not None and row["account_id"] != account_id):
        return None
    found = conn.execute(
        "SELECT * FROM segments WHERE message_id = ? ORDER BY seq", (message_id,)
    ).fetchall()
    pushes = conn.execute(
        "SELECT * FROM outbox WHERE kind = 'report' AND ref_id = ? ORDER BY id", (message_id,)
    ).fetchall()
    return MessageDetail(
        rows.message(row),
        tuple(segment_detail(s) for s in found),
        tuple(push_detail(p) for p in pushes),
    )


def _admit_idempotent(
    conn: sqlite3.Connection,
    claim: IdempotencyClaim,
    messages: Sequence[NewMessage],
    answer: Callable[[list[int]], StoredAnswer],
    now: datetime,
) -> list[int]:
    held = (claim.account_id, claim.key, claim.token)
    if conn.execute(f"SELECT 1 FROM idempotency_keys WHERE {_HELD}", held).fetchone() is None:
        raise ClaimLost(claim.key)
    ids = q.admit(conn, claim.account_id, messages, now)
    stored = answer(ids)
    conn.execute(
        f"UPDATE idempotency_keys SET status = ?, body = ? WHERE {_HELD}",
        (stored.status, stored.body, *held),
    )
    return ids


class ApiVerbs:
    _clock: Callable[[], datetime]

    async def _read(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    async def _write(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    async def get_message_detail(
        self, message_id: int, account_id: int | None = None
    ) -> MessageDetail | None:
        return await self._read(
            partial(_message_detail, message_id=message_id, account_id=account_id)
        )

    async def find_inbound(
        self, account_id: int, before_id: int | None, limit: int
    ) -> list[InboundMessage]:
        sql = "SELECT * FROM inbound WHERE account_id = ? AND id < ? ORDER BY id DESC LIMIT ?"
        below = before_id if before_id is not None else 2**63 - 1
        found = await self._read(
            lambda conn: conn.execute(sql, (account_id, below, limit)).fetchall()
        )
        return [rows.inbound(r) for r in found]

    # API keys

    async def create_api_key(
        self, account_id: int, label: str, prefix: str, key_hash: str
    ) -> ApiKey:
        sql = (
            "INSERT INTO api_keys (account_id, label, prefix, key_hash, created_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING *"
        )
        values = (account_id, label, prefix, key_hash, iso(self._clock()))

        def insert(conn: sqlite3.Connection) -> ApiKey:
            try:
                return api_key(conn.execute(sql, values).fetchone())
            except sqlite3.IntegrityError as exc:
                raise Conflict(f"cannot store API key {prefix!r}: {exc}") from exc

        return await self._write(insert)

    async def list_api_keys(self, account_id: int) -> list[ApiKey]:
        found = await self._read(
            lambda conn: conn.execute(
                "SELECT * FROM api_keys WHERE account_id = ? ORDER BY id", (account_id,)
            ).fetchall()
        )
        return [api_key(r) for r in found]

    async def revoke_api_key(self, account_id: int, key_id: int) -> bool:
        sql = (
            "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND account_id = ?"
            " AND revoked_at IS NULL"
        )
        values = (iso(self._clock()), key_id, account_id)
        changed: int = await self._write(lambda conn: conn.execute(sql, values).rowcount)
        return changed == 1

    async def find_api_key(self, prefix: str) -> ApiKeyCredential | None:
        row = await self._read(
            lambda conn: conn.execute(
                "SELECT * FROM api_keys WHERE prefix = ?", (prefix,)
            ).fetchone()
        )
        return None if row is None else ApiKeyCredential(api_key(row), row["key_hash"])

    async def touch_api_key(self, key_id: int, now: datetime) -> None:
        await self._write(
            lambda conn: conn.execute(
                "UPDATE api_keys SET last_used_at = ? WHERE id = ?", (iso(now), key_id)
            )
        )

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
        params = {
            "account_id": claim.account_id,
            "key": claim.key,
            "fingerprint": fingerprint,
            "token": claim.token,
            "now": iso(now),
            "expires": iso(now + ttl),
            "stale": iso(now - stale),
        }

        def take(conn: sqlite3.Connection) -> IdempotencyRecord | None:
            if conn.execute(_CLAIM, params).fetchone() is not None:
                return None
            row = conn.execute(
                "SELECT * FROM idempotency_keys WHERE account_id = ? AND key = ?",
                (claim.account_id, claim.key),
            ).fetchone()
            return idempotency_record(row)

        return await self._write(take)

    async def admit_idempotent(
        self,
        claim: IdempotencyClaim,
        messages: Sequence[NewMessage],
        answer: Callable[[list[int]], StoredAnswer],
    ) -> list[int]:
        return await self._write(
            partial(
                _admit_idempotent, claim=claim, messages=messages, answer=answer, now=self._clock()
            )
        )

    async def finish_idempotency_key(self, claim: IdempotencyClaim, answer: StoredAnswer) -> bool:
        sql = f"UPDATE idempotency_keys SET status = ?, body = ? WHERE {_HELD}"
        values = (answer.status, answer.body, claim.account_id, claim.key, claim.token)
        changed: int = await self._write(lambda conn: conn.execute(sql, values).rowcount)
        return changed == 1

    async def release_idempotency_key(self, claim: IdempotencyClaim) -> None:
        sql = f"DELETE FROM idempotency_keys WHERE {_HELD}"
        values = (claim.account_id, claim.key, claim.token)
        await self._write(lambda conn: conn.execute(sql, values))

    async def get_idempotency_key(
        self, account_id: int, key: str, now: datetime
    ) -> IdempotencyRecord | None:
        sql = "SELECT * FROM idempotency_keys WHERE account_id = ? AND key = ? AND expires_at > ?"
        row = await self._read(
            lambda conn: conn.execute(sql, (account_id, key, iso(now))).fetchone()
        )
        return None if row is None else idempotency_record(row)

    async def purge_idempotency_keys(self, now: datetime) -> int:
        sql = "DELETE FROM idempotency_keys WHERE expires_at <= ?"
        purged: int = await self._write(lambda conn: conn.execute(sql, (iso(now),)).rowcount)
        return purged
