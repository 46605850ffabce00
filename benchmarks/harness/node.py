"""hongyan under test: its config in a temp dir, a provisioned account, ``hongyan serve``.

Everything goes through the real commands (``hongyan account create``, ``hongyan serve``) in
their own processes; only the backlog is inserted from here, through the store's own ``admit``
verb (the API's insert, minus HTTP), before the dispatcher starts.
"""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.harness import procs
from benchmarks.harness.procs import Proc

ACCOUNT = "bench"
PASSWORD = "bench-password"
PASSWD_MD5 = hashlib.md5(PASSWORD.encode()).hexdigest()
TEXT = "hongyan benchmark message"
SOURCE = "10690001"

# Process layouts: every role in one process, or one process per role.
LAYOUTS = {
    "one": ("all",),
    "two": ("api", "dispatcher,notifier"),
    "split": ("api", "dispatcher", "notifier"),
}


@dataclass
class Node:
    workdir: Path
    database_url: str
    smsc_port: int
    receiver_port: int
    window: int = 64
    layout: str = "split"
    http_port: int = field(default_factory=procs.free_port)
    procs: list[Proc] = field(default_factory=list)
    account_id: int = 0
    metrics_urls: list[str] = field(default_factory=list)  # every process's /metrics

    @property
    def config(self) -> Path:
        return self.workdir / "hongyan.toml"

    def write_config(self) -> None:
        self.config.write_text(
            f"""
[database]
url = "{self.database_url}"

[http]
host = "127.0.0.1"
port = {self.http_port}

[security]
secret_key = "benchmark-secret-key"
key_file = "{self.workdir / "secret.key"}"

[[channels]]
name = "smsc"
host = "127.0.0.1"
port = {self.smsc_port}
system_id = "hongyan"
password = "bench"
window = {self.window}

[[routes]]
channels = ["smsc"]
"""
        )

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "hongyan", *args]

    def provision(self, max_recipients: int = 10_000) -> None:
        """Create the database schema and the benchmark account (balance for 100M segments)."""
        self.write_config()
        subprocess.run(
            self.command(
                "account",
                "create",
                ACCOUNT,
                "--config",
                str(self.config),
                "--password",
                PASSWORD,
                "--balance",
                "100000000",
                "--service-code",
                SOURCE,
                "--report-url",
                f"http://127.0.0.1:{self.receiver_port}/hi8d/report",
                "--max-recipients",
                str(max_recipients),
            ),
            check=True,
            capture_output=True,
            text=True,
            cwd=self.workdir,
        )
        self.account_id = asyncio.run(self._account_id())

    async def _account_id(self) -> int:
        from hongyan.store import connect

        store = connect(self.database_url)
        await store.open()
        try:
            account = await store.get_account(ACCOUNT)
            assert account is not None
            return account.id
        finally:
            await store.close()

    def start(
        self, roles: tuple[str, ...] | None = None, env: dict[str, str] | None = None
    ) -> None:
        for role in roles or LAYOUTS[self.layout]:
            role_env = dict(env or {})
            if role in ("all", "api"):
                self.metrics_urls.append(f"http://127.0.0.1:{self.http_port}/metrics")
            else:  # a process without the API answers /metrics on a port of its own
                port = procs.free_port()
                role_env["HONGYAN_METRICS_PORT"] = str(port)
                self.metrics_urls.append(f"http://127.0.0.1:{port}/metrics")
            proc, _ = procs.start(
                f"hongyan-{role.replace(',', '+')}",
                self.command("serve", "--config", str(self.config), "--role", role),
                logdir=self.workdir,
                env=role_env,
            )
            self.procs.append(proc)
        serves_http = any(r in ("all", "api") for r in roles or LAYOUTS[self.layout])
        if serves_http and not procs.wait_for(lambda: procs.port_open(self.http_port), 60):
            raise RuntimeError(f"hongyan serve did not listen: see {self.workdir}")

    def stop(self) -> None:
        for proc in self.procs:
            proc.stop()

    def metrics(self) -> dict[str, float]:
        """Every process's counters, summed: ``name{label="value",...}`` → value."""
        from urllib.request import urlopen

        from prometheus_client.parser import text_string_to_metric_families

        summed: dict[str, float] = {}
        for url in self.metrics_urls:
            with urlopen(url, timeout=10) as answer:
                text = answer.read().decode()
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
                    key = f"{sample.name}{{{labels}}}" if labels else sample.name
                    summed[key] = summed.get(key, 0.0) + sample.value
        return summed

    def send_url(self, recipients: list[str]) -> str:
        from urllib.parse import urlencode

        query = urlencode(
            {"account": ACCOUNT, "passwd": PASSWD_MD5, "mb": ",".join(recipients), "content": TEXT}
        )
        return f"http://127.0.0.1:{self.http_port}/servlet/gateway.php?{query}"

    def post(self, recipients: list[str], timeout: float = 300.0) -> tuple[float, bytes]:
        """One HI8D POST; (seconds it took, answer)."""
        from urllib.parse import urlencode
        from urllib.request import Request, urlopen

        body = urlencode(
            {"account": ACCOUNT, "passwd": PASSWD_MD5, "mb": ",".join(recipients), "content": TEXT}
        ).encode()
        request = Request(
            f"http://127.0.0.1:{self.http_port}/servlet/gateway.php",
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        t0 = time.perf_counter()
        with urlopen(request, timeout=timeout) as answer:
            content: bytes = answer.read()
        return time.perf_counter() - t0, content

    # --- the backlog ----------------------------------------------------------------------

    def insert_backlog(self, count: int, chunk: int = 10_000) -> float:
        """``count`` queued messages through the store's ``admit``; returns seconds taken."""
        return asyncio.run(self._insert_backlog(count, chunk))

    async def _insert_backlog(self, count: int, chunk: int) -> float:
        from hongyan.core.messages import NewMessage
        from hongyan.store import connect

        store = connect(self.database_url)
        await store.open()
        now = datetime.now(UTC)
        expires = now + timedelta(hours=48)
        t0 = time.perf_counter()
        try:
            for start in range(0, count, chunk):
                batch = [
                    NewMessage(
                        account_id=self.account_id,
                        recipient=number,
                        recipient_input=number,
                        source_addr=SOURCE,
                        text=TEXT,
                        segments=1,
                        price=1,
                        due_at=now,
                        expires_at=expires,
                        dialect="hi8d",
                    )
                    for number in numbers(start, min(chunk, count - start))
                ]
                await store.admit(self.account_id, batch)
        finally:
            await store.close()
        return time.perf_counter() - t0

    # --- what the database says -----------------------------------------------------------

    def tally(self) -> dict[str, int]:
        """Messages by state, id range and segments with a carrier id: the loss check."""
        return asyncio.run(self._tally())

    async def _tally(self) -> dict[str, int]:
        sql = [
            ("messages", "SELECT count(*) FROM messages"),
            ("low", "SELECT coalesce(min(id), 0) FROM messages"),
            ("high", "SELECT coalesce(max(id), 0) FROM messages"),
            ("with_carrier_id", "SELECT count(DISTINCT message_id) FROM segments"),
            (
                "not_sent",
                "SELECT count(*) FROM messages WHERE state IN"
                " ('accepted', 'queued', 'submitting', 'failed', 'expired')",
            ),
            (
                "final",
                "SELECT count(*) FROM messages WHERE state IN ('delivered', 'undeliverable')",
            ),
            ("reports_pending", "SELECT count(*) FROM outbox WHERE state = 'pending'"),
        ]
        if self.database_url.startswith("sqlite:"):
            import sqlite3

            from hongyan.store import sqlite_path

            con = sqlite3.connect(sqlite_path(self.database_url))
            try:
                return {k: int(con.execute(q).fetchone()[0]) for k, q in sql}
            finally:
                con.close()
        import asyncpg

        con = await asyncpg.connect(self.database_url)
        try:
            return {k: int(await con.fetchval(q)) for k, q in sql}
        finally:
            await con.close()


def numbers(start: int, count: int, prefix: int = 138) -> list[str]:
    """Distinct valid Chinese mobile numbers in E.164 digits: 86 + prefix + 8 digits."""
    return [f"86{prefix}{n:08d}" for n in range(start, start + count)]
