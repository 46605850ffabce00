"""``hongyan serve``: run the platform (every role, or the ones named) until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import Any

from hongyan.cli.common import CommandError, add_config_option, load_settings, run


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser("serve", help="run the platform")
    add_config_option(serve)
    serve.add_argument(
        "--role",
        default="all",
        help="api, dispatcher, notifier or all (default), comma separated",
    )
    serve.set_defaults(func=_serve)


def install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _serve(args: argparse.Namespace) -> int:
    from hongyan.services.platform import Platform, parse_roles  # heavy: only when serving

    async def action() -> int:
        settings = load_settings(args)
        try:
            roles = parse_roles(args.role)
        except ValueError as exc:
            raise CommandError(f"--role: {exc}") from None
        configure_logging()
        stop = asyncio.Event()
        install_stop_signals(stop)
        platform = Platform(settings, roles=roles)
        logging.getLogger("hongyan").info(
            "serving roles %s on %s:%s",
            ",".join(sorted(roles)),
            settings.http.host,
            settings.http.port,
        )
        await platform.run(stop)
        return 0

    return run(action)
