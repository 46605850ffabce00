"""/api/v1/docs in a real browser: it renders every operation from openapi.json and loads
nothing from anywhere but the server itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.api.harness import Live

from hongyan.services.api.rest.openapi import document

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]


async def test_docs_page_renders_from_local_assets(live: Live) -> None:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium")
    from playwright.async_api import async_playwright

    requested: list[str] = []
    errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            page = await browser.new_page()
            page.on("request", lambda request: requested.append(request.url))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            await page.goto(f"{live.base_url}/api/v1/docs#problem-idempotency-key-reused")
            await page.wait_for_selector("section#sendMessages")
            ids = await page.eval_on_selector_all("section.op[id]", "all => all.map(s => s.id)")
            text = await page.inner_text("main")
        finally:
            await browser.close()
    operations = {
        op["operationId"] for item in document()["paths"].values() for op in item.values()
    }
    assert operations <= set(ids)
    assert "Idempotency-Key" in text and "idempotency-key-reused" in text
    assert errors == []
    assert requested and all(url.startswith(live.base_url) for url in requested), requested
