"""PostgreSQL verbs of the back office: message totals and time series for the overview pages.

A mixin for ``PostgresStore`` (``_fetch``); rows are assembled as in ``sqlite_portal``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hongyan.store.base import MessageTotals, SeriesBucket
from hongyan.store.sqlite_portal import series_from_rows, totals_from_rows


def _scope(account_id: int | None, since: datetime, first: int) -> tuple[str, list[object]]:
    """The WHERE clause with placeholders numbered from ``$first``, and its parameters."""
    if account_id is None:
        return f"created_at >= ${first}", [since]
    return f"account_id = ${first} AND created_at >= ${first + 1}", [account_id, since]


class PostgresPortalReads:
    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        raise NotImplementedError

    async def message_totals(self, account_id: int | None, since: datetime) -> MessageTotals:
        where, params = _scope(account_id, since, 1)
        found = await self._fetch(
            "SELECT state, count(*) AS n, sum(segments) AS segs FROM messages"
            f" WHERE {where} GROUP BY state",
            *params,
        )
        return totals_from_rows(found)

    async def message_series(
        self, account_id: int | None, since: datetime, bucket_seconds: int
    ) -> list[SeriesBucket]:
        if bucket_seconds < 1:
            raise ValueError("bucket_seconds must be at least 1")
        where, params = _scope(account_id, since, 2)
        found = await self._fetch(
            "SELECT floor(extract(epoch FROM created_at) / $1::integer)::bigint AS bucket, state,"
            " count(*) AS n, sum(segments) AS segs FROM messages"
            f" WHERE {where} GROUP BY bucket, state ORDER BY bucket",
            bucket_seconds,
            *params,
        )
        return series_from_rows(found, bucket_seconds)
