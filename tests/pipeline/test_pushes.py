"""Pushes to partners: retried until a 2xx, signed, identical on every attempt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hongyan.config import SecuritySettings
from hongyan.core.accounts import push_secret, sign_push
from hongyan.core.messages import MessageState
from hongyan.services.keys import load_server_key

from .harness import SECRET_KEY, Pipeline, RecordingSmsc, channel, eventually

Start = Callable[..., Any]


def signature(account_id: int, body: bytes) -> str:
    key = load_server_key(SecuritySettings(secret_key=SECRET_KEY))
    return sign_push(push_secret(key, account_id, 1), body)


async def test_report_url_answering_500_then_200(simulators: Start, start_pipeline: Start) -> None:
    smsc: RecordingSmsc = await simulators()
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc)])
    pipeline.receiver.statuses.extend([500, 503])
    [message_id] = await pipeline.send(["8613800000030"], "retry my report")
    await pipeline.wait_final([message_id])

    await eventually(lambda: len(pipeline.receiver.received("acme/reports")) == 1)
    attempts = pipeline.receiver.received("acme/reports", answered=None)
    assert [p.answered for p in attempts] == [500, 503, 200]
    assert len({p.body for p in attempts}) == 1  # the same report every time
    for push in attempts:
        assert push.headers["x-hongyan-signature"] == signature(pipeline.account.id, push.body)
    assert attempts[0].json["guid"] == str(message_id)
    assert pipeline.platform.notifier is not None
    await eventually(
        lambda: pipeline.platform.notifier is not None and pipeline.platform.notifier.delivered == 1
    )
    assert pipeline.platform.notifier.failed == 2


async def test_inbound_push_is_retried_and_signed(simulators: Start, start_pipeline: Start) -> None:
    smsc: RecordingSmsc = await simulators()
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc)])
    pipeline.receiver.statuses.append(500)
    smsc.inject_mo("13800000031", "1069001", "回复")
    await eventually(lambda: len(pipeline.receiver.received("acme/inbound")) == 1)
    attempts = pipeline.receiver.received("acme/inbound", answered=None)
    assert [p.answered for p in attempts] == [500, 200]
    body = attempts[1].body
    assert attempts[1].headers["x-hongyan-signature"] == signature(pipeline.account.id, body)
    assert attempts[1].json["content"] == "回复"


async def test_every_final_state_is_pushed_once(simulators: Start, start_pipeline: Start) -> None:
    smsc: RecordingSmsc = await simulators()
    smsc.fail_destinations("8613900")
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc)])
    ids = await pipeline.send(["8613800000032", "8613900000033"], "two outcomes")
    messages = await pipeline.wait_final(ids)
    assert [m.state for m in messages] == [MessageState.DELIVERED, MessageState.FAILED]
    await eventually(lambda: len(pipeline.receiver.received("acme/reports")) == 2)
    stats = {p.json["guid"]: p.json["status"] for p in pipeline.receiver.received("acme/reports")}
    assert stats == {str(ids[0]): 1, str(ids[1]): 0}
