"""services/test_push.py against a real partner HTTP server: body, signature, answers, errors."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import httpx
from tests.pipeline.harness import PushReceiver

from hongyan.core.accounts import Account, push_secret, sign_push
from hongyan.services.test_push import send_test_push

KEY = b"k" * 32
NOW = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
ACCOUNT = Account(
    id=7,
    name="acme",
    password_hash="x",
    active=True,
    balance=0,
    service_code="1069001",
    short_name="",
    push_secret_version=3,
)


async def test_report_push_is_signed_like_a_real_one(partner: PushReceiver) -> None:
    async with httpx.AsyncClient() as client:
        result = await send_test_push(client, ACCOUNT, "report", partner.url("r"), KEY, NOW)
    assert (result.status, result.body, result.error) == (200, "ok", None)
    (push,) = partner.received("r")
    secret = push_secret(KEY, ACCOUNT.id, 3)
    assert push.headers["x-hongyan-signature"] == sign_push(secret, push.body)
    assert push.headers["x-hongyan-test"] == "1"
    assert push.headers["x-hongyan-push"] == "report"
    assert push.json == {
        "status": 1,
        "msg": "发送成功",
        "guid": "0",
        "sms": "0",
        "mb": "8613800138000",
        "stat": "DELIVRD",
        "time": "2024-05-01 16:30:00",
    }


async def test_inbound_push_names_the_service_code(partner: PushReceiver) -> None:
    async with httpx.AsyncClient() as client:
        result = await send_test_push(client, ACCOUNT, "inbound", partner.url("i"), KEY, NOW)
    assert result.status == 200
    (push,) = partner.received("i")
    assert (push.json["id"], push.json["dst"]) == ("0", "1069001")
    assert push.headers["x-hongyan-push"] == "inbound"


async def test_error_status_and_answer_are_shown(partner: PushReceiver) -> None:
    partner.statuses.append(503)
    async with httpx.AsyncClient() as client:
        result = await send_test_push(client, ACCOUNT, "report", partner.url("r"), KEY, NOW)
    assert (result.status, result.body, result.error) == (503, "boom", None)


async def test_nobody_listening_is_an_error_not_an_exception() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        async with httpx.AsyncClient() as client:
            result = await send_test_push(
                client, ACCOUNT, "report", f"http://127.0.0.1:{port}/x", KEY, NOW
            )
    assert result.status is None
    assert result.error is not None and "ConnectError" in result.error


async def test_link_local_addresses_are_refused_before_any_request() -> None:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, text="secret metadata")

    async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as client:
        for url in ("http://169.254.169.254/latest/meta-data/", "http://[fe80::1]:8080/x"):
            result = await send_test_push(client, ACCOUNT, "report", url, KEY, NOW)
            assert result.status is None and result.body == ""
            assert result.error is not None and "link-local" in result.error
    assert sent == []
