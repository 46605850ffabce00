"""A claimed message is sent, or handed back, before its claim can run out: none goes twice.

A channel slower than the claims (tps × lease below what a round claims) keeps messages
queued longer than the lease; the dispatcher renews their claims, or — when it cannot —
withdraws them from the channel. At a stop, a long message partly sent is finished, not
handed back (its first part would go again after the restart).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hongyan.config import DispatcherSettings
from hongyan.core.messages import MessageState
from hongyan.store import connect

from .harness import FAST, Pipeline, RecordingSmsc, channel, eventually, running_pipeline
from .harness import settings_for as settings_with
from .test_submit_queue import LONG, handed, numbers

Start = Callable[..., Any]
S = MessageState


async def test_a_queue_longer_than_the_lease_reaches_the_smsc_once(
    simulators: Start, start_pipeline: Start
) -> None:
    """50 messages at 20 submit_sm/s take 2.5 s, the claim lasts 1 s: renewed, not retaken."""
    smsc: RecordingSmsc = await simulators()
    pipeline: Pipeline = await start_pipeline(
        [channel("cmcc", smsc, tps=20)],
        dispatcher=DispatcherSettings(batch=100, lease_seconds=1.0),
    )
    sent = numbers(700, 50)
    ids = await pipeline.send(sent, "slowly")
    messages = await pipeline.wait_final(ids, timeout=20)
    assert {(m.state, m.attempts) for m in messages} == {(S.DELIVERED, 0)}
    await eventually(lambda: handed(pipeline, "cmcc") == (0, 0))  # a second claim's copies
    assert Counter(to for to, _ in smsc.accepted) == dict.fromkeys(sent, 1)


async def test_claims_it_cannot_renew_are_withdrawn_before_they_run_out(
    simulators: Start, start_pipeline: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store refuses every renewal: what the channel has not sent goes back to the queue
    (and is claimed again) instead of waiting there for another round to claim it."""
    smsc: RecordingSmsc = await simulators()
    pipeline: Pipeline = await start_pipeline(
        [channel("cmcc", smsc, tps=20)],
        dispatcher=DispatcherSettings(batch=100, lease_seconds=1.0),
    )

    async def refuse(*args: object) -> int:
        raise OSError("store unreachable")

    monkeypatch.setattr(pipeline.store, "renew_claims", refuse)
    sent = numbers(800, 40)
    ids = await pipeline.send(sent, "handed back")
    messages = await pipeline.wait_final(ids, timeout=30)
    assert {(m.state, m.attempts) for m in messages} == {(S.DELIVERED, 0)}
    await eventually(lambda: handed(pipeline, "cmcc") == (0, 0))  # a second claim's copies
    assert Counter(to for to, _ in smsc.accepted) == dict.fromkeys(sent, 1)


async def test_stop_finishes_a_long_message_partly_sent_and_hands_back_the_rest(
    simulators: Start, database_url: str, tmp_path: Path
) -> None:
    smsc: RecordingSmsc = await simulators()
    settings = settings_with(
        database_url,
        [channel("cmcc", smsc, window=1)],
        [("", ("cmcc",))],
        DispatcherSettings(batch=100, lease_seconds=4.0),  # a stop waits 2 s for answers
    )
    running = running_pipeline(settings, tmp_path, FAST)
    pipeline = await running.__aenter__()
    stopping: asyncio.Task[Any] | None = None
    try:
        [conn] = smsc.connections
        assert conn.transport is not None
        conn.transport.pause_reading()  # the first part stays in flight, unanswered
        [partly] = numbers(900, 1)
        [long_id] = await pipeline.send([partly], LONG)
        await eventually(lambda: handed(pipeline, "cmcc") == (1, 1))
        unsent = numbers(910, 5)
        short_ids = await pipeline.send(unsent, "short")
        await eventually(lambda: handed(pipeline, "cmcc") == (6, 1))

        stopping = asyncio.create_task(running.__aexit__(None, None, None))
        await eventually(lambda: handed(pipeline, "cmcc")[0] < 6)  # withdrawn
        assert handed(pipeline, "cmcc") == (1, 1)
        conn.transport.resume_reading()
        await stopping
    finally:
        if stopping is None:
            await running.__aexit__(None, None, None)

    assert smsc.accepted == [(partly, LONG[:153]), (partly, LONG[153:])]
    store = connect(database_url)
    await store.open()
    try:
        finished = await store.get_message(long_id)
        back = [await store.get_message(i) for i in short_ids]
    finally:
        await store.close()
    assert finished is not None and finished.state in {S.SUBMITTED, S.DELIVERED}
    assert {(m.state, m.attempts) for m in back if m is not None} == {(S.QUEUED, 0)}
