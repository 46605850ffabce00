"""``hongyan operator …``: the people who may sign in to the operator console at ``/admin``.

What these commands change is written to the audit log too, by the operator ``(command line)``
(a name no operator can have), so the console's audit page shows who was given access and when.
"""

from __future__ import annotations

import argparse
from typing import Any

from hongyan.cli.common import CommandError, add_config_option, print_json, with_store
from hongyan.core.accounts import hash_password
from hongyan.core.operators import (
    COMMAND_LINE,
    HIDDEN,
    NewAuditEntry,
    Operator,
    operator_name_problem,
    operator_password_problem,
)
from hongyan.store.base import OperatorChanges, Store


def register(subparsers: Any) -> None:
    operator = subparsers.add_parser("operator", help="operators of the console (/admin)")
    commands = operator.add_subparsers(dest="operator_command", metavar="ACTION", required=True)

    def action(name: str, help: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = commands.add_parser(name, help=help)
        add_config_option(parser)
        return parser

    create = action("create", "create an operator who can sign in to the console")
    create.add_argument("name")
    create.add_argument("--password", required=True, help="at least 8 characters")
    create.set_defaults(func=with_store(_create))

    password = action("password", "set an operator's password")
    password.add_argument("name")
    password.add_argument("--password", required=True, help="at least 8 characters")
    password.set_defaults(func=with_store(_password))

    for verb, active in (("disable", False), ("enable", True)):
        cmd = action(verb, f"{verb} an operator's sign-in")
        cmd.add_argument("name")
        cmd.set_defaults(func=with_store(_set_active(active)))

    listing = action("list", "list operators")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=with_store(_list))


def _checked_hash(password: str) -> str:
    problem = operator_password_problem(password)
    if problem:
        raise CommandError(f"--password: {problem}")
    return hash_password(password)


async def _audit(store: Store, action: str, name: str, before: Any, after: Any) -> None:
    await store.record_audit(NewAuditEntry(COMMAND_LINE, action, f"operator:{name}", before, after))


async def _get(store: Store, name: str) -> Operator:
    found = await store.get_operator(name)
    if found is None:
        raise CommandError(f"no operator is named {name!r}: hongyan operator list shows them")
    return found


async def _create(args: argparse.Namespace, store: Store) -> int:
    problem = operator_name_problem(args.name)
    if problem:
        raise CommandError(problem)
    created = await store.create_operator(args.name, _checked_hash(args.password))
    await _audit(store, "operator.create", created.name, None, {"active": True})
    print(f"created operator {created.name}: sign in at /admin")
    return 0


async def _password(args: argparse.Namespace, store: Store) -> int:
    await _get(store, args.name)
    changes = OperatorChanges(password_hash=_checked_hash(args.password))
    await store.update_operator(args.name, changes)
    await _audit(store, "operator.password", args.name, None, {"password": HIDDEN})
    print(f"operator {args.name}: password changed")
    return 0


def _set_active(active: bool) -> Any:
    async def body(args: argparse.Namespace, store: Store) -> int:
        before = await _get(store, args.name)
        after = await store.update_operator(args.name, OperatorChanges(active=active))
        verb = "enable" if active else "disable"
        await _audit(
            store, f"operator.{verb}", args.name, {"active": before.active}, {"active": active}
        )
        print(f"operator {after.name}: {'active' if after.active else 'disabled'}")
        return 0

    return body


async def _list(args: argparse.Namespace, store: Store) -> int:
    operators = await store.list_operators()
    if args.json:
        print_json(
            [
                {"name": o.name, "active": o.active, "created_at": o.created_at.isoformat()}
                for o in operators
            ]
        )
    elif not operators:
        print("no operators yet: hongyan operator create NAME --password P")
    else:
        for o in operators:
            state = "active" if o.active else "disabled"
            print(f"{o.name}  {state}  created {o.created_at:%Y-%m-%d %H:%M} UTC")
    return 0
