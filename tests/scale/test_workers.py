"""``hongyan serve --workers N``: refused on SQLite with the reason; on PostgreSQL N API
processes share the port, a killed worker is started again, SIGTERM stops them all."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from tests.pipeline.harness import eventually

from hongyan.services.platform import listen

pytestmark = pytest.mark.postgres


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def test_workers_are_refused_on_sqlite(tmp_path: Path) -> None:
    env = {**os.environ, "HONGYAN_DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    done = subprocess.run(
        [sys.executable, "-m", "hongyan", "serve", "--workers", "2"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "--workers needs PostgreSQL" in done.stderr


async def test_workers_share_the_port_and_come_back(postgres_url: str, tmp_path: Path) -> None:
    with listen("127.0.0.1", 0) as sock:
        port = int(sock.getsockname()[1])
    env = {
        **os.environ,
        "HONGYAN_DATABASE_URL": postgres_url,
        "HONGYAN_HTTP_PORT": str(port),
        "HONGYAN_SECURITY_SECRET_KEY": "workers-test",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "hongyan", "serve", "--role", "api", "--workers", "2"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
    try:
        async with httpx.AsyncClient() as client:

            async def healthy() -> bool:
                assert supervisor.poll() is None, log.read_text()
                try:
                    return (await client.get(f"http://127.0.0.1:{port}/health")).is_success
                except httpx.TransportError:
                    return False

            await eventually(lambda: len(children(supervisor.pid)) == 2, timeout=20)
            await eventually(healthy, timeout=30)
            first = children(supervisor.pid)
            victim = min(first)
            os.kill(victim, signal.SIGKILL)
            await eventually(
                lambda: (
                    len(children(supervisor.pid)) == 2 and victim not in children(supervisor.pid)
                ),
                timeout=20,
            )
            await eventually(healthy, timeout=30)
            for _ in range(20):  # whichever worker answers, /metrics reports them all
                assert (await client.get(f"http://127.0.0.1:{port}/health")).is_success
            metrics = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
            assert 'hongyan_http_requests_total{dialect="other",endpoint="/health"' in metrics
        workers = children(supervisor.pid)
        supervisor.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(supervisor.wait, 30) == 0
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
