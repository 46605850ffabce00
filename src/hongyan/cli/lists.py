"""``hongyan blacklist …`` and ``hongyan banned-words …``: numbers never sent to, words refused."""

from __future__ import annotations

import argparse
from typing import Any

from hongyan.cli.common import CommandError, add_config_option, print_json, with_store
from hongyan.core.errors import NotFound
from hongyan.core.numbers import normalize
from hongyan.store.base import Store


def register(subparsers: Any) -> None:
    blacklist = subparsers.add_parser("blacklist", help="numbers never to send to")
    commands = blacklist.add_subparsers(dest="blacklist_command", metavar="ACTION", required=True)
    for name, body in (("add", _blacklist_add), ("remove", _blacklist_remove)):
        cmd = commands.add_parser(name, help=f"{name} numbers (global, or one account's)")
        cmd.add_argument("numbers", nargs="+", metavar="NUMBER")
        cmd.add_argument("--account", metavar="NAME", help="only for this account")
        add_config_option(cmd)
        cmd.set_defaults(func=with_store(body))
    listing = commands.add_parser("list", help="list blacklisted numbers")
    listing.add_argument("--account", metavar="NAME", help="only this account's")
    listing.add_argument("--json", action="store_true")
    add_config_option(listing)
    listing.set_defaults(func=with_store(_blacklist_list))

    words = subparsers.add_parser("banned-words", help="content that is refused")
    commands = words.add_subparsers(dest="words_command", metavar="ACTION", required=True)
    for name, body in (("add", _words_add), ("remove", _words_remove)):
        cmd = commands.add_parser(name, help=f"{name} banned words")
        cmd.add_argument("words", nargs="+", metavar="WORD")
        add_config_option(cmd)
        cmd.set_defaults(func=with_store(body))
    listing = commands.add_parser("list", help="list banned words")
    listing.add_argument("--json", action="store_true")
    add_config_option(listing)
    listing.set_defaults(func=with_store(_words_list))


async def _account_id(store: Store, name: str | None) -> int | None:
    if name is None:
        return None
    account = await store.get_account(name)
    if account is None:
        raise NotFound(f"no account is named {name!r}")
    return account.id


def _numbers(raw: list[str]) -> list[str]:
    out = []
    for number in raw:
        canonical = normalize(number, national="CN")
        if canonical is None:
            raise CommandError(f"{number!r} is not a valid phone number")
        out.append(canonical)
    return out


async def _blacklist_add(args: argparse.Namespace, store: Store) -> int:
    account_id = await _account_id(store, args.account)
    added = await store.add_blacklist(_numbers(args.numbers), account_id)
    print(f"added {added} number(s) to {_scope(args.account)}")
    return 0


async def _blacklist_remove(args: argparse.Namespace, store: Store) -> int:
    account_id = await _account_id(store, args.account)
    removed = await store.remove_blacklist(_numbers(args.numbers), account_id)
    print(f"removed {removed} number(s) from {_scope(args.account)}")
    return 0


def _scope(account: str | None) -> str:
    return f"account {account}'s blacklist" if account else "the global blacklist"


async def _blacklist_list(args: argparse.Namespace, store: Store) -> int:
    account_id = await _account_id(store, args.account)
    entries = await store.list_blacklist(account_id)
    names = {a.id: a.name for a in await store.list_accounts()}
    rows = [
        {"number": number, "account": names.get(owner) if owner else None}
        for number, owner in entries
    ]
    if args.json:
        print_json(rows)
    elif not rows:
        print("the blacklist is empty")
    else:
        for row in rows:
            print(f"{row['number']}  {row['account'] or '(global)'}")
    return 0


async def _words_add(args: argparse.Namespace, store: Store) -> int:
    words = [w.strip() for w in args.words if w.strip()]
    if not words:
        raise CommandError("give at least one non-empty word")
    print(f"added {await store.add_banned_words(words)} banned word(s)")
    return 0


async def _words_remove(args: argparse.Namespace, store: Store) -> int:
    print(f"removed {await store.remove_banned_words(args.words)} banned word(s)")
    return 0


async def _words_list(args: argparse.Namespace, store: Store) -> int:
    words = await store.list_banned_words()
    if args.json:
        print_json(words)
    elif not words:
        print("no banned words")
    else:
        print("\n".join(words))
    return 0
