"""What every scenario shares: its options and database, its result, and the stage — an SMSC
simulator and a report receiver in their own processes."""

from __future__ import annotations

import resource
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.harness import procs
from benchmarks.harness.procs import Proc


@dataclass
class Options:
    seconds: float = 10.0  # wrk duration
    connections: int = 32
    threads: int = 2
    bulk_connections: int = 8  # scenario b
    big: int = 10_000  # scenario c: recipients in the one request
    backlog: int = 100_000  # scenario d
    window: int = 64
    dlr_delay: float = 0.5
    layout: str = "split"
    paced_rate: int = 1000  # scenario a-paced: requests per second
    kannel_store: str = "none"
    drain_timeout: float = 60.0  # give up waiting after this long without progress
    profile: bool = False  # py-spy record each hongyan process while the load runs


@dataclass(frozen=True)
class Database:
    """Where hongyan keeps its data in a scenario: ``url(workdir, name)`` is a fresh one."""

    kind: str  # sqlite | postgres
    url: Callable[[Path, str], str]
    server_pid: int | None = None  # the postmaster, whose process tree is measured


def sqlite_database() -> Database:
    return Database("sqlite", lambda workdir, name: f"sqlite:///{workdir / name}.db")


@dataclass
class Result:
    system: str
    scenario: str
    database: str
    load_before: str
    requests: int = 0
    http_rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    accepted: int = 0
    accepted_rate: float = 0.0
    smsc: int = 0
    smsc_rate: float = 0.0  # end to end: from the first request to the last submit_sm
    smsc_steady: float = 0.0  # while the load ran (after a 20% ramp-up)
    receipts: int = 0
    receipts_rate: float = 0.0
    pushes: int = 0
    pushes_rate: float = 0.0
    duplicates: int = 0
    cpu_ms_per_msg: dict[str, float] = field(default_factory=dict)  # = CPU s per 1,000
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    rss_during_mb: dict[str, tuple[float, float]] = field(default_factory=dict)
    lost: int = 0
    checks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    load_after: str = ""

    @property
    def ok(self) -> bool:
        return self.lost == 0 and not any(c.startswith("FAIL") for c in self.checks)


@dataclass
class Stage:
    """A simulator and a receiver in their own processes, in a scratch directory."""

    workdir: Path
    smsc: Proc
    smsc_port: int
    control_port: int
    receiver: Proc
    receiver_port: int


@contextmanager
def stage(workdir: Path, options: Options) -> Iterator[Stage]:
    workdir.mkdir(parents=True, exist_ok=True)
    smsc, m = procs.start(
        "simulator",
        [
            sys.executable,
            "-m",
            "hongyan",
            "simulator",
            "--port",
            "0",
            "--control-port",
            "0",
            "--dlr-delay",
            str(options.dlr_delay),
            "--delivered",
            "1",
            "--undeliverable",
            "0",
            "--expired",
            "0",
        ],
        logdir=workdir,
        ready=r":(\d+), control http://[^:]+:(\d+)",
    )
    assert m is not None
    try:
        receiver, r = procs.start(
            "receiver",
            [sys.executable, "-m", "benchmarks.harness.receiver", "--port", "0"],
            logdir=workdir,
            ready=r"listening on [^:]+:(\d+)",
        )
        assert r is not None
        try:
            yield Stage(workdir, smsc, int(m[1]), int(m[2]), receiver, int(r[1]))
        finally:
            receiver.stop()
    finally:
        smsc.stop()


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
