"""The operator console in a real headless Chromium against the live platform: an operator
creates an account and tops it up, pauses the channel and sees messages sent meanwhile wait,
resumes it and sees them delivered, and finds every step in the audit log. Screenshots of the
main pages are saved (``screenshots`` fixture) for the docs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.api.harness import PASSWORD, Live, eventually, password_hash

from hongyan.core.messages import MessageState
from hongyan.store.base import AccountChanges, MessageQuery

NUMBERS = ("13800138001", "13800138002", "13800138003")


async def shot(page: Any, folder: Path, name: str) -> None:
    await page.screenshot(path=str(folder / f"console-{name}.png"), full_page=True)


async def sign_in(page: Any) -> None:
    from playwright.async_api import expect

    await page.goto("/admin")
    await expect(page).to_have_url(re.compile(r"/admin/signin"))
    await page.fill("#name", "alice")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page).to_have_url(re.compile(r"/admin/accounts$"))


async def create_and_top_up(page: Any) -> None:
    from playwright.async_api import expect

    await page.click("details.create summary")
    await page.fill("#f-name", "shop")
    await page.fill("#f-password", "shop-pass")
    await page.fill("#f-password2", "shop-pass")
    await page.fill("#f-service_code", "1069555")
    await page.fill("#f-short_name", "鸿雁商城")
    await page.click("details.create button[type=submit]")
    await expect(page).to_have_url(re.compile(r"/admin/accounts/shop\?done=created$"))
    await expect(page.locator("#balance")).to_have_text("0")
    await page.fill("#f-amount", "100")
    await page.fill("#f-note", "合同 A-1")
    await page.click("#h-topup ~ form button[type=submit]")
    await expect(page.locator(".notice.ok")).to_be_visible()
    await expect(page.locator("#balance")).to_have_text("100")


async def messages_of(live: Live, name: str) -> list[MessageState]:
    account = await live.store.get_account(name)
    assert account is not None
    return [m.state for m in await live.store.find_messages(MessageQuery(account_id=account.id))]


async def test_operator_pauses_a_channel_and_messages_wait(
    page: Any, live: Live, screenshots: Path
) -> None:
    from playwright.async_api import expect

    await live.store.create_operator("alice", password_hash())
    await sign_in(page)
    await create_and_top_up(page)
    await shot(page, screenshots, "account")

    await page.goto("/admin/channels")
    row = page.locator('tr[data-channel="smsc"]')
    await expect(row.locator(".badge")).to_have_text("已连接")
    await row.locator("button").click()  # 暂停
    await expect(row.locator(".badge")).to_have_text("已暂停")
    channel = live.platform.channels.by_name["smsc"]  # type: ignore[union-attr]
    await eventually(lambda: _true(channel.paused), what="the dispatcher to see the pause")

    for number in NUMBERS:
        answer = await live.http.post(
            "/send/gsend.aspx",
            data={"name": "shop", "pwd": "shop-pass", "dst": number, "msg": "您的验证码 1234"},
        )
        assert answer.status_code == 200
    await expect(page.locator("#due")).to_have_text("3")  # the live part refreshes itself
    await shot(page, screenshots, "channels")

    await page.goto("/admin/messages?account=shop")
    badges = page.locator("tr[data-message] .badge")
    await expect(badges).to_have_text(["排队中"] * 3)
    assert live.smsc.submitted == []
    assert await messages_of(live, "shop") == [MessageState.QUEUED] * 3
    await shot(page, screenshots, "messages-waiting")

    await page.goto("/admin/channels")
    await row.locator("button").click()  # 恢复
    await expect(row.locator(".badge")).to_have_text("已连接")

    async def delivered() -> bool:
        return await messages_of(live, "shop") == [MessageState.DELIVERED] * 3

    await eventually(delivered, timeout=15, what="the waiting messages to be delivered")
    await page.goto("/admin/messages?account=shop")
    await expect(badges).to_have_text(["已送达"] * 3)
    await shot(page, screenshots, "messages")
    await page.locator("tr[data-message] a").first.click()
    await expect(page.locator("h1 .badge")).to_have_text("已送达")
    await shot(page, screenshots, "message")

    await page.goto("/admin/audit")
    actions = page.locator("tr[data-audit] td:nth-child(3) .mono")
    await expect(actions).to_have_text(
        ["channel.resume", "channel.pause", "account.topup", "account.create"]
    )
    await expect(page.locator("tr[data-audit]").nth(2)).to_contain_text("合同 A-1")
    await shot(page, screenshots, "audit")
    await page.goto("/admin/charts")
    await expect(page.locator("section.card svg.chart")).to_have_count(3)
    await expect(page.locator("section.card table")).to_contain_text("smsc")  # receipt latency
    await shot(page, screenshots, "charts")
    await live.account(short_name="华南物流")  # company for the accounts page
    stopped = await live.account(short_name="北方银行")
    await live.store.update_account(stopped.name, AccountChanges(active=False))
    await page.goto("/admin/accounts")
    await expect(page.locator("tr .badge")).to_have_count(3)
    await shot(page, screenshots, "accounts")

    await page.set_viewport_size({"width": 390, "height": 844})  # a phone
    for path, name in (
        ("/admin/accounts/shop", "account-phone"),
        ("/admin/channels", "channels-phone"),
    ):
        await page.goto(path)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways at phone width ({width}px)"
        await shot(page, screenshots, name)


async def _true(value: bool) -> bool:
    return value
