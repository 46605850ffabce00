"""``hongyan demo`` as a newcomer runs it: a subprocess, the printed curl commands, the pushes."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Demo:
    def __init__(self, tmp_path: Path, *extra: str) -> None:
        self.port, self.smsc_port = _free_port(), _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / "demo.log"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hongyan",
                "demo",
                "--port",
                str(self.port),
                "--smsc-port",
                str(self.smsc_port),
                "--data-dir",
                str(tmp_path / "data"),
                *extra,
            ],
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.wait_for(lambda: "Ctrl-C stops" in self.output(), "the banner")

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def wait_for(self, condition: object, what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if callable(condition) and condition():
                return
            if self.process.poll() is not None:
                pytest.fail(f"the demo exited while waiting for {what}:\n{self.output()}")
            time.sleep(0.05)
        pytest.fail(f"timed out waiting for {what}:\n{self.output()}")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=30)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = Demo(tmp_path)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.process.kill()


def test_both_apis_deliver_and_push(demo: Demo) -> None:
    md5 = hashlib.md5(b"demo1234").hexdigest().upper()
    assert md5 in demo.output()  # the printed curl command carries the right passwd
    hi8d = httpx.post(
        f"{demo.base}/servlet/gateway.php",
        data={"account": "demo", "passwd": md5, "mb": "8613800138000", "content": "你好，鸿雁"},
    ).json()
    assert hi8d["status"] == 1
    guid = hi8d["guid"]
    qxt = httpx.post(
        f"{demo.base}/send/g70send.aspx",
        data={"name": "demo", "pwd": "demo1234", "dst": "13800138000", "msg": "验证码123456"},
    )
    assert qxt.content.decode("gbk").startswith("num=1&success=13800138000&faile=&err=")

    demo.wait_for(lambda: len(httpx.get(f"{demo.base}/demo/pushes").json()) >= 2, "two reports")
    reports = {p["body"]["guid"]: p for p in httpx.get(f"{demo.base}/demo/pushes").json()}
    assert guid in reports
    assert reports[guid]["body"]["mb"] == "8613800138000"
    assert reports[guid]["body"]["stat"] in {"DELIVRD", "UNDELIV", "EXPIRED"}
    assert re.fullmatch(r"[0-9a-f]{64}", reports[guid]["signature"])
    fee = httpx.get(f"{demo.base}/send/getfee.aspx", params={"name": "demo", "pwd": "demo1234"})
    assert fee.content.decode("gbk") == "id=998&err=成功&errid=0&short=鸿雁演示"

    out = demo.output()
    for kind in ("accepted", "submitted", "pushed"):
        assert kind in out
    assert demo.stop() == 0


@pytest.mark.parametrize(("face", "name"), [("portal", "demo"), ("admin", "admin")])
def test_printed_back_office_sign_ins_work(demo: Demo, face: str, name: str) -> None:
    assert f"{demo.base}/{face}" in demo.output()
    with httpx.Client(base_url=demo.base) as browser:
        form = browser.get(f"/{face}/signin").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        assert csrf is not None
        signed_in = browser.post(
            f"/{face}/signin", data={"csrf": csrf[1], "name": name, "password": "demo1234"}
        )
        assert signed_in.status_code == 303
        home = browser.get(f"/{face}/", follow_redirects=True)
        assert home.status_code == 200 and "/signin" not in str(home.url)


def test_inbound_reply_reaches_readsms_and_push(demo: Demo) -> None:
    injected = httpx.get(
        f"{demo.base}/demo/mo", params={"from": "13800138000", "to": "106900001", "text": "好的"}
    )
    assert injected.status_code == 200
    params = {"name": "demo", "pwd": "demo1234"}

    def read() -> str:
        return httpx.get(f"{demo.base}/send/readsms.aspx", params=params).content.decode("gbk")

    answers: list[str] = []
    demo.wait_for(lambda: answers.append(read()) or not answers[-1].startswith("id=0"), "inbound")
    assert re.fullmatch(
        r"id=\d+&err=成功&src=13800138000&msg=好的&dst=106900001&time=\d{12}", answers[-1]
    )
    assert read() == "id=0&err=没有未读取的短信"
    demo.wait_for(
        lambda: any(p["kind"] == "inbound" for p in httpx.get(f"{demo.base}/demo/pushes").json()),
        "the inbound push",
    )
    assert demo.stop() == 0


def test_second_start_reuses_data(tmp_path: Path) -> None:
    first = Demo(tmp_path)
    httpx.post(
        f"{first.base}/send/g70send.aspx",
        data={"name": "demo", "pwd": "demo1234", "dst": "13800138000", "msg": "hi"},
    )
    assert first.stop() == 0
    second = Demo(tmp_path)
    try:
        fee = httpx.get(
            f"{second.base}/send/getfee.aspx", params={"name": "demo", "pwd": "demo1234"}
        )
        assert fee.content.decode("gbk").startswith("id=999&")
    finally:
        second.stop()


def test_config_file_gives_the_database_and_the_simulator_is_added(tmp_path: Path) -> None:
    database = tmp_path / "elsewhere" / "from-config.db"
    config = tmp_path / "hongyan.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{database}"\n', encoding="utf-8")
    demo = Demo(tmp_path, "--config", str(config))
    try:
        sent = httpx.post(
            f"{demo.base}/send/g70send.aspx",
            data={"name": "demo", "pwd": "demo1234", "dst": "13800138000", "msg": "hi"},
        )
        assert "err=发送成功" in sent.content.decode("gbk")
        assert "channels: simulator (SMSC simulator on 127.0.0.1:" in demo.output()
        assert database.exists() and not (tmp_path / "data" / "hongyan.db").exists()
    finally:
        demo.stop()
