"""Bearer API keys: refusals, revocation within the cache TTL, allow-list, throttling, last use,
and one tenant never reaching another's data."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hongyan.core.inbound import NewInbound
from hongyan.store.base import AccountChanges

from .conftest import Rest, add_key, problem

SEND = {"to": ["+8613800138000"], "text": "hello"}


@pytest.mark.parametrize(
    "header",
    [
        None,
        "hy_0123456789ab_" + "A" * 40,  # no scheme
        "Basic dXNlcjpwYXNz",
        "Bearer ",
        "Bearer not-a-key",
        "Bearer hy_0123456789ab_" + "A" * 40,  # unknown prefix
    ],
)
async def test_bad_credentials_are_401_with_a_challenge(rest: Rest, header: str | None) -> None:
    await rest.tenant()
    headers = {} if header is None else {"Authorization": header}
    answer = await rest.http.get("/api/v1/balance", headers=headers)
    problem(answer, 401, "unauthorized")
    assert answer.headers["www-authenticate"].startswith('Bearer realm="hongyan"')


async def test_right_prefix_wrong_secret_is_refused(rest: Rest) -> None:
    tenant = await rest.tenant()
    forged = tenant.key[:-1] + ("a" if tenant.key[-1] != "a" else "b")
    answer = await rest.http.get("/api/v1/balance", headers={"Authorization": f"Bearer {forged}"})
    problem(answer, 401, "unauthorized")


async def test_revoked_key_stops_within_the_cache_ttl(rest: Rest) -> None:
    tenant = await rest.tenant()
    assert (await rest.http.get("/api/v1/balance", headers=tenant.auth)).status_code == 200
    (key,) = await rest.store.list_api_keys(tenant.account.id)
    assert await rest.store.revoke_api_key(tenant.account.id, key.id)
    # another process revoked it: this one still trusts its cache for up to account_ttl (1 s)
    assert (await rest.http.get("/api/v1/balance", headers=tenant.auth)).status_code == 200
    rest.clock.advance(1.01)
    problem(await rest.http.get("/api/v1/balance", headers=tenant.auth), 401, "unauthorized")


async def test_forget_key_revokes_at_once_in_this_process(rest: Rest) -> None:
    tenant = await rest.tenant()
    assert (await rest.http.get("/api/v1/balance", headers=tenant.auth)).status_code == 200
    (key,) = await rest.store.list_api_keys(tenant.account.id)
    await rest.store.revoke_api_key(tenant.account.id, key.id)
    rest.context.authenticator.forget_key(key.prefix)
    problem(await rest.http.get("/api/v1/balance", headers=tenant.auth), 401, "unauthorized")


async def test_each_key_of_an_account_works_until_revoked(rest: Rest) -> None:
    tenant = await rest.tenant()
    second = await add_key(rest.store, tenant.account, "second")
    answer = await rest.http.get("/api/v1/balance", headers={"Authorization": f"Bearer {second}"})
    assert answer.json() == {"account": tenant.account.name, "balance": 100}


async def test_allow_list_and_stopped_account_are_403(rest: Rest) -> None:
    tenant = await rest.tenant(allowed_networks=("10.0.0.0/8",))
    body = problem(await rest.http.get("/api/v1/balance", headers=tenant.auth), 403, "forbidden")
    assert "127.0.0.1" in body["detail"]
    other = await rest.tenant()
    await rest.store.update_account(other.account.name, AccountChanges(active=False))
    answer = await rest.http.post("/api/v1/messages", json=SEND, headers=other.auth)
    problem(answer, 403, "forbidden")


async def test_repeated_failures_are_throttled_with_retry_after(rest: Rest) -> None:
    tenant = await rest.tenant()
    bad = {"Authorization": "Bearer hy_0123456789ab_" + "B" * 40}
    for _ in range(10):
        problem(await rest.http.get("/api/v1/balance", headers=bad), 401, "unauthorized")
    throttled = await rest.http.get("/api/v1/balance", headers=tenant.auth)
    problem(throttled, 429, "rate-limited")
    assert int(throttled.headers["retry-after"]) > 0
    rest.clock.advance(61)
    assert (await rest.http.get("/api/v1/balance", headers=tenant.auth)).status_code == 200


async def test_last_use_is_written_at_most_once_a_minute(rest: Rest) -> None:
    tenant = await rest.tenant()

    async def last_used() -> object:
        (key,) = await rest.store.list_api_keys(tenant.account.id)
        return key.last_used_at

    assert await last_used() is None
    await rest.http.get("/api/v1/balance", headers=tenant.auth)
    first = await last_used()
    assert first is not None
    rest.clock.advance(30)
    await rest.http.get("/api/v1/balance", headers=tenant.auth)
    assert await last_used() == first
    rest.clock.advance(31)
    await rest.http.get("/api/v1/balance", headers=tenant.auth)
    later = await last_used()
    assert isinstance(later, type(first)) and later - first >= timedelta(seconds=60)  # type: ignore[operator]


async def test_tenant_isolation(rest_both: Rest) -> None:
    rest = rest_both
    a, b = await rest.tenant(), await rest.tenant()
    sent = await rest.http.post("/api/v1/messages", json=SEND, headers=b.auth)
    (theirs,) = [m["id"] for m in sent.json()["messages"]]
    await rest.store.record_inbound(
        [NewInbound("smsc", "8613900000001", b.account.service_code, "for b", rest.clock.now())],
        rest.clock.now(),
    )
    problem(await rest.http.get(f"/api/v1/messages/{theirs}", headers=a.auth), 404, "not-found")
    cancel = await rest.http.post(f"/api/v1/messages/{theirs}/cancel", headers=a.auth)
    problem(cancel, 404, "not-found")
    assert (await rest.http.get("/api/v1/messages", headers=a.auth)).json()["data"] == []
    assert (await rest.http.get("/api/v1/inbound", headers=a.auth)).json()["data"] == []
    # b still sees its own, untouched
    mine = (await rest.http.get(f"/api/v1/messages/{theirs}", headers=b.auth)).json()
    assert mine["state"] == "queued"
    assert [
        m["text"] for m in (await rest.http.get("/api/v1/inbound", headers=b.auth)).json()["data"]
    ] == ["for b"]
    assert (await rest.http.get("/api/v1/balance", headers=a.auth)).json()["balance"] == 100
