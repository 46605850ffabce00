"""What every subcommand shares: ``--config``, opening the store, and failing with a sentence."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from hongyan import config
from hongyan.core.errors import HongyanError
from hongyan.store import connect
from hongyan.store.base import Store


class CommandError(Exception):
    """A mistake the operator can fix; printed as one sentence, exit status 1."""


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="F", help="TOML configuration file")


def load_settings(args: argparse.Namespace) -> config.Settings:
    try:
        return config.load(getattr(args, "config", None))
    except config.ConfigError as exc:
        raise CommandError(f"configuration: {exc}") from None


@asynccontextmanager
async def opened_store(settings: config.Settings) -> AsyncIterator[Store]:
    try:
        store = connect(settings.database.url)
        await store.open()
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot open the database {settings.database.url!r}: {exc}") from None
    try:
        await store.upgrade()
        yield store
    finally:
        await store.close()


def run(action: Callable[[], Coroutine[Any, Any, int]]) -> int:
    """Run an async command body, turning expected failures into a sentence on stderr."""
    try:
        return asyncio.run(action())
    except (CommandError, HongyanError) as exc:
        print(f"hongyan: {exc}", file=sys.stderr)
        return 1


def with_store(
    body: Callable[[argparse.Namespace, Store], Awaitable[int]],
) -> Callable[[argparse.Namespace], int]:
    """Wrap ``body(args, store)`` as an argparse handler with the configured store opened."""

    def handler(args: argparse.Namespace) -> int:
        async def action() -> int:
            settings = load_settings(args)
            async with opened_store(settings) as store:
                return await body(args, store)

        return run(action)

    return handler


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False))
