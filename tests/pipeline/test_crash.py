"""SIGKILL of ``hongyan serve`` mid-load, then a restart: nothing accepted is lost.

The server runs as a real subprocess from a TOML file; the SMSC simulator and the partner's
push receiver run in the test. Partners send one recipient per request from several clients;
every guid they got back must reach the carrier, end delivered and be reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx

from hongyan.core.messages import MessageState
from hongyan.services.platform import listen
from hongyan.store import connect
from hongyan.store.base import Store

from .harness import PASSWORD, SECRET_KEY, PushReceiver, RecordingSmsc, create_account, eventually

Start = Callable[..., Any]
MESSAGES = 400
CLIENTS = 8
LEASE_SECONDS = 2.0
MAX_IN_FLIGHT = 100
PASSWD = hashlib.md5(PASSWORD.encode()).hexdigest().upper()


def _config(database_url: str, http_port: int, smsc_port: int) -> str:
    return f"""
[database]
url = "{database_url}"
[http]
host = "127.0.0.1"
port = {http_port}
[security]
secret_key = "{SECRET_KEY}"
[dispatcher]
batch = 50
lease_seconds = {LEASE_SECONDS}
max_in_flight = {MAX_IN_FLIGHT}
retry_seconds = 0.2
[notifier]
batch = 64
timeout_seconds = 1.5  # a push claimed by the killed process is retried 3 s later
[[channels]]
name = "cmcc"
protocol = "smpp"
host = "127.0.0.1"
port = {smsc_port}
window = 16
tps = 400
[[routes]]
prefix = ""
channels = ["cmcc"]
"""


@contextlib.asynccontextmanager
async def serving(config: Path, log: Path, port: int) -> AsyncIterator[subprocess.Popen[bytes]]:
    """``hongyan serve`` in a subprocess, ready once its HTTP port answers."""
    code = "import sys; from hongyan.cli import main; sys.exit(main())"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", code, "serve", "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=config.parent,
        )
    try:
        async with httpx.AsyncClient() as client:

            async def answers() -> bool:
                assert process.poll() is None, log.read_text()
                try:
                    await client.get(f"http://127.0.0.1:{port}/servlet/gateway.php")
                except httpx.TransportError:
                    return False
                return True

            await eventually(answers, timeout=20, every=0.05)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.to_thread(process.wait, 20)


async def _send_all(port: int, recipients: list[str], accepted: dict[int, str]) -> None:
    """Send one recipient per request from ``CLIENTS`` clients; keep the guids answered."""
    url = f"http://127.0.0.1:{port}/servlet/gateway.php"
    queue = list(reversed(recipients))

    async def client_loop(client: httpx.AsyncClient) -> None:
        while queue:
            number = queue.pop()
            form = {"account": "acme", "passwd": PASSWD, "mb": number, "content": f"m{number}"}
            try:
                answer = (await client.post(url, data=form)).json()
            except (httpx.TransportError, ValueError):
                continue  # no answer: not accepted (it may still be sent, which is fine)
            if answer["status"] == 1:
                accepted[int(answer["guid"])] = number

    async with httpx.AsyncClient(timeout=5) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(CLIENTS)))


async def _prepare(database_url: str, receiver: PushReceiver) -> None:
    store = connect(database_url)
    await store.open()
    try:
        await store.upgrade()
        await create_account(store, receiver, "acme", "1069001")
    finally:
        await store.close()


async def _finished(store: Store, ids: list[int]) -> list[MessageState]:
    states = []
    for message_id in ids:
        message = await store.get_message(message_id)
        states.append(message.state if message is not None else MessageState.ACCEPTED)
    return states


async def test_sigkill_mid_load_loses_nothing(
    database_url: str, tmp_path: Path, simulators: Start
) -> None:
    smsc: RecordingSmsc = await simulators()
    receiver = PushReceiver()
    await receiver.start()
    await _prepare(database_url, receiver)
    sock = listen("127.0.0.1", 0)
    port = int(sock.getsockname()[1])
    sock.close()
    config = tmp_path / "hongyan.toml"
    config.write_text(_config(database_url, port, smsc.port))
    log = tmp_path / "serve.log"
    recipients = [f"86139{n:08}" for n in range(MESSAGES)]
    accepted: dict[int, str] = {}

    async with serving(config, log, port) as first:
        sending = asyncio.create_task(_send_all(port, recipients, accepted))
        await smsc.wait_until(lambda: len(smsc.accepted) >= MESSAGES // 4, timeout=30)
        os.kill(first.pid, signal.SIGKILL)
        await sending
    killed_at = len(smsc.accepted)
    assert 0 < len(accepted) < MESSAGES, "the kill should land mid-load"

    async with serving(config, log, port):
        await _send_all(port, [r for r in recipients if r not in accepted.values()], accepted)
        store = connect(database_url)
        await store.open()
        try:
            ids = sorted(accepted)

            async def all_delivered() -> bool:
                states = await _finished(store, ids)
                return all(s is MessageState.DELIVERED for s in states)

            await eventually(all_delivered, timeout=40, every=0.2)
        finally:
            await store.close()
        reported = lambda: {int(p.json["guid"]) for p in receiver.received("acme/reports")}  # noqa: E731
        await eventually(lambda: reported() >= set(accepted), timeout=20)

    lost = set(accepted.values()) - smsc.destinations()
    duplicates = len(smsc.accepted) - len(smsc.destinations())
    print(f"accepted {len(accepted)}, at the SMSC when killed {killed_at}, duplicates {duplicates}")
    assert lost == set()
    assert duplicates <= MAX_IN_FLIGHT
    await receiver.stop()
