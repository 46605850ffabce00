"""Fixtures for the pipeline suite: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from hongyan.config import ChannelSettings, DispatcherSettings
from hongyan.services.platform import Tuning

from .harness import FAST, Pipeline, RecordingSmsc, running_pipeline, settings_for


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hongyan.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def simulators() -> AsyncIterator[Callable[..., Any]]:
    """Start SMSC simulators on port 0 (receipts at once unless told otherwise)."""
    async with AsyncExitStack() as stack:

        async def start(**options: Any) -> RecordingSmsc:
            options.setdefault("dlr_delay", 0.0)
            return await stack.enter_async_context(RecordingSmsc(port=0, **options))

        yield start


@pytest.fixture
async def start_pipeline(database_url: str, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """Start the platform over the given channels and routes; stopped after the test."""
    async with AsyncExitStack() as stack:

        async def start(
            channels: Sequence[ChannelSettings],
            routes: Sequence[tuple[str, tuple[str, ...]]] | None = None,
            dispatcher: DispatcherSettings | None = None,
            tuning: Tuning = FAST,
        ) -> Pipeline:
            names = tuple(c.name for c in channels)
            settings = settings_for(database_url, channels, routes or [("", names)], dispatcher)
            return await stack.enter_async_context(running_pipeline(settings, tmp_path, tuning))

        yield start
