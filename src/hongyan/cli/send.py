"""``hongyan send``: queue one message for an account, as an operator testing a route."""

from __future__ import annotations

import argparse
from typing import Any

from hongyan.cli.common import CommandError, add_config_option, with_store
from hongyan.core.admission import SendRequest
from hongyan.core.errors import NotFound
from hongyan.services.api.sending import BannedWords, Sender
from hongyan.store.base import Store


def register(subparsers: Any) -> None:
    send = subparsers.add_parser("send", help="send one message (for testing a route)")
    send.add_argument("--account", required=True, metavar="NAME")
    send.add_argument("--to", required=True, metavar="NUMBER", action="append")
    send.add_argument("--text", required=True)
    send.add_argument("--extension", default="", metavar="DIGITS")
    add_config_option(send)
    send.set_defaults(func=with_store(_send))


async def _send(args: argparse.Namespace, store: Store) -> int:
    account = await store.get_account(args.account)
    if account is None:
        raise NotFound(f"no account is named {args.account!r}")
    sender = Sender(store=store, banned_words=BannedWords(store))
    request = SendRequest(
        recipients=tuple(args.to),
        text=args.text,
        extension=args.extension,
        national="CN",
        dialect="cli",
    )
    outcome = await sender.send(account, request)
    if outcome.refusal is not None:
        detail = f" ({outcome.admission.detail})" if outcome.admission.detail else ""
        raise CommandError(f"refused: {outcome.refusal.value}{detail}")
    ids = iter(outcome.ids)
    for decision in outcome.admission.decisions:
        if decision.refusal is None:
            print(f"{decision.input}: queued as message {next(ids)}")
        else:
            print(f"{decision.input}: refused ({decision.refusal.value})")
    return 0 if outcome.ids else 1
