"""The notifier against a real HTTP server on 127.0.0.1: what it sends (byte for byte), how many
at once, and what it records for each push (acknowledged, or the reason and the next attempt)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from hongyan.core.accounts import push_secret, sign_push
from hongyan.core.pushes import PushJob, PushKind
from hongyan.services import notifier as notifier_module
from hongyan.services.connectors.push_client import PushClient
from hongyan.services.notifier import Notifier
from hongyan.services.pushes import format_push
from hongyan.store.base import Store

from .test_push_client import HeldUntil, answer, start_server

NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
KEY = b"k" * 32


def retry_in_a_minute(attempts: int, created_at: datetime, now: datetime) -> datetime | None:
    return now + timedelta(minutes=attempts)


class Outbox:
    """The two store verbs the notifier uses: one claim of ``jobs``, then nothing due."""

    def __init__(self, jobs: Sequence[PushJob]) -> None:
        self.jobs = list(jobs)
        self.delivered: list[int] = []
        self.retry: list[tuple[int, datetime | None, str]] = []
        self.finished = 0

    async def claim_pushes(self, now: datetime, limit: int, lease_seconds: float) -> list[PushJob]:
        claimed, self.jobs = self.jobs[:limit], self.jobs[limit:]
        return claimed

    async def finish_pushes(
        self,
        now: datetime,
        delivered: Sequence[int] = (),
        retry: Sequence[tuple[int, datetime | None, str]] = (),
    ) -> None:
        self.delivered += delivered
        self.retry += retry
        self.finished += 1


def report(job_id: int, url: str, *, account_id: int = 7, version: int = 1) -> PushJob:
    return PushJob(
        id=job_id,
        kind=PushKind.REPORT,
        account_id=account_id,
        url=url,
        ref_id=1000 + job_id,
        attempts=0,
        created_at=NOW,
        recipient="8613800138000",
        state="delivered",
        stat="DELIVRD",
        error_code="000",
        done_at=NOW,
        push_secret_version=version,
    )


@pytest.fixture
async def client() -> AsyncIterator[PushClient]:
    async with PushClient(timeout=5.0, environ={}) as c:
        yield c


def notifier(outbox: Outbox, client: PushClient, **options: Any) -> Notifier:
    return Notifier(
        store=cast(Store, outbox),
        client=client,
        server_key=KEY,
        format_body=format_push,
        clock=lambda: NOW,
        retry=retry_in_a_minute,
        **options,
    )


async def ok(head: bytes, body: bytes) -> bytes:
    return answer()


async def test_a_push_is_sent_byte_for_byte(client: PushClient) -> None:
    state, server = await start_server(ok)
    job = report(1, state.url("/hi8d/report?x=1"))
    outbox = Outbox([job])
    async with server:
        assert await notifier(outbox, client).run_once() == 1
    [(head, body)] = state.requests
    expected_body, content_type = format_push(job)
    secret = push_secret(KEY, 7, 1).encode()
    signature = hmac.new(secret, expected_body, hashlib.sha256).hexdigest()
    assert (
        head
        == (
            "POST /hi8d/report?x=1 HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{state.port}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"X-Hongyan-Signature: {signature}\r\n"
            "X-Hongyan-Push: report\r\n"
            f"Content-Length: {len(expected_body)}\r\n\r\n"
        ).encode()
    )
    assert body == expected_body
    assert (outbox.delivered, outbox.retry, outbox.finished) == ([1], [], 1)


async def test_each_secret_version_signs_its_own_pushes(
    client: PushClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    derived: list[tuple[int, int]] = []

    def counting(server_key: bytes, account_id: int, version: int) -> str:
        derived.append((account_id, version))
        return push_secret(server_key, account_id, version)

    monkeypatch.setattr(notifier_module, "push_secret", counting)
    state, server = await start_server(ok)
    versions = [1, 1, 2, 1, 2, 2]
    jobs = [report(i, state.url(), version=v) for i, v in enumerate(versions, 1)]
    async with server:
        sender = notifier(Outbox(jobs), client)
        await sender.run_once()
        await notifier(Outbox([replace(jobs[0], id=9)]), client).run_once()  # another notifier
    version_of = {str(job.ref_id): job.push_secret_version for job in jobs}
    for head, body in state.requests:
        signature = sign_push(push_secret(KEY, 7, version_of[json.loads(body)["guid"]]), body)
        assert f"X-Hongyan-Signature: {signature}\r\n".encode() in head
    assert derived == [(7, 1), (7, 2), (7, 1)]  # once per notifier and version


async def test_at_most_concurrency_posts_are_under_way(client: PushClient) -> None:
    held = HeldUntil(3)
    state, server = await start_server(held)
    outbox = Outbox([report(i, state.url()) for i in range(1, 11)])
    async with server:
        await notifier(outbox, client, concurrency=3).run_once()
    assert held.peak == 3
    assert sorted(outbox.delivered) == list(range(1, 11))
    assert len(state.requests) == 10


async def test_failures_are_retried_with_their_reason(client: PushClient) -> None:
    release = asyncio.Event()

    async def by_path(head: bytes, body: bytes) -> bytes:
        if head.startswith(b"POST /busy "):
            return answer(503, b"busy")
        if head.startswith(b"POST /slow "):
            await release.wait()
        return answer(204, b"")

    state, server = await start_server(by_path)
    refused, closed = await start_server(ok)
    closed.close()
    await closed.wait_closed()
    jobs = [
        report(1, state.url("/fine")),
        report(2, state.url("/busy")),
        report(3, state.url("/slow")),
        report(4, refused.url()),
    ]
    outbox = Outbox(jobs)
    async with server:
        sender = notifier(outbox, client, post_timeout=0.2)
        assert await sender.run_once() == 4
        release.set()
    later = NOW + timedelta(minutes=1)
    retry = {job_id: (at, reason) for job_id, at, reason in outbox.retry}
    assert outbox.delivered == [1]
    assert retry[2] == (later, "HTTP 503")
    assert retry[3] == (later, "no answer within 0.2 s")
    assert retry[4][0] == later and retry[4][1].startswith("ConnectError: ")
    assert (sender.delivered, sender.failed) == (1, 3)


async def test_a_push_that_cannot_be_formatted_fails_the_round(client: PushClient) -> None:
    state, server = await start_server(ok)
    outbox = Outbox([report(1, state.url()), replace(report(2, state.url()), state="bogus")])
    async with server:
        with pytest.raises(ValueError):
            await notifier(outbox, client, concurrency=1).run_once()
    assert outbox.finished == 0  # nothing recorded: the lease runs out, the pushes go again
