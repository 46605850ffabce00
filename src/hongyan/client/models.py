"""Typed results of the hongyan REST API v1, read from its JSON (see /api/v1/openapi.json).

Plain frozen dataclasses built by ``from_json`` functions; unknown fields a newer server adds
are ignored, so an old client keeps working.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Json = Mapping[str, Any]


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _required_time(value: Any) -> datetime:
    moment = _time(value)
    if moment is None:
        raise ValueError("a required time is missing")
    return moment


@dataclass(frozen=True)
class Refusal:
    code: str  # stable identifier, e.g. "invalid_number", "blacklisted"
    detail: str


@dataclass(frozen=True)
class RecipientResult:
    to: str  # as given
    number: str | None  # E.164 digits when it parsed
    id: int | None  # message id when queued
    state: str  # "queued" | "refused"
    segments: int | None
    refusal: Refusal | None

    @classmethod
    def from_json(cls, data: Json) -> RecipientResult:
        refusal = data.get("refusal")
        return cls(
            to=data["to"],
            number=data.get("number"),
            id=data.get("id"),
            state=data["state"],
            segments=data.get("segments"),
            refusal=Refusal(refusal["code"], refusal["detail"]) if refusal else None,
        )


@dataclass(frozen=True)
class SendResult:
    messages: tuple[RecipientResult, ...]
    accepted: int
    refused: int
    price: int
    replayed: bool = False  # the answer to an earlier request with the same Idempotency-Key

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(m.id for m in self.messages if m.id is not None)

    @classmethod
    def from_json(cls, data: Json, replayed: bool = False) -> SendResult:
        return cls(
            messages=tuple(RecipientResult.from_json(m) for m in data["messages"]),
            accepted=data["accepted"],
            refused=data["refused"],
            price=data["price"],
            replayed=replayed,
        )


@dataclass(frozen=True)
class Message:
    id: int
    to: str
    to_input: str
    sender: str  # "from" in JSON
    text: str
    state: str
    segments: int
    price: int
    client_ref: str | None
    created_at: datetime
    send_at: datetime
    expires_at: datetime
    done_at: datetime | None
    stat: str | None
    error_code: str | None
    attempts: int

    @classmethod
    def from_json(cls, data: Json) -> Message:
        return cls(**_message_fields(data))


def _message_fields(data: Json) -> dict[str, Any]:
    return {
        "id": data["id"],
        "to": data["to"],
        "to_input": data["to_input"],
        "sender": data["from"],
        "text": data["text"],
        "state": data["state"],
        "segments": data["segments"],
        "price": data["price"],
        "client_ref": data.get("client_ref"),
        "created_at": _required_time(data["created_at"]),
        "send_at": _required_time(data["send_at"]),
        "expires_at": _required_time(data["expires_at"]),
        "done_at": _time(data.get("done_at")),
        "stat": data.get("stat"),
        "error_code": data.get("error_code"),
        "attempts": data["attempts"],
    }


@dataclass(frozen=True)
class Receipt:
    segment: int
    carrier_id: str
    outcome: str | None
    stat: str | None
    error_code: str | None
    done_at: datetime | None

    @classmethod
    def from_json(cls, data: Json) -> Receipt:
        return cls(
            segment=data["segment"],
            carrier_id=data["carrier_id"],
            outcome=data.get("outcome"),
            stat=data.get("stat"),
            error_code=data.get("error_code"),
            done_at=_time(data.get("done_at")),
        )


@dataclass(frozen=True)
class Push:
    id: int
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    done_at: datetime | None

    @classmethod
    def from_json(cls, data: Json) -> Push:
        return cls(
            id=data["id"],
            state=data["state"],
            attempts=data["attempts"],
            last_error=data.get("last_error"),
            created_at=_required_time(data["created_at"]),
            next_attempt_at=_time(data.get("next_attempt_at")),
            done_at=_time(data.get("done_at")),
        )


@dataclass(frozen=True)
class MessageDetail(Message):
    receipts: tuple[Receipt, ...] = ()
    pushes: tuple[Push, ...] = ()

    @classmethod
    def from_json(cls, data: Json) -> MessageDetail:
        return cls(
            **_message_fields(data),
            receipts=tuple(Receipt.from_json(r) for r in data.get("receipts", ())),
            pushes=tuple(Push.from_json(p) for p in data.get("pushes", ())),
        )


@dataclass(frozen=True)
class Inbound:
    id: int
    sender: str  # "from"
    to: str
    extension: str
    text: str
    received_at: datetime

    @classmethod
    def from_json(cls, data: Json) -> Inbound:
        return cls(
            id=data["id"],
            sender=data["from"],
            to=data["to"],
            extension=data["extension"],
            text=data["text"],
            received_at=_required_time(data["received_at"]),
        )


@dataclass(frozen=True)
class Page(Generic[T]):
    data: tuple[T, ...]
    next_cursor: str | None  # pass as ``cursor`` for the next (older) page

    @classmethod
    def from_json(cls, data: Json, item: Callable[[Json], T]) -> Page[T]:
        return cls(tuple(item(d) for d in data["data"]), data.get("next_cursor"))


@dataclass(frozen=True)
class Balance:
    account: str
    balance: int  # segments


@dataclass(frozen=True)
class Webhooks:
    report_url: str | None
    inbound_url: str | None


@dataclass(frozen=True)
class TestPushResult:
    url: str
    status: int | None  # the URL's HTTP status, None when it could not be reached
    body: str
    error: str | None
    elapsed_ms: float
