"""Operators (the people who run the console) and what the audit log records of their actions.

Operators are not partner accounts: a separate table, a separate sign-in, and no API access.
Their passwords use the same argon2id hashing as accounts (``core.accounts.hash_password``).
Every action an operator takes is recorded as one audit entry: who, what action, on what
target, and the values that changed (before → after), never a password or its hash.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hongyan.core.accounts import Account

OPERATOR_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_OPERATOR_PASSWORD = 8  # console access is worth more than one partner's API access
HIDDEN = "(changed)"  # what the audit log says of a password instead of any form of it
COMMAND_LINE = "(command line)"  # who `hongyan operator …` is recorded as (no operator's name)

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Operator:
    id: int
    name: str
    password_hash: str
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class AuditAction:
    """What an operator is doing, given to the store verbs that record it with the change."""

    operator: str
    action: str  # dotted verb, e.g. "account.update", "channel.pause"
    target: str  # "account:acme", "channel:mobile", "blacklist:global", "banned-words"


@dataclass(frozen=True)
class NewAuditEntry:
    operator: str
    action: str
    target: str
    before: JsonObject | None
    after: JsonObject | None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    operator: str
    action: str
    target: str
    before: JsonObject | None
    after: JsonObject | None
    created_at: datetime


def operator_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name an operator, or ``None`` when it can."""
    if not OPERATOR_NAME.match(name):
        return f"{name!r} is not a valid operator name (1-64 letters, digits, _.@-)"
    return None


def operator_password_problem(password: str) -> str | None:
    if len(password) < MIN_OPERATOR_PASSWORD:
        return f"use a password of at least {MIN_OPERATOR_PASSWORD} characters"
    return None


def account_view(account: Account) -> JsonObject:
    """The fields of an account the audit log compares; a password only as a fingerprint.

    The hash itself never leaves the store: the view holds whether it changed, which is all an
    auditor needs (``changes`` turns a difference into ``HIDDEN``).
    """
    return {
        "active": account.active,
        "balance": account.balance,
        "service_code": account.service_code,
        "short_name": account.short_name,
        "allowed_networks": list(account.allowed_networks),
        "report_url": account.report_url,
        "inbound_url": account.inbound_url,
        "registered_extensions": list(account.registered_extensions),
        "allow_long": account.allow_long,
        "limits": dataclasses.asdict(account.limits),
        "push_secret_version": account.push_secret_version,
        "password": account.password_hash,
    }


def changes(
    before: JsonObject | None, after: JsonObject | None
) -> tuple[JsonObject | None, JsonObject | None]:
    """Only the keys whose values differ, each side; passwords replaced by ``HIDDEN``.

    A creation (``before`` None) keeps every key of ``after``; a deletion every key of
    ``before``.
    """
    if before is None or after is None:
        return _hide(before), _hide(after)
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    return (
        _hide({k: before[k] for k in keys if k in before}),
        _hide({k: after[k] for k in keys if k in after}),
    )


def _hide(view: JsonObject | None) -> JsonObject | None:
    if view is None:
        return None
    return {k: (HIDDEN if k == "password" else v) for k, v in view.items()}
