"""Kannel, the C gateway hongyan is measured against: installed (apt) if missing, configured
from ``benchmarks/peers/kannel/kannel.conf.template``, run as bearerbox + smsbox."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from urllib.request import urlopen

from benchmarks.harness import procs
from benchmarks.harness.procs import Proc

TEMPLATE = Path(__file__).parents[1] / "peers" / "kannel" / "kannel.conf.template"
USER = PASSWORD = "bench"


def ensure_installed() -> str:
    """The Kannel version; installs the Debian package when bearerbox is missing."""
    if shutil.which("bearerbox") is None:
        print("installing Kannel: apt-get install -y kannel", flush=True)
        subprocess.run(["apt-get", "install", "-y", "kannel"], check=True)
    done = subprocess.run(["bearerbox", "--version"], capture_output=True, text=True)
    for line in (done.stdout + done.stderr).splitlines():
        if "bearerbox version" in line:
            return "Kannel " + line.split("version", 1)[1].strip(" `'.")
    return "Kannel (version unknown)"


@dataclass
class Kannel:
    workdir: Path
    smsc_port: int
    window: int
    store: str = "none"  # spool (messages durable until sent) | none (memory only)
    msg_id_type: int = 3  # the simulator's ids are hex in submit_sm_resp and receipts
    admin_port: int = field(default_factory=procs.free_port)
    smsbox_port: int = field(default_factory=procs.free_port)
    sendsms_port: int = field(default_factory=procs.free_port)
    procs: list[Proc] = field(default_factory=list)

    @property
    def config(self) -> Path:
        return self.workdir / "kannel.conf"

    def write_config(self) -> None:
        store = ""
        if self.store == "spool":
            spool = self.workdir / "kannel-spool"
            spool.mkdir(exist_ok=True)
            store = f'store-type = spool\nstore-location = "{spool}"'
        self.config.write_text(
            Template(TEMPLATE.read_text()).substitute(
                admin_port=self.admin_port,
                smsbox_port=self.smsbox_port,
                sendsms_port=self.sendsms_port,
                smsc_port=self.smsc_port,
                window=self.window,
                workdir=self.workdir,
                store=store,
                msg_id_type=self.msg_id_type,
            )
        )

    def start(self) -> None:
        self.write_config()
        bearerbox, _ = procs.start(
            "bearerbox",
            ["bearerbox", "-v", "4", str(self.config)],
            logdir=self.workdir / "console",
        )
        self.procs.append(bearerbox)
        if not procs.wait_for(lambda: procs.port_open(self.smsbox_port), 30):
            raise RuntimeError(f"bearerbox did not start: see {self.workdir}/bearerbox.log")
        smsbox, _ = procs.start(
            "smsbox", ["smsbox", "-v", "4", str(self.config)], logdir=self.workdir / "console"
        )
        self.procs.append(smsbox)
        if not procs.wait_for(lambda: procs.port_open(self.sendsms_port), 30):
            raise RuntimeError(f"smsbox did not start: see {self.workdir}/smsbox.log")
        if not procs.wait_for(self.online, 30, every=0.2):
            raise RuntimeError(f"Kannel's SMPP bind is not online: see {self.workdir}")

    def status(self) -> str:
        url = f"http://127.0.0.1:{self.admin_port}/status.txt?password={PASSWORD}"
        with urlopen(url, timeout=5) as answer:
            return answer.read().decode(errors="replace")

    def online(self) -> bool:
        try:
            return "online" in self.status().split("SMSC connections:", 1)[-1]
        except OSError:
            return False

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()
        time.sleep(0.2)
