"""What every subcommand shares: ``--config``, opening the store, and failing with a sentence."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sqlite3
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

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


# What opening a database can raise when the URL, the server or the file is wrong.
DATABASE_ERRORS = (OSError, ValueError, sqlite3.Error, asyncpg.PostgresError)


def _where(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


@asynccontextmanager
async def opened_store(settings: config.Settings, *, upgrade: bool = True) -> AsyncIterator[Store]:
    """The configured store, opened and (by default) migrated to the current schema."""
    url = settings.database.url
    try:
        store = connect(url)
        await store.open()
    except DATABASE_ERRORS as exc:
        raise CommandError(f"cannot open the database {_where(url)}: {exc}") from None
    try:
        if upgrade:
            try:
                await store.upgrade()
            except DATABASE_ERRORS as exc:
                raise CommandError(f"cannot use the database {_where(url)}: {exc}") from None
        yield store
    finally:
        await store.close()


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop where it is installed (a faster loop for every I/O path), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(action: Callable[[], Coroutine[Any, Any, int]]) -> int:
    """Run an async command body, turning expected failures into a sentence on stderr."""
    try:
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            return runner.run(action())
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
