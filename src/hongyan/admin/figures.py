"""The overview figures both faces show: today, this month, and the last hours as charts.

"Today" and "this month" begin at midnight in the back office's time zone, not in UTC: a
partner in Shanghai expects today's count to reset at 00:00 Beijing time. ``account_id`` None
gives the figures of every account (the console).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup

from hongyan.admin.charts import Series, bar_chart, rate_chart
from hongyan.store.base import MessageTotals, Store

HOUR = 3600
EMPTY = MessageTotals(counts={}, segments=0)


def day_start(now: datetime, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(now: datetime, tz: ZoneInfo) -> datetime:
    return day_start(now, tz).replace(day=1)


@dataclass(frozen=True)
class Hourly:
    """One ``MessageTotals`` per hour, oldest first, empty hours included."""

    starts: list[datetime]
    totals: list[MessageTotals]
    tz: ZoneInfo

    @property
    def labels(self) -> list[str]:
        return [s.astimezone(self.tz).strftime("%H:00") for s in self.starts]

    @property
    def sent(self) -> int:
        return sum(t.sent for t in self.totals)

    def volume_chart(self, t: Callable[..., str]) -> Markup:
        """Stacked bars: delivered, failed, pending per hour."""
        layers = [
            Series(t("figures.delivered"), [b.delivered for b in self.totals], "delivered"),
            Series(t("figures.failed"), [b.failed for b in self.totals], "failed"),
            Series(t("figures.pending"), [b.pending for b in self.totals], "pending"),
        ]
        return bar_chart(self.labels, layers, label=t("figures.last24"))

    def rate_chart(self, t: Callable[..., str]) -> Markup:
        rates = [b.delivery_rate for b in self.totals]
        return rate_chart(
            self.labels, [Series(t("figures.rate"), rates)], label=t("figures.rate_chart")
        )


async def hourly(
    store: Store, account_id: int | None, now: datetime, tz: ZoneInfo, hours: int = 24
) -> Hourly:
    """The last ``hours`` hours up to ``now`` (the current hour last)."""
    current = now.replace(minute=0, second=0, microsecond=0)
    starts = [current - timedelta(hours=hours - 1 - i) for i in range(hours)]
    found = await store.message_series(account_id, starts[0], HOUR)
    by_start = {bucket.start: bucket.totals for bucket in found}
    return Hourly(starts, [by_start.get(s, EMPTY) for s in starts], tz)


@dataclass(frozen=True)
class Overview:
    today: MessageTotals
    month: MessageTotals
    last_hours: Hourly


async def overview(store: Store, account_id: int | None, now: datetime, tz: ZoneInfo) -> Overview:
    return Overview(
        today=await store.message_totals(account_id, day_start(now, tz)),
        month=await store.message_totals(account_id, month_start(now, tz)),
        last_hours=await hourly(store, account_id, now, tz),
    )
