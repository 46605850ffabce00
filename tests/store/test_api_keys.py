"""Contract: API keys (digest only, revocable, last use) and Idempotency-Key claims."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from hongyan.core import api_keys
from hongyan.core.errors import Conflict, InsufficientBalance
from hongyan.store.base import ClaimLost, IdempotencyClaim, MessageQuery, Store, StoredAnswer

from .factories import NOW, new_account, new_message

DAY = timedelta(hours=24)
STALE = timedelta(seconds=60)


async def test_keys_are_listed_revoked_and_found_by_prefix(store: Store) -> None:
    a = await store.create_account(new_account("a"))
    b = await store.create_account(new_account("b", service_code="1070"))
    issued = api_keys.issue_api_key()
    key = await store.create_api_key(a.id, "billing", issued.prefix, issued.key_hash)
    assert (key.account_id, key.label, key.prefix) == (a.id, "billing", issued.prefix)
    assert key.revoked_at is None and key.last_used_at is None and key.created_at.tzinfo
    other = api_keys.issue_api_key()
    await store.create_api_key(b.id, "b's", other.prefix, other.key_hash)

    found = await store.find_api_key(issued.prefix)
    assert found is not None and found.key == key and found.key_hash == issued.key_hash
    assert issued.secret not in found.key_hash
    assert await store.find_api_key("000000000000") is None
    assert [k.id for k in await store.list_api_keys(a.id)] == [key.id]

    assert not await store.revoke_api_key(b.id, key.id)  # not b's key
    assert await store.revoke_api_key(a.id, key.id)
    assert not await store.revoke_api_key(a.id, key.id)  # already revoked
    (listed,) = await store.list_api_keys(a.id)
    assert listed.revoked_at is not None


async def test_prefix_is_unique(store: Store) -> None:
    a = await store.create_account(new_account("a"))
    issued = api_keys.issue_api_key()
    await store.create_api_key(a.id, "one", issued.prefix, issued.key_hash)
    with pytest.raises(Conflict):
        await store.create_api_key(a.id, "two", issued.prefix, "sha256:other")


async def test_touch_records_last_use(store: Store) -> None:
    a = await store.create_account(new_account("a"))
    issued = api_keys.issue_api_key()
    key = await store.create_api_key(a.id, "x", issued.prefix, issued.key_hash)
    await store.touch_api_key(key.id, NOW)
    (listed,) = await store.list_api_keys(a.id)
    assert listed.last_used_at == NOW


def claim(account_id: int, key: str = "k1", token: str = "t1") -> IdempotencyClaim:
    return IdempotencyClaim(account_id, key, token)


def answer(ids: list[int]) -> StoredAnswer:
    return StoredAnswer(201, f'{{"ids": {ids}}}')


async def test_claim_admit_and_replay(store: Store) -> None:
    a = await store.create_account(new_account(balance=10))
    mine = claim(a.id)
    assert await store.claim_idempotency_key(mine, "f1", NOW, ttl=DAY, stale=STALE) is None
    running = await store.claim_idempotency_key(
        claim(a.id, token="t2"), "f1", NOW, ttl=DAY, stale=STALE
    )
    assert running is not None and running.answer is None and running.fingerprint == "f1"

    ids = await store.admit_idempotent(mine, [new_message(a.id), new_message(a.id)], answer)
    assert len(ids) == 2
    record = await store.claim_idempotency_key(
        claim(a.id, token="t3"), "f1", NOW + timedelta(hours=1), ttl=DAY, stale=STALE
    )
    assert record is not None and record.answer == answer(ids)
    assert await store.get_idempotency_key(a.id, "k1", NOW) == record
    # the same key of another account is another key
    b = await store.create_account(new_account("b", service_code="1070"))
    assert await store.claim_idempotency_key(claim(b.id), "f9", NOW, ttl=DAY, stale=STALE) is None


async def test_lost_claim_admits_nothing(store: Store) -> None:
    a = await store.create_account(new_account(balance=10))
    first = claim(a.id, token="slow")
    assert await store.claim_idempotency_key(first, "f", NOW, ttl=DAY, stale=STALE) is None
    later = NOW + STALE
    # a different body never takes a stale claim over; the same body does
    different = await store.claim_idempotency_key(
        claim(a.id, token="x"), "other", later, ttl=DAY, stale=STALE
    )
    assert different is not None and different.fingerprint == "f"
    retry = claim(a.id, token="retry")
    assert await store.claim_idempotency_key(retry, "f", later, ttl=DAY, stale=STALE) is None
    with pytest.raises(ClaimLost):
        await store.admit_idempotent(first, [new_message(a.id)], answer)
    assert not await store.finish_idempotency_key(first, StoredAnswer(422, "{}"))
    assert await store.find_messages(MessageQuery(account_id=a.id)) == []
    account = await store.get_account("acme")
    assert account is not None and account.balance == 10
    (mid,) = await store.admit_idempotent(retry, [new_message(a.id)], answer)
    record = await store.get_idempotency_key(a.id, "k1", later)
    assert record is not None and record.answer == answer([mid])


async def test_refused_admit_keeps_claim_unanswered(store: Store) -> None:
    a = await store.create_account(new_account(balance=1))
    mine = claim(a.id)
    await store.claim_idempotency_key(mine, "f", NOW, ttl=DAY, stale=STALE)
    with pytest.raises(InsufficientBalance):
        await store.admit_idempotent(mine, [new_message(a.id, segments=2)], answer)
    assert await store.finish_idempotency_key(mine, StoredAnswer(402, '{"x": 1}'))
    record = await store.get_idempotency_key(a.id, "k1", NOW)
    assert record is not None and record.answer == StoredAnswer(402, '{"x": 1}')


async def test_release_and_expiry(store: Store) -> None:
    a = await store.create_account(new_account())
    mine = claim(a.id)
    await store.claim_idempotency_key(mine, "f", NOW, ttl=DAY, stale=STALE)
    await store.release_idempotency_key(claim(a.id, token="not mine"))
    assert await store.get_idempotency_key(a.id, "k1", NOW) is not None
    await store.release_idempotency_key(mine)
    assert await store.get_idempotency_key(a.id, "k1", NOW) is None

    await store.claim_idempotency_key(mine, "f", NOW, ttl=DAY, stale=STALE)
    await store.finish_idempotency_key(mine, StoredAnswer(201, "{}"))
    expired = NOW + DAY
    assert await store.get_idempotency_key(a.id, "k1", expired) is None
    # an expired key is free again, whatever the body
    fresh = claim(a.id, token="fresh")
    assert await store.claim_idempotency_key(fresh, "g", expired, ttl=DAY, stale=STALE) is None
    await store.claim_idempotency_key(claim(a.id, "k2"), "f", NOW, ttl=DAY, stale=STALE)
    assert await store.purge_idempotency_keys(expired) == 1  # k2 only
    assert await store.get_idempotency_key(a.id, "k1", expired) is not None


async def test_concurrent_claims_give_the_key_to_one(store: Store) -> None:
    a = await store.create_account(new_account())
    claims = [claim(a.id, token=f"t{i}") for i in range(8)]
    results = await asyncio.gather(
        *(store.claim_idempotency_key(c, "f", NOW, ttl=DAY, stale=STALE) for c in claims)
    )
    assert sum(r is None for r in results) == 1
