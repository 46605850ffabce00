"""``hongyan account …``: create, change and read partner accounts."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any
from urllib.parse import urlsplit

from hongyan.cli.common import (
    CommandError,
    add_config_option,
    load_settings,
    print_json,
    with_store,
)
from hongyan.core.accounts import (
    MIN_PASSWORD,
    NAME_PATTERN,
    SERVICE_CODE_PATTERN,
    Account,
    Limits,
    hash_password,
    parse_networks,
    push_secret,
)
from hongyan.core.errors import NotFound
from hongyan.services.keys import load_server_key
from hongyan.store.base import AccountChanges, NewAccount, Store


def register(subparsers: Any) -> None:
    account = subparsers.add_parser("account", help="partner accounts")
    commands = account.add_subparsers(dest="account_command", metavar="ACTION", required=True)

    def action(name: str, help: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = commands.add_parser(name, help=help)
        add_config_option(parser)
        return parser

    create = action("create", "create a partner account")
    create.add_argument("name")
    create.add_argument("--password", required=True)
    _add_account_options(create)
    create.set_defaults(func=with_store(_create))

    update = action("update", "change an account")
    update.add_argument("name")
    update.add_argument("--password")
    update.add_argument(
        "--rotate-push-secret", action="store_true", help="replace the push-signing secret"
    )
    _add_account_options(update)
    update.set_defaults(func=with_store(_update))

    topup = action("topup", "add (or with a negative N, remove) balance")
    topup.add_argument("name")
    topup.add_argument("amount", type=int, metavar="N")
    topup.add_argument("--note", default="topup from the command line")
    topup.set_defaults(func=with_store(_topup))

    for verb, active in (("disable", False), ("enable", True)):
        cmd = action(verb, f"{verb} an account")
        cmd.add_argument("name")
        cmd.set_defaults(func=with_store(_set_active(active)))

    show = action("show", "show one account")
    show.add_argument("name")
    show.add_argument("--json", action="store_true")
    show.add_argument(
        "--push-secret", action="store_true", help="also show the secret that signs its pushes"
    )
    show.set_defaults(func=with_store(_show))

    listing = action("list", "list accounts")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=with_store(_list))


def _add_account_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--balance", type=int, help="balance in segments (create only)")
    parser.add_argument("--service-code", metavar="DIGITS", help="特服号, the source number")
    parser.add_argument("--short-name", help="company short name (signature)")
    parser.add_argument("--report-url", metavar="URL", help="status-report push URL ('' clears)")
    parser.add_argument("--inbound-url", metavar="URL", help="inbound push URL ('' clears)")
    parser.add_argument("--allow-ip", nargs="*", metavar="CIDR", help="allowed client networks")
    parser.add_argument("--extension", nargs="*", metavar="DIGITS", help="registered extensions")
    parser.add_argument("--max-recipients", type=int, help="recipients per request (300)")
    parser.add_argument("--long-max", type=int, help="longest message in characters (500)")
    parser.add_argument("--tps", type=int, help="sends per second, 0 = no limit")


def _url(value: str | None, option: str) -> str | None:
    if value is None or value == "":
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CommandError(f"{option}: {value!r} is not an http:// or https:// URL")
    return value


def _digits(value: str | None, option: str) -> str | None:
    if value is not None and value != "" and not SERVICE_CODE_PATTERN.match(value):
        raise CommandError(f"{option}: expected up to 20 digits, got {value!r}")
    return value


def _networks(values: list[str] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    try:
        return parse_networks(values)
    except ValueError as exc:
        raise CommandError(f"--allow-ip: {exc}") from None


def _password(value: str) -> str:
    if len(value) < MIN_PASSWORD:
        raise CommandError(f"--password: use at least {MIN_PASSWORD} characters")
    return hash_password(value)


def _limits(args: argparse.Namespace, current: Account | None) -> Limits | None:
    base = current.limits if current else Limits()
    changes = {
        "max_recipients": args.max_recipients,
        "long_max_chars": args.long_max,
        "sends_per_second": args.tps,
    }
    for key, value in changes.items():
        if value is not None and value < 0:
            raise CommandError(f"--{key.replace('_', '-')}: expected a number of at least 0")
    given = {k: v for k, v in changes.items() if v is not None}
    return dataclasses.replace(base, **given) if given else None


async def _create(args: argparse.Namespace, store: Store) -> int:
    if not NAME_PATTERN.match(args.name):
        raise CommandError(f"{args.name!r} is not a valid account name (letters, digits, _.@-)")
    limits = _limits(args, None)
    account = NewAccount(
        name=args.name,
        password_hash=_password(args.password),
        balance=args.balance or 0,
        service_code=_digits(args.service_code, "--service-code") or "",
        short_name=args.short_name or "",
        allowed_networks=_networks(args.allow_ip) or (),
        report_url=_url(args.report_url, "--report-url") or None,
        inbound_url=_url(args.inbound_url, "--inbound-url") or None,
        registered_extensions=tuple(args.extension or ()),
        limits=limits or Limits(),
    )
    if account.balance < 0:
        raise CommandError("--balance: expected a number of at least 0")
    created = await store.create_account(account)
    print(f"created account {created.name} (id {created.id}, balance {created.balance})")
    return 0


async def _update(args: argparse.Namespace, store: Store) -> int:
    current = await _get(store, args.name)
    if args.balance is not None:
        raise CommandError("--balance: use `hongyan account topup NAME N` to change a balance")
    changes = AccountChanges(
        password_hash=_password(args.password) if args.password else None,
        service_code=_digits(args.service_code, "--service-code"),
        short_name=args.short_name,
        allowed_networks=_networks(args.allow_ip),
        report_url=_url(args.report_url, "--report-url"),
        inbound_url=_url(args.inbound_url, "--inbound-url"),
        limits=_limits(args, current),
        registered_extensions=tuple(args.extension) if args.extension is not None else None,
        push_secret_version=current.push_secret_version + 1 if args.rotate_push_secret else None,
    )
    updated = await store.update_account(args.name, changes)
    print(f"updated account {updated.name}")
    return 0


async def _topup(args: argparse.Namespace, store: Store) -> int:
    await _get(store, args.name)
    account = await store.adjust_balance(args.name, args.amount, args.note)
    print(f"{account.name}: balance {account.balance}")
    return 0


def _set_active(active: bool) -> Any:
    async def body(args: argparse.Namespace, store: Store) -> int:
        await _get(store, args.name)
        account = await store.update_account(args.name, AccountChanges(active=active))
        print(f"{account.name}: {'active' if account.active else 'stopped'}")
        return 0

    return body


async def _get(store: Store, name: str) -> Account:
    account = await store.get_account(name)
    if account is None:
        raise NotFound(f"no account is named {name!r}")
    return account


def account_json(account: Account) -> dict[str, Any]:
    """An account as the stable ``--json`` shape: everything but the password hash."""
    return {
        "id": account.id,
        "name": account.name,
        "active": account.active,
        "balance": account.balance,
        "service_code": account.service_code,
        "short_name": account.short_name,
        "allowed_networks": list(account.allowed_networks),
        "report_url": account.report_url,
        "inbound_url": account.inbound_url,
        "registered_extensions": list(account.registered_extensions),
        "limits": dataclasses.asdict(account.limits),
    }


def _human(account: Account) -> str:
    state = "active" if account.active else "stopped"
    return (
        f"{account.name} (id {account.id}, {state}) balance {account.balance}, "
        f"service code {account.service_code or '-'}, short name {account.short_name or '-'}"
    )


async def _show(args: argparse.Namespace, store: Store) -> int:
    account = await _get(store, args.name)
    secret = None
    if args.push_secret:
        server_key = load_server_key(load_settings(args).security)
        secret = push_secret(server_key, account.id, account.push_secret_version)
    if args.json:
        shown = account_json(account)
        if secret is not None:
            shown["push_secret"] = secret
        print_json(shown)
    else:
        print(_human(account))
        if secret is not None:
            print(f"  push secret: {secret}")
        for key in ("report_url", "inbound_url"):
            print(f"  {key.replace('_', ' ')}: {getattr(account, key) or '-'}")
        print(f"  allowed networks: {', '.join(account.allowed_networks) or 'anywhere'}")
        print(f"  registered extensions: {', '.join(account.registered_extensions) or 'any'}")
        limits = account.limits
        print(
            f"  limits: {limits.max_recipients} recipients/request, "
            f"{limits.long_max_chars} characters, {limits.sends_per_second or 'unlimited'} sends/s"
        )
    return 0


async def _list(args: argparse.Namespace, store: Store) -> int:
    accounts = await store.list_accounts()
    if args.json:
        print_json([account_json(a) for a in accounts])
    elif not accounts:
        print("no accounts yet: hongyan account create NAME --password P")
    else:
        for account in accounts:
            print(_human(account))
    return 0
