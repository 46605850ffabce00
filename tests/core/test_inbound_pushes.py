from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hongyan.core.inbound import is_unsubscribe, owner_of
from hongyan.core.pushes import next_attempt


@pytest.mark.parametrize(
    ("text", "unsubscribe"),
    [
        ("TD", True),
        (" td ", True),
        ("t", True),
        ("退订", True),
        ("TD退订", True),
        ("td退订", True),
        ("好的", False),
        ("TDX", False),
        ("", False),
    ],
)
def test_unsubscribe(text: str, unsubscribe: bool) -> None:
    assert is_unsubscribe(text) is unsubscribe


def test_owner_is_longest_prefix() -> None:
    codes = {"1069": 1, "1069000": 2, "10690001": 3}
    assert owner_of("106900012", codes) == (3, "2")
    assert owner_of("10690005", codes) == (2, "5")
    assert owner_of("1069000", codes) == (2, "")
    assert owner_of("10655", codes) is None


def test_retry_schedule() -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    first = next_attempt(1, created, created)
    assert first is not None and first - created <= timedelta(seconds=10)
    gaps = []
    now = created
    attempts = 0
    while (at := next_attempt(attempts + 1, created, now)) is not None:
        gaps.append(at - now)
        now, attempts = at, attempts + 1
    assert gaps == sorted(gaps)
    assert max(gaps) == timedelta(minutes=30)
    assert timedelta(hours=23) < now - created <= timedelta(hours=24)


def test_router_first_match_wins_in_written_order() -> None:
    from hongyan.core.routing import Route, Router

    router = Router(
        [Route("8613", ("cm",)), Route("86", ("mobile", "backup")), Route("", ("intl",))]
    )
    assert router.channels_for("8613910060001") == ("cm",)
    assert router.channels_for("8618611287980") == ("mobile", "backup")
    assert router.channels_for("447911123456") == ("intl",)
    assert router.unreachable() == []
    assert Router([Route("86", ("m",))]).channels_for("447911123456") == ()


def test_router_earlier_shorter_prefix_shadows_later_routes() -> None:
    from hongyan.core.routing import Route, Router

    router = Router([Route("86", ("mobile",)), Route("8613", ("cm",)), Route("", ("intl",))])
    assert router.channels_for("8613910060001") == ("mobile",)
    assert router.unreachable() == [(1, Route("8613", ("cm",)))]


def test_submit_retry_policy_stops_at_validity() -> None:
    from hongyan.core.retry import SubmitRetryPolicy

    policy = SubmitRetryPolicy()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert policy.next_attempt(1, now, now + timedelta(hours=1)) == now + timedelta(seconds=5)
    assert policy.next_attempt(3, now, now + timedelta(hours=1)) == now + timedelta(seconds=20)
    assert policy.next_attempt(30, now, now + timedelta(hours=1)) == now + timedelta(minutes=10)
    assert policy.next_attempt(30, now, now + timedelta(minutes=5)) is None
