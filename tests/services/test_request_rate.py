from __future__ import annotations

from dataclasses import replace

from hongyan.core.accounts import Account, Limits
from hongyan.services.api.sending import RequestRate

ACCOUNT = Account(
    id=1,
    name="acme",
    password_hash="x",
    active=True,
    balance=0,
    service_code="1069",
    short_name="",
    limits=Limits(sends_per_second=2),
)


def test_rate_allows_a_seconds_burst_then_refills() -> None:
    now = [100.0]
    rate = RequestRate(lambda: now[0])
    assert [rate.allow(ACCOUNT) for _ in range(3)] == [True, True, False]
    now[0] += 0.5  # one token back
    assert [rate.allow(ACCOUNT) for _ in range(2)] == [True, False]
    now[0] += 10  # never more than the burst
    assert [rate.allow(ACCOUNT) for _ in range(3)] == [True, True, False]


def test_accounts_are_limited_apart_and_zero_is_unlimited() -> None:
    rate = RequestRate(lambda: 0.0)
    other = replace(ACCOUNT, id=2)
    assert [rate.allow(ACCOUNT) for _ in range(3)] == [True, True, False]
    assert rate.allow(other)
    unlimited = replace(ACCOUNT, id=3, limits=Limits(sends_per_second=0))
    assert all(rate.allow(unlimited) for _ in range(1000))
