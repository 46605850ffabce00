"""A test push: a sample status report or inbound message POSTed to a URL the partner gives,
built and signed exactly like the notifier's real pushes, to show the partner's answer.

Nothing is stored and nothing is retried: the caller (the portal's "send a test push" button,
the REST API's webhook test) shows the HTTP status and the first 2,000 characters of the answer,
or why there was none. The body carries id 0 (no message has it) and the request the header
``X-Hongyan-Test: 1``, so a partner can tell a test from a real push.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlsplit

import httpx

from hongyan.core.accounts import Account, push_secret, sign_push
from hongyan.core.messages import MessageState
from hongyan.core.pushes import PushJob, PushKind
from hongyan.services.notifier import SIGNATURE_HEADER
from hongyan.services.pushes import format_push

MAX_BODY_CHARS = 2000
TEST_HEADER = "X-Hongyan-Test"
SAMPLE_RECIPIENT = "8613800138000"
SAMPLE_SOURCE = "8613900139000"
SAMPLE_TEXT = "鸿雁测试上行 hongyan test"


@dataclass(frozen=True)
class TestPushResult:
    status: int | None  # the partner's HTTP status; None when it did not answer
    body: str  # the first 2,000 characters of its answer
    error: str | None  # why there was no answer (refused, timed out…)
    elapsed_ms: float


def sample_job(account: Account, kind: str, url: str, now: datetime) -> PushJob:
    """The outbox row a real push of ``kind`` ("report" | "inbound") would have, with id 0."""
    job = PushJob(
        id=0,
        kind=PushKind(kind),  # ValueError for an unknown kind
        account_id=account.id,
        url=url,
        ref_id=0,
        attempts=0,
        created_at=now,
        done_at=now,
        push_secret_version=account.push_secret_version,
    )
    if job.kind is PushKind.REPORT:
        return replace(
            job,
            recipient=SAMPLE_RECIPIENT,
            state=MessageState.DELIVERED.value,
            stat="DELIVRD",
            error_code="000",
        )
    return replace(
        job, source=SAMPLE_SOURCE, destination=account.service_code or "1069", text=SAMPLE_TEXT
    )


async def send_test_push(
    client: httpx.AsyncClient,
    account: Account,
    kind: str,
    url: str,
    server_key: bytes,
    now: datetime,
    *,
    timeout: float = 10.0,
) -> TestPushResult:
    """POST a sample push of ``kind`` to ``url``, signed with the account's push secret."""
    job = sample_job(account, kind, url, now)
    body, content_type = format_push(job)
    secret = push_secret(server_key, account.id, account.push_secret_version)
    headers = {
        "Content-Type": content_type,
        SIGNATURE_HEADER: sign_push(secret, body),
        "X-Hongyan-Push": job.kind.value,
        TEST_HEADER: "1",
    }
    started = time.perf_counter()
    refused = await _link_local(url)
    if refused is not None:
        return _failed(f"{refused} is a link-local address (cloud metadata lives there)", started)
    try:
        async with (
            asyncio.timeout(timeout),
            client.stream("POST", url, content=body, headers=headers) as response,
        ):
            answer = await _first_bytes(response, MAX_BODY_CHARS * 4)  # ≥ 2,000 characters
    except TimeoutError:
        return _failed(f"no answer within {timeout:g} s", started)
    except httpx.HTTPError as exc:
        return _failed(f"{type(exc).__name__}: {exc}"[:300], started)
    text = answer.decode(response.encoding or "utf-8", errors="replace")[:MAX_BODY_CHARS]
    return TestPushResult(response.status_code, text, None, _ms(started))


async def _link_local(url: str) -> str | None:
    """The first link-local address ``url``'s host resolves to, if any.

    A test push shows the answer, so it must not become a way to read the cloud metadata
    service (169.254.169.254 and friends) from inside the platform's network. Loopback and
    private addresses stay allowed: self-hosted partners' receivers live there.
    """
    parts = urlsplit(url)
    if not parts.hostname:
        return None  # httpx refuses it with its own error
    try:
        found = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname, parts.port or 80, type=socket.SOCK_STREAM
        )
    except OSError:
        return None  # unresolvable: the POST reports it
    for *_, address in found:
        ip = ipaddress.ip_address(str(address[0]).split("%")[0])
        if ip.is_link_local:
            return str(ip)
    return None


async def _first_bytes(response: httpx.Response, limit: int) -> bytes:
    """At most ``limit`` bytes of the answer: a partner's huge page is not read to its end."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]


def _failed(error: str, started: float) -> TestPushResult:
    return TestPushResult(None, "", error, _ms(started))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
