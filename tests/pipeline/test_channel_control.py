"""Pause and resume a channel, and channels held by another dispatcher: the messages wait in
the queue (no attempt used) and go as soon as the channel can send here again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hongyan.config import DispatcherSettings
from hongyan.core.messages import MessageState
from hongyan.services.timing import utcnow
from hongyan.store import connect

from .harness import Pipeline, RecordingSmsc, channel, eventually

S = MessageState
QUICK_LEASES = DispatcherSettings(
    batch=100, lease_seconds=5.0, bind_renew_seconds=0.1, bind_lease_seconds=0.5
)


async def rounds_pass(pipeline: Pipeline, count: int = 3) -> None:
    """Wait until ``count`` more lease rounds ran (each also lets the dispatcher claim)."""
    leases = pipeline.platform.leases
    assert leases is not None
    target = leases.rounds + count
    await eventually(lambda: leases.rounds >= target, timeout=5)


async def still_waiting(pipeline: Pipeline, message_id: int) -> None:
    message = await pipeline.message(message_id)
    assert (message.state, message.attempts) == (S.QUEUED, 0)


async def test_paused_channel_holds_messages_until_resumed(
    start_pipeline: Callable[..., Any], simulators: Callable[..., Any]
) -> None:
    smsc: RecordingSmsc = await simulators()
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc)], dispatcher=QUICK_LEASES)
    channels = pipeline.platform.channels
    assert channels is not None
    await pipeline.store.set_channel_paused("cmcc", True)
    await eventually(lambda: channels.by_name["cmcc"].paused, timeout=5)
    (held,) = await pipeline.send(["8613800000001"], "wait for it")
    await rounds_pass(pipeline)
    await still_waiting(pipeline, held)
    assert smsc.accepted == []
    states = await pipeline.store.channel_states()
    assert [(s.paused, s.bound) for s in states] == [(True, True)]  # binds stay up
    await pipeline.store.set_channel_paused("cmcc", False)
    (message,) = await pipeline.wait_final([held], timeout=5)
    assert message.state is S.DELIVERED and message.attempts == 0


async def test_messages_for_a_channel_bound_elsewhere_wait_for_it(
    database_url: str, start_pipeline: Callable[..., Any], simulators: Callable[..., Any]
) -> None:
    cmcc_smsc: RecordingSmsc = await simulators()
    cu_smsc: RecordingSmsc = await simulators()
    other = "elsewhere:1:ee"
    store = connect(database_url)
    await store.open()
    try:
        await store.upgrade()
        assert await store.acquire_channel_slots("cmcc", [0], other, utcnow(), 3600) == [0]
    finally:
        await store.close()
    pipeline: Pipeline = await start_pipeline(
        [channel("cmcc", cmcc_smsc), channel("cu", cu_smsc)],
        routes=[("86138", ("cmcc",)), ("", ("cu",))],
        dispatcher=QUICK_LEASES,
    )
    waiting, going = await pipeline.send(["8613800000001", "8618600000002"], "hello")
    (sent,) = await pipeline.wait_final([going])
    assert sent.state is S.DELIVERED and sent.channel == "cu"
    await rounds_pass(pipeline)
    await still_waiting(pipeline, waiting)
    assert cmcc_smsc.stats.binds_peak == 0
    # The other dispatcher lets go: this one binds within a round and sends.
    await pipeline.store.release_channel_slots(other)
    (message,) = await pipeline.wait_final([waiting], timeout=5)
    assert message.state is S.DELIVERED and message.channel == "cmcc"
    assert message.attempts == 0 and cmcc_smsc.stats.binds_peak == 1
