"""``hongyan simulator``: run the SMSC simulator in the foreground until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from typing import Any

from hongyan.cli import common
from hongyan.cli.common import add_config_option, load_settings
from hongyan.simulator import MessageIdFormat, OutcomeMix, SmscSimulator


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "simulator", help="run an SMSC simulator (SMPP 3.4 server with an HTTP control port)"
    )
    add_arguments(parser)
    parser.set_defaults(func=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_option(parser)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="SMPP port (0 = any free one)")
    parser.add_argument("--control-port", type=int, default=8775, help="HTTP control port")
    parser.add_argument("--no-control", action="store_true", help="no HTTP control endpoint")
    parser.add_argument("--dlr-delay", type=float, default=1.0, metavar="S")
    parser.add_argument("--delivered", type=float, default=0.9, help="weight of DELIVRD")
    parser.add_argument("--undeliverable", type=float, default=0.08, help="weight of UNDELIV")
    parser.add_argument("--expired", type=float, default=0.02, help="weight of EXPIRED")
    parser.add_argument(
        "--credential",
        action="append",
        default=[],
        metavar="SYSTEM_ID:PASSWORD",
        help="accept only these (repeatable); default: any",
    )
    parser.add_argument("--max-binds", type=int, default=None, help="per system_id")
    parser.add_argument("--message-id", choices=[f.value for f in MessageIdFormat], default="hex")
    parser.add_argument("--seed", type=int, default=None)


def build(args: argparse.Namespace) -> SmscSimulator:
    credentials = dict(c.split(":", 1) for c in args.credential) if args.credential else None
    port = args.port
    if args.config is not None:  # stand in for the file's SMPP carriers
        smpp = [c for c in load_settings(args).channels if c.protocol == "smpp"]
        if credentials is None and smpp:
            credentials = {c.system_id: c.password for c in smpp}
        if port is None and smpp:
            port = smpp[0].port
    return SmscSimulator(
        host=args.host,
        port=2775 if port is None else port,
        control_port=None if args.no_control else args.control_port,
        credentials=credentials,
        dlr_delay=args.dlr_delay,
        outcomes=OutcomeMix(args.delivered, args.undeliverable, args.expired),
        max_binds=args.max_binds,
        message_id_format=MessageIdFormat(args.message_id),
        seed=args.seed,
    )


def run(args: argparse.Namespace) -> int:
    async def action() -> int:
        return await serve(build(args))

    return common.run(action)


async def serve(sim: SmscSimulator, ready: asyncio.Event | None = None) -> int:
    await sim.start()
    control = f", control http://{sim.host}:{sim.control_port}" if sim.control_port else ""
    print(f"SMSC simulator listening on {sim.host}:{sim.port}{control}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    if ready is not None:
        ready.set()
    try:
        await stop.wait()
    finally:
        await sim.stop()
    return 0


if __name__ == "__main__":
    main_parser = argparse.ArgumentParser(prog="hongyan simulator")
    add_arguments(main_parser)
    raise SystemExit(run(main_parser.parse_args()))
