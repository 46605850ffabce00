"""The SMSC simulator for demos, tests and load tests."""

from __future__ import annotations

from hongyan.simulator.smsc import MessageIdFormat, OutcomeMix, SimulatorStats, SmscSimulator

__all__ = ["MessageIdFormat", "OutcomeMix", "SimulatorStats", "SmscSimulator"]
