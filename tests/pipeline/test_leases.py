"""Bind leases against a real store and simulator: never more binds than allowed, takeover,
losing a lease stops the bind, a holder that cannot renew lets go by itself."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

from hongyan.config import ChannelSettings
from hongyan.services.channels import ChannelSet
from hongyan.services.deliveries import DeliverySink
from hongyan.services.leases import BindLeases, holder_is_gone
from hongyan.services.timing import utcnow
from hongyan.store import connect
from hongyan.store.base import Store

from .harness import FAST, RecordingSmsc, eventually

RENEW, TTL = 0.1, 0.5


@contextlib.asynccontextmanager
async def opened(url: str) -> AsyncIterator[Store]:
    store = connect(url)
    await store.open()
    await store.upgrade()
    try:
        yield store
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def dispatcher_side(
    store: Store, smsc: RecordingSmsc, owner: str, binds: int = 2
) -> AsyncIterator[tuple[ChannelSet, BindLeases]]:
    """What a dispatcher process runs for its binds: channels and their leases (no loop)."""
    sink = DeliverySink(store=store)
    settings = ChannelSettings(name="cmcc", port=smsc.port, binds=binds)
    channels = ChannelSet([settings], sink, connector_options=FAST.connector_options)
    await channels.start()
    leases = BindLeases(
        store=store, channels=channels, owner=owner, renew_seconds=RENEW, ttl_seconds=TTL
    )
    try:
        yield channels, leases
    finally:
        await leases.release_all()
        await channels.stop()


def bound_now(smsc: RecordingSmsc) -> int:
    return smsc.stats.binds_active


async def test_slots_are_shared_never_exceeded_and_taken_over(
    database_url: str, simulators: Callable[..., Any]
) -> None:
    smsc: RecordingSmsc = await simulators()
    async with (
        opened(database_url) as store,
        dispatcher_side(store, smsc, "host-a:1:aa") as (a_channels, a),
        dispatcher_side(store, smsc, "host-b:2:bb") as (b_channels, b),
    ):
        await a.round()
        await b.round()
        assert a_channels.by_name["cmcc"].slots == {0, 1}
        assert b_channels.by_name["cmcc"].slots == set()
        await eventually(lambda: bound_now(smsc) == 2)
        # a stops renewing (a stalled process): it lets go by itself before its lease ends,
        # and b, renewing, takes both slots once the lease has run out.
        stop = asyncio.Event()
        b_loop = asyncio.create_task(b.run(stop))
        await eventually(lambda: a_channels.by_name["cmcc"].slots == set(), timeout=TTL * 4)
        await eventually(lambda: b_channels.by_name["cmcc"].slots == {0, 1}, timeout=TTL * 4)
        await eventually(lambda: bound_now(smsc) == 2)
        stop.set()
        await b_loop
        assert b_channels.by_name["cmcc"].slots == set()  # released on the way out
    assert smsc.stats.binds_peak == 2


async def test_a_lost_lease_stops_its_bind(
    database_url: str, simulators: Callable[..., Any]
) -> None:
    smsc: RecordingSmsc = await simulators()
    async with (
        opened(database_url) as store,
        dispatcher_side(store, smsc, "host-a:1:aa", binds=1) as (channels, a),
    ):
        await a.round()
        await eventually(lambda: bound_now(smsc) == 1)
        # Someone else got the slot (as after a pause longer than the lease): a's next
        # renewal finds nothing and a unbinds.
        later = utcnow() + timedelta(hours=1)
        assert await store.acquire_channel_slots("cmcc", [0], "host-x:9:xx", later, TTL) == [0]
        await a.round()
        assert a.lost == 1 and channels.by_name["cmcc"].slots == set()
        await eventually(lambda: bound_now(smsc) == 0)
        (state,) = await store.channel_states()
        assert state.owner == "host-x:9:xx"


async def test_renewal_publishes_live_bind_state(
    database_url: str, simulators: Callable[..., Any]
) -> None:
    smsc: RecordingSmsc = await simulators()
    async with (
        opened(database_url) as store,
        dispatcher_side(store, smsc, "host-a:1:aa", binds=2) as (channels, a),
    ):
        await a.round()
        await channels.wait_started()
        await a.round()
        states = await store.channel_states()
        assert [(s.slot, s.owner, s.bound) for s in states] == [
            (0, "host-a:1:aa", True),
            (1, "host-a:1:aa", True),
        ]
        assert all(s.updated_at is not None and s.lease_until is not None for s in states)


async def test_slots_of_a_dead_local_process_are_released_at_once(
    database_url: str, simulators: Callable[..., Any]
) -> None:
    smsc: RecordingSmsc = await simulators()
    proc = await asyncio.create_subprocess_exec("true")
    await proc.wait()  # a pid that existed on this host and is gone
    dead = f"{socket.gethostname()}:{proc.pid}:dd"
    assert holder_is_gone(dead) and not holder_is_gone("elsewhere:1:aa")
    async with opened(database_url) as store:
        await store.acquire_channel_slots("cmcc", [0], dead, utcnow(), 3600)
        async with dispatcher_side(store, smsc, "host-a:1:aa", binds=1) as (channels, a):
            await a.round()
            assert channels.by_name["cmcc"].slots == {0}
