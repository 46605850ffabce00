"""Contract: the back office's figures (totals and hourly series), per account and for all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hongyan.core.messages import MessageState, SubmitFinal, SubmitRetry, SubmitSuccess
from hongyan.store.base import Store

from .factories import new_account, new_message, receipt

S = MessageState
T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)  # an hour boundary
HOUR = 3600


async def admit_at(store: Store, moment: datetime, account_id: int, segments: int = 1) -> int:
    """Admit one message as if at ``moment`` (the store stamps created_at from its clock)."""
    store._clock = lambda: moment  # type: ignore[attr-defined]
    (mid,) = await store.admit(
        account_id, [new_message(account_id, segments=segments, due_at=moment)]
    )
    return mid


async def traffic(store: Store) -> tuple[int, int]:
    """acme: one delivered (09:10, 2 segments), one failed (10:05), one queued (10:20);
    other: one queued (10:30); and one acme message long before (yesterday)."""
    acme = await store.create_account(new_account("acme", balance=100))
    other = await store.create_account(new_account("other", balance=100))
    await admit_at(store, T0 - timedelta(days=1), acme.id)
    delivered = await admit_at(store, T0 - timedelta(minutes=50), acme.id, segments=2)
    failed = await admit_at(store, T0 + timedelta(minutes=5), acme.id)
    await admit_at(store, T0 + timedelta(minutes=20), acme.id)
    await admit_at(store, T0 + timedelta(minutes=30), other.id)
    # claim the two oldest due after yesterday's (due times are their creation times)
    now = T0 + timedelta(minutes=40)
    claimed = await store.claim_due(now, 10, 30, "d1")
    by_id = {c.id for c in claimed}
    assert {delivered, failed} <= by_id
    await store.record_submits(
        now,
        successes=[SubmitSuccess(delivered, "cmcc", ("c1", "c2"))],
        finals=[SubmitFinal(failed, S.FAILED, "NOROUTE")],
    )
    await store.record_receipts([receipt("c1"), receipt("c2")], now)
    # everything else claimed goes back to the queue
    rest = [SubmitRetry(i, now, "test") for i in by_id - {delivered, failed}]
    await store.record_submits(now, retries=rest)
    return acme.id, other.id


async def test_totals_per_account_and_for_all(store: Store) -> None:
    acme, other = await traffic(store)
    since = T0 - timedelta(hours=2)
    totals = await store.message_totals(acme, since)
    assert (totals.sent, totals.delivered, totals.failed, totals.pending) == (3, 1, 1, 1)
    assert totals.segments == 4
    assert totals.delivery_rate == pytest.approx(0.5)
    everyone = await store.message_totals(None, since)
    assert (everyone.sent, everyone.pending) == (4, 2)
    assert (await store.message_totals(other, since)).sent == 1
    day_before = await store.message_totals(acme, T0 - timedelta(days=2))
    assert day_before.sent == 4


async def test_totals_when_nothing_was_sent(store: Store) -> None:
    account = await store.create_account(new_account("quiet"))
    totals = await store.message_totals(account.id, T0)
    assert (totals.sent, totals.segments, totals.delivery_rate) == (0, 0, None)
    assert await store.message_series(account.id, T0, HOUR) == []


async def test_series_by_hour(store: Store) -> None:
    acme, _ = await traffic(store)
    series = await store.message_series(acme, T0 - timedelta(hours=2), HOUR)
    assert [b.start for b in series] == [T0 - timedelta(hours=1), T0]
    first, second = series
    assert first.totals.counts == {S.DELIVERED: 1}
    assert second.totals.counts == {S.FAILED: 1, S.QUEUED: 1}
    everyone = await store.message_series(None, T0 - timedelta(hours=2), HOUR)
    assert everyone[-1].totals.sent == 3


async def test_series_buckets_are_epoch_aligned(store: Store) -> None:
    account = await store.create_account(new_account("acme"))
    await admit_at(store, T0 + timedelta(minutes=7, seconds=30), account.id)
    (bucket,) = await store.message_series(account.id, T0, 300)
    assert bucket.start == T0 + timedelta(minutes=5)
    with pytest.raises(ValueError):
        await store.message_series(account.id, T0, 0)
