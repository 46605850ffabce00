"""hongyan.client end to end: a real platform (HTTP server, dispatcher, SMSC simulator, pushes)
driven only through the Python client, sync and async, until messages are delivered."""

from __future__ import annotations

import ast
import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.api.harness import SYSTEM_ID, Live, eventually

from hongyan.client import ApiError, AsyncClient, Client, MessageDetail
from hongyan.store.base import AccountChanges

from .conftest import Tenant, add_key


async def live_tenant(live: Live) -> Tenant:
    account = await live.account()
    return Tenant(account, await add_key(live.store, account))


async def delivered(sms: AsyncClient, message_id: int) -> MessageDetail:
    found: list[MessageDetail] = []

    async def done() -> bool:
        found.append(await sms.message(message_id))
        return found[-1].state == "delivered"

    await eventually(done, what=f"message {message_id} delivered")
    return found[-1]


async def test_async_client_sends_reads_and_replays(live: Live) -> None:
    tenant = await live_tenant(live)
    await live.store.update_account(tenant.account.name, AccountChanges(report_url=live.push_url))
    async with AsyncClient(live.base_url, tenant.key) as sms:
        sent = await sms.send(
            ["+8613800138001", "12"], "你好，鸿雁 " * 20, client_ref="c-1", idempotency_key="k-1"
        )
        assert (sent.accepted, sent.refused, sent.replayed) == (1, 1, False)
        ok, bad = sent.messages
        assert ok.number == "8613800138001" and ok.segments == 2 and ok.refusal is None
        assert bad.refusal is not None and bad.refusal.code == "invalid_number"
        again = await sms.send(
            ["+8613800138001", "12"], "你好，鸿雁 " * 20, client_ref="c-1", idempotency_key="k-1"
        )
        assert again.replayed and again.ids == sent.ids

        detail = await delivered(sms, sent.ids[0])
        assert detail.stat == "DELIVRD" and detail.done_at is not None
        assert [r.segment for r in detail.receipts] == [1, 2]
        assert all(r.stat == "DELIVRD" for r in detail.receipts)
        await live.wait_pushes(1)
        pushed = await sms.message(sent.ids[0])
        assert [p.state for p in pushed.pushes] == ["delivered"]

        page = await sms.messages(client_ref="c-1", state="delivered")
        assert [m.id for m in page.data] == list(sent.ids) and page.next_cursor is None
        assert (await sms.balance()).balance == 98
    assert len(live.smsc.to("8613800138001")) == 2  # two segments, sent once


async def test_async_client_errors_cancel_inbound_and_webhooks(live: Live) -> None:
    tenant = await live_tenant(live)
    async with AsyncClient(live.base_url, tenant.key) as sms:
        with pytest.raises(ApiError) as missing:
            await sms.message(10**12)
        assert (missing.value.status, missing.value.kind) == (404, "not-found")
        with pytest.raises(ApiError) as empty:
            await sms.send([], "x")
        assert empty.value.status == 422 and empty.value.errors[0].pointer == "#/to"
        with pytest.raises(ValueError, match="aware"):
            await sms.send(["+8613800138002"], "x", send_at=datetime(2030, 1, 1))

        later = await sms.send(
            "+8613800138002", "tomorrow", send_at=datetime.now(UTC) + timedelta(days=1)
        )
        cancelled = await sms.cancel(later.ids[0], idempotency_key="c-1")
        assert cancelled.state == "cancelled" and (await sms.balance()).balance == 100
        with pytest.raises(ApiError) as twice:
            await sms.cancel(later.ids[0])
        assert twice.value.status == 409

        live.smsc.inject_mo(
            "8613900000009", tenant.account.service_code + "5", "回复 TD", system_id=SYSTEM_ID
        )

        async def arrived() -> bool:
            return bool((await sms.inbound()).data)

        await eventually(arrived, what="the inbound message")
        (reply,) = (await sms.inbound()).data
        assert (reply.sender, reply.extension, reply.text) == ("8613900000009", "5", "回复 TD")

        hooks = await sms.set_webhooks(live.push_url, None)
        assert (hooks.report_url, hooks.inbound_url) == (live.push_url, None)
        assert await sms.webhooks() == hooks
        tried = await sms.test_webhook("report")
        assert tried.status == 200 and tried.error is None and tried.url == live.push_url
        assert len(live.receiver.received) == 1  # the sample report reached the partner


async def test_sync_client_in_ordinary_code(live: Live) -> None:
    tenant = await live_tenant(live)

    def send_twice() -> tuple[list[int], bool]:
        with Client(live.base_url, tenant.key) as sms:
            first = sms.send("+8613800138003", "sync", idempotency_key="s-1")
            again = sms.send("+8613800138003", "sync", idempotency_key="s-1")
            return list(first.ids), again.replayed

    ids, replayed = await asyncio.to_thread(send_twice)
    assert replayed and len(ids) == 1
    await live.wait_submitted(1)

    def read() -> tuple[str, list[int], int]:
        with Client(live.base_url, tenant.key) as sms:
            listed = [m.id for m in sms.iter_messages(limit=1)]
            return sms.message(ids[0]).state, listed, sms.balance().balance

    async def done() -> bool:
        return (await asyncio.to_thread(read))[0] == "delivered"

    await eventually(done, what="delivered through the sync client")
    state, listed, balance = await asyncio.to_thread(read)
    assert (state, listed, balance) == ("delivered", ids, 99)
    assert len(live.smsc.to("8613800138003")) == 1


def test_the_client_stands_alone() -> None:
    """hongyan.client imports only httpx and the standard library (partners may vendor it)."""
    folder = Path(__file__).resolve().parents[2] / "src" / "hongyan" / "client"
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith("hongyan.") or name.startswith("hongyan.client"), (
                    f"{path.name} imports {name}"
                )
