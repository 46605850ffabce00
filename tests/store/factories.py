"""Builders for store tests: accounts, messages, receipts at a fixed time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hongyan.core.messages import NewMessage
from hongyan.core.receipts import ReceiptRecord
from hongyan.store.base import NewAccount

NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def new_account(name: str = "acme", **overrides: object) -> NewAccount:
    fields: dict[str, object] = {"password_hash": "x", "balance": 100, "service_code": "1069"}
    fields.update(overrides)
    return NewAccount(name=name, **fields)  # type: ignore[arg-type]


def new_message(
    account_id: int,
    recipient: str = "8613800000001",
    *,
    segments: int = 1,
    due_at: datetime = NOW,
    expires_at: datetime | None = None,
    client_ref: str | None = None,
) -> NewMessage:
    return NewMessage(
        account_id=account_id,
        recipient=recipient,
        recipient_input=recipient,
        source_addr="1069001",
        text="hello",
        segments=segments,
        price=segments,
        due_at=due_at,
        expires_at=expires_at or due_at + timedelta(hours=24),
        client_ref=client_ref,
        dialect="qxt",
    )


def receipt(
    carrier_id: str, stat: str = "DELIVRD", channel: str = "cmcc", err: str = "000"
) -> ReceiptRecord:
    return ReceiptRecord(channel, carrier_id, stat, err, NOW + timedelta(minutes=1))
