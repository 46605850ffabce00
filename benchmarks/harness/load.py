"""Load generators: ``wrk`` with the send.lua script, parsed into a ``WrkResult``."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("wrk") / "send.lua"


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    ok: int  # requests answered "accepted"
    refused: int
    accepted: int  # recipients accepted, from the answers
    errors: dict[str, int]
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    sample: str  # the body of one refused answer, if any

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(
    url: str,
    *,
    mode: str,
    account: str,
    passwd: str,
    seconds: float,
    connections: int = 32,
    threads: int = 2,
    per_request: int = 1,
    pace_ms: int = 0,
    extra: str = "",
) -> WrkResult:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk)")
    argv = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds:g}s",
        "--timeout",
        "30s",
        "-s",
        str(SCRIPT),
        url,
        "--",
        mode,
        str(per_request),
        account,
        passwd,
        str(threads),
        str(pace_ms),
        extra,
    ]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {done.stdout[-500:]} {done.stderr[-500:]}")
    data = json.loads(line.removeprefix("WRK_RESULT "))
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        ok=data["ok"],
        refused=data["refused"],
        accepted=data["accepted"],
        errors=data["errors"],
        p50_ms=data["p50_us"] / 1e3,
        p90_ms=data["p90_us"] / 1e3,
        p99_ms=data["p99_us"] / 1e3,
        max_ms=data["max_us"] / 1e3,
        sample=data["sample"],
    )
