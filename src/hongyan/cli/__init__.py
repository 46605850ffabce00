"""The ``hongyan`` command line: one module per group of subcommands, each with ``register``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from hongyan import __version__

# Modules that add subcommands; each has ``register(subparsers)``.
COMMAND_MODULES = (
    "hongyan.cli.db",
    "hongyan.cli.accounts",
    "hongyan.cli.api_keys",
    "hongyan.cli.operators",
    "hongyan.cli.lists",
    "hongyan.cli.simulator",
    "hongyan.cli.serve",
    "hongyan.cli.demo",
    "hongyan.cli.send",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hongyan", description="鸿雁 — a self-hosted SMS platform"
    )
    parser.add_argument("--version", action="version", version=f"hongyan {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # a command group not built yet
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "func", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        code: int = handler(args)
    except KeyboardInterrupt:
        return 130
    return code
