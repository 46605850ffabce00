"""A throwaway PostgreSQL 15 cluster for one benchmark run (initdb + pg_ctl, as postgres).

Unlike the test cluster (tests/conftest.py) this one is durable, as production is: fsync and
synchronous_commit stay on, so an acknowledged message has reached the disk.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from benchmarks.harness.procs import free_port


def _bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    raise RuntimeError("no PostgreSQL server binaries (initdb, pg_ctl); use --postgres-url")


def _as_owner(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


class Cluster:
    """``with Cluster() as c: c.url("bench1")``; each name is a fresh database."""

    def __init__(self, options: str = "") -> None:
        self.bin = _bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="hongyan-bench-pg-"))
        self.port = free_port()
        self.options = options
        self.postmaster_pid: int | None = None

    def __enter__(self) -> Cluster:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        data = self.root / "data"
        subprocess.run(
            [
                *_as_owner([str(self.bin / "initdb"), "-D", str(data), "-U", "postgres"]),
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
            ],
            check=True,
            capture_output=True,
        )
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} -c max_connections=200"
        options += " -c shared_buffers=256MB " + self.options
        subprocess.run(
            [
                *_as_owner(
                    [str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.root / "log")]
                ),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=True,
            capture_output=True,
        )
        self.postmaster_pid = int((data / "postmaster.pid").read_text().split()[0])
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run(
            _as_owner(
                [str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast", "stop"]
            ),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def server_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def database(self, name: str) -> str:
        """A fresh, empty database ``name`` (dropped first if it exists); its URL."""
        return create_database(self.server_url, name)


def create_database(server_url: str, name: str) -> str:
    import asyncio

    import asyncpg

    async def make() -> None:
        con = await asyncpg.connect(server_url)
        try:
            await con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await con.execute(f'CREATE DATABASE "{name}"')
        finally:
            await con.close()

    asyncio.run(make())
    return server_url.rsplit("/", 1)[0] + "/" + name
