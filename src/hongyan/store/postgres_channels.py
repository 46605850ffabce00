"""PostgreSQL channel verbs: bind slot leases, pause switches, routed claims, queue figures,
and wake-ups between processes (LISTEN/NOTIFY).

A mixin for ``PostgresStore``. Acquiring a slot is one ``INSERT … ON CONFLICT DO UPDATE …
WHERE`` statement: PostgreSQL locks the conflicting row and re-checks the condition (free,
expired, or already ours) against its latest version, so two dispatchers racing for a slot can
never both get it. Renewing is an ``UPDATE … WHERE owner = me``: once another holder took the
slot, the renewal finds nothing and the loser stops its bind.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from hongyan.core.messages import ClaimedMessage, MessageState
from hongyan.store import rows
from hongyan.store.base import BindState, ChannelState, QueueStats
from hongyan.store.sqlite_channels import LIVE, RESET, UNCLAIMED, channel_state

log = logging.getLogger(__name__)
_LIVE_TYPES = ("bool", "int", "bigint", "bigint", "bigint", "float8", "int", "text")
_ACTIVE = ("queued", "submitting")
_EXACT_BELOW = 200_000  # rows: count states exactly below this, else use planner statistics


class Channels:
    url: str
    _pool: Any
    _clock: Callable[[], datetime]
    on_commit: Callable[[int, float], None] | None = None  # observer: see Store.on_commit
    on_lock_wait: Callable[[float], None] | None = None  # never called: see Store.on_lock_wait

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        raise NotImplementedError

    async def _row(self, sql: str, *args: Any) -> Any:
        raise NotImplementedError

    async def acquire_channel_slots(
        self, channel: str, slots: Sequence[int], owner: str, now: datetime, ttl_seconds: float
    ) -> list[int]:
        found = await self._fetch(
            "INSERT INTO channel_leases (channel, slot, owner, lease_until, updated_at)"
            " SELECT $1, s, $3, $4, $5 FROM unnest($2::int[]) AS s"
            " ON CONFLICT (channel, slot) DO UPDATE SET owner = excluded.owner,"
            f" lease_until = excluded.lease_until, updated_at = excluded.updated_at, {RESET},"
            " last_error = NULL"
            " WHERE channel_leases.owner IS NULL OR channel_leases.owner = excluded.owner"
            " OR channel_leases.lease_until <= $5"
            " RETURNING slot",
            channel,
            sorted(set(slots)),
            owner,
            now + timedelta(seconds=ttl_seconds),
            now,
        )
        return sorted(r["slot"] for r in found)

    async def renew_channel_slots(
        self, owner: str, states: Sequence[BindState], now: datetime, ttl_seconds: float
    ) -> list[tuple[str, int]]:
        columns = ("channel", "slot", *LIVE)
        types = ("text", "int", *_LIVE_TYPES)
        arrays = ", ".join(f"${i + 4}::{t}[]" for i, t in enumerate(types))
        found = await self._fetch(
            "UPDATE channel_leases l SET lease_until = $2, updated_at = $3, "
            + ", ".join(f"{c} = u.{c}" for c in LIVE)
            + f" FROM unnest({arrays}) AS u({', '.join(columns)})"
            " WHERE l.channel = u.channel AND l.slot = u.slot AND l.owner = $1"
            " RETURNING l.channel, l.slot",
            owner,
            now + timedelta(seconds=ttl_seconds),
            now,
            *([getattr(s, c) for s in states] for c in columns),
        )
        return sorted((r["channel"], r["slot"]) for r in found)

    async def release_channel_slots(
        self, owner: str, slots: Sequence[tuple[str, int]] | None = None
    ) -> int:
        which = ""
        if slots is not None:
            which = " AND (channel, slot) IN (SELECT * FROM unnest($3::text[], $4::int[]))"
        args: list[Any] = [owner, self._clock()]
        if slots is not None:
            args += [[c for c, _ in slots], [s for _, s in slots]]
        found = await self._fetch(
            f"UPDATE channel_leases SET owner = NULL, lease_until = NULL, updated_at = $2, {RESET}"
            f" WHERE owner = $1{which} RETURNING slot",
            *args,
        )
        return len(found)

    async def set_channel_paused(self, channel: str, paused: bool) -> None:
        await self._fetch(
            "INSERT INTO channel_controls (channel, paused, updated_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (channel) DO UPDATE SET paused = excluded.paused,"
            " updated_at = excluded.updated_at",
            channel,
            paused,
            self._clock(),
        )

    async def paused_channels(self) -> set[str]:
        found = await self._fetch("SELECT channel FROM channel_controls WHERE paused")
        return {r["channel"] for r in found}

    async def channel_states(self) -> list[ChannelState]:
        found = await self._fetch(
            "SELECT l.*, coalesce(c.paused, false) AS paused FROM channel_leases l"
            " LEFT JOIN channel_controls c ON c.channel = l.channel ORDER BY l.channel, l.slot"
        )
        return [channel_state(r, r["paused"]) for r in found]

    async def claim_due_routed(
        self,
        now: datetime,
        limit: int,
        lease_seconds: float,
        owner: str,
        routes: Sequence[tuple[str, bool]],
    ) -> list[ClaimedMessage]:
        found = await self._fetch(
            "WITH due AS (SELECT m.id FROM messages m"
            "  WHERE m.state IN ('queued', 'submitting') AND m.due_at <= $1"
            "  AND m.expires_at > $1 AND (m.state = 'queued' OR m.claim_until <= $1)"
            "  AND coalesce((SELECT r.ok FROM unnest($5::text[], $6::bool[])"
            "   WITH ORDINALITY AS r(prefix, ok, n)"
            "   WHERE left(m.recipient, length(r.prefix)) = r.prefix ORDER BY r.n LIMIT 1), true)"
            "  ORDER BY m.due_at, m.id LIMIT $2 FOR UPDATE SKIP LOCKED)"
            " UPDATE messages m SET state = 'submitting', claim_until = $3, claim_owner = $4"
            " FROM due WHERE m.id = due.id"
            " RETURNING m.id, m.account_id, m.recipient, m.source_addr, m.text, m.segments,"
            " m.attempts, m.expires_at, m.due_at",
            now,
            limit,
            now + timedelta(seconds=lease_seconds),
            owner,
            [p for p, _ in routes],
            [ok for _, ok in routes],
        )
        return [rows.claimed(r) for r in sorted(found, key=lambda r: (r["due_at"], r["id"]))]

    async def unclaim(self, message_ids: Sequence[int], owner: str) -> int:
        if not message_ids:
            return 0
        found = await self._fetch(
            f"UPDATE messages SET state = '{UNCLAIMED.value}', claim_until = NULL,"
            " claim_owner = NULL WHERE id = ANY($1::bigint[]) AND state = 'submitting'"
            " AND claim_owner = $2 RETURNING id",
            list(message_ids),
            owner,
        )
        return len(found)

    async def queue_stats(self, now: datetime) -> QueueStats:
        states = await self._state_counts()
        due = await self._row(
            "SELECT count(*) AS n, min(due_at) AS oldest FROM messages"
            " WHERE state IN ('queued', 'submitting') AND due_at <= $1"
            " AND (state = 'queued' OR claim_until <= $1)",
            now,
        )
        pushes = await self._row(
            "SELECT count(*) AS n, count(*) FILTER (WHERE attempts > 0) AS retries"
            " FROM outbox WHERE state = 'pending'"
        )
        return QueueStats(states, due["n"], due["oldest"], pushes["n"], pushes["retries"])

    async def _state_counts(self) -> dict[MessageState, int]:
        """Exact counts of queued/submitting (partial index); the rest from the planner's
        statistics once the table is big (a count(*) of millions of rows per scrape is not)."""
        active = await self._fetch(
            "SELECT state, count(*) AS n FROM messages WHERE state IN ('queued', 'submitting')"
            " GROUP BY state"
        )
        stats = await self._row(
            "SELECT c.reltuples::bigint AS total, s.most_common_vals::text::text[] AS vals,"
            " s.most_common_freqs AS freqs FROM pg_class c LEFT JOIN pg_stats s"
            " ON s.schemaname = 'public' AND s.tablename = 'messages' AND s.attname = 'state'"
            " WHERE c.oid = 'messages'::regclass"
        )
        if stats is None or stats["vals"] is None or stats["total"] < _EXACT_BELOW:
            found = await self._fetch("SELECT state, count(*) AS n FROM messages GROUP BY state")
            return {MessageState(r["state"]): r["n"] for r in found}
        counts = {
            MessageState(v): round(f * stats["total"])
            for v, f in zip(stats["vals"], stats["freqs"], strict=True)
            if v not in _ACTIVE
        }
        counts.update({MessageState(r["state"]): r["n"] for r in active})
        return counts

    async def announce(self, topic: str) -> None:
        await self._fetch("SELECT pg_notify($1, '')", topic)

    async def listen(
        self, topic: str, callback: Callable[[], None]
    ) -> Callable[[], Awaitable[None]]:
        """A connection of its own (not the pool's) that LISTENs on ``topic``.

        If it breaks, wake-ups stop and the listeners fall back on their polling; losing one
        costs latency, never messages.
        """
        con = await asyncpg.connect(self.url)

        def notified(*_: object) -> None:
            callback()

        await con.add_listener(topic, notified)

        async def stop() -> None:
            with contextlib.suppress(Exception):
                await con.close(timeout=2)

        return stop
