"""The JSON shapes /api/v1 answers with (the OpenAPI schemas in ``openapi_schemas`` match them).

Channel names and carrier routing stay internal; a partner sees its message, the receipt of
each segment and the pushes made to it.
"""

from __future__ import annotations

from typing import Any

from hongyan.core.admission import Admission
from hongyan.core.errors import Refusal
from hongyan.core.inbound import InboundMessage
from hongyan.core.messages import Message
from hongyan.services.api.rest.inputs import format_time
from hongyan.services.api.rest.problems import dumps
from hongyan.store.base import MessageDetail, PushDetail, SegmentDetail

# What each refusal means, for ``detail`` texts (the code itself is Refusal.value).
REFUSAL_TEXT: dict[Refusal, str] = {
    Refusal.INVALID_NUMBER: "not a valid international number (country code first)",
    Refusal.BLACKLISTED: "the number is blacklisted",
    Refusal.EMPTY_CONTENT: "the text is empty",
    Refusal.CONTENT_TOO_LONG: "the text is longer than the account allows",
    Refusal.BANNED_WORD: "the text contains a banned word",
    Refusal.NO_RECIPIENTS: "no recipients",
    Refusal.TOO_MANY_RECIPIENTS: "more recipients than the account allows in one request",
    Refusal.BAD_EXTENSION: "the sender extension must be digits",
    Refusal.EXTENSION_TOO_LONG: "service code and extension are longer than 20 digits",
    Refusal.EXTENSION_NOT_REGISTERED: "the extension is not registered for the account",
    Refusal.INSUFFICIENT_BALANCE: "the balance cannot pay for every accepted recipient",
    Refusal.ACCOUNT_STOPPED: "the account is stopped",
    Refusal.RATE_LIMITED: "over the account's send rate",
}


def refusal_text(refusal: Refusal) -> str:
    return REFUSAL_TEXT.get(refusal, refusal.value.replace("_", " "))


def message(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "to": m.recipient,
        "to_input": m.recipient_input,
        "from": m.source_addr,
        "text": m.text,
        "state": m.state.value,
        "segments": m.segments,
        "price": m.price,
        "client_ref": m.client_ref,
        "created_at": format_time(m.created_at),
        "send_at": format_time(m.due_at),
        "expires_at": format_time(m.expires_at),
        "done_at": format_time(m.done_at),
        "stat": m.stat,
        "error_code": m.error_code,
        "attempts": m.attempts,
    }


def receipt(s: SegmentDetail) -> dict[str, Any]:
    return {
        "segment": s.seq + 1,
        "carrier_id": s.carrier_id,
        "outcome": s.outcome,
        "stat": s.stat,
        "error_code": s.error_code,
        "done_at": format_time(s.done_at),
    }


def push(p: PushDetail) -> dict[str, Any]:
    return {
        "id": p.id,
        "state": p.state,
        "attempts": p.attempts,
        "last_error": p.last_error,
        "created_at": format_time(p.created_at),
        "next_attempt_at": format_time(p.next_attempt_at),
        "done_at": format_time(p.done_at),
    }


def detail(d: MessageDetail) -> dict[str, Any]:
    return {
        **message(d.message),
        "receipts": [receipt(s) for s in d.segments],
        "pushes": [push(p) for p in d.pushes],
    }


def inbound(m: InboundMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "from": m.source,
        "to": m.destination,
        "extension": m.extension,
        "text": m.text,
        "received_at": format_time(m.received_at),
    }


def page(items: list[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
    return {"data": items, "next_cursor": next_cursor}


def send_result(admission: Admission, ids: list[int]) -> dict[str, Any]:
    """The per-recipient answer to an accepted send, in the order the recipients were given."""
    pending = iter(zip(ids, admission.messages, strict=True))
    recipients: list[dict[str, Any]] = []
    for decision in admission.decisions:
        entry: dict[str, Any] = {"to": decision.input, "number": decision.recipient}
        if decision.refusal is None:
            message_id, new = next(pending)
            entry.update(id=message_id, state="queued", segments=new.segments, refusal=None)
        else:
            refusal = {"code": decision.refusal.value, "detail": refusal_text(decision.refusal)}
            entry.update(id=None, state="refused", segments=None, refusal=refusal)
        recipients.append(entry)
    return {
        "messages": recipients,
        "accepted": len(ids),
        "refused": len(admission.refused),
        "price": admission.price,
    }


def dumps_send(admission: Admission, ids: list[int]) -> str:
    """``send_result`` as the JSON text an Idempotency-Key remembers (bytes equal the answer)."""
    return dumps(send_result(admission, ids)).decode("utf-8")
