"""Reading the console's account forms: text fields in, store values or field errors out.

Every check says what to fix in the operator's language; nothing here touches the store.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from hongyan.admin.i18n import Translator
from hongyan.core.accounts import (
    MIN_PASSWORD,
    NAME_PATTERN,
    SERVICE_CODE_PATTERN,
    Account,
    Limits,
    parse_networks,
)
from hongyan.store.base import AccountChanges, NewAccount

MAX_AMOUNT = 100_000_000  # one top-up; a typo of a few extra zeros is refused, not applied
Field = Callable[[str], str]  # a form field by name ("" when absent)


@dataclass
class Checked:
    """Errors found so far, by field name (shown next to the field)."""

    t: Translator
    errors: dict[str, str] = field(default_factory=dict)

    def fail(self, name: str, key: str, **values: object) -> None:
        self.errors.setdefault(name, self.t(key, **values))

    def url(self, name: str, value: str) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.fail(name, "form.bad_url")
        return value

    def digits(self, name: str, value: str) -> str:
        if value and not SERVICE_CODE_PATTERN.match(value):
            self.fail(name, "form.bad_digits")
        return value

    def count(self, name: str, value: str, default: int, maximum: int = 10**9) -> int:
        if value == "":
            return default
        if not value.isdigit() or int(value) > maximum:
            self.fail(name, "form.bad_count", maximum=f"{maximum:,}")
            return default
        return int(value)

    def password(self, name: str, value: str, again: str) -> str:
        if len(value) < MIN_PASSWORD:
            self.fail(name, "form.short_password", n=MIN_PASSWORD)
        elif value != again:
            self.fail(name, "form.passwords_differ")
        return value


def _words(text: str) -> tuple[str, ...]:
    return tuple(w for w in re.split(r"[\s,，;；]+", text) if w)


def new_account(t: Translator, get: Field) -> tuple[NewAccount | None, str, dict[str, str]]:
    """(account without its password hash, the password, errors): the caller hashes the
    password off the event loop."""
    check = Checked(t)
    name = get("name")
    if not NAME_PATTERN.match(name):
        check.fail("name", "form.bad_name")
    password = check.password("password", get("password"), get("password2"))
    account = NewAccount(
        name=name,
        password_hash="",
        balance=check.count("balance", get("balance"), 0, MAX_AMOUNT),
        service_code=check.digits("service_code", get("service_code")),
        short_name=get("short_name")[:64],
        report_url=check.url("report_url", get("report_url")),
        inbound_url=check.url("inbound_url", get("inbound_url")),
    )
    if check.errors:
        return None, "", check.errors
    return account, password, {}


def account_changes(
    t: Translator, get: Field, current: Account
) -> tuple[AccountChanges | None, dict[str, str]]:
    """The edit form: settings, URLs and limits (not the balance, state or password)."""
    check = Checked(t)
    try:
        networks = parse_networks(_words(get("allowed_networks")))
    except ValueError:
        check.fail("allowed_networks", "form.bad_networks")
        networks = current.allowed_networks
    extensions = _words(get("extensions"))
    if any(not e.isdigit() or len(e) > 12 for e in extensions):
        check.fail("extensions", "form.bad_extensions")
    base = current.limits
    limits = Limits(
        max_recipients=check.count("max_recipients", get("max_recipients"), base.max_recipients),
        long_max_chars=check.count("long_max_chars", get("long_max_chars"), base.long_max_chars),
        sends_per_second=check.count(
            "sends_per_second", get("sends_per_second"), base.sends_per_second
        ),
        max_body_bytes=base.max_body_bytes,
    )
    changes = AccountChanges(
        service_code=check.digits("service_code", get("service_code")),
        short_name=get("short_name")[:64],
        report_url=check.url("report_url", get("report_url")) or "",
        inbound_url=check.url("inbound_url", get("inbound_url")) or "",
        allowed_networks=networks,
        registered_extensions=extensions,
        limits=limits,
        allow_long=get("allow_long") == "on",
    )
    return (None, check.errors) if check.errors else (changes, {})


def top_up(t: Translator, get: Field) -> tuple[int, str, dict[str, str]]:
    """(amount, note, errors): a non-zero whole number of segments (negative takes back) and a
    note, which the ledger and the audit log keep."""
    check = Checked(t)
    text = get("amount").replace(",", "")
    amount = int(text) if re.fullmatch(r"-?\d{1,12}", text) else 0
    if amount == 0 or abs(amount) > MAX_AMOUNT:
        check.fail("amount", "form.bad_amount", maximum=f"{MAX_AMOUNT:,}")
    note = get("note")[:200]
    if not note:
        check.fail("note", "form.note_required")
    return amount, note, check.errors
