"""Messages from the send path to the carrier and back: submits, receipts, report pushes."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest

from hongyan.config import SecuritySettings
from hongyan.core.accounts import push_secret, sign_push
from hongyan.core.messages import MessageState
from hongyan.protocols.smpp.constants import CommandId as C
from hongyan.services.keys import load_server_key
from hongyan.simulator.smsc import OutcomeMix

from .harness import FAST, PASSWORD, SECRET_KEY, Pipeline, RecordingSmsc, channel, eventually

Start = Callable[..., Any]


def _expected_signature(pipeline: Pipeline, body: bytes) -> str:
    key = load_server_key(SecuritySettings(secret_key=SECRET_KEY))
    return sign_push(push_secret(key, pipeline.account.id, 1), body)


async def test_happy_path_over_http(simulators: Start, start_pipeline: Start) -> None:
    smsc: RecordingSmsc = await simulators()
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc)])
    form = {
        "account": "acme",
        "passwd": hashlib.md5(PASSWORD.encode()).hexdigest().upper(),
        "mb": "8613800000001,8613800000002",
        "content": "你好，鸿雁",
    }
    url = f"http://127.0.0.1:{pipeline.platform.http_port}/servlet/gateway.php"
    async with httpx.AsyncClient() as client:
        answer = (await client.post(url, data=form)).json()
    assert answer["status"] == 1, answer
    guids = [int(g) for g in answer["guid"].split(",")]

    messages = await pipeline.wait_final(guids)
    assert [m.state for m in messages] == [MessageState.DELIVERED] * 2
    assert all(m.channel == "cmcc" for m in messages)
    assert sorted(smsc.accepted) == [
        ("8613800000001", "你好，鸿雁"),
        ("8613800000002", "你好，鸿雁"),
    ]
    await eventually(lambda: len(pipeline.receiver.received("acme/reports")) == 2)
    for push in pipeline.receiver.received("acme/reports"):
        assert push.json["status"] == 1 and push.json["stat"] == "DELIVRD"
        assert push.headers["x-hongyan-signature"] == _expected_signature(pipeline, push.body)
    pushed = {int(p.json["guid"]): p.json["mb"] for p in pipeline.receiver.received("acme/reports")}
    assert pushed == {guids[0]: "8613800000001", guids[1]: "8613800000002"}


async def test_multi_segment_message_waits_for_every_segment(
    simulators: Start, start_pipeline: Start
) -> None:
    smsc: RecordingSmsc = await simulators()
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc)])
    smsc.pause_receipts()
    text = "鸿雁传书，" * 30  # 150 UCS-2 characters: three segments
    [message_id] = await pipeline.send(["8613800000003"], text)
    await smsc.wait_until(lambda: smsc.stats.submit_sm_ok == 3)
    await pipeline.wait_state(message_id, MessageState.SUBMITTED)
    assert smsc.stats.segments == 3
    assert "".join(t for _, t in smsc.accepted) == text

    smsc.pause_receipts(False)
    [message] = await pipeline.wait_final([message_id])
    assert message.state is MessageState.DELIVERED and message.segments == 3
    await eventually(lambda: len(pipeline.receiver.received("acme/reports")) == 1)


async def test_one_undeliverable_segment_fails_the_message(
    simulators: Start, start_pipeline: Start
) -> None:
    smsc: RecordingSmsc = await simulators(outcomes=OutcomeMix(delivered=0, undeliverable=1))
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc)])
    [message_id] = await pipeline.send(["8613800000004"], "x" * 200)  # two GSM-7 segments
    [message] = await pipeline.wait_final([message_id])
    assert message.state is MessageState.UNDELIVERABLE
    await eventually(lambda: len(pipeline.receiver.received("acme/reports")) == 1)
    report = pipeline.receiver.received("acme/reports")[0].json
    assert report["status"] == 0 and report["stat"] == "UNDELIV"


class EarlyReceiptSmsc(RecordingSmsc):
    """Puts each receipt on the wire ahead of the submit_sm_resp it belongs to: the receipt is
    written while the submit_sm is being answered, before its response is."""

    def _receipt_after(self, delay: float, peer: str, receipt: Any) -> None:
        self._send_receipt(peer, receipt)


async def test_receipt_before_submit_sm_resp(
    start_pipeline: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Receipts come first on the wire, and are committed before the carrier ids are."""
    async with EarlyReceiptSmsc(port=0, dlr_delay=0.0) as smsc:
        pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc)])
        sink, store = pipeline.platform.sink, pipeline.store
        assert sink is not None
        record_submits = store.record_submits

        async def after_the_receipts(*args: Any, **kwargs: Any) -> list[int]:
            await eventually(lambda: sink.receipts_recorded == 20)
            return await record_submits(*args, **kwargs)

        monkeypatch.setattr(store, "record_submits", after_the_receipts)
        ids = await pipeline.send([f"86138000001{i:02}" for i in range(20)], "early")
        messages = await pipeline.wait_final(ids)
        assert {m.state for m in messages} == {MessageState.DELIVERED}
        assert smsc.stats.receipts_sent == 20
        assert sink.receipts_pending == 20  # every one waited for its carrier id


async def test_receipt_ids_in_decimal_match_hex_submit_ids(start_pipeline: Start) -> None:
    """The SMSC answers submit_sm in hex, its receipts say the same id in decimal."""

    class DecimalReceipts(RecordingSmsc):
        def _send_receipt(self, system_id: str, receipt: Any) -> None:
            text = receipt.short_message.decode("latin-1")
            hex_id = text.split()[0].removeprefix("id:")
            decimal = f"id:{int(hex_id, 16):010d}"  # leading zeros too
            body = text.replace(f"id:{hex_id}", decimal, 1).encode("latin-1")
            super()._send_receipt(system_id, replace(receipt, short_message=body, tlvs=()))

    async with DecimalReceipts(port=0, dlr_delay=0.0) as smsc:
        pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc)])
        ids = await pipeline.send(["8613800000005", "8613800000006"], "decimal")
        messages = await pipeline.wait_final(ids)
        assert {m.state for m in messages} == {MessageState.DELIVERED}


async def test_receipt_for_an_unknown_id_is_kept_then_purged_with_a_log(
    start_pipeline: Start, caplog: pytest.LogCaptureFixture
) -> None:
    class StrangerReceipts(RecordingSmsc):
        def _send_receipt(self, system_id: str, receipt: Any) -> None:
            text = receipt.short_message.decode("latin-1")
            body = re.sub(r"^id:\S+", "id:7777777", text).encode("latin-1")
            super()._send_receipt(system_id, replace(receipt, short_message=body, tlvs=()))

    caplog.set_level(logging.INFO, logger="hongyan.services.deliveries")
    async with StrangerReceipts(port=0, dlr_delay=0.0) as smsc:
        tuning = replace(FAST, pending_receipt_ttl=timedelta(0))
        pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc)], tuning=tuning)
        [message_id] = await pipeline.send(["8613800000007"], "who am I")
        sink = pipeline.platform.sink
        assert sink is not None
        await eventually(lambda: sink.receipts_pending == 1)
        assert "not known (yet): kept" in caplog.text
        await pipeline.wait_state(message_id, MessageState.SUBMITTED)
        assert await sink.purge_pending() == 1
        assert "dropped 1 receipts" in caplog.text
        assert await sink.purge_pending() == 0


async def test_channel_sends_per_second_limit(simulators: Start, start_pipeline: Start) -> None:
    smsc: RecordingSmsc = await simulators()
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc, tps=50)])
    ids = await pipeline.send([f"86138000008{i:02}" for i in range(30)], "paced")
    await pipeline.wait_final(ids)
    times = sorted(smsc.first_accepted_at.values())
    # 50/s with a burst of 5: the last of 30 cannot go out before (30 - 5) / 50 s
    assert (times[-1] - times[0]).total_seconds() >= 0.45


async def test_receipts_answered_only_after_commit_and_redelivered_when_it_fails(
    simulators: Start, start_pipeline: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    """deliver_sm_resp follows the commit; a failed write answers ESME_RX_T_APPN, and the
    SMSC's redelivery is recorded."""
    smsc: RecordingSmsc = await simulators(redeliver_delay=0.05)
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc)])
    store = pipeline.store
    record_receipts = store.record_receipts
    release, failed = asyncio.Event(), 0

    async def held_then_failing(*args: Any, **kwargs: Any) -> Any:
        nonlocal failed
        await release.wait()
        if not failed:
            failed = 1
            raise OSError("disk full")
        return await record_receipts(*args, **kwargs)

    monkeypatch.setattr(store, "record_receipts", held_then_failing)
    ids = await pipeline.send([f"86138000002{i:02}" for i in range(5)], "commit first")
    try:
        await smsc.wait_until(lambda: smsc.stats.receipts_sent >= 5)
        [conn] = list(smsc.connections)
        smsc.enquire_all()  # answered after the receipts were read: an early answer is in
        await smsc.wait_until(lambda: C.ENQUIRE_LINK not in conn.session.outstanding.values())
        assert smsc.stats.deliver_sm_acknowledged == smsc.stats.deliver_sm_refused == 0
    finally:
        release.set()
    messages = await pipeline.wait_final(ids)
    assert {m.state for m in messages} == {MessageState.DELIVERED}
    assert smsc.stats.deliver_sm_refused >= 1
    await smsc.wait_until(lambda: smsc.stats.deliver_sm_acknowledged == 5)
