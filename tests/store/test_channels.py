"""Contract: channel bind slot leases, pause switches, routed claims, unclaim, queue figures."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from hongyan.core.messages import MessageState, SubmitSuccess
from hongyan.store.base import BindState, Store
from hongyan.store.postgres import PostgresStore

from .factories import NOW, new_account, new_message

S = MessageState
TTL = 6.0


async def test_free_slots_are_acquired_once(store: Store) -> None:
    assert await store.acquire_channel_slots("cmcc", [0, 1], "a", NOW, TTL) == [0, 1]
    assert await store.acquire_channel_slots("cmcc", [0, 1, 2], "b", NOW, TTL) == [2]
    assert await store.acquire_channel_slots("cmcc", [0], "a", NOW, TTL) == [0]  # its own
    states = await store.channel_states()
    assert [(s.channel, s.slot, s.owner) for s in states] == [
        ("cmcc", 0, "a"),
        ("cmcc", 1, "a"),
        ("cmcc", 2, "b"),
    ]
    assert states[0].lease_until == NOW + timedelta(seconds=TTL)
    assert not states[0].bound and not states[0].paused


async def test_expired_slots_are_taken_over_and_the_old_holder_loses_them(store: Store) -> None:
    await store.acquire_channel_slots("cmcc", [0, 1], "a", NOW, TTL)
    early = NOW + timedelta(seconds=TTL - 1)
    assert await store.acquire_channel_slots("cmcc", [0, 1], "b", early, TTL) == []
    late = NOW + timedelta(seconds=TTL)
    assert await store.acquire_channel_slots("cmcc", [1], "b", late, TTL) == [1]
    renewed = await store.renew_channel_slots(
        "a", [BindState("cmcc", 0), BindState("cmcc", 1)], late, TTL
    )
    assert renewed == [("cmcc", 0)]  # slot 1 is b's now: a must stop that bind


async def test_renewal_publishes_bind_state(store: Store) -> None:
    await store.acquire_channel_slots("cmcc", [0], "a", NOW, TTL)
    state = BindState(
        "cmcc",
        0,
        bound=True,
        window_in_use=7,
        submits=120,
        errors=2,
        throttles=3,
        sends_per_second=42.5,
        queue_depth=9,
        last_error="ESME_RTHROTTLED",
    )
    later = NOW + timedelta(seconds=2)
    assert await store.renew_channel_slots("a", [state], later, TTL) == [("cmcc", 0)]
    (row,) = await store.channel_states()
    assert (row.bound, row.window_in_use, row.submits, row.errors, row.throttles) == (
        True,
        7,
        120,
        2,
        3,
    )
    assert (row.sends_per_second, row.queue_depth, row.last_error) == (42.5, 9, "ESME_RTHROTTLED")
    assert row.updated_at == later and row.lease_until == later + timedelta(seconds=TTL)


async def test_release_frees_slots_for_anyone(store: Store) -> None:
    await store.acquire_channel_slots("cmcc", [0, 1], "a", NOW, TTL)
    await store.acquire_channel_slots("cu", [0], "a", NOW, TTL)
    assert await store.release_channel_slots("a", [("cmcc", 1)]) == 1
    assert await store.acquire_channel_slots("cmcc", [0, 1], "b", NOW, TTL) == [1]
    assert await store.release_channel_slots("a") == 2
    owners = {(s.channel, s.slot): s.owner for s in await store.channel_states()}
    assert owners == {("cmcc", 0): None, ("cmcc", 1): "b", ("cu", 0): None}
    assert await store.release_channel_slots("nobody") == 0


async def test_concurrent_acquirers_never_share_a_slot(store: Store) -> None:
    owners = [f"d{i}" for i in range(8)]
    for round_ in range(3):  # fresh rows, then expired rows, then expired again
        now = NOW + timedelta(seconds=round_ * TTL)
        got = await asyncio.gather(
            *(store.acquire_channel_slots("cmcc", [0, 1, 2], o, now, TTL) for o in owners)
        )
        slots = sorted(s for held in got for s in held)
        assert slots == [0, 1, 2], got
        holders = {s.slot: s.owner for s in await store.channel_states()}
        assert all(slot in got[owners.index(owner)] for slot, owner in holders.items())


async def test_concurrent_acquirers_on_separate_connections(store: Store) -> None:
    if not isinstance(store, PostgresStore):
        return  # SQLite: one writer per file serialises every acquirer already
    others = [PostgresStore(store.url) for _ in range(4)]
    await asyncio.gather(*(o.open() for o in others))
    try:
        got = await asyncio.gather(
            *(
                o.acquire_channel_slots("cmcc", [0, 1], f"p{i}", NOW, TTL)
                for i, o in enumerate(others)
            )
        )
    finally:
        await asyncio.gather(*(o.close() for o in others))
    assert sorted(s for held in got for s in held) == [0, 1]


async def test_pause_switches(store: Store) -> None:
    assert await store.paused_channels() == set()
    await store.set_channel_paused("cmcc", True)
    await store.set_channel_paused("cu", True)
    await store.set_channel_paused("cu", False)
    assert await store.paused_channels() == {"cmcc"}
    await store.acquire_channel_slots("cmcc", [0], "a", NOW, TTL)
    await store.acquire_channel_slots("cu", [0], "a", NOW, TTL)
    assert [(s.channel, s.paused) for s in await store.channel_states()] == [
        ("cmcc", True),
        ("cu", False),
    ]


async def test_routed_claims_take_only_claimable_routes(store: Store) -> None:
    a = await store.create_account(new_account(balance=100))
    ids = await store.admit(
        a.id,
        [new_message(a.id, r) for r in ("8613800000001", "8618900000002", "85291234567", "1555")],
    )
    cmcc, cu, hk, us = ids
    routes = [("86138", True), ("86", False), ("852", True)]  # no route for "1…": claimable
    claimed = await store.claim_due_routed(NOW, 10, 60, "d1", routes)
    assert [c.id for c in claimed] == [cmcc, hk, us]
    message = await store.get_message(cu)
    assert message is not None and message.state is S.QUEUED
    assert await store.claim_due_routed(NOW, 10, 60, "d1", [("", False)]) == []
    assert [c.id for c in await store.claim_due_routed(NOW, 10, 60, "d2", [])] == [cu]


async def test_unclaim_puts_messages_back_without_an_attempt(store: Store) -> None:
    a = await store.create_account(new_account(balance=100))
    first, second = await store.admit(a.id, [new_message(a.id), new_message(a.id)])
    assert len(await store.claim_due(NOW, 10, 60, "d1")) == 2
    assert await store.unclaim([first, second], "d2") == 0  # not d2's claims
    assert await store.unclaim([first], "d1") == 1
    message = await store.get_message(first)
    assert message is not None
    assert (message.state, message.attempts, message.due_at) == (S.QUEUED, 0, NOW)
    assert [c.id for c in await store.claim_due(NOW, 10, 60, "d2")] == [first]
    await store.record_submits(NOW, successes=[SubmitSuccess(second, "cmcc", ("c2",))])
    assert await store.unclaim([second], "d1") == 0  # submitted: no longer a claim
    assert await store.unclaim([], "d1") == 0


async def test_queue_stats(store: Store) -> None:
    a = await store.create_account(new_account(balance=100))
    later = NOW + timedelta(hours=1)
    await store.admit(a.id, [new_message(a.id), new_message(a.id, due_at=later)])
    await store.admit(a.id, [new_message(a.id, due_at=NOW - timedelta(minutes=5))])
    stats = await store.queue_stats(NOW)
    assert stats.states == {S.QUEUED: 3}
    assert (stats.due, stats.oldest_due_at) == (2, NOW - timedelta(minutes=5))
    assert (stats.push_backlog, stats.push_retries) == (0, 0)
    await store.claim_due(NOW, 1, 60, "d1")
    stats = await store.queue_stats(NOW)
    assert stats.states == {S.QUEUED: 2, S.SUBMITTING: 1} and stats.due == 1


async def test_announce_wakes_listeners(store: Store) -> None:
    woken = asyncio.Event()
    stop = await store.listen("hongyan_test", woken.set)
    try:
        await store.announce("hongyan_test")
        if isinstance(store, PostgresStore):
            await asyncio.wait_for(woken.wait(), timeout=5)
        else:
            assert not woken.is_set()  # SQLite: no wake-ups between processes; roles poll
    finally:
        await stop()
