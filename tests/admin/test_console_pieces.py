"""The console's pure pieces: live channel state folded per channel, receipt latency figures,
audit changes as table rows."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hongyan.admin.console.audit import changes
from hongyan.admin.console.channels import channel_views, route_views
from hongyan.admin.console.traffic import BUCKET_LABELS, duration, latency, percentile
from hongyan.config import ChannelSettings, RouteSettings
from hongyan.core.operators import AuditEntry
from hongyan.store.base import ChannelState

NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def slot(
    channel: str, n: int, *, owner: str | None = "d1", ahead: float = 5, **kw: object
) -> ChannelState:
    fields: dict[str, object] = {
        "bound": True,
        "window_in_use": 3,
        "submits": 10,
        "errors": 0,
        "throttles": 0,
        "sends_per_second": 2.5,
        "queue_depth": 1,
        "last_error": None,
        "paused": False,
        "updated_at": NOW - timedelta(seconds=1),
    }
    fields.update(kw)
    lease = NOW + timedelta(seconds=ahead) if owner else None
    return ChannelState(channel=channel, slot=n, owner=owner, lease_until=lease, **fields)  # type: ignore[arg-type]


def test_channel_state_is_summed_per_channel_and_stale_binds_are_down() -> None:
    configured = [ChannelSettings(name="cmcc", binds=3, window=10), ChannelSettings(name="cucc")]
    states = [
        slot("cmcc", 0),
        slot("cmcc", 1, errors=2, last_error="bind refused", updated_at=NOW),
        slot("cmcc", 2, ahead=-1),  # lease ran out: its holder stopped renewing
        slot("other", 0, owner=None, bound=False),
    ]
    cmcc, cucc, other = channel_views(configured, states, {"cucc"}, NOW)
    assert (cmcc.bound, cmcc.binds, cmcc.window, cmcc.window_in_use) == (2, 3, 30, 6)
    assert cmcc.sends_per_second == 5.0 and cmcc.queue_depth == 2
    assert (cmcc.submits, cmcc.errors, cmcc.last_error) == (30, 2, "bind refused")
    assert cmcc.status == "partial" and cmcc.owners == ("d1",)
    assert cucc.status == "paused" and cucc.bound == 0 and cucc.updated_at is None
    assert other.settings is None and other.status == "down"
    (route,) = route_views([RouteSettings(("cucc", "cmcc", "gone"), "86")], [cmcc, cucc, other])
    assert [c.name for c in route.channels] == ["cucc", "cmcc"]


def test_latency_figures() -> None:
    values = sorted([0.2, 0.4, 1.5, 3.0, 3.0, 12.0, 400.0])
    found = latency("cmcc", values)
    assert (found.count, found.p50, found.p90, found.p99, found.worst) == (
        7,
        3.0,
        400.0,
        400.0,
        400.0,
    )
    assert dict(zip(BUCKET_LABELS, found.buckets, strict=True)) == {
        "<1s": 2, "1–2s": 1, "2–5s": 2, "5–10s": 0, "10–30s": 1, "30s–1m": 0, "1–5m": 0, "≥5m": 1,
    }  # fmt: skip
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0 and math.isnan(percentile([], 0.5))
    assert [duration(v) for v in (0.0123, 2.34, 150.0, math.nan)] == [
        "12 ms",
        "2.3 s",
        "2.5 min",
        "–",
    ]


def test_audit_changes_as_rows() -> None:
    before = {"limits": {"tps": 0}, "report_url": "https://a"}
    after = {"limits": {"tps": 5}, "note": "x" * 400}
    entry = AuditEntry(1, "alice", "account.update", "account:acme", before, after, NOW)
    rows = changes(entry)
    assert [(r.field, r.before, r.after) for r in rows[:2]] == [
        ("limits", '{"tps": 0}', '{"tps": 5}'),
        ("report_url", "https://a", None),
    ]
    assert rows[2].before is None and rows[2].after is not None and len(rows[2].after) == 300
