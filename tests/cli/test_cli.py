"""The ``hongyan`` command as operators run it: a real subprocess against a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(params=["sqlite", "postgres"])
def hongyan(request: pytest.FixtureRequest, tmp_path: Path) -> Run:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cli.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    env = {**os.environ, "HONGYAN_DATABASE_URL": url}

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
        return done

    return run


def test_account_lifecycle(hongyan: Run) -> None:
    assert "up to date" in hongyan("db", "upgrade").stdout
    hongyan(
        "account",
        "create",
        "acme",
        "--password",
        "s3cret-pw",
        "--balance",
        "100",
        "--service-code",
        "1069000",
        "--short-name",
        "鸿雁科技",
        "--report-url",
        "https://partner.example/reports",
        "--allow-ip",
        "10.0.0.0/8",
    )
    shown = json.loads(hongyan("account", "show", "acme", "--json").stdout)
    assert shown["balance"] == 100
    assert shown["service_code"] == "1069000"
    assert shown["short_name"] == "鸿雁科技"
    assert shown["allowed_networks"] == ["10.0.0.0/8"]
    assert "password" not in json.dumps(shown)

    assert "balance 150" in hongyan("account", "topup", "acme", "50").stdout
    hongyan(
        "account", "update", "acme", "--inbound-url", "http://partner.example/mo", "--tps", "20"
    )
    hongyan("account", "disable", "acme")
    listed = json.loads(hongyan("account", "list", "--json").stdout)
    assert [(a["name"], a["active"], a["balance"]) for a in listed] == [("acme", False, 150)]
    assert listed[0]["inbound_url"] == "http://partner.example/mo"
    assert listed[0]["limits"]["sends_per_second"] == 20
    hongyan("account", "enable", "acme")
    assert "active" in hongyan("account", "show", "acme").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("account", "show", "nobody"), "no account is named 'nobody'"),
        (("account", "create", "x", "--password", "pw"), "at least 5 characters"),
        (
            ("account", "create", "x", "--password", "secret", "--report-url", "ftp://x"),
            "--report-url",
        ),
        (
            ("account", "create", "x", "--password", "secret", "--allow-ip", "10.0.0.999/8"),
            "--allow-ip",
        ),
        (
            ("account", "create", "x", "--password", "secret", "--service-code", "12ab"),
            "--service-code",
        ),
        (("account", "topup", "nobody", "5"), "no account is named"),
        (("blacklist", "add", "12"), "not a valid phone number"),
    ],
)
def test_errors_are_sentences(hongyan: Run, args: tuple[str, ...], message: str) -> None:
    done = hongyan(*args, ok=False)
    assert message in done.stderr


def test_duplicate_account_and_overdraw(hongyan: Run) -> None:
    hongyan("account", "create", "acme", "--password", "secret", "--balance", "3")
    assert hongyan("account", "create", "acme", "--password", "secret", ok=False).stderr
    done = hongyan("account", "topup", "acme", "-5", ok=False)
    assert "balance" in done.stderr
    assert json.loads(hongyan("account", "show", "acme", "--json").stdout)["balance"] == 3


def test_blacklist_and_banned_words(hongyan: Run) -> None:
    hongyan("account", "create", "acme", "--password", "secret")
    hongyan("blacklist", "add", "13910060001")
    hongyan("blacklist", "add", "+86 139 1102 0005", "--account", "acme")
    rows = json.loads(hongyan("blacklist", "list", "--json").stdout)
    assert {(r["number"], r["account"]) for r in rows} >= {("8613910060001", None)}
    mine = json.loads(hongyan("blacklist", "list", "--account", "acme", "--json").stdout)
    assert ("8613911020005", "acme") in {(r["number"], r["account"]) for r in mine}
    hongyan("blacklist", "remove", "13910060001")
    rows = json.loads(hongyan("blacklist", "list", "--json").stdout)
    assert ("8613910060001", None) not in {(r["number"], r["account"]) for r in rows}

    hongyan("banned-words", "add", "发票", "赌博")
    assert set(json.loads(hongyan("banned-words", "list", "--json").stdout)) == {"发票", "赌博"}
    hongyan("banned-words", "remove", "赌博")
    assert json.loads(hongyan("banned-words", "list", "--json").stdout) == ["发票"]


def test_send_queues_a_message(hongyan: Run) -> None:
    hongyan("account", "create", "acme", "--password", "secret", "--balance", "2")
    done = hongyan("send", "--account", "acme", "--to", "13910060001", "--text", "hello")
    assert "queued as message" in done.stdout
    assert json.loads(hongyan("account", "show", "acme", "--json").stdout)["balance"] == 1


def test_config_errors_name_the_key(hongyan: Run, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[http]\nprot = 1\n")
    done = hongyan("account", "list", "--config", str(config), ok=False)
    assert "http.prot: unknown key" in done.stderr
