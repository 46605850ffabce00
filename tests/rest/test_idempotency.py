"""Idempotency-Key: replays, reuse with another body, refusals remembered or not, stale claims,
expiry, and concurrent duplicates sending once over real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta
from typing import Any

import httpx
import pytest
from tests.api.harness import Live, eventually

from hongyan.services.api.rest.idempotency import STALE, TTL, fingerprint
from hongyan.store.base import IdempotencyClaim, MessageQuery, StoredAnswer

from .conftest import Rest, Tenant, add_key, problem

NUMBER = "+8613800138000"
BODY = {"to": [NUMBER], "text": "hello"}


async def post(rest: Rest, tenant: Tenant, key: str | None, body: Any = BODY) -> httpx.Response:
    headers = {**tenant.auth, **({"Idempotency-Key": key} if key else {})}
    return await rest.http.post("/api/v1/messages", json=body, headers=headers)


async def count(rest: Rest, tenant: Tenant) -> int:
    return len(await rest.store.find_messages(MessageQuery(account_id=tenant.account.id)))


async def test_repeat_returns_the_first_answer_without_sending(rest_both: Rest) -> None:
    rest = rest_both
    tenant = await rest.tenant()
    first = await post(rest, tenant, "k-1")
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    again = await post(rest, tenant, "k-1")
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert await count(rest, tenant) == 1 and await rest.balance(tenant) == 99
    # key order and spacing do not make another request
    reordered = await rest.http.post(
        "/api/v1/messages",
        content=b'{ "text" : "hello",  "to": ["+8613800138000"] }',
        headers={**tenant.auth, "Idempotency-Key": "k-1", "content-type": "application/json"},
    )
    assert reordered.content == first.content and await count(rest, tenant) == 1
    # without a key, the same body is a new send
    assert (await post(rest, tenant, None)).status_code == 201
    assert await count(rest, tenant) == 2


async def test_same_key_other_body_or_path_is_422(rest: Rest) -> None:
    tenant = await rest.tenant()
    first = await post(rest, tenant, "k-2")
    body = problem(
        await post(rest, tenant, "k-2", {**BODY, "text": "other"}), 422, "idempotency-key-reused"
    )
    assert body["errors"] == [
        {"detail": "used for a different request", "header": "Idempotency-Key"}
    ]
    (sent,) = first.json()["messages"]
    cancel = await rest.http.post(
        f"/api/v1/messages/{sent['id']}/cancel", headers={**tenant.auth, "Idempotency-Key": "k-2"}
    )
    problem(cancel, 422, "idempotency-key-reused")
    assert await count(rest, tenant) == 1
    stored = await rest.store.get_message(sent["id"])
    assert stored is not None and stored.state.value == "queued"


async def test_keys_belong_to_one_account(rest: Rest) -> None:
    a, b = await rest.tenant(), await rest.tenant()
    assert (await post(rest, a, "shared")).status_code == 201
    other = await post(rest, b, "shared", {**BODY, "text": "b's own"})
    assert other.status_code == 201 and "idempotent-replayed" not in other.headers
    assert await count(rest, b) == 1
    # a second key of the same account shares the account's idempotency keys
    second = Tenant(a.account, await add_key(rest.store, a.account))
    assert (await post(rest, second, "shared")).headers["idempotent-replayed"] == "true"


async def test_a_decided_refusal_is_remembered(rest: Rest) -> None:
    tenant = await rest.tenant(balance=0)
    problem(await post(rest, tenant, "k-3"), 402, "insufficient-balance")
    await rest.store.adjust_balance(tenant.account.name, 10, "topup")
    replay = await post(rest, tenant, "k-3")
    problem(replay, 402, "insufficient-balance")
    assert replay.headers["idempotent-replayed"] == "true"
    assert (await post(rest, tenant, "k-4")).status_code == 201


async def test_rate_limited_answers_are_not_remembered(rest: Rest) -> None:
    limits = (await rest.tenant()).account.limits.__class__(sends_per_second=1)
    tenant = await rest.tenant(limits=limits)
    assert (await post(rest, tenant, "first")).status_code == 201
    problem(await post(rest, tenant, "k-5"), 429, "rate-limited")
    rest.clock.advance(1)
    retry = await post(rest, tenant, "k-5")
    assert retry.status_code == 201 and "idempotent-replayed" not in retry.headers


@pytest.mark.parametrize("key", ["", "x" * 256, "ключ", "with space"])
async def test_bad_keys_are_400(rest: Rest, key: str) -> None:
    tenant = await rest.tenant()
    headers = {**tenant.auth, "Idempotency-Key": key}
    answer = await rest.http.post(
        "/api/v1/messages", json=BODY, headers={k: v.encode() for k, v in headers.items()}
    )
    problem(answer, 400, "invalid-parameter")
    assert await count(rest, tenant) == 0


async def test_in_progress_is_409_and_a_stale_claim_is_taken_over(rest_both: Rest) -> None:
    rest = rest_both
    tenant = await rest.tenant()
    # a request with this key is running (or its process died) right now
    mark = fingerprint("POST", "/api/v1/messages", BODY)
    claim = IdempotencyClaim(tenant.account.id, "k-6", "crashed")
    assert (
        await rest.store.claim_idempotency_key(claim, mark, rest.clock.now(), ttl=TTL, stale=STALE)
        is None
    )
    busy = await post(rest, tenant, "k-6")
    problem(busy, 409, "idempotency-in-progress")
    assert busy.headers["retry-after"] == "1"
    # no answer after STALE: nothing was admitted (answers commit with admits), so a retry runs
    rest.clock.advance(STALE.total_seconds() + 1)
    problem(await post(rest, tenant, "k-6", {**BODY, "text": "no"}), 422, "idempotency-key-reused")
    taken = await post(rest, tenant, "k-6")
    assert taken.status_code == 201 and await count(rest, tenant) == 1
    # the crashed holder can no longer commit anything under the key
    assert not await rest.store.finish_idempotency_key(claim, StoredAnswer(500, "{}"))
    assert (await post(rest, tenant, "k-6")).content == taken.content


async def test_keys_expire_after_24_hours(rest: Rest) -> None:
    tenant = await rest.tenant()
    assert (await post(rest, tenant, "k-7")).status_code == 201
    rest.clock.advance(timedelta(hours=24).total_seconds() + 1)
    later = await post(rest, tenant, "k-7", {**BODY, "text": "a day later"})
    assert later.status_code == 201 and "idempotent-replayed" not in later.headers
    assert await count(rest, tenant) == 2


async def test_cancel_with_a_key_replays(rest: Rest) -> None:
    tenant = await rest.tenant()
    (sent,) = (await post(rest, tenant, None)).json()["messages"]
    headers = {**tenant.auth, "Idempotency-Key": "cancel-1"}
    first = await rest.http.post(f"/api/v1/messages/{sent['id']}/cancel", headers=headers)
    again = await rest.http.post(f"/api/v1/messages/{sent['id']}/cancel", headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    assert await rest.balance(tenant) == 100


# --- concurrency over real HTTP -----------------------------------------------------------


async def live_tenant(live: Live) -> Tenant:
    account = await live.account()
    return Tenant(account, await add_key(live.store, account))


async def test_concurrent_duplicates_send_once(live_both: Live) -> None:
    live = live_both
    tenant = await live_tenant(live)
    number = "+8613800138123"
    body = {"to": [number], "text": "once", "client_ref": "race"}
    headers = {**tenant.auth, "Idempotency-Key": secrets.token_hex(8)}
    async with httpx.AsyncClient(base_url=live.base_url, timeout=20) as http:
        answers = await asyncio.gather(
            *(http.post("/api/v1/messages", json=body, headers=headers) for _ in range(24))
        )
        statuses = sorted({a.status_code for a in answers})
        assert set(statuses) <= {201, 409}, [a.text for a in answers]
        created = [a for a in answers if a.status_code == 201]
        assert created and len({a.content for a in created}) == 1
        assert all(a.headers["retry-after"] == "1" for a in answers if a.status_code == 409)
        final = await http.post("/api/v1/messages", json=body, headers=headers)
    assert final.content == created[0].content
    messages = await live.messages(tenant.account)
    assert len(messages) == 1 and await live.balance(tenant.account) == 99
    await live.wait_submitted(1)

    async def delivered() -> bool:
        (message,) = await live.messages(tenant.account)
        return message.state.value == "delivered"

    await eventually(delivered, what="the message delivered")
    assert len(live.smsc.to("8613800138123")) == 1


async def test_concurrent_distinct_keys_all_send(live_both: Live) -> None:
    """The control for the test above: the same concurrency with different keys sends 12."""
    live = live_both
    tenant = await live_tenant(live)
    body = {"to": ["+8613800138124"], "text": "each"}
    async with httpx.AsyncClient(base_url=live.base_url, timeout=20) as http:
        answers = await asyncio.gather(
            *(
                http.post(
                    "/api/v1/messages",
                    json=body,
                    headers={**tenant.auth, "Idempotency-Key": f"d{i}"},
                )
                for i in range(12)
            )
        )
    assert [a.status_code for a in answers] == [201] * 12
    assert len(await live.messages(tenant.account)) == 12
