"""SQLite channel verbs: bind slot leases, pause switches, routed claims, queue figures.

A mixin for ``SqliteStore``. Every write goes through the group-commit writer, so acquiring and
renewing are serialised like any other write (and ``BEGIN IMMEDIATE`` serialises processes
sharing the file). Wake-ups between processes do not exist on SQLite: ``announce`` does
nothing and listeners are never called; the roles poll (one process is the SQLite layout).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any, TypeVar

from hongyan.core.messages import ClaimedMessage, MessageState, check_transition
from hongyan.store import rows
from hongyan.store import sqlite_queue as q
from hongyan.store.base import BindState, ChannelState, QueueStats
from hongyan.store.rows import iso
from hongyan.store.sqlite_writer import Writer

T = TypeVar("T")
UNCLAIMED = check_transition(MessageState.SUBMITTING, MessageState.QUEUED)

# Live columns reset when a slot changes hands (the new holder publishes its own).
RESET = (
    "bound = false, window_in_use = 0, submits = 0, errors = 0, throttles = 0,"
    " sends_per_second = 0, queue_depth = 0"
)


def _acquire(
    conn: sqlite3.Connection, channel: str, slots: Sequence[int], owner: str, now: str, until: str
) -> list[int]:
    found = conn.execute(
        "INSERT INTO channel_leases (channel, slot, owner, lease_until, updated_at)"
        " SELECT ?1, value, ?2, ?3, ?4 FROM json_each(?5) WHERE true"
        " ON CONFLICT (channel, slot) DO UPDATE SET owner = excluded.owner,"
        f" lease_until = excluded.lease_until, updated_at = excluded.updated_at, {RESET},"
        " last_error = NULL"
        " WHERE channel_leases.owner IS NULL OR channel_leases.owner = excluded.owner"
        " OR channel_leases.lease_until <= ?4"
        " RETURNING slot",
        (channel, owner, until, now, json.dumps(sorted(set(slots)))),
    ).fetchall()
    return sorted(r[0] for r in found)


LIVE = (
    "bound",
    "window_in_use",
    "submits",
    "errors",
    "throttles",
    "sends_per_second",
    "queue_depth",
    "last_error",
)
_FIELDS = ", ".join(f"json_extract(value, '$.{f}') AS {f}" for f in ("channel", "slot", *LIVE))


def _renew(
    conn: sqlite3.Connection, owner: str, states: Sequence[BindState], now: str, until: str
) -> list[tuple[str, int]]:
    found = conn.execute(
        "UPDATE channel_leases AS l SET lease_until = ?2, updated_at = ?3, "
        + ", ".join(f"{f} = u.{f}" for f in LIVE)
        + f" FROM (SELECT {_FIELDS} FROM json_each(?4)) AS u"
        " WHERE l.channel = u.channel AND l.slot = u.slot AND l.owner = ?1"
        " RETURNING channel, slot",
        (owner, until, now, json.dumps([asdict(s) for s in states])),
    ).fetchall()
    return sorted((r[0], r[1]) for r in found)


def _release(
    conn: sqlite3.Connection, owner: str, slots: Sequence[tuple[str, int]] | None, now: str
) -> int:
    which = (
        ""
        if slots is None
        else " AND (channel, slot) IN"
        " (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?3))"
    )
    params: tuple[Any, ...] = (owner, now) if slots is None else (owner, now, json.dumps(slots))
    return conn.execute(
        f"UPDATE channel_leases SET owner = NULL, lease_until = NULL, updated_at = ?2, {RESET}"
        f" WHERE owner = ?1{which}",
        params,
    ).rowcount


def _claim_routed(
    conn: sqlite3.Connection,
    now: str,
    limit: int,
    until: str,
    owner: str,
    routes: Sequence[tuple[str, bool]],
) -> list[list[Any]]:
    """``claim_due`` for numbers a route here can send (rows for ``claimed_from_json``)."""
    found = q.one_json(
        conn,
        f"SELECT json_group_array({q.CLAIMED}) FROM (SELECT * FROM messages m"
        "  WHERE m.state IN ('queued', 'submitting') AND m.due_at <= ?1 AND m.expires_at > ?1"
        "  AND (m.state = 'queued' OR m.claim_until <= ?1)"
        "  AND coalesce((SELECT json_extract(r.value, '$[1]') FROM json_each(?3) AS r"
        "   WHERE substr(m.recipient, 1, length(json_extract(r.value, '$[0]')))"
        "    = json_extract(r.value, '$[0]')"
        "   ORDER BY r.key LIMIT 1), 1)"
        "  ORDER BY m.due_at, m.id LIMIT ?2)",
        (now, limit, json.dumps([[p, ok] for p, ok in routes])),
    )
    if found:
        q.lease(conn, found, until, owner)
    return found


def _unclaim(conn: sqlite3.Connection, message_ids: Sequence[int], owner: str) -> int:
    return conn.execute(
        f"UPDATE messages SET state = '{UNCLAIMED.value}', claim_until = NULL, claim_owner = NULL"
        " WHERE id IN (SELECT value FROM json_each(?1)) AND state = 'submitting'"
        " AND claim_owner = ?2",
        (json.dumps(list(message_ids)), owner),
    ).rowcount


def _queue_stats(conn: sqlite3.Connection, now: str) -> QueueStats:
    states = {
        MessageState(r[0]): r[1]
        for r in conn.execute("SELECT state, count(*) FROM messages GROUP BY state")
    }
    due, oldest = conn.execute(
        "SELECT count(*), min(due_at) FROM messages WHERE state IN ('queued', 'submitting')"
        " AND due_at <= ?1 AND (state = 'queued' OR claim_until <= ?1)",
        (now,),
    ).fetchone()
    backlog, retries = conn.execute(
        "SELECT count(*), coalesce(sum(attempts > 0), 0) FROM outbox WHERE state = 'pending'"
    ).fetchone()
    return QueueStats(states, due, rows.utc_or_none(oldest), backlog, retries)


def channel_state(row: Any, paused: bool) -> ChannelState:
    return ChannelState(
        channel=row["channel"],
        slot=row["slot"],
        owner=row["owner"],
        lease_until=rows.utc_or_none(row["lease_until"]),
        bound=bool(row["bound"]),
        window_in_use=row["window_in_use"],
        submits=row["submits"],
        errors=row["errors"],
        throttles=row["throttles"],
        sends_per_second=float(row["sends_per_second"]),
        queue_depth=row["queue_depth"],
        last_error=row["last_error"],
        paused=paused,
        updated_at=rows.utc_or_none(row["updated_at"]),
    )


class Channels:
    _clock: Callable[[], datetime]
    _writer: Writer

    @property
    def on_commit(self) -> Callable[[int, float], None] | None:
        return self._writer.on_commit

    @on_commit.setter
    def on_commit(self, observer: Callable[[int, float], None] | None) -> None:
        self._writer.on_commit = observer

    @property
    def on_lock_wait(self) -> Callable[[float], None] | None:
        """Seconds each transaction waited for the write lock (see the writer)."""
        return self._writer.on_lock_wait

    @on_lock_wait.setter
    def on_lock_wait(self, observer: Callable[[float], None] | None) -> None:
        self._writer.on_lock_wait = observer

    async def _read(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    async def _write(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    async def acquire_channel_slots(
        self, channel: str, slots: Sequence[int], owner: str, now: datetime, ttl_seconds: float
    ) -> list[int]:
        until = iso(now + timedelta(seconds=ttl_seconds))
        return await self._write(lambda c: _acquire(c, channel, slots, owner, iso(now), until))

    async def renew_channel_slots(
        self, owner: str, states: Sequence[BindState], now: datetime, ttl_seconds: float
    ) -> list[tuple[str, int]]:
        until = iso(now + timedelta(seconds=ttl_seconds))
        return await self._write(lambda c: _renew(c, owner, states, iso(now), until))

    async def release_channel_slots(
        self, owner: str, slots: Sequence[tuple[str, int]] | None = None
    ) -> int:
        now = iso(self._clock())
        return await self._write(lambda c: _release(c, owner, slots, now))

    async def set_channel_paused(self, channel: str, paused: bool) -> None:
        now = iso(self._clock())
        await self._write(
            lambda c: c.execute(
                "INSERT INTO channel_controls (channel, paused, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (channel) DO UPDATE SET paused = excluded.paused,"
                " updated_at = excluded.updated_at",
                (channel, int(paused), now),
            )
        )

    async def paused_channels(self) -> set[str]:
        found = await self._read(
            lambda c: c.execute("SELECT channel FROM channel_controls WHERE paused").fetchall()
        )
        return {r[0] for r in found}

    async def channel_states(self) -> list[ChannelState]:
        def read(conn: sqlite3.Connection) -> list[ChannelState]:
            paused = {
                r[0] for r in conn.execute("SELECT channel FROM channel_controls WHERE paused")
            }
            found = conn.execute("SELECT * FROM channel_leases ORDER BY channel, slot")
            return [channel_state(r, r["channel"] in paused) for r in found]

        return await self._read(read)

    async def claim_due_routed(
        self,
        now: datetime,
        limit: int,
        lease_seconds: float,
        owner: str,
        routes: Sequence[tuple[str, bool]],
    ) -> list[ClaimedMessage]:
        until = iso(now + timedelta(seconds=lease_seconds))
        found = await self._write(lambda c: _claim_routed(c, iso(now), limit, until, owner, routes))
        return q.claimed_from_json(found)

    async def unclaim(self, message_ids: Sequence[int], owner: str) -> int:
        if not message_ids:
            return 0
        return await self._write(lambda c: _unclaim(c, message_ids, owner))

    async def queue_stats(self, now: datetime) -> QueueStats:
        return await self._read(lambda c: _queue_stats(c, iso(now)))

    async def announce(self, topic: str) -> None:
        return None

    async def listen(
        self, topic: str, callback: Callable[[], None]
    ) -> Callable[[], Awaitable[None]]:
        async def stop() -> None:
            return None

        return stop
