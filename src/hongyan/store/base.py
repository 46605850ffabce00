"""The one storage interface: domain verbs, implemented by SQLite and PostgreSQL.

Every verb is a coroutine and one transaction. Hot verbs take and return batches, so callers
never pay a database round trip per message. Times are aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
from hongyan.core.operators import AuditAction, AuditEntry, NewAuditEntry, Operator
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


@dataclass(frozen=True)
class AuditQuery:
    operator: str | None = None  # exact name
    target: str | None = None  # any part of the target, e.g. "acme" finds "account:acme"
    before_id: int | None = None  # cursor: only ids below this
    limit: int = 50


@dataclass(frozen=True)
class OperatorChanges:
    """Fields to change; ``None`` leaves a field as it is."""

    password_hash: str | None = None
    active: bool | None = None


# REST API (issue 9): message detail, API keys, idempotency keys


@dataclass(frozen=True)
class SegmentDetail:
    seq: int
    channel: str
    carrier_id: str
    outcome: str | None  # core.receipts.SegmentOutcome value once a receipt decided it
    stat: str | None
    error_code: str | None
    done_at: datetime | None


@dataclass(frozen=True)
class PushDetail:
    id: int
    kind: str  # "report" (status reports of a message)
    state: str  # pending | delivered | abandoned
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None  # None once delivered or abandoned
    done_at: datetime | None


@dataclass(frozen=True)
class MessageDetail:
    message: Message
    segments: tuple[SegmentDetail, ...]  # by seq
    pushes: tuple[PushDetail, ...]  # by id


@dataclass(frozen=True)
class ApiKey:
    id: int
    account_id: int
    label: str
    prefix: str  # public part of the key (core.api_keys)
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None  # updated at most about once a minute


@dataclass(frozen=True)
class ApiKeyCredential:
    """A key with its stored digest, for authentication only."""

    key: ApiKey
    key_hash: str


@dataclass(frozen=True)
class IdempotencyClaim:
    """The right to answer one Idempotency-Key; ``token`` proves who holds it."""

    account_id: int
    key: str
    token: str


@dataclass(frozen=True)
class StoredAnswer:
    status: int  # HTTP status
    body: str  # JSON text


@dataclass(frozen=True)
class IdempotencyRecord:
    """A key somebody else holds or held: its request's fingerprint and answer (if any yet)."""

    fingerprint: str
    answer: StoredAnswer | None  # None while the first request is running
    claimed_at: datetime


class ClaimLost(Exception):
    """The idempotency claim is no longer held (it went stale and was taken); nothing written."""


# channels (scale-out, issue 11): bind leases, pause, live bind state, cross-process wake-ups


@dataclass(frozen=True)
class BindState:
    """What the dispatcher holding a bind slot publishes about it at each lease renewal."""

    channel: str
    slot: int
    bound: bool = False
    window_in_use: int = 0  # submit_sm awaiting their resp
    submits: int = 0  # accepted by the carrier since this holder took the slot
    errors: int = 0
    throttles: int = 0
    sends_per_second: float = 0.0  # over the last renewal interval
    queue_depth: int = 0  # messages this holder claimed for the channel, not yet submitted
    last_error: str | None = None


@dataclass(frozen=True)
class ChannelState:
    """One bind slot's lease row and the state its holder last published (contract 4)."""

    channel: str
    slot: int
    owner: str | None  # None: released or never held
    lease_until: datetime | None
    bound: bool
    window_in_use: int
    submits: int
    errors: int
    throttles: int
    sends_per_second: float
    queue_depth: int
    last_error: str | None
    paused: bool
    updated_at: datetime | None


@dataclass(frozen=True)
class QueueStats:
    """Cheap figures about the queue for metrics (see ``queue_stats``)."""

    states: dict[MessageState, int]  # rows per state (PostgreSQL: planner estimate for finals)
    due: int  # queued and due now (or claims whose lease ran out)
    oldest_due_at: datetime | None  # due_at of the oldest of those
    push_backlog: int  # pending pushes
    push_retries: int  # pending pushes already tried at least once


# back office (issue 8): figures for the portal's and the console's overviews

_DELIVERED = frozenset({MessageState.DELIVERED})
_NOT_DELIVERED = frozenset(
    {
        MessageState.UNDELIVERABLE,
        MessageState.EXPIRED,
        MessageState.FAILED,
        MessageState.REJECTED,
        MessageState.CANCELLED,
    }
)


@dataclass(frozen=True)
class MessageTotals:
    """Messages created since a time, by state, and the segments they count."""

    counts: dict[MessageState, int]
    segments: int

    @property
    def sent(self) -> int:
        return sum(self.counts.values())

    @property
    def delivered(self) -> int:
        return sum(n for s, n in self.counts.items() if s in _DELIVERED)

    @property
    def failed(self) -> int:
        """Final without delivery: undeliverable, expired, failed, rejected, cancelled."""
        return sum(n for s, n in self.counts.items() if s in _NOT_DELIVERED)

    @property
    def pending(self) -> int:
        """Not final yet: queued, being submitted, or waiting for a receipt."""
        return self.sent - self.delivered - self.failed

    @property
    def delivery_rate(self) -> float | None:
        """Delivered among the messages that reached an outcome; None when none has."""
        finished = self.delivered + self.failed
        return self.delivered / finished if finished else None


@dataclass(frozen=True)
class SeriesBucket:
    """Messages created in ``[start, start + bucket)``, by state (buckets with none omitted)."""

    start: datetime
    totals: MessageTotals


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
    # ``owner``'s claims among ``message_ids`` (still being submitted) now last until
    # ``now + lease_seconds``; returns how many. A claim another dispatcher took is left alone.
    async def renew_claims(
        self, message_ids: Sequence[int], owner: str, now: datetime, lease_seconds: float
    ) -> int: ...
    async def record_submits(
        self,
        now: datetime,
        successes: Sequence[SubmitSuccess] = (),
        retries: Sequence[SubmitRetry] = (),
        finals: Sequence[SubmitFinal] = (),
    ) -> list[int]: ...  # ids whose change the lifecycle refused (already final, not in flight)
    async def expire_due(self, now: datetime, limit: int) -> int: ...  # queued past expires_at
    # submitted messages whose validity ended before ``before`` with no final receipt → expired
    async def expire_unreported(self, before: datetime, now: datetime, limit: int) -> int: ...
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

    # operators and the audit log (console). The *_audited verbs make an account change and
    # write its audit entry (only the fields that changed, before and after) in one transaction.
    async def create_operator(self, name: str, password_hash: str) -> Operator: ...  # Conflict
    async def get_operator(self, name: str) -> Operator | None: ...
    async def get_operator_by_id(self, operator_id: int) -> Operator | None: ...
    async def list_operators(self) -> list[Operator]: ...
    async def update_operator(
        self, name: str, changes: OperatorChanges
    ) -> Operator: ...  # NotFound
    async def record_audit(self, entry: NewAuditEntry) -> AuditEntry: ...
    async def find_audit(self, query: AuditQuery) -> list[AuditEntry]: ...  # newest first
    async def create_account_audited(self, account: NewAccount, audit: AuditAction) -> Account: ...
    async def update_account_audited(
        self, name: str, changes: AccountChanges, audit: AuditAction
    ) -> Account: ...
    async def adjust_balance_audited(
        self, name: str, delta: int, note: str, audit: AuditAction
    ) -> Account: ...
    # seconds from a message's first recorded submit_sm_resp to the recording of the receipt
    # that finished it, per channel, for messages finished since ``since`` among the newest
    # ``scan`` message ids (a bound on the work, not a sample of the result)
    async def receipt_latencies(self, since: datetime, scan: int) -> dict[str, list[float]]: ...

    # REST API (issue 9). Message detail: None when missing or another account's.
    async def get_message_detail(
        self, message_id: int, account_id: int | None = None
    ) -> MessageDetail | None: ...
    async def find_inbound(
        self, account_id: int, before_id: int | None, limit: int
    ) -> list[InboundMessage]: ...  # newest first, read or not; marks nothing
    # API keys: the digest only (core.api_keys); Conflict when the prefix exists.
    async def create_api_key(
        self, account_id: int, label: str, prefix: str, key_hash: str
    ) -> ApiKey: ...
    async def list_api_keys(self, account_id: int) -> list[ApiKey]: ...  # revoked ones too
    async def revoke_api_key(self, account_id: int, key_id: int) -> bool: ...  # False: not live
    async def find_api_key(self, prefix: str) -> ApiKeyCredential | None: ...
    async def touch_api_key(self, key_id: int, now: datetime) -> None: ...  # last_used_at
    # Idempotency keys. ``claim`` returns None when the caller now holds the key (it was free,
    # expired, or a claim with the same fingerprint older than ``stale`` and never answered —
    # which means its request admitted nothing); otherwise the record that holds it.
    async def claim_idempotency_key(
        self,
        claim: IdempotencyClaim,
        fingerprint: str,
        now: datetime,
        *,
        ttl: timedelta,
        stale: timedelta,
    ) -> IdempotencyRecord | None: ...
    # admit (as ``admit``) and store the answer built from the ids, in one transaction, only
    # while ``claim`` is held: ClaimLost (nothing written) otherwise.
    async def admit_idempotent(
        self,
        claim: IdempotencyClaim,
        messages: Sequence[NewMessage],
        answer: Callable[[list[int]], StoredAnswer],
    ) -> list[int]: ...
    async def finish_idempotency_key(
        self, claim: IdempotencyClaim, answer: StoredAnswer
    ) -> bool: ...  # False: the claim was lost
    async def release_idempotency_key(self, claim: IdempotencyClaim) -> None: ...
    async def get_idempotency_key(
        self, account_id: int, key: str, now: datetime
    ) -> IdempotencyRecord | None: ...  # None when absent or expired
    async def purge_idempotency_keys(self, now: datetime) -> int: ...  # expired ones

    # metrics (issue 11): called after each commit with (operations in the transaction,
    # seconds it took); may run on a store thread.
    on_commit: Callable[[int, float], None] | None
    # seconds each transaction waited for the write lock: SQLite's one writer across processes;
    # PostgreSQL locks rows, not the database, and leaves this unset.
    on_lock_wait: Callable[[float], None] | None

    # channels (scale-out, issue 11). Bind slot leases: ``acquire`` takes the listed slots that
    # are free, released, expired (lease_until <= now) or already ``owner``'s, in one race-free
    # statement, and returns the slots ``owner`` now holds; ``renew`` extends ``owner``'s slots
    # (writing their published state) and returns the (channel, slot) pairs still held.
    async def acquire_channel_slots(
        self, channel: str, slots: Sequence[int], owner: str, now: datetime, ttl_seconds: float
    ) -> list[int]: ...
    async def renew_channel_slots(
        self, owner: str, states: Sequence[BindState], now: datetime, ttl_seconds: float
    ) -> list[tuple[str, int]]: ...
    async def release_channel_slots(  # slots None: every slot of owner's
        self, owner: str, slots: Sequence[tuple[str, int]] | None = None
    ) -> int: ...
    async def set_channel_paused(self, channel: str, paused: bool) -> None: ...
    async def paused_channels(self) -> set[str]: ...
    async def channel_states(self) -> list[ChannelState]: ...  # every lease row, by channel, slot
    # ``claim_due`` limited to messages this dispatcher can send: ``routes`` are the routing
    # table's (prefix, claimable) in order; a message's first matching route decides; a
    # message no route matches is claimable (the dispatcher fails it: no route).
    async def claim_due_routed(
        self,
        now: datetime,
        limit: int,
        lease_seconds: float,
        owner: str,
        routes: Sequence[tuple[str, bool]],
    ) -> list[ClaimedMessage]: ...
    # claimed messages back to queued, due as before, no attempt used (owner's claims only)
    async def unclaim(self, message_ids: Sequence[int], owner: str) -> int: ...
    async def queue_stats(self, now: datetime) -> QueueStats: ...
    # Wake-ups between processes (PostgreSQL NOTIFY; SQLite: nothing, pollers poll). ``listen``
    # returns a function that stops listening.
    async def announce(self, topic: str) -> None: ...
    async def listen(
        self, topic: str, callback: Callable[[], None]
    ) -> Callable[[], Awaitable[None]]: ...

    # back office (issue 8). account_id None = every account. Buckets start at multiples of
    # ``bucket_seconds`` since the Unix epoch (UTC), oldest first.
    async def message_totals(self, account_id: int | None, since: datetime) -> MessageTotals: ...
    async def message_series(
        self, account_id: int | None, since: datetime, bucket_seconds: int
    ) -> list[SeriesBucket]: ...
