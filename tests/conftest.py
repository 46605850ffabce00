"""Shared fixtures: a throwaway PostgreSQL server for the session, an empty database per test.

``postgres_server`` is the server's base URL: ``HONGYAN_TEST_POSTGRES_URL`` when set (a
superuser URL; databases are created and dropped on it), else a cluster made with ``initdb``
in a temp dir, listening on 127.0.0.1 and a free port, stopped when the session ends. As root,
the server runs as the ``postgres`` system user (PostgreSQL refuses root). The tests that need
it are skipped only when no PostgreSQL server binary can be found.

``postgres_url`` is the URL of a fresh, empty database, dropped after the test.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

_PG_BIN_GLOBS = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin", "/usr/pgsql-*/bin")


def _pg_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    for pattern in _PG_BIN_GLOBS:
        for folder in sorted(glob.glob(pattern), reverse=True):
            if (Path(folder) / "pg_ctl").exists() and (Path(folder) / "initdb").exists():
                return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def _start_cluster(bin_dir: Path, root: Path, port: int) -> None:
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data = root / "data"
    run = subprocess.run
    run(
        [
            *_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres"]),
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        ],
        check=True,
        capture_output=True,
    )
    # A test server: durability off for speed; nothing here outlives the session.
    options = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off"
    options += " -c full_page_writes=off -c max_connections=200"
    run(
        [
            *_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log")]),
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


def _stop_cluster(bin_dir: Path, root: Path) -> None:
    subprocess.run(
        _as_owner([str(bin_dir / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "stop"]),
        check=False,
        capture_output=True,
    )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Base URL of a PostgreSQL server the tests may create databases on."""
    configured = os.environ.get("HONGYAN_TEST_POSTGRES_URL")
    if configured:
        yield configured
        return
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in /usr/lib")
    root = Path(tempfile.mkdtemp(prefix="hongyan-pg-"))
    port = _free_port()
    try:
        _start_cluster(bin_dir, root, port)
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        _stop_cluster(bin_dir, root)
        shutil.rmtree(root, ignore_errors=True)


class PostgresDatabases:
    """Creates and drops uniquely named databases on one server."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url

    def url(self, name: str) -> str:
        """The server URL with its database replaced by ``name``."""
        return f"{self.server_url.rpartition('/')[0]}/{name}"

    async def create(self, template: str | None = None, name: str | None = None) -> str:
        """Create a database (empty, or a copy of ``template``); returns its URL."""
        name = name or f"test_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(self.server_url)
        try:
            clause = f" TEMPLATE {template}" if template else ""
            await conn.execute(f"CREATE DATABASE {name}{clause}")
        finally:
            await conn.close()
        return self.url(name)

    async def drop(self, url: str) -> None:
        name = url.rpartition("/")[2]
        conn = await asyncpg.connect(self.server_url)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await conn.close()


@pytest.fixture(scope="session")
def postgres_databases(postgres_server: str) -> PostgresDatabases:
    return PostgresDatabases(postgres_server)


@pytest.fixture
async def postgres_url(postgres_databases: PostgresDatabases) -> AsyncIterator[str]:
    """URL of a fresh, empty database for one test; dropped afterwards."""
    url = await postgres_databases.create()
    try:
        yield url
    finally:
        await postgres_databases.drop(url)
