"""``hongyan serve``: run the platform (every role, or the ones named) until SIGTERM/SIGINT.

``--workers N`` (N ≥ 2, PostgreSQL only) runs N API processes sharing the port under a small
supervisor (``services/workers.py``); the other roles asked for run in one more process.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
from typing import Any

from hongyan.cli.common import CommandError, add_config_option, load_settings, run
from hongyan.config import Settings

log = logging.getLogger("hongyan")


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser("serve", help="run the platform")
    add_config_option(serve)
    serve.add_argument(
        "--role",
        default="all",
        help="api, dispatcher, notifier or all (default), comma separated",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="run N API processes sharing the port (PostgreSQL only)",
    )
    serve.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        help="overrides [logging] level",
    )
    serve.set_defaults(func=_serve)


def install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


def configure_logging(settings: Settings, level: str | None = None) -> None:
    from hongyan.services import logs

    logs.configure(level or settings.logging.level, settings.logging.format)


def _serve(args: argparse.Namespace) -> int:
    from hongyan.services.platform import parse_roles  # heavy: only when serving

    async def action() -> int:
        settings = load_settings(args)
        try:
            roles = parse_roles(args.role)
        except ValueError as exc:
            raise CommandError(f"--role: {exc}") from None
        configure_logging(settings, args.log_level)
        if args.workers > 1:
            return await _supervise(args, settings, roles)
        if args.workers < 1:
            raise CommandError("--workers: expected a number of at least 1")
        return await _run_platform(settings, roles)

    return run(action)


async def _run_platform(settings: Settings, roles: frozenset[str]) -> int:
    from hongyan.services.platform import Platform
    from hongyan.services.workers import LISTEN_FD

    stop = asyncio.Event()
    install_stop_signals(stop)
    inherited = os.environ.get(LISTEN_FD)  # a worker of ``--workers``: the supervisor's socket
    sockets = [socket.socket(fileno=int(inherited))] if inherited and "api" in roles else None
    platform = Platform(settings, roles=roles, sockets=sockets)
    log.info(
        "serving roles %s on %s:%s",
        ",".join(sorted(roles)),
        settings.http.host,
        settings.http.port,
        extra={"roles": sorted(roles), "owner": platform.owner},
    )
    await platform.run(stop)
    return 0


async def _supervise(args: argparse.Namespace, settings: Settings, roles: frozenset[str]) -> int:
    from hongyan.services import workers
    from hongyan.services.platform import listen

    if settings.database.url.startswith("sqlite:"):
        raise CommandError(
            "--workers needs PostgreSQL: SQLite allows one writing process at a time, and one"
            " process already commits every request in groups; run without --workers, or set"
            " [database] url to a postgresql:// URL"
        )
    if "api" not in roles:
        raise CommandError("--workers starts API processes: add the api role to --role")
    http = settings.http
    try:
        sock = listen(http.host, http.port)
    except OSError as exc:
        raise CommandError(f"cannot listen on {http.host}:{http.port}: {exc}") from None
    stop = asyncio.Event()
    install_stop_signals(stop)
    with sock, workers.metrics_directory(os.environ) as metrics_dir:
        env = {**os.environ, workers.MULTIPROC_DIR: metrics_dir}
        env[workers.LISTEN_FD] = str(sock.fileno())
        children = workers.plan(args.workers, roles, sock.fileno(), args.config, args.log_level)
        log.info(
            "supervising %d API workers on %s:%s%s",
            args.workers,
            http.host,
            http.port,
            f" and {children[-1].name}" if len(children) > args.workers else "",
        )
        await workers.Supervisor(children, env).run(stop)
    return 0
