"""The one storage interface: domain verbs, implemented by SQLite and PostgreSQL.

Every verb is a coroutine and one transaction. Hot verbs take and return batches, so callers
never pay a database round trip per message. Times are aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from hongyan.core.accounts import Account, Limits
from hongyan.core.inbound import InboundMessage, NewInbound
from hongyan.core.messages import (
    ClaimedMessage,
    Message,
    MessageState,
    NewMessage,
    SubmitFinal,
    SubmitRetry,
    SubmitSuccess,
)
from hongyan.core.pushes import PushJob
from hongyan.core.receipts import ReceiptRecord


@dataclass(frozen=True)
class NewAccount:
    name: str
    password_hash: str
    balance: int = 0
    service_code: str = ""
    short_name: str = ""
    allowed_networks: tuple[str, ...] = ()
    report_url: str | None = None
    inbound_url: str | None = None
    limits: Limits = field(default_factory=Limits)
    registered_extensions: tuple[str, ...] = ()
    allow_long: bool = True


@dataclass(frozen=True)
class AccountChanges:
    """Fields to change; ``None`` leaves a field as it is ("" clears an optional URL)."""

    password_hash: str | None = None
    service_code: str | None = None
    short_name: str | None = None
    allowed_networks: tuple[str, ...] | None = None
    report_url: str | None = None
    inbound_url: str | None = None
    limits: Limits | None = None
    registered_extensions: tuple[str, ...] | None = None
    allow_long: bool | None = None
    active: bool | None = None
    push_secret_version: int | None = None


@dataclass(frozen=True)
class StatusReport:
    """A final message state as a partner pulls it (readreport, REST)."""

    message_id: int
    account_id: int
    recipient: str
    state: MessageState
    stat: str
    error_code: str
    done_at: datetime
    client_ref: str | None


@dataclass(frozen=True)
class ReceiptResult:
    matched: int  # receipts applied to a known segment
    pending: int  # kept for later (carrier id not known yet)
    finished: tuple[int, ...]  # message ids that reached a final state


@dataclass(frozen=True)
class MessageQuery:
    account_id: int | None = None
    recipient: str | None = None
    state: MessageState | None = None
    client_ref: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None  # cursor: only ids below this
    limit: int = 50


class Store(Protocol):
    # lifecycle
    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def upgrade(self) -> list[str]: ...  # applies pending migrations, returns their names

    # accounts
    async def create_account(self, account: NewAccount) -> Account: ...  # Conflict if name taken
    async def get_account(self, name: str) -> Account | None: ...
    async def get_account_by_id(self, account_id: int) -> Account | None: ...
    async def list_accounts(self) -> list[Account]: ...
    async def update_account(self, name: str, changes: AccountChanges) -> Account: ...  # NotFound
    async def adjust_balance(self, name: str, delta: int, note: str) -> Account: ...  # ledger row
    async def service_codes(self) -> dict[str, int]: ...  # service code → account id

    # blacklist and banned words (account_id None = global)
    async def add_blacklist(self, numbers: Sequence[str], account_id: int | None) -> int: ...
    async def remove_blacklist(self, numbers: Sequence[str], account_id: int | None) -> int: ...
    async def list_blacklist(self, account_id: int | None) -> list[tuple[str, int | None]]: ...
    async def blacklisted(self, account_id: int, numbers: Sequence[str]) -> set[str]: ...
    async def add_banned_words(self, words: Sequence[str]) -> int: ...
    async def remove_banned_words(self, words: Sequence[str]) -> int: ...
    async def list_banned_words(self) -> list[str]: ...

    # admission: insert all messages and charge their total price in one transaction;
    # InsufficientBalance (nothing written) when the balance cannot cover it. Returns ids in order.
    async def admit(self, account_id: int, messages: Sequence[NewMessage]) -> list[int]: ...

    # dispatch
    async def claim_due(
        self, now: datetime, limit: int, lease_seconds: float, owner: str
    ) -> list[ClaimedMessage]: ...
    async def record_submits(
        self,
        now: datetime,
        successes: Sequence[SubmitSuccess] = (),
        retries: Sequence[SubmitRetry] = (),
        finals: Sequence[SubmitFinal] = (),
    ) -> list[int]: ...  # ids whose change the lifecycle refused (already final, not in flight)
    async def expire_due(self, now: datetime, limit: int) -> int: ...  # queued past expires_at
    async def cancel(self, account_id: int, message_id: int, now: datetime) -> bool: ...

    # receipts and inbound
    async def record_receipts(
        self, receipts: Sequence[ReceiptRecord], now: datetime
    ) -> ReceiptResult: ...
    async def purge_pending_receipts(
        self, before: datetime
    ) -> int: ...  # unmatched, received before
    async def record_inbound(
        self, messages: Sequence[NewInbound], now: datetime
    ) -> list[InboundMessage]: ...  # assigns owners, applies unsubscribe, queues pushes

    # reads for partners
    async def get_message(
        self, message_id: int, account_id: int | None = None
    ) -> Message | None: ...
    async def find_messages(self, query: MessageQuery) -> list[Message]: ...
    async def next_inbound(self, account_id: int) -> InboundMessage | None: ...  # marks it read
    async def unread_inbound(self, account_id: int, limit: int) -> list[InboundMessage]: ...
    async def unread_reports(self, account_id: int, limit: int) -> list[StatusReport]: ...
    async def message_counts(self) -> dict[int, dict[MessageState, int]]: ...  # account → counts

    # notifier outbox
    async def claim_pushes(
        self, now: datetime, limit: int, lease_seconds: float
    ) -> list[PushJob]: ...
    async def finish_pushes(
        self,
        now: datetime,
        delivered: Sequence[int] = (),
        retry: Sequence[
            tuple[int, datetime | None, str]
        ] = (),  # (id, next time or None=give up, error)
    ) -> None: ...
