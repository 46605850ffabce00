"""Fixtures: a simulator on 127.0.0.1 with a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hongyan.simulator import SmscSimulator


@pytest.fixture
async def smsc() -> AsyncIterator[SmscSimulator]:
    sim = SmscSimulator(port=0, control_port=0, redeliver_delay=0.05, seed=7)
    await sim.start()
    yield sim
    await sim.stop()
