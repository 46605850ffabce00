"""Contract: inbound messages, status reports, the push outbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from hongyan.core.inbound import NewInbound
from hongyan.core.messages import MessageState, SubmitFinal
from hongyan.core.pushes import PushKind
from hongyan.store.base import AccountChanges, Store

from .factories import NOW, new_account, new_message

S = MessageState


def mo(destination: str, text: str = "hi", source: str = "8613900000001") -> NewInbound:
    return NewInbound("cmcc", source, destination, text, NOW)


async def test_inbound_goes_to_longest_service_code(store: Store) -> None:
    short = await store.create_account(new_account("short", service_code="1069"))
    long = await store.create_account(new_account("long", service_code="106901"))
    stored = await store.record_inbound([mo("10690177"), mo("1069555"), mo("999")], NOW)
    assert [(m.account_id, m.extension) for m in stored] == [
        (long.id, "77"),
        (short.id, "555"),
        (None, ""),
    ]
    assert stored[0].id < stored[1].id and not stored[0].read
    assert stored[0].received_at == NOW


async def test_next_inbound_takes_oldest_and_marks_read(store: Store) -> None:
    a = await store.create_account(new_account())
    await store.record_inbound([mo("1069", "one"), mo("1069", "two"), mo("1069", "three")], NOW)
    first = await store.next_inbound(a.id)
    assert first is not None and first.text == "one" and first.read
    assert [m.text for m in await store.unread_inbound(a.id, 5)] == ["two", "three"]
    assert await store.next_inbound(a.id) is None
    assert await store.unread_inbound(a.id, 5) == []


async def test_concurrent_next_inbound_never_shares(store: Store) -> None:
    a = await store.create_account(new_account())
    await store.record_inbound([mo("1069", str(i)) for i in range(20)], NOW)
    got = await asyncio.gather(*(store.next_inbound(a.id) for _ in range(30)))
    texts = [m.text for m in got if m is not None]
    assert sorted(texts, key=int) == [str(i) for i in range(20)]


async def test_unsubscribe_blacklists_sender_for_that_account(store: Store) -> None:
    a = await store.create_account(new_account())
    b = await store.create_account(new_account("b", service_code="2000"))
    await store.record_inbound([mo("1069", " td ", source="861"), mo("1069", "hello", "862")], NOW)
    assert await store.blacklisted(a.id, ["861", "862"]) == {"861"}
    assert await store.blacklisted(b.id, ["861"]) == set()


async def test_inbound_push_uses_current_url(store: Store) -> None:
    a = await store.create_account(new_account(inbound_url="http://old"))
    (stored,) = await store.record_inbound([mo("106901", "yes")], NOW)
    await store.update_account("acme", AccountChanges(inbound_url="http://new"))
    (job,) = await store.claim_pushes(NOW, 10, 30)
    assert (job.kind, job.account_id, job.ref_id, job.url) == (
        PushKind.INBOUND,
        a.id,
        stored.id,
        "http://new",
    )
    assert (job.text, job.destination, job.attempts) == ("yes", "106901", 0)


async def test_no_push_without_url(store: Store) -> None:
    await store.create_account(new_account())
    await store.record_inbound([mo("1069")], NOW)
    assert await store.claim_pushes(NOW, 10, 30) == []


async def test_outbox_lease_retry_and_abandon(store: Store) -> None:
    a = await store.create_account(new_account(report_url="http://r"))
    ids = await store.admit(a.id, [new_message(a.id), new_message(a.id)])
    await store.claim_due(NOW, 10, 30, "d1")
    await store.record_submits(NOW, finals=[SubmitFinal(i, S.FAILED, "x") for i in ids])
    first, second = await store.claim_pushes(NOW, 10, 30)
    assert (first.kind, first.ref_id, first.state) == (PushKind.REPORT, ids[0], "failed")
    assert await store.claim_pushes(NOW, 10, 30) == []  # leased
    later = NOW + timedelta(seconds=5)
    await store.finish_pushes(NOW, delivered=[first.id], retry=[(second.id, later, "HTTP 500")])
    assert await store.claim_pushes(NOW + timedelta(seconds=4), 10, 30) == []
    (again,) = await store.claim_pushes(later, 10, 30)
    assert (again.id, again.attempts) == (second.id, 1)
    await store.finish_pushes(later, retry=[(second.id, None, "gave up")])
    assert await store.claim_pushes(later + timedelta(days=2), 10, 30) == []


async def test_lapsed_push_lease_is_claimable_again(store: Store) -> None:
    await store.create_account(new_account(inbound_url="http://in"))
    await store.record_inbound([mo("1069")], NOW)
    (job,) = await store.claim_pushes(NOW, 10, 30)
    (again,) = await store.claim_pushes(NOW + timedelta(seconds=31), 10, 30)
    assert again.id == job.id


async def test_push_to_removed_url_is_abandoned(store: Store) -> None:
    await store.create_account(new_account(inbound_url="http://in"))
    await store.record_inbound([mo("1069")], NOW)
    await store.update_account("acme", AccountChanges(inbound_url=""))
    assert await store.claim_pushes(NOW, 10, 30) == []
    await store.update_account("acme", AccountChanges(inbound_url="http://back"))
    assert await store.claim_pushes(NOW, 10, 30) == []


async def test_unread_reports_oldest_first_with_limit(store: Store) -> None:
    a = await store.create_account(new_account())
    ids = await store.admit(a.id, [new_message(a.id, client_ref=f"r{i}") for i in range(3)])
    for i in ids:
        assert await store.cancel(a.id, i, NOW)
    first = await store.unread_reports(a.id, 2)
    assert [(r.message_id, r.state, r.client_ref) for r in first] == [
        (ids[0], S.CANCELLED, "r0"),
        (ids[1], S.CANCELLED, "r1"),
    ]
    assert [r.message_id for r in await store.unread_reports(a.id, 2)] == [ids[2]]
