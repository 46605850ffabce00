"""``hongyan simulator``: run the SMSC (SMPP) or ISMG (CMPP) simulator in the foreground until
interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from typing import Any

from hongyan.cli import common
from hongyan.cli.common import CommandError, add_config_option, load_settings
from hongyan.simulator import MessageIdFormat, OutcomeMix, SmscSimulator
from hongyan.simulator.cmpp import CmppSimulator

DEFAULT_PORTS = {"smpp": 2775, "cmpp": 7890}
NAMES = {"smpp": "SMSC simulator", "cmpp": "CMPP ISMG simulator"}


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "simulator",
        help="run a carrier simulator: an SMPP 3.4 SMSC (default) or a CMPP 2.0 ISMG, "
        "with an HTTP control port",
    )
    add_arguments(parser)
    parser.set_defaults(func=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_option(parser)
    parser.add_argument(
        "--protocol", choices=sorted(DEFAULT_PORTS), default="smpp", help="default smpp"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port", type=int, default=None, help="default 2775 (smpp), 7890 (cmpp); 0 = any free one"
    )
    parser.add_argument("--control-port", type=int, default=8775, help="HTTP control port")
    parser.add_argument("--no-control", action="store_true", help="no HTTP control endpoint")
    parser.add_argument(
        "--dlr-delay", type=float, default=1.0, metavar="S", help="seconds before the receipt"
    )
    parser.add_argument("--delivered", type=float, default=0.9, help="weight of DELIVRD")
    parser.add_argument("--undeliverable", type=float, default=0.08, help="weight of UNDELIV")
    parser.add_argument("--expired", type=float, default=0.02, help="weight of EXPIRED")
    parser.add_argument(
        "--credential",
        action="append",
        default=[],
        metavar="SYSTEM_ID:PASSWORD",
        help="accept only these (repeatable; for cmpp the SP id and shared secret); default: any",
    )
    parser.add_argument(
        "--max-binds", type=int, default=None, help="per system_id (cmpp: connections per SP)"
    )
    parser.add_argument(
        "--message-id",
        choices=[f.value for f in MessageIdFormat],
        default=None,
        help="smpp only; default hex",
    )
    parser.add_argument("--seed", type=int, default=None)


def build(args: argparse.Namespace) -> SmscSimulator | CmppSimulator:
    protocol = args.protocol
    credentials = _credentials(args.credential)
    port = args.port
    if args.config is not None:  # stand in for the file's carriers of this protocol
        channels = [c for c in load_settings(args).channels if c.protocol == protocol]
        if credentials is None and channels:
            credentials = {c.system_id: c.password for c in channels}
        if port is None and channels:
            port = channels[0].port
    common_options: dict[str, Any] = {
        "host": args.host,
        "port": DEFAULT_PORTS[protocol] if port is None else port,
        "control_port": None if args.no_control else args.control_port,
        "credentials": credentials,
        "outcomes": OutcomeMix(args.delivered, args.undeliverable, args.expired),
        "seed": args.seed,
    }
    if protocol == "cmpp":
        if args.message_id is not None:
            raise CommandError(
                "--message-id is for --protocol smpp: a CMPP Msg_Id is always 64 bits of "
                "time, gateway code and sequence"
            )
        return CmppSimulator(
            report_delay=args.dlr_delay, max_connections=args.max_binds, **common_options
        )
    return SmscSimulator(
        dlr_delay=args.dlr_delay,
        max_binds=args.max_binds,
        message_id_format=MessageIdFormat(args.message_id or "hex"),
        **common_options,
    )


def _credentials(given: list[str]) -> dict[str, str] | None:
    if not given:
        return None
    pairs = [c.split(":", 1) for c in given]
    for credential, pair in zip(given, pairs, strict=True):
        if len(pair) != 2 or not pair[0]:
            raise CommandError(f"--credential {credential!r}: write it as SYSTEM_ID:PASSWORD")
    return dict((pair[0], pair[1]) for pair in pairs)


def run(args: argparse.Namespace) -> int:
    async def action() -> int:
        return await serve(build(args))

    return common.run(action)


async def serve(sim: SmscSimulator | CmppSimulator, ready: asyncio.Event | None = None) -> int:
    try:
        await sim.start()
    except OSError as exc:
        raise CommandError(f"cannot listen on {sim.host}: {exc.strerror or exc}") from None
    control = f", control http://{sim.host}:{sim.control_port}" if sim.control_port else ""
    print(f"{NAMES[sim.PROTOCOL]} listening on {sim.host}:{sim.port}{control}", flush=True)
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
