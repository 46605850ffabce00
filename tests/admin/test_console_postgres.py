"""The console's writes on PostgreSQL: an account's changes and their audit entries, a channel
pause, through real HTTP (the other console tests run on SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.api.harness import Live, live_platform, password_hash

from hongyan.store.base import AuditQuery


@pytest.fixture
async def live(tmp_path: Path, postgres_url: str) -> AsyncIterator[Live]:
    async with live_platform(tmp_path, postgres_url) as running:
        yield running


async def test_console_changes_and_audit_on_postgres(live: Live, face_client: Any) -> None:
    account = await live.account()
    await live.store.create_operator("alice", password_hash())
    console = face_client("/admin")
    assert (await console.sign_in("alice")).status_code == 303
    await console.get(f"/accounts/{account.name}")
    topped = await console.post(f"/accounts/{account.name}/topup", {"amount": "7", "note": "po 1"})
    assert topped.status_code == 303 and await live.balance(account) == 107
    assert (await console.post("/channels/smsc/pause", {"paused": "1"})).status_code == 303
    assert await live.store.paused_channels() == {"smsc"}
    pause, topup = await live.store.find_audit(AuditQuery(operator="alice"))
    assert (pause.action, pause.before, pause.after) == (
        "channel.pause",
        {"paused": False},
        {"paused": True},
    )
    assert topup.before == {"balance": 100} and topup.after == {"balance": 107, "note": "po 1"}
    page = (await console.get("/audit?operator=alice")).text
    assert page.count("data-audit=") == 2 and "po 1" in page
