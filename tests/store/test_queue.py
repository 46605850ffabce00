"""Contract: admission, claims and leases, submit results, expiry, cancel, message reads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hongyan.core.errors import InsufficientBalance
from hongyan.core.messages import MessageState, SubmitFinal, SubmitRetry, SubmitSuccess
from hongyan.store.base import MessageQuery, Store

from .factories import NOW, new_account, new_message, receipt

S = MessageState


async def balance(store: Store) -> int:
    account = await store.get_account("acme")
    assert account is not None
    return account.balance


async def test_admit_charges_and_returns_ids_in_order(store: Store) -> None:
    a = await store.create_account(new_account(balance=10))
    ids = await store.admit(a.id, [new_message(a.id, "861"), new_message(a.id, "862", segments=3)])
    assert len(ids) == 2 and ids[0] < ids[1]
    assert await balance(store) == 6
    first, second = [await store.get_message(i) for i in ids]
    assert first is not None and second is not None
    assert (first.recipient, first.state, first.price) == ("861", S.QUEUED, 1)
    assert (second.recipient, second.segments) == ("862", 3)
    assert first.due_at == NOW and first.due_at.tzinfo is not None and first.attempts == 0
    assert await store.admit(a.id, []) == []


async def test_admit_refuses_whole_batch_when_balance_is_short(store: Store) -> None:
    a = await store.create_account(new_account(balance=2))
    with pytest.raises(InsufficientBalance):
        await store.admit(a.id, [new_message(a.id, "861"), new_message(a.id, "862", segments=2)])
    assert await balance(store) == 2
    assert await store.find_messages(MessageQuery(account_id=a.id)) == []


async def test_ids_unique_and_increasing_across_batches(store: Store) -> None:
    a = await store.create_account(new_account(balance=1000))
    seen: list[int] = []
    for size in (1, 5, 3):
        seen += await store.admit(a.id, [new_message(a.id) for _ in range(size)])
    assert seen == sorted(seen) and len(set(seen)) == len(seen) == 9


async def test_claim_due_leases_due_messages_only(store: Store) -> None:
    a = await store.create_account(new_account())
    due, later = await store.admit(
        a.id, [new_message(a.id, "861"), new_message(a.id, "862", due_at=NOW + timedelta(hours=1))]
    )
    expired_ = await store.admit(a.id, [new_message(a.id, expires_at=NOW - timedelta(seconds=1))])
    claimed = await store.claim_due(NOW, 10, 7200, "d1")
    assert [c.id for c in claimed] == [due]
    assert claimed[0].recipient == "861" and claimed[0].attempts == 0
    assert await store.claim_due(NOW, 10, 30, "d2") == []  # leased
    message = await store.get_message(due)
    assert message is not None and message.state is S.SUBMITTING
    assert [c.id for c in await store.claim_due(NOW + timedelta(hours=1), 10, 30, "d2")] == [later]
    assert expired_[0] not in [c.id for c in await store.claim_due(NOW, 10, 30, "d3")]


async def test_claim_respects_limit_and_due_order(store: Store) -> None:
    a = await store.create_account(new_account())
    ids = await store.admit(
        a.id, [new_message(a.id, due_at=NOW - timedelta(minutes=m)) for m in (1, 3, 2)]
    )
    claimed = await store.claim_due(NOW, 2, 30, "d1")
    assert [c.id for c in claimed] == [ids[1], ids[2]]


async def test_lapsed_lease_is_claimable_again(store: Store) -> None:
    a = await store.create_account(new_account())
    (mid,) = await store.admit(a.id, [new_message(a.id)])
    await store.claim_due(NOW, 10, 30, "crashed")
    assert await store.claim_due(NOW + timedelta(seconds=29), 10, 30, "d2") == []
    again = await store.claim_due(NOW + timedelta(seconds=31), 10, 30, "d2")
    assert [c.id for c in again] == [mid]


async def test_record_submits_success_retry_final(store: Store) -> None:
    a = await store.create_account(new_account(balance=10))
    ok, retry, fail = await store.admit(
        a.id, [new_message(a.id, segments=2)] + [new_message(a.id)] * 2
    )
    await store.claim_due(NOW, 10, 30, "d1")
    later = NOW + timedelta(minutes=5)
    refused = await store.record_submits(
        NOW,
        successes=[SubmitSuccess(ok, "cmcc", ("0A1B", "0A1C"))],
        retries=[SubmitRetry(retry, later, "throttled")],
        finals=[SubmitFinal(fail, S.FAILED, "no_route")],
    )
    assert refused == []
    sent, queued, failed = [await store.get_message(i) for i in (ok, retry, fail)]
    assert sent is not None and sent.state is S.SUBMITTED and sent.channel == "cmcc"
    assert queued is not None and queued.state is S.QUEUED and queued.attempts == 1
    assert queued.due_at == later
    assert failed is not None and failed.state is S.FAILED and failed.error_code == "no_route"
    assert failed.done_at == NOW and failed.stat
    assert await balance(store) == 10 - 4 + 1  # the failed one is refunded
    assert [c.id for c in await store.claim_due(later, 10, 30, "d1")] == [retry]
    assert (await store.claim_due(later + timedelta(seconds=10), 10, 30, "d2")) == []


async def test_record_submits_refuses_changes_the_lifecycle_forbids(store: Store) -> None:
    a = await store.create_account(new_account(balance=10))
    queued, sent = await store.admit(a.id, [new_message(a.id), new_message(a.id)])
    await store.claim_due(NOW, 1, 30, "d1")  # only the first one
    refused = await store.record_submits(NOW, successes=[SubmitSuccess(queued, "c", ("1",))])
    assert refused == []
    refused = await store.record_submits(
        NOW,
        successes=[SubmitSuccess(sent, "c", ("2",))],  # still queued: never claimed
        finals=[SubmitFinal(queued, S.FAILED, "x")],  # already submitted
    )
    assert refused == sorted([queued, sent])
    assert (await store.get_message(sent)).state is S.QUEUED  # type: ignore[union-attr]
    assert await balance(store) == 8


async def test_final_expired_before_submission_refunds(store: Store) -> None:
    a = await store.create_account(new_account(balance=5))
    (mid,) = await store.admit(a.id, [new_message(a.id, segments=2)])
    await store.claim_due(NOW, 10, 30, "d1")
    await store.record_submits(NOW, finals=[SubmitFinal(mid, S.EXPIRED, "validity")])
    assert (await store.get_message(mid)).state is S.EXPIRED  # type: ignore[union-attr]
    assert await balance(store) == 5


async def test_expire_due_expires_queued_and_refunds(store: Store) -> None:
    a = await store.create_account(new_account(balance=10))
    soon, fine = await store.admit(
        a.id,
        [
            new_message(
                a.id, expires_at=NOW + timedelta(minutes=1), due_at=NOW + timedelta(hours=1)
            ),
            new_message(a.id),
        ],
    )
    assert await store.expire_due(NOW + timedelta(minutes=2), 100) == 1
    expired_ = await store.get_message(soon)
    assert expired_ is not None and expired_.state is S.EXPIRED and expired_.done_at is not None
    assert (await store.get_message(fine)).state is S.QUEUED  # type: ignore[union-attr]
    assert await balance(store) == 9
    assert await store.expire_due(NOW + timedelta(minutes=3), 100) == 0


async def test_submitted_without_receipt_expires_after_the_grace_not_refunded(
    store: Store,
) -> None:
    a = await store.create_account(new_account(balance=10))
    lost, answered, young = await store.admit(
        a.id,
        [new_message(a.id, expires_at=NOW + timedelta(hours=1)) for _ in range(2)]
        + [new_message(a.id, expires_at=NOW + timedelta(hours=5))],
    )
    await store.claim_due(NOW, 10, 30, "d1")
    await store.record_submits(
        NOW, successes=[SubmitSuccess(i, "c", (f"id{i}",)) for i in (lost, answered, young)]
    )
    result = await store.record_receipts([receipt(f"id{answered}", channel="c")], NOW)
    assert result.finished == (answered,)
    grace = timedelta(hours=2)
    assert await store.expire_unreported(NOW + timedelta(hours=2) - grace, NOW, 100) == 0
    later = NOW + timedelta(hours=3)
    assert await store.expire_unreported(later - grace, later, 100) == 1
    swept = await store.get_message(lost)
    assert swept is not None and swept.state is S.EXPIRED and swept.stat == "EXPIRED"
    assert (await store.get_message(young)).state is S.SUBMITTED  # type: ignore[union-attr]
    assert await balance(store) == 7  # the carrier took it: no refund
    reports = await store.unread_reports(a.id, 10)
    assert {r.message_id: r.state for r in reports} == {answered: S.DELIVERED, lost: S.EXPIRED}
    much_later = NOW + timedelta(hours=8)
    assert await store.expire_unreported(much_later - grace, much_later, 100) == 1  # young too
    assert await store.expire_unreported(much_later, much_later, 100) == 0


async def test_cancel_only_own_queued_messages(store: Store) -> None:
    a = await store.create_account(new_account(balance=10))
    other = await store.create_account(new_account("other", service_code="2"))
    first, second = await store.admit(a.id, [new_message(a.id), new_message(a.id)])
    assert not await store.cancel(other.id, first, NOW)
    assert await store.cancel(a.id, first, NOW)
    assert not await store.cancel(a.id, first, NOW)  # already final
    await store.claim_due(NOW, 10, 30, "d1")
    assert not await store.cancel(a.id, second, NOW)  # in flight
    assert (await store.get_message(first)).state is S.CANCELLED  # type: ignore[union-attr]
    assert await balance(store) == 9
    assert not await store.cancel(a.id, 999_999, NOW)


async def test_get_and_find_messages(store: Store) -> None:
    a = await store.create_account(new_account(balance=10))
    b = await store.create_account(new_account("other", service_code="2", balance=10))
    ids = await store.admit(
        a.id, [new_message(a.id, "861", client_ref="r1"), new_message(a.id, "862")]
    )
    (foreign,) = await store.admit(b.id, [new_message(b.id, "861")])
    assert await store.get_message(foreign, account_id=a.id) is None
    assert (await store.get_message(foreign, account_id=b.id)) is not None
    assert await store.get_message(10**9) is None
    found = await store.find_messages(MessageQuery(account_id=a.id))
    assert [m.id for m in found] == ids[::-1]
    assert [m.id for m in await store.find_messages(MessageQuery(recipient="861"))] == [
        foreign,
        ids[0],
    ]
    assert [m.id for m in await store.find_messages(MessageQuery(client_ref="r1"))] == [ids[0]]
    assert [m.id for m in await store.find_messages(MessageQuery(before_id=ids[1]))] == [ids[0]]
    assert await store.find_messages(MessageQuery(state=S.SUBMITTED)) == []
    assert len(await store.find_messages(MessageQuery(limit=1))) == 1
    counts = await store.message_counts()
    assert counts == {a.id: {S.QUEUED: 2}, b.id: {S.QUEUED: 1}}
