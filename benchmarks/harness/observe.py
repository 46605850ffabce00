"""Watching a run: the simulator's and the receiver's counters and every process's memory,
sampled on a timeline, then turned into rates ("when did the last message arrive")."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.request import urlopen

from benchmarks.harness.procs import Proc


def get_json(url: str) -> dict[str, object]:
    with urlopen(url, timeout=10) as answer:
        data: dict[str, object] = json.loads(answer.read())
        return data


@dataclass(frozen=True)
class Sample:
    t: float  # time.time()
    submits: int  # submit_sm accepted by the SMSC
    receipts: int  # receipts sent by the SMSC
    receipts_acked: int  # deliver_sm answered OK (the receipt is committed by the ESME)
    pushes: int  # distinct ids pushed to the receiver
    rss_mb: dict[str, float]


@dataclass
class Observer:
    """Samples every ``every`` seconds in a thread until ``stop()``."""

    smsc_control: int
    receiver_port: int
    procs: Sequence[Proc]
    every: float = 0.1
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> Sample:
        smsc = get_json(f"http://127.0.0.1:{self.smsc_control}/stats")
        recv = get_json(f"http://127.0.0.1:{self.receiver_port}/stats")
        s = Sample(
            time.time(),
            int(smsc["submit_sm_ok"]),  # type: ignore[call-overload]
            int(smsc["receipts_sent"]),  # type: ignore[call-overload]
            int(smsc["deliver_sm_acknowledged"]),  # type: ignore[call-overload]
            int(recv["unique"]),  # type: ignore[call-overload]
            {p.name: p.rss_mb() for p in self.procs},
        )
        self.samples.append(s)
        return s

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def stop(self) -> Sample:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return self.sample()

    def wait_until(self, submits: int, pushes: int | None, timeout: float) -> bool:
        """Until the SMSC has ``submits`` and the receiver ``pushes`` (or no progress for
        ``timeout`` seconds)."""
        last_progress, last = time.monotonic(), (-1, -1)
        while True:
            s = self.samples[-1] if self.samples else self.sample()
            if s.submits >= submits and (pushes is None or s.pushes >= pushes):
                return True
            if (s.submits, s.pushes) != last:
                last, last_progress = (s.submits, s.pushes), time.monotonic()
            elif time.monotonic() - last_progress > timeout:
                return False
            time.sleep(self.every)

    def settle(self, quiet: float = 1.0, timeout: float = 30.0) -> None:
        """Until no counter has moved for ``quiet`` seconds (stragglers in flight)."""
        deadline = time.monotonic() + timeout
        last, since = None, time.monotonic()
        while time.monotonic() < deadline:
            s = self.samples[-1] if self.samples else self.sample()
            now = (s.submits, s.receipts, s.pushes)
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return
            time.sleep(self.every)

    def reached(self, attr: str, count: int) -> float | None:
        """When the counter ``attr`` first reached ``count`` (None if never)."""
        for s in self.samples:
            if getattr(s, attr) >= count and count > 0:
                return s.t
        return None

    def rate(self, attr: str, start: float, count: int) -> float:
        """``count`` over the time from ``start`` until the counter reached it."""
        end = self.reached(attr, count)
        return count / (end - start) if end and end > start else 0.0

    def steady_rate(self, attr: str, t0: float, t1: float) -> float:
        """Counter slope between ``t0`` and ``t1`` (the load window without its ramp-up)."""
        inside = [s for s in self.samples if t0 <= s.t <= t1]
        if len(inside) < 2:
            return 0.0
        a, b = inside[0], inside[-1]
        return (getattr(b, attr) - getattr(a, attr)) / (b.t - a.t) if b.t > a.t else 0.0

    def rss_range(self, name: str, t0: float) -> tuple[float, float]:
        values = [s.rss_mb.get(name, 0.0) for s in self.samples if s.t >= t0]
        return (min(values), max(values)) if values else (0.0, 0.0)
