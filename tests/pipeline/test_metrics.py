"""``/metrics`` after real traffic: the figures move; who may read it; the listener of a
process without the API role; and what a send leaves in the logs (no text, no password)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from hongyan.config import MetricsSettings
from hongyan.core.messages import MessageState
from hongyan.services import logs
from hongyan.services.platform import Platform, listen

from .harness import FAST, PASSWORD, Pipeline, RecordingSmsc, channel, eventually, settings_for

TEXT = "验证码 482913，请勿告诉他人"
PASSWD = hashlib.md5(PASSWORD.encode()).hexdigest().upper()
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(port: int | None) -> Samples:
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"http://127.0.0.1:{port}/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return parse(answer.text)


async def send_hi8d(port: int | None, numbers: str) -> dict[str, Any]:
    form = {"account": "acme", "passwd": PASSWD, "mb": numbers, "content": TEXT}
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"http://127.0.0.1:{port}/servlet/gateway.php", data=form)
    result: dict[str, Any] = answer.json()
    return result


async def test_figures_move_with_traffic(
    start_pipeline: Callable[..., Any], simulators: Callable[..., Any]
) -> None:
    smsc: RecordingSmsc = await simulators()
    tuning = dataclasses.replace(FAST, queue_figures_max_age=0)
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc)], tuning=tuning)
    port = pipeline.platform.http_port
    before = await scrape(port)
    refused = await send_hi8d(port, "12")  # not a number
    assert refused["status"] != 1, refused
    answer = await send_hi8d(port, "8613912345671,8613912345672")
    assert answer["status"] == 1, answer
    ids = [int(i) for i in str(answer["guid"]).split(",")]
    await pipeline.wait_final(ids)
    await eventually(lambda: len(pipeline.receiver.received("acme/reports")) >= 2)

    async def moved() -> bool:
        after = await scrape(port)
        return (
            value(after, "hongyan_channel_submits_total", channel="cmcc")
            >= 2 + value(before, "hongyan_channel_submits_total", channel="cmcc")
            and value(after, "hongyan_pushes_total", outcome="delivered") >= 2
        )

    await eventually(moved, timeout=10, every=0.2)
    after = await scrape(port)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    hi8d = {"dialect": "hi8d", "endpoint": "/servlet/gateway.php", "status": "200"}
    assert delta("hongyan_http_requests_total", **hi8d) == 2
    assert delta("hongyan_http_request_seconds_count", dialect="hi8d") == 2
    assert delta("hongyan_messages_accepted_total") == 2
    assert delta("hongyan_admission_refusals_total", reason="invalid_number") == 1
    assert delta("hongyan_submit_results_total", outcome="submitted") == 2
    assert (
        delta("hongyan_receipts_total", outcome="matched")
        + delta("hongyan_receipts_total", outcome="pending")
        >= 2
    )
    assert delta("hongyan_channel_receipt_latency_seconds_count", channel="cmcc") >= 1
    assert delta("hongyan_store_commit_seconds_count") > 0
    assert delta("hongyan_store_batch_operations_count") > 0
    assert value(after, "hongyan_channel_binds", channel="cmcc") == 1
    assert value(after, "hongyan_channel_slots_held", channel="cmcc") == 1
    assert value(after, "hongyan_channel_paused", channel="cmcc") == 0
    assert value(after, "hongyan_messages", state="delivered") >= 2  # read from the store
    assert value(after, "hongyan_queue_due") == 0
    assert ("hongyan_queue_oldest_due_age_seconds", ()) in after
    assert value(after, "hongyan_push_backlog") == 0


async def test_metrics_answer_only_allowed_networks(
    database_url: str, tmp_path: Path, simulators: Callable[..., Any]
) -> None:
    smsc: RecordingSmsc = await simulators()
    settings = settings_for(database_url, [channel("cmcc", smsc)], [("", ("cmcc",))])
    settings = dataclasses.replace(settings, metrics=MetricsSettings(allow=("10.0.0.0/8",)))
    platform = Platform(settings, roles=frozenset({"api"}), base_dir=tmp_path, tuning=FAST)
    platform.sockets = [listen("127.0.0.1", 0)]
    stop = asyncio.Event()
    runner = asyncio.create_task(platform.run(stop))
    try:
        await platform.started.wait()
        async with httpx.AsyncClient() as client:
            url = f"http://127.0.0.1:{platform.http_port}"
            await eventually(lambda: platform.server is not None and platform.server.started)
            assert (await client.get(f"{url}/metrics")).status_code == 404
            assert (await client.get(f"{url}/health")).status_code == 200
    finally:
        stop.set()
        await runner


async def test_a_dispatcher_process_serves_metrics_on_its_own_port(
    database_url: str, tmp_path: Path, simulators: Callable[..., Any]
) -> None:
    smsc: RecordingSmsc = await simulators()
    with listen("127.0.0.1", 0) as sock:
        metrics_port = int(sock.getsockname()[1])
    settings = settings_for(database_url, [channel("cmcc", smsc)], [("", ("cmcc",))])
    settings = dataclasses.replace(settings, metrics=MetricsSettings(port=metrics_port))
    platform = Platform(settings, roles=frozenset({"dispatcher"}), base_dir=tmp_path, tuning=FAST)
    stop = asyncio.Event()
    runner = asyncio.create_task(platform.run(stop))
    try:
        await platform.started.wait()
        await eventually(lambda: platform.server is not None and platform.server.started)

        async def bound() -> bool:
            return value(await scrape(metrics_port), "hongyan_channel_binds", channel="cmcc") == 1

        await eventually(bound, timeout=10, every=0.1)
    finally:
        stop.set()
        await runner


async def test_a_send_logs_ids_but_no_text_or_password(
    start_pipeline: Callable[..., Any], simulators: Callable[..., Any]
) -> None:
    smsc: RecordingSmsc = await simulators()
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc)])
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    logs.configure("debug", "json", stream)
    try:
        answer = await send_hi8d(pipeline.platform.http_port, "8613912345679")
        (message,) = await pipeline.wait_final([int(answer["guid"])])
        assert message.state is MessageState.DELIVERED
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert any(line.get("message_id") == message.id for line in lines)
    assert any(line.get("account") == "acme" for line in lines)
    assert any(line.get("channel") == "cmcc" for line in lines)
    text = stream.getvalue()
    for secret in (TEXT, "482913", PASSWORD, PASSWD, PASSWD.lower()):
        assert secret not in text
