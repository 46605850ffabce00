"""Issue #9's "done when", literally: an operator makes a key with the CLI, ``curl`` sends a
message with it, reads it delivered, and repeats the send with the same Idempotency-Key
without a second submit_sm reaching the SMSC."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from typing import Any

import pytest
from tests.api.harness import Live, eventually

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")


async def run(*argv: str, env: dict[str, str] | None = None) -> str:
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def curl(*args: str) -> tuple[int, dict[str, Any]]:
    """``curl -s`` whose output ends with the status line it was asked to write."""
    out = await run("curl", "-sS", "-w", "\n%{http_code}", *args)
    body, _, status = out.rpartition("\n")
    return int(status), json.loads(body)


async def test_curl_sends_reads_delivered_and_repeats_safely(live: Live) -> None:
    account = await live.account()
    database = live.platform.settings.database.url
    out = await run(
        sys.executable,
        "-m",
        "hongyan",
        "api-key",
        "create",
        account.name,
        "--label",
        "curl",
        env={"HONGYAN_DATABASE_URL": database},
    )
    key = out.splitlines()[0]
    assert key.startswith("hy_")
    send = (
        f"{live.base_url}/api/v1/messages",
        "-H", f"Authorization: Bearer {key}",
        "-H", "Content-Type: application/json",
        "-H", "Idempotency-Key: 7d2c9b0e-order-1001",
        "-d", '{"to": ["+8613800138000"], "text": "验证码 246810", "client_ref": "order-1001"}',
    )  # fmt: skip
    status, sent = await curl(*send)
    assert status == 201, sent
    (message,) = sent["messages"]
    url = f"{live.base_url}/api/v1/messages/{message['id']}"

    async def is_delivered() -> bool:
        code, found = await curl(url, "-H", f"Authorization: Bearer {key}")
        return code == 200 and found["state"] == "delivered"

    await eventually(is_delivered, what="curl to read the message delivered")
    status, again = await curl(*send)
    assert (status, again) == (201, sent)
    status, listed = await curl(
        f"{live.base_url}/api/v1/messages?client_ref=order-1001",
        "-H",
        f"Authorization: Bearer {key}",
    )
    assert [m["id"] for m in listed["data"]] == [message["id"]]
    assert len(live.smsc.to("8613800138000")) == 1  # exactly one submit_sm reached the SMSC
    assert len(live.smsc.submitted) == 1
