"""``hongyan api-key …``: make, list and revoke a partner's REST API keys without a browser."""

from __future__ import annotations

import argparse
from typing import Any

from hongyan.cli.common import CommandError, add_config_option, print_json, with_store
from hongyan.core.accounts import Account
from hongyan.core.api_keys import check_label, issue_api_key
from hongyan.core.errors import NotFound
from hongyan.store.base import ApiKey, Store


def register(subparsers: Any) -> None:
    group = subparsers.add_parser("api-key", help="REST API keys of partner accounts")
    commands = group.add_subparsers(dest="api_key_command", metavar="ACTION", required=True)

    def action(name: str, help: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = commands.add_parser(name, help=help)
        parser.add_argument("account", metavar="ACCOUNT")
        add_config_option(parser)
        return parser

    create = action("create", "make a key (printed once, never stored)")
    create.add_argument("--label", required=True, metavar="L")
    create.set_defaults(func=with_store(_create))

    listing = action("list", "list an account's keys, revoked ones too")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=with_store(_list))

    revoke = action("revoke", "revoke a key")
    revoke.add_argument("id", type=int, metavar="ID")
    revoke.set_defaults(func=with_store(_revoke))


async def _account(store: Store, name: str) -> Account:
    account = await store.get_account(name)
    if account is None:
        raise NotFound(f"no account is named {name!r}")
    return account


async def _create(args: argparse.Namespace, store: Store) -> int:
    account = await _account(store, args.account)
    try:
        label = check_label(args.label)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    issued = issue_api_key()
    key = await store.create_api_key(account.id, label, issued.prefix, issued.key_hash)
    print(issued.secret)
    print(f"key {key.id} ({label}) for {account.name}: shown once, store it now", flush=True)
    return 0


def _json(key: ApiKey) -> dict[str, Any]:
    def at(moment: Any) -> str | None:
        return None if moment is None else moment.isoformat()

    return {
        "id": key.id,
        "label": key.label,
        "prefix": key.prefix,
        "created_at": at(key.created_at),
        "last_used_at": at(key.last_used_at),
        "revoked_at": at(key.revoked_at),
    }


async def _list(args: argparse.Namespace, store: Store) -> int:
    account = await _account(store, args.account)
    keys = await store.list_api_keys(account.id)
    if args.json:
        print_json([_json(k) for k in keys])
        return 0
    for key in keys:
        status = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "live"
        used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
        print(f"{key.id}\thy_{key.prefix}_…\t{key.label}\t{status}\tlast used {used}")
    return 0


async def _revoke(args: argparse.Namespace, store: Store) -> int:
    account = await _account(store, args.account)
    if not await store.revoke_api_key(account.id, args.id):
        raise CommandError(f"{account.name} has no live key {args.id}")
    print(f"key {args.id} of {account.name} revoked (running servers refuse it within a second)")
    return 0
