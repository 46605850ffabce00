"""GET/PUT /api/v1/webhooks and the test push: URLs checked, the sample push signed like real
ones, an unreachable URL answered with why."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hongyan.core.accounts import push_secret, sign_push
from hongyan.services.notifier import SIGNATURE_HEADER

from .conftest import SERVER_KEY, Rest, pointers, problem


@contextlib.asynccontextmanager
async def partner(status: int = 200, answer: bytes = b"ok") -> AsyncIterator[dict[str, Any]]:
    """A bare HTTP/1.1 server on 127.0.0.1 that records one request and answers it."""
    seen: dict[str, Any] = {}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        headers = {k.lower(): v for k, v in headers.items()}
        seen["request_line"] = lines[0]
        seen["headers"] = headers
        seen["body"] = await reader.readexactly(int(headers.get("content-length", "0")))
        writer.write(
            b"HTTP/1.1 %d X\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
            % (status, len(answer), answer)
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    seen["url"] = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
    async with server:
        yield seen


async def test_put_sets_both_urls_and_get_reads_them(rest: Rest) -> None:
    tenant = await rest.tenant()
    empty = await rest.http.get("/api/v1/webhooks", headers=tenant.auth)
    assert empty.json() == {"report_url": None, "inbound_url": None}
    body = {"report_url": "https://partner.example/dlr?x=1", "inbound_url": None}
    put = await rest.http.put("/api/v1/webhooks", json=body, headers=tenant.auth)
    assert put.status_code == 200 and put.json() == body
    assert (await rest.http.get("/api/v1/webhooks", headers=tenant.auth)).json() == body
    stored = await rest.store.get_account_by_id(tenant.account.id)
    assert stored is not None and stored.report_url == body["report_url"]
    assert stored.inbound_url is None


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"report_url": "ftp://x.example/", "inbound_url": None}, "#/report_url"),
        ({"report_url": "http://", "inbound_url": None}, "#/report_url"),
        ({"report_url": "http://x.example/ a", "inbound_url": None}, "#/report_url"),
        ({"report_url": "http://x.example:99999/", "inbound_url": None}, "#/report_url"),
        ({"report_url": None, "inbound_url": "/relative"}, "#/inbound_url"),
        ({"report_url": None, "inbound_url": 5}, "#/inbound_url"),
        ({"report_url": None}, "#/inbound_url"),  # PUT replaces both: both are required
        ({"report_url": None, "inbound_url": None, "x": 1}, "#/x"),
    ],
)
async def test_bad_urls_are_field_errors(rest: Rest, body: dict[str, Any], pointer: str) -> None:
    tenant = await rest.tenant(report_url="http://kept.example/")
    answer = await rest.http.put("/api/v1/webhooks", json=body, headers=tenant.auth)
    assert pointer in pointers(problem(answer, 422, "invalid-request"))
    stored = await rest.store.get_account_by_id(tenant.account.id)
    assert stored is not None and stored.report_url == "http://kept.example/"


@pytest.mark.parametrize("kind", ["report", "inbound"])
async def test_test_push_is_signed_like_real_pushes(rest: Rest, kind: str) -> None:
    tenant = await rest.tenant()
    async with partner(answer=b"received") as seen:
        await rest.http.put(
            "/api/v1/webhooks",
            json={"report_url": seen["url"], "inbound_url": seen["url"]},
            headers=tenant.auth,
        )
        answer = await rest.http.post(
            "/api/v1/webhooks/test", json={"kind": kind}, headers=tenant.auth
        )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["url"], result["status"], result["body"], result["error"]) == (
        seen["url"],
        200,
        "received",
        None,
    )
    assert seen["request_line"] == "POST /hook HTTP/1.1"
    secret = push_secret(SERVER_KEY, tenant.account.id, tenant.account.push_secret_version)
    assert seen["headers"][SIGNATURE_HEADER.lower()] == sign_push(secret, seen["body"])
    assert seen["headers"]["x-hongyan-test"] == "1"


async def test_test_push_to_a_given_url_and_to_nowhere(rest: Rest) -> None:
    tenant = await rest.tenant()
    missing = await rest.http.post(
        "/api/v1/webhooks/test", json={"kind": "report"}, headers=tenant.auth
    )
    assert pointers(problem(missing, 422, "invalid-request")) == ["#/url"]
    async with partner(status=503, answer=b"down") as seen:
        url = seen["url"]
        answer = await rest.http.post(
            "/api/v1/webhooks/test", json={"kind": "inbound", "url": url}, headers=tenant.auth
        )
    assert (answer.json()["status"], answer.json()["body"]) == (503, "down")
    # the server is gone now: nothing listens on that port
    gone = await rest.http.post(
        "/api/v1/webhooks/test", json={"kind": "inbound", "url": url}, headers=tenant.auth
    )
    assert gone.status_code == 200
    assert gone.json()["status"] is None and "Connect" in gone.json()["error"]
    bad = await rest.http.post("/api/v1/webhooks/test", json={"kind": "sms"}, headers=tenant.auth)
    assert pointers(problem(bad, 422, "invalid-request")) == ["#/kind"]
