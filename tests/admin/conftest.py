"""Fixtures for the back office: a live platform, HTTP sessions that sign in, a partner's push
receiver, and a real headless Chromium (Debian's, through Playwright).

``live`` is the API suite's platform (tests/api/harness.py): real HTTP on 127.0.0.1 port 0, an
SMSC simulator answering with receipts at once, accounts sharing ``PASSWORD``. The back office
is part of every platform, so ``live.base_url + "/portal"`` is the portal.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.api.harness import PASSWORD, Live, live_platform
from tests.pipeline.harness import PushReceiver

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    async with live_platform(tmp_path) as running:
        yield running


@dataclass
class FaceClient:
    """One browser-like HTTP session on a face (``/portal`` or ``/admin``): keeps cookies and
    the page's CSRF token, the way a browser would."""

    http: httpx.AsyncClient
    prefix: str
    csrf: str = ""

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.http.get(self.prefix + path, **kwargs)
        self._remember(response)
        return response

    async def post(
        self, path: str, data: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """POST a form with the current CSRF token (unless ``data`` names its own)."""
        form = {"csrf": self.csrf, **(data or {})}
        response = await self.http.post(self.prefix + path, data=form, **kwargs)
        self._remember(response)
        return response

    async def sign_in(self, name: str, password: str = PASSWORD) -> httpx.Response:
        await self.get("/signin")
        response = await self.post("/signin", {"name": name, "password": password})
        if response.status_code == 303:
            await self.get("/")  # the new session's token
        return response

    def _remember(self, response: httpx.Response) -> None:
        found = (
            _CSRF.search(response.text)
            if response.headers.get("content-type", "").startswith("text/html")
            else None
        )
        if found:
            self.csrf = found.group(1)


@pytest.fixture
async def face_client(live: Live) -> AsyncIterator[Any]:
    """``face_client(prefix)``: a new cookie jar on that face of the live platform."""
    clients: list[httpx.AsyncClient] = []

    def make(prefix: str = "/portal") -> FaceClient:
        http = httpx.AsyncClient(base_url=live.base_url, timeout=20)
        clients.append(http)
        return FaceClient(http, prefix)

    yield make
    for http in clients:
        await http.aclose()


@pytest.fixture
async def partner() -> AsyncIterator[PushReceiver]:
    """The partner's own HTTP server (its report and inbound URLs), run by the test."""
    receiver = PushReceiver()
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


@pytest.fixture
def screenshots() -> Path:
    """Where browser tests save page screenshots: ``$HONGYAN_SCREENSHOTS`` or
    test-artifacts/screenshots (gitignored)."""
    root = Path(__file__).resolve().parents[2]
    folder = Path(os.environ.get("HONGYAN_SCREENSHOTS") or root / "test-artifacts" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Headless Debian Chromium (``playwright install`` cannot download here)."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Any, live: Live) -> AsyncIterator[Any]:
    """A fresh browser context and page whose relative URLs go to the live platform."""
    context = await browser.new_context(
        base_url=live.base_url, viewport={"width": 1280, "height": 860}, locale="zh-CN"
    )
    context.set_default_timeout(10_000)
    opened = await context.new_page()
    try:
        yield opened
    finally:
        await context.close()
