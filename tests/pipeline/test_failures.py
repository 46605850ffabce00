"""When carriers misbehave: throttling, dropped links, refusals, failover, expiry, schedules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hongyan.config import DispatcherSettings
from hongyan.core.messages import MessageState
from hongyan.protocols.smpp.constants import CommandStatus

from .harness import FAST, Pipeline, RecordingSmsc, channel, eventually

Start = Callable[..., Any]
NO_CONNECTOR_RETRY = replace(
    FAST, connector_options={**FAST.connector_options, "throttle_retries": 0}
)


def numbers(first: int, count: int) -> list[str]:
    return [f"86138{n:08}" for n in range(first, first + count)]


async def balance(pipeline: Pipeline) -> int:
    account = await pipeline.store.get_account("acme")
    assert account is not None
    return account.balance


async def test_throttled_submits_are_retried_by_the_connector(
    simulators: Start, start_pipeline: Start
) -> None:
    smsc: RecordingSmsc = await simulators()
    smsc.throttle(count=4)
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc)])
    ids = await pipeline.send(numbers(100, 5), "slow down")
    messages = await pipeline.wait_final(ids)
    assert {m.state for m in messages} == {MessageState.DELIVERED}
    assert {m.attempts for m in messages} == {0}  # never went back to the queue
    assert (smsc.stats.throttled, smsc.stats.submit_sm_ok) == (4, 5)


async def test_throttling_past_the_connector_goes_back_to_the_queue(
    simulators: Start, start_pipeline: Start
) -> None:
    smsc: RecordingSmsc = await simulators()
    smsc.throttle(count=3)
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc)], tuning=NO_CONNECTOR_RETRY)
    [message_id] = await pipeline.send(numbers(200, 1), "try again later")
    [message] = await pipeline.wait_final([message_id])
    assert message.state is MessageState.DELIVERED
    assert message.attempts == 3
    assert smsc.stats.submit_sm_ok == 1


async def test_smsc_drops_the_link_mid_batch(simulators: Start, start_pipeline: Start) -> None:
    smsc: RecordingSmsc = await simulators()
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc, tps=300, window=8)])
    sent = numbers(300, 60)
    ids = await pipeline.send(sent, "through the storm")
    await smsc.wait_until(lambda: smsc.stats.submit_sm_ok >= 15)
    assert smsc.drop_connections() == 1
    assert smsc.stats.submit_sm_ok < len(sent)  # the batch was still going out
    messages = await pipeline.wait_final(ids, timeout=20)
    assert {m.state for m in messages} == {MessageState.DELIVERED}
    assert smsc.destinations() == set(sent)
    assert len(smsc.accepted) - len(sent) <= 8  # duplicates: at most one window in flight
    assert smsc.stats.connections_dropped == 1


async def test_permanent_refusal_fails_and_refunds(
    simulators: Start, start_pipeline: Start
) -> None:
    smsc: RecordingSmsc = await simulators()
    smsc.fail_destinations("8613900", CommandStatus.ESME_RINVDSTADR)
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc)])
    ids = await pipeline.send(["8613900000001", "8613800000401"], "x" * 200)  # 2 segments each
    assert await balance(pipeline) == 1000 - 4
    refused, delivered = await pipeline.wait_final(ids)
    assert refused.state is MessageState.FAILED and refused.attempts == 0
    assert delivered.state is MessageState.DELIVERED
    assert await balance(pipeline) == 1000 - 2
    await eventually(lambda: len(pipeline.receiver.received("acme/reports")) == 2)


async def test_failover_to_the_second_channel(simulators: Start, start_pipeline: Start) -> None:
    first: RecordingSmsc = await simulators()
    second: RecordingSmsc = await simulators()
    first.fail_destinations("8613800000501", CommandStatus.ESME_RINVDSTADR)
    channels = [channel("first", first), channel("second", second)]
    pipeline: Pipeline = await start_pipeline(channels, [("", ("first", "second"))])
    refused_by_first, taken_by_first = await pipeline.send(numbers(501, 2), "a")
    refused, taken = await pipeline.wait_final([refused_by_first, taken_by_first])
    assert (refused.channel, taken.channel) == ("second", "first")

    await first.stop()  # the first channel goes down: everything goes to the second
    ids = await pipeline.send(numbers(510, 5), "b")
    messages = await pipeline.wait_final(ids)
    assert {(m.state, m.channel) for m in messages} == {(MessageState.DELIVERED, "second")}
    assert second.destinations() >= set(numbers(510, 5)) | {"8613800000501"}


async def test_routes_first_match_wins(simulators: Start, start_pipeline: Start) -> None:
    default: RecordingSmsc = await simulators()
    unicom: RecordingSmsc = await simulators()
    channels = [channel("default", default), channel("unicom", unicom)]
    routes = [("861301", ("default",)), ("86130", ("unicom",)), ("", ("default",))]
    pipeline: Pipeline = await start_pipeline(channels, routes)
    ids = await pipeline.send(["8613000000001", "8613010000001", "8613800000001"], "routed")
    messages = await pipeline.wait_final(ids)
    assert [m.channel for m in messages] == ["unicom", "default", "default"]
    assert unicom.destinations() == {"8613000000001"}


async def test_a_receipt_that_never_comes_ends_expired_and_reported(
    simulators: Start, start_pipeline: Start
) -> None:
    smsc: RecordingSmsc = await simulators()
    smsc.pause_receipts()  # the carrier takes the message and never says what became of it
    no_grace = DispatcherSettings(batch=100, lease_seconds=5.0, receipt_grace_hours=0)
    tuning = replace(FAST, receipt_sweep=timedelta(milliseconds=100))
    pipeline: Pipeline = await start_pipeline(
        [channel("cmcc", smsc)], dispatcher=no_grace, tuning=tuning
    )
    [message_id] = await pipeline.send(
        numbers(650, 1), "lost receipt", validity=timedelta(seconds=1)
    )
    [message] = await pipeline.wait_final([message_id])
    assert message.state is MessageState.EXPIRED and message.stat == "EXPIRED"
    assert smsc.stats.submit_sm_ok == 1
    assert await balance(pipeline) == 999  # the carrier took it: charged
    await eventually(lambda: len(pipeline.receiver.received("acme/reports")) == 1)


async def test_unaccepted_message_expires_and_is_refunded(
    simulators: Start, start_pipeline: Start
) -> None:
    smsc: RecordingSmsc = await simulators()
    smsc.throttle(fraction=1.0)  # the carrier never takes anything
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc)], tuning=NO_CONNECTOR_RETRY)
    [message_id] = await pipeline.send(numbers(600, 1), "too late", validity=timedelta(seconds=1))
    [message] = await pipeline.wait_final([message_id])
    assert message.state is MessageState.EXPIRED and message.attempts >= 2
    assert await balance(pipeline) == 1000
    assert smsc.stats.submit_sm_ok == 0
    await eventually(lambda: len(pipeline.receiver.received("acme/reports")) == 1)
    assert pipeline.receiver.received("acme/reports")[0].json["status"] == 0


async def test_scheduled_message_is_sent_at_its_time(
    simulators: Start, start_pipeline: Start
) -> None:
    smsc: RecordingSmsc = await simulators()
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc)])
    send_at = datetime.now(UTC) + timedelta(seconds=1.5)
    [later] = await pipeline.send(["8613800000701"], "later", send_at=send_at)
    [now] = await pipeline.send(["8613800000702"], "now")
    await pipeline.wait_final([now])
    assert (await pipeline.message(later)).state is MessageState.QUEUED
    assert "8613800000701" not in smsc.destinations()

    [message] = await pipeline.wait_final([later])
    assert message.state is MessageState.DELIVERED
    assert smsc.first_accepted_at["8613800000701"] >= send_at
