"""Contract: accounts, balance adjustments, blacklist and banned words."""

from __future__ import annotations

import pytest

from hongyan.core.accounts import Limits
from hongyan.core.errors import Conflict, InsufficientBalance, NotFound
from hongyan.store.base import AccountChanges, Store

from .factories import new_account


async def test_create_and_get_account(store: Store) -> None:
    created = await store.create_account(
        new_account(
            allowed_networks=("10.0.0.0/8",),
            report_url="http://r",
            limits=Limits(max_recipients=5, sends_per_second=3),
            registered_extensions=("01", "02"),
            allow_long=False,
        )
    )
    assert created.id > 0 and created.active and created.balance == 100
    assert created.allowed_networks == ("10.0.0.0/8",)
    assert created.limits == Limits(max_recipients=5, sends_per_second=3)
    assert created.registered_extensions == ("01", "02")
    assert created.allow_long is False and created.inbound_url is None
    assert await store.get_account("acme") == created
    assert await store.get_account_by_id(created.id) == created
    assert await store.get_account("nobody") is None
    assert await store.get_account_by_id(created.id + 100) is None


async def test_duplicate_name_conflicts(store: Store) -> None:
    await store.create_account(new_account())
    with pytest.raises(Conflict):
        await store.create_account(new_account(service_code="2000"))


async def test_list_accounts_and_service_codes(store: Store) -> None:
    b = await store.create_account(new_account("beta", service_code="10690"))
    a = await store.create_account(new_account("alpha", service_code="1069"))
    await store.create_account(new_account("gamma", service_code=""))
    assert [x.name for x in await store.list_accounts()] == ["alpha", "beta", "gamma"]
    assert await store.service_codes() == {"1069": a.id, "10690": b.id}


async def test_update_account(store: Store) -> None:
    await store.create_account(new_account(report_url="http://old"))
    changed = await store.update_account(
        "acme",
        AccountChanges(
            report_url="",
            inbound_url="http://in",
            active=False,
            limits=Limits(long_max_chars=70),
            allowed_networks=("192.168.0.0/16",),
            push_secret_version=2,
        ),
    )
    assert changed.report_url is None and changed.inbound_url == "http://in"
    assert not changed.active and changed.limits.long_max_chars == 70
    assert changed.allowed_networks == ("192.168.0.0/16",) and changed.push_secret_version == 2
    assert changed.service_code == "1069"
    assert await store.update_account("acme", AccountChanges()) == changed
    with pytest.raises(NotFound):
        await store.update_account("nobody", AccountChanges(active=True))


async def test_adjust_balance_never_below_zero(store: Store) -> None:
    await store.create_account(new_account(balance=10))
    assert (await store.adjust_balance("acme", 5, "topup")).balance == 15
    assert (await store.adjust_balance("acme", -15, "correction")).balance == 0
    with pytest.raises(InsufficientBalance):
        await store.adjust_balance("acme", -1, "too much")
    assert (await store.get_account("acme")).balance == 0  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        await store.adjust_balance("nobody", 1, "topup")


async def test_blacklist_global_and_per_account(store: Store) -> None:
    a = await store.create_account(new_account())
    b = await store.create_account(new_account("other", service_code="2000"))
    assert await store.add_blacklist(["861", "862"], None) == 2
    assert await store.add_blacklist(["861"], None) == 0  # already there
    assert await store.add_blacklist(["863", "863"], a.id) == 1
    assert await store.blacklisted(a.id, ["861", "863", "864"]) == {"861", "863"}
    assert await store.blacklisted(b.id, ["861", "863"]) == {"861"}
    assert await store.list_blacklist(None) == [("861", None), ("862", None)]
    assert await store.list_blacklist(a.id) == [("863", a.id)]
    assert await store.remove_blacklist(["861", "863"], None) == 1
    assert await store.blacklisted(a.id, ["861", "863"]) == {"863"}
    assert await store.blacklisted(a.id, []) == set()


async def test_banned_words(store: Store) -> None:
    assert await store.add_banned_words(["赌博", "fraud", "fraud"]) == 2
    assert await store.add_banned_words(["fraud"]) == 0
    assert await store.list_banned_words() == sorted(["赌博", "fraud"])
    assert await store.remove_banned_words(["fraud", "nothing"]) == 1
    assert await store.list_banned_words() == ["赌博"]
