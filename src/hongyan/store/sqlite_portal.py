"""SQLite verbs of the back office: message totals and time series for the overview pages.

A mixin for ``SqliteStore`` (``_read`` runs on the reader). Both read the messages created
since a time through ``messages_account_created`` / ``messages_created`` (migration 0005).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TypeVar

from hongyan.core.messages import MessageState
from hongyan.store.base import MessageTotals, SeriesBucket
from hongyan.store.rows import Row, iso

T = TypeVar("T")


def totals_from_rows(found: Iterable[Row]) -> MessageTotals:
    """Rows of (state, n, segs) as totals."""
    counts: dict[MessageState, int] = {}
    segments = 0
    for row in found:
        state = MessageState(row["state"])
        counts[state] = counts.get(state, 0) + int(row["n"])
        segments += int(row["segs"] or 0)
    return MessageTotals(counts=counts, segments=segments)


def series_from_rows(found: Iterable[Row], bucket_seconds: int) -> list[SeriesBucket]:
    """Rows of (bucket, state, n, segs), ordered by bucket, as one ``SeriesBucket`` each."""
    grouped: dict[int, list[Row]] = {}
    for row in found:
        grouped.setdefault(int(row["bucket"]), []).append(row)
    return [
        SeriesBucket(
            start=datetime.fromtimestamp(bucket * bucket_seconds, UTC),
            totals=totals_from_rows(members),
        )
        for bucket, members in sorted(grouped.items())
    ]


def _scope(account_id: int | None, since: datetime) -> tuple[str, list[object]]:
    if account_id is None:
        return "created_at >= ?", [iso(since)]
    return "account_id = ? AND created_at >= ?", [account_id, iso(since)]


class PortalReads:
    async def _read(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    async def message_totals(self, account_id: int | None, since: datetime) -> MessageTotals:
        where, params = _scope(account_id, since)
        sql = (
            "SELECT state, count(*) AS n, sum(segments) AS segs FROM messages"
            f" WHERE {where} GROUP BY state"
        )
        found = await self._read(lambda conn: conn.execute(sql, params).fetchall())
        return totals_from_rows(found)

    async def message_series(
        self, account_id: int | None, since: datetime, bucket_seconds: int
    ) -> list[SeriesBucket]:
        if bucket_seconds < 1:
            raise ValueError("bucket_seconds must be at least 1")
        where, params = _scope(account_id, since)
        sql = (
            "SELECT CAST(strftime('%s', created_at) AS INTEGER) / ? AS bucket, state,"
            " count(*) AS n, sum(segments) AS segs FROM messages"
            f" WHERE {where} GROUP BY bucket, state ORDER BY bucket"
        )
        found = await self._read(
            lambda conn: conn.execute(sql, [bucket_seconds, *params]).fetchall()
        )
        return series_from_rows(found, bucket_seconds)
