"""``hongyan db upgrade``: create or migrate the database schema."""

from __future__ import annotations

import argparse
from typing import Any

from hongyan.cli.common import CommandError, add_config_option, load_settings, run
from hongyan.store import connect


def register(subparsers: Any) -> None:
    db = subparsers.add_parser("db", help="database schema")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="create or migrate the database schema")
    add_config_option(upgrade)
    upgrade.set_defaults(func=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    async def action() -> int:
        settings = load_settings(args)
        try:
            store = connect(settings.database.url)
            await store.open()
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot open the database: {exc}") from None
        try:
            applied = await store.upgrade()
        finally:
            await store.close()
        for name in applied:
            print(f"applied {name}")
        print("database is up to date")
        return 0

    return run(action)
