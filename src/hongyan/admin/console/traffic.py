"""The charts page: throughput and delivery rate of the last 24 hours across every account, and
receipt latency per channel.

Receipt latency is measured by hongyan's own clock: from when a message's first
``submit_sm_resp`` was recorded to when the receipt that finished it was recorded. It includes
hongyan's batching on both sides (a few milliseconds to a few hundred) and says nothing about
the carrier's own "done" time, which arrives with minute precision at best.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from markupsafe import Markup
from starlette.responses import Response
from starlette.routing import BaseRoute

from hongyan.admin import figures
from hongyan.admin.charts import Series, bar_chart
from hongyan.admin.console.face import ConsoleFace, ConsoleView, route
from hongyan.admin.office import BackOffice

WINDOW = timedelta(hours=24)
LATENCY_SCAN = 200_000  # newest message ids the latency query looks at (bounds its cost)
# Upper bounds of the histogram's buckets, in seconds; the last bucket is open.
BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)
BUCKET_LABELS = ("<1s", "1–2s", "2–5s", "5–10s", "10–30s", "30s–1m", "1–5m", "≥5m")


@dataclass(frozen=True)
class Latency:
    channel: str
    count: int
    p50: float
    p90: float
    p99: float
    worst: float
    buckets: tuple[int, ...]  # counts per BUCKET_LABELS


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted values (the value at or below which ``fraction`` lie)."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def latency(channel: str, ordered: Sequence[float]) -> Latency:
    counts = [0] * len(BUCKET_LABELS)
    for value in ordered:
        counts[next((i for i, top in enumerate(BUCKETS) if value < top), len(BUCKETS))] += 1
    return Latency(
        channel=channel,
        count=len(ordered),
        p50=percentile(ordered, 0.5),
        p90=percentile(ordered, 0.9),
        p99=percentile(ordered, 0.99),
        worst=ordered[-1] if ordered else math.nan,
        buckets=tuple(counts),
    )


def duration(seconds: float) -> str:
    """A latency as people read it: milliseconds below a second, minutes above one."""
    if math.isnan(seconds):
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def latency_chart(found: Sequence[Latency], label: str) -> Markup:
    series = [Series(f.channel, [float(n) for n in f.buckets]) for f in found[:4]]
    return bar_chart(BUCKET_LABELS, series, label=label)


def routes(office: BackOffice, face: ConsoleFace) -> list[BaseRoute]:
    return [route(office, face, "/charts", charts_page)]


async def charts_page(view: ConsoleView) -> Response:
    now = view.office.clock()
    measured = await view.store.receipt_latencies(now - WINDOW, LATENCY_SCAN)
    latencies = [latency(channel, values) for channel, values in measured.items()]
    return view.render(
        "console/charts.html",
        latencies=latencies,
        latency_chart=latency_chart(latencies, view.t("charts.latency")) if latencies else "",
        scan=LATENCY_SCAN,
        duration=duration,
        **await throughput(view),
    )


async def throughput(view: ConsoleView) -> dict[str, Any]:
    """Hourly delivered/failed/pending and the delivery rate, every account (portal's figures)."""
    hours = await figures.hourly(view.store, None, view.office.clock(), view.office.tz)
    if not hours.sent:
        return {"sent_chart": "", "rate_chart": "", "series_names": []}
    return {
        "sent_chart": hours.volume_chart(view.t),
        "rate_chart": hours.rate_chart(view.t),
        "series_names": [
            view.t(k) for k in ("figures.delivered", "figures.failed", "figures.pending")
        ],
    }
