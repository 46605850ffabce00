"""Row shapes both backends share: stored values ↔ domain records, and pure lifecycle decisions.

A row is anything indexable by column name (``sqlite3.Row``, ``asyncpg.Record``). Times arrive
as ISO text from SQLite and as aware datetimes from PostgreSQL; ``utc`` reads both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from hongyan.core.accounts import Account, Limits
from hongyan.core.inbound import InboundMessage
from hongyan.core.messages import ClaimedMessage, Message, MessageState
from hongyan.core.pushes import PushJob, PushKind
from hongyan.core.receipts import OUTCOME_STATES, SegmentOutcome, message_outcome
from hongyan.store.base import AccountChanges, MessageQuery, NewAccount, StatusReport

S = MessageState

# Our own stat for final states no carrier receipt decided.
OWN_STATS: dict[MessageState, str] = {
    S.FAILED: "FAILED",
    S.EXPIRED: "EXPIRED",
    S.CANCELLED: "CANCELLED",
}


class Row(Protocol):
    def __getitem__(self, key: str, /) -> Any: ...


def utc(value: object) -> datetime:
    """An aware UTC datetime from a stored time (ISO text or datetime)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value)
    else:
        raise TypeError(f"not a stored time: {value!r}")
    if moment.tzinfo is UTC:  # how every time is stored (and read back): nothing to convert
        return moment
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def utc_or_none(value: object) -> datetime | None:
    return None if value is None else utc(value)


def iso(moment: datetime) -> str:
    """SQLite's stored form of a time: fixed-width UTC ISO text, so text order is time order."""
    if moment.tzinfo is not UTC:
        if moment.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass aware UTC times")
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")


def limits_json(limits: Limits) -> str:
    return json.dumps(asdict(limits), sort_keys=True)


def limits_from_json(text: str) -> Limits:
    known = Limits.__dataclass_fields__
    return Limits(**{k: v for k, v in json.loads(text or "{}").items() if k in known})


def list_json(values: Iterable[str]) -> str:
    return json.dumps(list(values))


def tuple_from_json(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text or "[]"))


def empty_is_none(url: str | None) -> str | None:
    return url or None


def new_account_values(account: NewAccount) -> dict[str, object]:
    """Column → value for an insert (JSON as text, URLs "" as NULL)."""
    return {
        "name": account.name,
        "password_hash": account.password_hash,
        "balance": account.balance,
        "service_code": account.service_code,
        "short_name": account.short_name,
        "allowed_networks": list_json(account.allowed_networks),
        "report_url": empty_is_none(account.report_url),
        "inbound_url": empty_is_none(account.inbound_url),
        "limits": limits_json(account.limits),
        "registered_extensions": list_json(account.registered_extensions),
        "allow_long": account.allow_long,
    }


def account_changes(changes: AccountChanges) -> dict[str, object]:
    """Column → new value for the fields ``changes`` sets."""
    out: dict[str, object] = {}
    for name in ("password_hash", "service_code", "short_name", "allow_long", "active"):
        value = getattr(changes, name)
        if value is not None:
            out[name] = value
    if changes.push_secret_version is not None:
        out["push_secret_version"] = changes.push_secret_version
    for name in ("report_url", "inbound_url"):
        value = getattr(changes, name)
        if value is not None:
            out[name] = empty_is_none(value)
    for name in ("allowed_networks", "registered_extensions"):
        value = getattr(changes, name)
        if value is not None:
            out[name] = list_json(value)
    if changes.limits is not None:
        out["limits"] = limits_json(changes.limits)
    return out


def account(row: Row) -> Account:
    return Account(
        id=row["id"],
        name=row["name"],
        password_hash=row["password_hash"],
        active=bool(row["active"]),
        balance=row["balance"],
        service_code=row["service_code"],
        short_name=row["short_name"],
        allowed_networks=tuple_from_json(row["allowed_networks"]),
        report_url=row["report_url"],
        inbound_url=row["inbound_url"],
        limits=limits_from_json(row["limits"]),
        registered_extensions=tuple_from_json(row["registered_extensions"]),
        allow_long=bool(row["allow_long"]),
        push_secret_version=row["push_secret_version"],
    )


def message(row: Row) -> Message:
    return Message(
        id=row["id"],
        account_id=row["account_id"],
        state=MessageState(row["state"]),
        recipient=row["recipient"],
        recipient_input=row["recipient_input"],
        source_addr=row["source_addr"],
        text=row["text"],
        segments=row["segments"],
        price=row["price"],
        due_at=utc(row["due_at"]),
        expires_at=utc(row["expires_at"]),
        created_at=utc(row["created_at"]),
        client_ref=row["client_ref"],
        dialect=row["dialect"],
        attempts=row["attempts"],
        channel=row["channel"],
        stat=row["stat"],
        error_code=row["error_code"],
        done_at=utc_or_none(row["done_at"]),
    )


def claimed(row: Row) -> ClaimedMessage:
    return ClaimedMessage(
        id=row["id"],
        account_id=row["account_id"],
        recipient=row["recipient"],
        source_addr=row["source_addr"],
        text=row["text"],
        segments=row["segments"],
        attempts=row["attempts"],
        expires_at=utc(row["expires_at"]),
    )


def inbound(row: Row) -> InboundMessage:
    return InboundMessage(
        id=row["id"],
        account_id=row["account_id"],
        channel=row["channel"],
        source=row["source"],
        destination=row["destination"],
        extension=row["extension"],
        text=row["text"],
        received_at=utc(row["received_at"]),
        read=bool(row["read"]),
    )


def status_report(row: Row) -> StatusReport:
    return StatusReport(
        message_id=row["id"],
        account_id=row["account_id"],
        recipient=row["recipient"],
        state=MessageState(row["state"]),
        stat=row["stat"] or "",
        error_code=row["error_code"] or "",
        done_at=utc(row["done_at"]),
        client_ref=row["client_ref"],
    )


def push_job(row: Row) -> PushJob:
    """An outbox row joined with its account (``url``) and its message or inbound message."""
    kind = PushKind(row["kind"])
    common: dict[str, Any] = {
        "id": row["id"],
        "kind": kind,
        "account_id": row["account_id"],
        "url": row["url"],
        "ref_id": row["ref_id"],
        "attempts": row["attempts"],
        "created_at": utc(row["created_at"]),
        "push_secret_version": row["push_secret_version"],
    }
    if kind is PushKind.REPORT:
        return PushJob(
            **common,
            recipient=row["recipient"] or "",
            state=row["state"] or "",
            stat=row["stat"] or "",
            error_code=row["error_code"] or "",
            done_at=utc_or_none(row["done_at"]),
            client_ref=row["client_ref"],
        )
    return PushJob(
        **common,
        source=row["source"] or "",
        destination=row["destination"] or "",
        text=row["text"] or "",
    )


@dataclass(frozen=True)
class Finish:
    """A message reaching a final state: what to write on it."""

    message_id: int
    state: MessageState
    stat: str
    error_code: str
    done_at: datetime


def receipt_finish(message_id: int, segments: Sequence[Row]) -> Finish | None:
    """The final state a message's segment rows decide, or ``None`` while undecided.

    The deciding segment gives stat/error/time: the first failed one, else the last delivered.
    """
    outcomes = [SegmentOutcome(s["outcome"]) if s["outcome"] else None for s in segments]
    state = message_outcome(outcomes)
    if state is None:
        return None
    deciding = [
        s
        for s, o in zip(segments, outcomes, strict=True)
        if o is not None and OUTCOME_STATES[o] is state
    ]
    if state is S.DELIVERED:
        decider = max(deciding, key=lambda s: utc(s["done_at"]))
    else:
        decider = deciding[0]
    return Finish(
        message_id, state, decider["stat"], decider["error_code"], utc(decider["done_at"])
    )


def refund_totals(rows: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Account id → total price from (account id, price) pairs."""
    totals: dict[int, int] = {}
    for account_id, price in rows:
        totals[account_id] = totals.get(account_id, 0) + price
    return totals


def pick_segment(
    candidates: tuple[str, ...], channel: str, known: Mapping[tuple[str, str], Row]
) -> Row | None:
    """The segment a receipt belongs to: the first candidate reading of its id that is known."""
    for candidate in candidates:
        row = known.get((channel, candidate))
        if row is not None:
            return row
    return None


# What a push needs, read from an outbox row ``o`` joined (``PUSH_JOINS``) with its account
# ``a`` and the message ``m`` or inbound message ``i`` it is about: (name, expression) pairs,
# as ``push_job`` reads them; url is the account's current one. Each store's claim selects them.
PUSH_COLUMNS: tuple[tuple[str, str], ...] = (
    *(("id", "o.id"), ("kind", "o.kind"), ("account_id", "o.account_id")),
    *(("ref_id", "o.ref_id"), ("attempts", "o.attempts"), ("created_at", "o.created_at")),
    ("next_attempt_at", "o.next_attempt_at"),
    ("url", "CASE o.kind WHEN 'report' THEN a.report_url ELSE a.inbound_url END"),
    ("push_secret_version", "a.push_secret_version"),
    *(("recipient", "m.recipient"), ("state", "m.state"), ("stat", "m.stat")),
    *(("error_code", "m.error_code"), ("done_at", "m.done_at"), ("client_ref", "m.client_ref")),
    *(("source", "i.source"), ("destination", "i.destination"), ("text", "i.text")),
)
PUSH_JOINS = (
    " JOIN accounts a ON a.id = o.account_id"
    " LEFT JOIN messages m ON o.kind = 'report' AND m.id = o.ref_id"
    " LEFT JOIN inbound i ON o.kind = 'inbound' AND i.id = o.ref_id"
)


def message_filter(query: MessageQuery, *, iso: bool = True) -> tuple[str, list[Any]]:
    """The WHERE clause (``?`` marks) and parameters for ``query``; times as text if ``iso``."""
    since = query.since and (_iso(query.since) if iso else query.since)
    until = query.until and (_iso(query.until) if iso else query.until)
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("account_id = ?", query.account_id),
        ("recipient = ?", query.recipient),
        ("state = ?", query.state.value if query.state else None),
        ("client_ref = ?", query.client_ref),
        ("created_at >= ?", since),
        ("created_at < ?", until),
        ("id < ?", query.before_id),
    ):
        if value is not None:
            clauses.append(column)
            params.append(value)
    return " AND ".join(clauses) or "1 = 1", params


_iso = iso
