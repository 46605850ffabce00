"""The message lifecycle: one transition table, and the records a message is stored and moved as.

Rules the table keeps:

* A message is created ``queued`` (admission's ``accepted`` is committed as ``queued`` with a due
  time; a refused recipient is ``rejected`` and never stored as a message).
* Only the dispatcher's claim moves ``queued → submitting``; a claim that times out or meets a
  temporary error goes back to ``queued`` with a later due time.
* ``submitted`` means every segment has a carrier id; receipts then finish it.
* Final states never change again: ``delivered``, ``undeliverable``, ``expired``, ``rejected``,
  ``failed``, ``cancelled``. ``failed``, ``expired`` before submission and ``cancelled`` refund.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class MessageState(Enum):
    ACCEPTED = "accepted"
    QUEUED = "queued"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    DELIVERED = "delivered"
    UNDELIVERABLE = "undeliverable"
    EXPIRED = "expired"
    REJECTED = "rejected"
    FAILED = "failed"
    CANCELLED = "cancelled"


S = MessageState

TRANSITIONS: dict[MessageState, frozenset[MessageState]] = {
    S.ACCEPTED: frozenset({S.QUEUED, S.REJECTED}),
    S.QUEUED: frozenset({S.SUBMITTING, S.EXPIRED, S.CANCELLED}),
    S.SUBMITTING: frozenset({S.SUBMITTED, S.QUEUED, S.FAILED, S.EXPIRED}),
    S.SUBMITTED: frozenset({S.DELIVERED, S.UNDELIVERABLE, S.EXPIRED}),
    S.DELIVERED: frozenset(),
    S.UNDELIVERABLE: frozenset(),
    S.EXPIRED: frozenset(),
    S.REJECTED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
}

FINAL_STATES = frozenset(state for state, targets in TRANSITIONS.items() if not targets)


class InvalidTransition(ValueError):
    def __init__(self, current: MessageState, target: MessageState) -> None:
        super().__init__(f"a {current.value} message cannot become {target.value}")
        self.current = current
        self.target = target


def can_transition(current: MessageState, target: MessageState) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: MessageState, target: MessageState) -> MessageState:
    """Return ``target`` when the table allows ``current → target``; raise otherwise."""
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(current, target)
    return target


def refunds(current: MessageState, target: MessageState) -> bool:
    """Whether ``current → target`` gives the charge back: the message never reached a carrier."""
    return target in (S.FAILED, S.CANCELLED) or (target is S.EXPIRED and current is not S.SUBMITTED)


@dataclass(frozen=True)
class NewMessage:
    """One accepted recipient, as admission hands it to the store."""

    account_id: int
    recipient: str  # canonical E.164 digits
    recipient_input: str  # exactly as the client wrote it
    source_addr: str  # service code + extension, or the HI8D sender
    text: str
    segments: int
    price: int
    due_at: datetime  # aware, UTC
    expires_at: datetime  # aware, UTC
    client_ref: str | None = None
    dialect: str = "rest"


@dataclass(frozen=True)
class Message:
    id: int
    account_id: int
    state: MessageState
    recipient: str
    recipient_input: str
    source_addr: str
    text: str
    segments: int
    price: int
    due_at: datetime
    expires_at: datetime
    created_at: datetime
    client_ref: str | None
    dialect: str
    attempts: int
    channel: str | None
    stat: str | None  # final receipt stat (DELIVRD, UNDELIV, …) or our own reason
    error_code: str | None
    done_at: datetime | None


@dataclass(frozen=True)
class ClaimedMessage:
    """What the dispatcher needs to send one message it has claimed."""

    id: int
    account_id: int
    recipient: str
    source_addr: str
    text: str
    segments: int
    attempts: int  # attempts before this one
    expires_at: datetime
    registered_delivery: bool = True


@dataclass(frozen=True)
class SubmitSuccess:
    message_id: int
    channel: str
    carrier_ids: tuple[str, ...]  # one per segment, in segment order


@dataclass(frozen=True)
class SubmitRetry:
    message_id: int
    retry_at: datetime
    error: str


@dataclass(frozen=True)
class SubmitFinal:
    """The dispatcher gives up: ``FAILED`` (refused / no channel) or ``EXPIRED`` (validity)."""

    message_id: int
    state: MessageState
    error_code: str
