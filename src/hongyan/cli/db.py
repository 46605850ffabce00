"""``hongyan db upgrade``: create or migrate the database schema."""

from __future__ import annotations

import argparse
from typing import Any

from hongyan.cli.common import (
    DATABASE_ERRORS,
    CommandError,
    add_config_option,
    load_settings,
    opened_store,
    run,
)


def register(subparsers: Any) -> None:
    db = subparsers.add_parser("db", help="database schema")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="create or migrate the database schema")
    add_config_option(upgrade)
    upgrade.set_defaults(func=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    async def action() -> int:
        settings = load_settings(args)
        async with opened_store(settings, upgrade=False) as store:
            try:
                applied = await store.upgrade()
            except DATABASE_ERRORS as exc:
                raise CommandError(f"the migration failed: {exc}") from None
        for name in applied:
            print(f"applied {name}")
        print("database is up to date")
        return 0

    return run(action)
