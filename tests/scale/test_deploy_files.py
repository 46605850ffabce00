"""The files in deploy/ stay true to the code: configurations load, unit commands parse, the
dashboard asks only for metrics that exist, the image runs unprivileged with a health check."""

from __future__ import annotations

import json
import re
import shlex
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from hongyan import config
from hongyan.cli import build_parser
from hongyan.core.messages import MessageState
from hongyan.services import metrics  # noqa: F401  (registers every metric)
from hongyan.services.metrics import QueueFigures
from hongyan.store.base import QueueStats

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


@pytest.mark.parametrize("path", sorted(DEPLOY.rglob("*.toml")), ids=lambda p: p.name)
def test_configurations_load(path: Path) -> None:
    settings = config.load(path, environ={})
    assert settings.database.url.startswith("postgresql://")
    assert settings.security.secret_key == ""  # secrets come from the environment file


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_unit_commands_parse(unit: Path) -> None:
    text = unit.read_text()
    (command,) = re.findall(r"^ExecStart=(.+)$", text, re.M)
    argv = shlex.split(command.replace("${HONGYAN_WORKERS}", "2"))
    assert argv[0] == "/opt/hongyan/bin/hongyan"
    build_parser().parse_args(argv[1:])
    assert "User=hongyan" in text and "NoNewPrivileges=yes" in text


SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def exposed_names() -> set[str]:
    """Sample names of every registered metric, labelled children or not (yet)."""
    names = {
        family.name + suffix
        for family in REGISTRY.collect()
        for suffix in SUFFIXES.get(family.type, ("",))
    }
    stats = QueueStats({MessageState.QUEUED: 1}, 1, datetime.now(UTC), 0, 0)
    figures = QueueFigures(store=None, stats=stats)  # type: ignore[arg-type]
    return names | {s.name for family in figures.collect() for s in family.samples}


def test_dashboard_asks_for_existing_metrics() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "hongyan.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    wanted = {n for e in exprs for n in re.findall(r"\b(hongyan_[a-z_]+)", e)}
    assert len(exprs) > 20 and wanted <= exposed_names(), wanted - exposed_names()


def test_image_is_unprivileged_slim_and_checked() -> None:
    text = (DEPLOY / "docker" / "Dockerfile").read_text()
    final = text.split("\nFROM ")[-1]  # the last stage is the image
    assert final.startswith("python:${PYTHON}-slim")
    assert "build-essential" not in final and "USER hongyan" in final
    assert "HEALTHCHECK" in final and "/health" in final
