"""``hongyan serve --workers N``: N API processes sharing one listening socket, supervised.

The supervisor binds the HTTP port once and starts N children ``hongyan serve --role api``
that inherit the socket (its descriptor number in ``HONGYAN_LISTEN_FD``); the kernel hands
each new connection to one of them. Roles other than the API (dispatcher, notifier) run in one
more child. A child that exits is started again (after 1 s, doubling up to 30 s while it keeps
dying young); SIGTERM/SIGINT are passed on to every child, which shut down gracefully.

Metrics: the supervisor points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory before any
child starts, so whichever worker answers ``/metrics`` reports every process on the machine.

PostgreSQL only: SQLite allows one writing process at a time, and one process already
group-commits every request; the command refuses ``--workers`` on SQLite with that sentence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from hongyan.services.timing import wait_any

log = logging.getLogger(__name__)
LISTEN_FD = "HONGYAN_LISTEN_FD"
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
STOP_TIMEOUT = 30.0


@dataclass(frozen=True)
class Child:
    name: str  # "api-1", "dispatcher,notifier", …: for logs
    argv: tuple[str, ...]
    pass_fds: tuple[int, ...] = ()


def serve_argv(roles: str, config: str | None, log_level: str | None) -> tuple[str, ...]:
    argv = [sys.executable, "-m", "hongyan", "serve", "--role", roles]
    if config:
        argv += ["--config", os.path.abspath(config)]
    if log_level:
        argv += ["--log-level", log_level]
    return tuple(argv)


def plan(
    workers: int, roles: frozenset[str], fd: int, config: str | None, log_level: str | None
) -> list[Child]:
    """The children: ``workers`` API processes, plus one for the other roles asked for."""
    children = [
        Child(f"api-{i + 1}", serve_argv("api", config, log_level), (fd,)) for i in range(workers)
    ]
    others = sorted(roles - {"api"})
    if others:
        children.append(Child(",".join(others), serve_argv(",".join(others), config, log_level)))
    return children


@contextlib.contextmanager
def metrics_directory(environ: Mapping[str, str]) -> Iterator[str]:
    """The operator's ``PROMETHEUS_MULTIPROC_DIR``, or a temporary one removed afterwards."""
    given = environ.get(MULTIPROC_DIR)
    if given:
        os.makedirs(given, exist_ok=True)
        yield given
        return
    made = tempfile.mkdtemp(prefix="hongyan-metrics-")
    try:
        yield made
    finally:
        shutil.rmtree(made, ignore_errors=True)


class Supervisor:
    def __init__(self, children: Sequence[Child], env: Mapping[str, str]) -> None:
        self._children = tuple(children)
        self._env = dict(env)
        self.started: dict[str, int] = {}  # child name → pid of its current process

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.gather(*(self._keep(child, stop) for child in self._children))

    async def _keep(self, child: Child, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        delay = 1.0
        while not stop.is_set():
            began = loop.time()
            process = await asyncio.create_subprocess_exec(
                *child.argv, pass_fds=child.pass_fds, env=self._env
            )
            self.started[child.name] = process.pid
            exited = asyncio.ensure_future(process.wait())
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not exited.done():
                await self._stop(process, exited)
            self._forget(process.pid)
            if stop.is_set():
                return
            log.error(
                "%s (pid %d) exited with status %s; starting it again in %g s",
                child.name,
                process.pid,
                exited.result(),
                delay,
            )
            await wait_any(stop, timeout=delay)
            delay = 1.0 if loop.time() - began > 30 else min(delay * 2, 30.0)

    @staticmethod
    async def _stop(process: asyncio.subprocess.Process, exited: asyncio.Future[int]) -> None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(exited), STOP_TIMEOUT)
        except TimeoutError:
            log.error("pid %d did not stop within %g s: killing it", process.pid, STOP_TIMEOUT)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await exited

    def _forget(self, pid: int) -> None:
        """Drop a dead process's live gauges from the shared metrics directory."""
        if MULTIPROC_DIR in self._env:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(pid, self._env[MULTIPROC_DIR])  # type: ignore[no-untyped-call]
