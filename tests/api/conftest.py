"""Fixtures for end-to-end API tests: a running platform per test (see ``harness``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.api.harness import Live, live_platform


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    async with live_platform(tmp_path) as running:
        yield running
