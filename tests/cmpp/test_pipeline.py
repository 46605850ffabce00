"""End to end over CMPP: a platform with a ``protocol = "cmpp"`` channel sends an HI8D
message to the ISMG simulator, records its status report and pushes it; a reply from a
handset becomes an inbound push. On SQLite (tests/pipeline runs the SMPP twins on both
stores; the CMPP path reaches the store through the same calls)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from tests.pipeline.harness import PASSWORD, Pipeline, eventually, running_pipeline, settings_for

from hongyan.config import ChannelSettings
from hongyan.core.messages import MessageState
from hongyan.simulator.cmpp import CmppSimulator
from hongyan.simulator.smsc import OutcomeMix

from .conftest import SECRET, SP_ID


@pytest.fixture
async def pipeline(ismg: CmppSimulator, tmp_path: Path) -> AsyncIterator[Pipeline]:
    channel = ChannelSettings(
        name="cmcc",
        protocol="cmpp",
        host="127.0.0.1",
        port=ismg.port,
        system_id=SP_ID,
        password=SECRET,
        service_id="MHY0010101",
        window=8,
    )
    settings = settings_for(f"sqlite:///{tmp_path / 'hongyan.db'}", [channel], [("", ("cmcc",))])
    async with running_pipeline(settings, tmp_path) as running:
        yield running


async def test_hi8d_send_is_delivered_over_cmpp_and_its_report_pushed(
    ismg: CmppSimulator, pipeline: Pipeline
) -> None:
    form = {
        "account": "acme",
        "passwd": hashlib.md5(PASSWORD.encode()).hexdigest().upper(),
        "mb": "8613800000001,8613800000002",
        "content": "你好，鸿雁" * 20,  # 100 characters: two UCS2 segments each
    }
    url = f"http://127.0.0.1:{pipeline.platform.http_port}/servlet/gateway.php"
    async with httpx.AsyncClient() as client:
        answer = (await client.post(url, data=form)).json()
    assert answer["status"] == 1, answer
    guids = [int(g) for g in answer["guid"].split(",")]

    messages = await pipeline.wait_final(guids)
    assert [m.state for m in messages] == [MessageState.DELIVERED] * 2
    assert all(m.channel == "cmcc" and m.segments == 2 for m in messages)
    assert ismg.stats.submits_ok == ismg.stats.segments == 4
    assert {s.service_id for s in ismg.submitted} == {"MHY0010101"}
    assert all(s.src_id.startswith("1069001") for s in ismg.submitted)
    await ismg.wait_until(lambda: ismg.stats.deliver_acknowledged == 4)  # after the commit

    await eventually(lambda: len(pipeline.receiver.received("acme/reports")) == 2)
    pushed = {int(x.json["guid"]): x.json for x in pipeline.receiver.received("acme/reports")}
    assert set(pushed) == set(guids)
    assert {x["stat"] for x in pushed.values()} == {"DELIVRD"}


async def test_gateway_failure_code_ends_the_message_undeliverable(
    ismg: CmppSimulator, pipeline: Pipeline
) -> None:
    ismg.outcomes = OutcomeMix(delivered=0, undeliverable=1)
    ismg.failure_stat = "MK:0005"
    [message_id] = await pipeline.send(["8613800000003"], "hello over CMPP")
    [message] = await pipeline.wait_final([message_id])
    assert message.state is MessageState.UNDELIVERABLE
    await eventually(lambda: len(pipeline.receiver.received("acme/reports")) == 1)
    [push] = pipeline.receiver.received("acme/reports")
    assert push.json["stat"] == "UNDELIV"


async def test_handset_reply_becomes_an_inbound_push(
    ismg: CmppSimulator, pipeline: Pipeline
) -> None:
    await ismg.wait_until(lambda: ismg.stats.connections_active == 1)
    ismg.inject_mo("13800000011", "10690019", "收到，谢谢")
    await eventually(lambda: len(pipeline.receiver.received("acme/inbound")) == 1)
    pushed = pipeline.receiver.received("acme/inbound")[0].json
    assert (pushed["src"], pushed["dst"], pushed["content"]) == (
        "8613800000011",
        "10690019",
        "收到，谢谢",
    )
    await ismg.wait_until(lambda: ismg.stats.deliver_acknowledged == 1)
