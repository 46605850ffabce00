"""The dispatcher's messages queued in a connector: a lost link or a stop loses none of them.

To have submit_sm in flight when the link drops, the SMSC stops reading (``pause_reading``):
the window stays full and the rest waits in the connector's queue. Aborting that connection
loses the unread submit_sm unseen, so each message must reach the SMSC exactly once after the
rebind. (When a submit_sm_resp itself is lost, the message is sent again: a duplicate, which
``test_failures.test_smsc_drops_the_link_mid_batch`` bounds by the window.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from hongyan.config import DispatcherSettings
from hongyan.core.messages import MessageState
from hongyan.store import connect

from .harness import FAST, Pipeline, RecordingSmsc, channel, eventually, running_pipeline
from .harness import settings_for as settings_with

Start = Callable[..., Any]
LONG = "z" * 200  # two segments


def numbers(first: int, count: int) -> list[str]:
    return [f"86139{n:08}" for n in range(first, first + count)]


def handed(pipeline: Pipeline, name: str) -> tuple[int, int]:
    """(messages handed to the channel and not answered, submit_sm in its window)."""
    [state] = [s for s in pipeline.platform.channels.bind_states() if s.channel == name]
    return state.queue_depth, state.window_in_use


async def test_link_lost_with_a_full_window_and_a_queue_each_message_reaches_the_smsc_once(
    simulators: Start, start_pipeline: Start
) -> None:
    smsc: RecordingSmsc = await simulators()
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc, window=4)])
    for conn in smsc.connections:
        assert conn.transport is not None
        conn.transport.pause_reading()
    long, short = numbers(100, 6), numbers(200, 14)
    ids = await pipeline.send(long, LONG) + await pipeline.send(short, "short")
    await eventually(lambda: handed(pipeline, "cmcc") == (20, 4))  # 4 in flight, 16 queued

    assert smsc.drop_connections() == 1
    messages = await pipeline.wait_final(ids, timeout=20)
    assert {m.state for m in messages} == {MessageState.DELIVERED}
    assert {m.attempts for m in messages} == {1}  # one temporary failure each, then sent
    assert sorted(smsc.accepted) == sorted(
        [(to, LONG[:153]) for to in long]
        + [(to, LONG[153:]) for to in long]
        + [(to, "short") for to in short]
    )


async def test_stop_with_a_full_queue_leaves_no_message_claimed_or_sent_unrecorded(
    simulators: Start, database_url: str, tmp_path: Path
) -> None:
    """A slow channel (tps) with most messages still queued when the platform stops: each
    ends recorded as submitted (the SMSC took it) or back in the queue (it did not), none
    waits for its claim to run out, so none reaches the SMSC twice after a restart."""
    smsc: RecordingSmsc = await simulators()
    settings = settings_with(
        database_url,
        [channel("cmcc", smsc, tps=10)],
        [("", ("cmcc",))],
        DispatcherSettings(batch=100, lease_seconds=3.0),  # waits 1.5 s for answers
    )
    tuning = replace(FAST, connector_options={**FAST.connector_options, "stop_timeout": 0.3})
    sent = numbers(300, 40)
    async with running_pipeline(settings, tmp_path, tuning) as pipeline:
        ids = await pipeline.send(sent, "patience")
        await eventually(lambda: smsc.stats.submit_sm_ok >= 3)
    assert 0 < len(smsc.accepted) < len(sent)

    store = connect(database_url)
    await store.open()
    try:
        messages = [await store.get_message(i) for i in ids]
    finally:
        await store.close()
    states = {m.recipient: m.state for m in messages if m is not None}
    taken = smsc.destinations()
    assert {states[to] for to in taken} <= {MessageState.SUBMITTED, MessageState.DELIVERED}
    assert {states[to] for to in set(sent) - taken} == {MessageState.QUEUED}


async def test_a_message_whose_validity_ends_while_queued_expires_unsent(
    simulators: Start, start_pipeline: Start
) -> None:
    """A channel too slow for its queue (tps 10): messages still waiting when their validity
    ends are not sent late; they end expired (refunded), and the SMSC took only the others."""
    smsc: RecordingSmsc = await simulators()
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc, tps=10)])
    sent = numbers(400, 20)
    ids = await pipeline.send(sent, "hurry", validity=timedelta(seconds=1))

    messages = await pipeline.wait_final(ids, timeout=10)
    states = {m.recipient: m.state for m in messages}
    taken = smsc.destinations()
    assert 0 < len(taken) < len(sent)
    assert {states[to] for to in taken} == {MessageState.DELIVERED}
    assert {states[to] for to in set(sent) - taken} == {MessageState.EXPIRED}
