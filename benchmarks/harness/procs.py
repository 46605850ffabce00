"""Child processes of a benchmark run: started, watched through /proc, stopped.

CPU time is utime+stime from ``/proc/<pid>/stat`` (this process and, optionally, every
descendant: PostgreSQL backends, Kannel's boxes); peak memory is ``VmHWM`` from
``/proc/<pid>/status``. No psutil: the numbers come straight from the kernel.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _status_kib(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def peak_rss_mb(pid: int) -> float:
    return _status_kib(pid, "VmHWM") / 1024


def rss_mb(pid: int) -> float:
    return _status_kib(pid, "VmRSS") / 1024


def children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (read from /proc/*/stat parent links)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def load_average() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


@dataclass
class Proc:
    """A named child process; ``tree`` counts its descendants' CPU too (PostgreSQL)."""

    name: str
    popen: subprocess.Popen[str] | None  # None: not ours to stop (a PostgreSQL postmaster)
    tree: bool = False
    log: Path | None = None
    known_pid: int = 0
    _cpu_mark: float = 0.0
    _tree_cpu: dict[int, float] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.popen.pid if self.popen is not None else self.known_pid

    def pids(self) -> list[int]:
        return [self.pid, *children(self.pid)] if self.tree else [self.pid]

    def cpu(self) -> float:
        """CPU seconds so far (with a tree: also descendants seen so far, even if gone)."""
        if not self.tree:
            return cpu_seconds(self.pid)
        for pid in self.pids():
            self._tree_cpu[pid] = max(self._tree_cpu.get(pid, 0.0), cpu_seconds(pid))
        return sum(self._tree_cpu.values())

    def mark(self) -> None:
        self._cpu_mark = self.cpu()

    def cpu_since_mark(self) -> float:
        return self.cpu() - self._cpu_mark

    def peak_rss_mb(self) -> float:
        return max(peak_rss_mb(pid) for pid in self.pids())

    def rss_mb(self) -> float:
        return sum(rss_mb(pid) for pid in self.pids()) if self.tree else rss_mb(self.pid)

    def alive(self) -> bool:
        if self.popen is None:
            return os.path.exists(f"/proc/{self.pid}")
        return self.popen.poll() is None

    def stop(self, timeout: float = 20.0) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def start(
    name: str,
    argv: Sequence[str],
    *,
    logdir: Path,
    ready: str | None = None,
    timeout: float = 60.0,
    env: dict[str, str] | None = None,
    tree: bool = False,
) -> tuple[Proc, re.Match[str] | None]:
    """Start ``argv``; with ``ready`` (a regex) wait for a stdout line matching it.

    Output goes to ``logdir/<name>.log``; the matched line's groups are returned (ports).
    """
    logdir.mkdir(parents=True, exist_ok=True)
    log = logdir / f"{name}.log"
    popen = subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE if ready else open(log, "w"),  # noqa: SIM115 (child owns it)
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )
    proc = Proc(name, popen, tree=tree, log=log)
    if ready is None:
        return proc, None
    match = _wait_for_line(popen, re.compile(ready), timeout, log)
    if match is None:
        proc.stop()
        raise RuntimeError(f"{name} did not start: see {log}")
    return proc, match


def _wait_for_line(
    popen: subprocess.Popen[str], pattern: re.Pattern[str], timeout: float, log: Path
) -> re.Match[str] | None:
    """Read stdout until ``pattern`` matches, then copy the rest to ``log`` in the background."""
    assert popen.stdout is not None
    out = open(log, "w")  # noqa: SIM115 (closed by the copying thread)
    found: list[re.Match[str]] = []
    seen = threading.Event()

    def copy() -> None:
        assert popen.stdout is not None
        for line in popen.stdout:
            out.write(line)
            out.flush()
            if not found and (m := pattern.search(line)):
                found.append(m)
                seen.set()
        out.close()
        seen.set()

    threading.Thread(target=copy, daemon=True).start()
    seen.wait(timeout)
    return found[0] if found else None


def wait_for(condition: Callable[[], bool], timeout: float, every: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
