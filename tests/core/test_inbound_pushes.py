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
