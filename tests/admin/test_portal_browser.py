"""The partner portal in a real headless Chromium against the live platform.

A partner signs in, sets its report URL, sends a test push to its own server (run by the
test) and reads the answer, sends a message through HI8D ``gateway.php`` and watches it become
delivered on the message's page, and cannot open another partner's message by URL. Screenshots
of the main pages go to the ``screenshots`` folder (portal-*.png).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.api.harness import PASSWD_MD5, PASSWORD, Live
from tests.pipeline.harness import PushReceiver

from hongyan.core.admission import SendRequest
from hongyan.core.messages import MessageState

GATEWAY = "/servlet/gateway.php"


async def shot(page: Any, folder: Path, name: str) -> None:
    await page.screenshot(path=str(folder / f"portal-{name}.png"), full_page=True)


async def some_traffic(live: Live, account: Any) -> None:
    """A few messages with client references, so the lists and charts have something to show."""
    context = live.platform.context
    assert context is not None
    for i in range(6):
        request = SendRequest(
            (f"86139{i:08d}",),
            f"【鸿雁】订单 {1000 + i} 已发货，请注意查收。",
            client_ref=f"order-{1000 + i}",
        )
        assert (await context.sender.send(account, request)).refusal is None


async def test_partner_sets_report_url_tests_it_and_sees_a_message_delivered(
    live: Live, page: Any, partner: PushReceiver, screenshots: Path
) -> None:
    from playwright.async_api import expect

    account = await live.account(balance=500, allowed_networks=("127.0.0.1/32",))
    other = await live.account()

    # sign in (the portal sends us to the sign-in page first)
    await page.goto("/portal/")
    await expect(page).to_have_url(re.compile(r"/portal/signin\?next="))
    await page.fill("#name", account.name)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page).to_have_url(re.compile(r"/portal/$"))
    await expect(page.locator("#balance")).to_have_text("500")

    # report URL: save it, then a test push to the partner's server shows its answer
    await page.click("nav >> text=推送设置")
    await page.fill("#report_url", partner.url("reports"))
    await page.click("#save-urls")
    await expect(page.locator(".notice.ok")).to_contain_text("推送地址已保存")
    await expect(page.locator("#report_url")).to_have_value(partner.url("reports"))
    await page.click("#test-report")
    answer = page.locator("#test-result-report")
    await expect(answer).to_contain_text("对方返回 HTTP 200")
    await expect(answer.locator("pre.answer")).to_have_text("ok")
    assert [p.headers["x-hongyan-test"] for p in partner.received("reports")] == ["1"]
    await page.click("#reveal-secret")
    await expect(page.locator("#push-secret")).to_have_text(re.compile(r"^[0-9a-f]{40}$"))
    await shot(page, screenshots, "settings")

    # a message through HI8D gateway.php goes to delivered on its page (which refreshes itself)
    await some_traffic(live, account)
    sent = await live.http.post(
        GATEWAY,
        data={
            "account": account.name,
            "passwd": PASSWD_MD5,
            "mb": "8613800138000",
            "content": "【鸿雁】您的验证码是 246810，5 分钟内有效。",
        },
    )
    guid = sent.json()["guid"]
    await page.click("nav >> text=短信记录")
    row = page.locator(f'tr[data-id="{guid}"]')
    await expect(row).to_contain_text("8613800138000")
    await row.locator("a").click()
    await expect(page).to_have_url(re.compile(rf"/portal/messages/{guid}$"))
    await expect(page.locator("#message-state")).to_contain_text("已送达", timeout=15_000)
    await expect(page.locator("#segments")).to_contain_text("DELIVRD")
    await expect(page.locator("#pushes .badge")).to_have_text("已推送", timeout=15_000)
    reports = [p.json for p in partner.received("reports") if "x-hongyan-test" not in p.headers]
    assert {r["guid"] for r in reports} >= {guid}
    await shot(page, screenshots, "message")

    await page.click("nav >> text=短信记录")
    await expect(page.locator("#messages tbody tr")).to_have_count(7)
    await shot(page, screenshots, "messages")

    # overview: today's figures and the charts
    await page.click("nav >> text=概览")
    await expect(page.locator("#today .sent")).to_have_text("7")
    await expect(page.locator("svg.chart").first).to_be_visible()
    await shot(page, screenshots, "overview")
    await page.set_viewport_size({"width": 390, "height": 844})
    await shot(page, screenshots, "overview-phone")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll

    # another partner's message, by URL: the same "not found" as a message that does not exist
    context = live.platform.context
    assert context is not None
    outcome = await context.sender.send(other, SendRequest(("8613700137000",), "别人的短信"))
    (theirs,) = outcome.ids
    response = await page.goto(f"/portal/messages/{theirs}")
    assert response is not None and response.status == 404
    await expect(page.locator("main")).to_contain_text("页面不存在，或您无权查看")
    await expect(page.locator("main")).not_to_contain_text("别人的短信")
    stored = await live.store.get_message(int(guid))
    assert stored is not None and stored.state is MessageState.DELIVERED
