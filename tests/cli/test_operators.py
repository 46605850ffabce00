"""``hongyan operator …`` as operators run it: a real subprocess against a real database."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from hongyan.core.accounts import verify_password
from hongyan.store import connect
from hongyan.store.base import AuditQuery

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cli.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def hongyan(database: str, tmp_path: Path) -> Run:
    env = {**os.environ, "HONGYAN_DATABASE_URL": database}

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "hongyan", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )
        if ok:
            assert done.returncode == 0, done.stderr
        else:
            assert done.returncode != 0, done.stdout
            assert "Traceback" not in done.stderr
            assert done.stderr.startswith("hongyan: ") or "usage:" in done.stderr
        return done

    return run


def stored(database: str) -> tuple[str, list[tuple[str, str, str]]]:
    """alice's stored password hash and the audit log (operator, action, target)."""

    async def read() -> tuple[str, list[tuple[str, str, str]]]:
        store = connect(database)
        await store.open()
        try:
            alice = await store.get_operator("alice")
            entries = await store.find_audit(AuditQuery())
            assert alice is not None
            return alice.password_hash, [(e.operator, e.action, e.target) for e in entries]
        finally:
            await store.close()

    return asyncio.run(read())


def test_operator_lifecycle(hongyan: Run, database: str) -> None:
    assert "no operators yet" in hongyan("operator", "list").stdout
    assert (
        "created operator alice"
        in hongyan("operator", "create", "alice", "--password", "correct horse").stdout
    )
    password_hash, _ = stored(database)
    assert verify_password(password_hash, "correct horse")
    assert "correct horse" not in password_hash

    hongyan("operator", "disable", "alice")
    listed = json.loads(hongyan("operator", "list", "--json").stdout)
    assert [(o["name"], o["active"]) for o in listed] == [("alice", False)]
    hongyan("operator", "enable", "alice")
    hongyan("operator", "password", "alice", "--password", "battery staple")
    password_hash, audit = stored(database)
    assert verify_password(password_hash, "battery staple")
    assert audit == [
        ("(command line)", f"operator.{verb}", "operator:alice")
        for verb in ("password", "enable", "disable", "create")
    ]
    assert "alice  active" in hongyan("operator", "list").stdout


def test_operator_mistakes_are_sentences(hongyan: Run) -> None:
    hongyan("operator", "create", "alice", "--password", "correct horse")
    taken = hongyan("operator", "create", "alice", "--password", "another one", ok=False)
    assert "an operator named 'alice' exists" in taken.stderr
    short = hongyan("operator", "create", "bob", "--password", "short", ok=False)
    assert "at least 8 characters" in short.stderr
    bad = hongyan("operator", "create", "bob smith", "--password", "long enough", ok=False)
    assert "not a valid operator name" in bad.stderr
    missing = hongyan("operator", "disable", "carol", ok=False)
    assert "no operator is named 'carol'" in missing.stderr
    hongyan("operator", "create", "dave", ok=False)  # --password is required
