"""/api/v1/messages: send (through the one send path), list, read, cancel."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from hongyan.core.accounts import Account
from hongyan.core.admission import Admission, SendRequest
from hongyan.core.errors import Refusal
from hongyan.core.messages import MessageState
from hongyan.services.api.context import ApiContext
from hongyan.services.api.rest import inputs, render
from hongyan.services.api.rest.idempotency import Idempotency, Outcome
from hongyan.services.api.rest.problems import (
    FieldError,
    Problem,
    endpoint,
    field,
    json_response,
    parameter,
)
from hongyan.services.api.rest.security import authenticate
from hongyan.services.api.sending import SendOutcome
from hongyan.store.base import IdempotencyClaim, MessageQuery, StoredAnswer

SEND_FIELDS = frozenset({"to", "text", "sender_extension", "send_at", "client_ref", "validity"})
MAX_TO = 10_000
MAX_NUMBER = 32
MAX_TEXT = 5_000
MAX_CLIENT_REF = 64
VALIDITY_SECONDS = (60, 7 * 24 * 3600)
SCHEDULE_HORIZON = timedelta(days=366)
STATES = tuple(s.value for s in MessageState)
LIST_PARAMETERS = frozenset({"state", "client_ref", "since", "until", "limit", "cursor"})

# Whole-request refusals: which field they are about (None: the request as a whole).
REFUSAL_FIELD: dict[Refusal, str | None] = {
    Refusal.NO_RECIPIENTS: "#/to",
    Refusal.TOO_MANY_RECIPIENTS: "#/to",
    Refusal.EMPTY_CONTENT: "#/text",
    Refusal.CONTENT_TOO_LONG: "#/text",
    Refusal.BANNED_WORD: "#/text",
    Refusal.BAD_EXTENSION: "#/sender_extension",
    Refusal.EXTENSION_TOO_LONG: "#/sender_extension",
    Refusal.EXTENSION_NOT_REGISTERED: "#/sender_extension",
}


def _context(request: Request) -> tuple[ApiContext, Idempotency]:
    state = request.app.state
    return state.context, state.idempotency


def _recipients(body: Mapping[str, Any]) -> tuple[str, ...]:
    to = body.get("to")
    if not isinstance(to, list):
        raise field("#/to", "must be an array of phone numbers")
    if not 1 <= len(to) <= MAX_TO:
        raise field("#/to", f"must list 1 to {MAX_TO} numbers")
    numbers = []
    for index in range(len(to)):
        number = inputs.string(
            {"n": to[index]}, "n", max_length=MAX_NUMBER, min_length=1, pointer=f"#/to/{index}"
        )
        if number is None:
            raise field(f"#/to/{index}", "must be a string")
        numbers.append(number)
    return tuple(numbers)


def parse_send(body: Mapping[str, Any], now: datetime) -> SendRequest:
    """The send request a POST /messages body asks for; a 422 problem naming the bad field."""
    inputs.check_fields(body, SEND_FIELDS, frozenset({"to", "text"}))
    recipients = _recipients(body)
    text = inputs.string(body, "text", max_length=MAX_TEXT)
    if text is None:
        raise field("#/text", "must be a string")
    validity = inputs.integer(body, "validity", *VALIDITY_SECONDS)
    send_at = inputs.bounded_send_at(inputs.time_field(body, "send_at"), now, SCHEDULE_HORIZON)
    return SendRequest(
        recipients=recipients,
        text=text,
        extension=inputs.string(body, "sender_extension", max_length=20) or "",
        send_at=send_at,
        client_ref=inputs.string(body, "client_ref", max_length=MAX_CLIENT_REF),
        validity=None if validity is None else timedelta(seconds=validity),
        dialect="rest",
    )


def refusal_problem(outcome: SendOutcome, banned: tuple[str, ...] = ()) -> Problem:
    """Why nothing was sent, as a problem."""
    refusal = outcome.refusal
    if refusal is None:  # every recipient refused on its own
        errors = [
            FieldError(render.refusal_text(d.refusal), f"#/to/{i}", code=d.refusal.value)
            for i, d in enumerate(outcome.admission.decisions)
            if d.refusal is not None
        ]
        return Problem("no-recipient-accepted", "no recipient could be sent to", errors=errors)
    text = render.refusal_text(refusal)
    if refusal is Refusal.BANNED_WORD and outcome.admission.detail:
        text = f"the text contains the banned word {outcome.admission.detail!r}"
    if refusal is Refusal.RATE_LIMITED:
        return Problem("rate-limited", text, headers={"Retry-After": "1"})
    if refusal is Refusal.INSUFFICIENT_BALANCE:
        return Problem("insufficient-balance", text)
    if refusal is Refusal.ACCOUNT_STOPPED:
        return Problem("forbidden", text)
    error = FieldError(text, REFUSAL_FIELD.get(refusal), code=refusal.value)
    return Problem("refused", text, errors=[error])


def problem_outcome(problem: Problem) -> Outcome:
    keep = problem.status != 429 and problem.status < 500
    return Outcome(problem.status, problem.body(), problem.headers, keep=keep)


async def _send(
    context: ApiContext, account: Account, request: SendRequest, claim: IdempotencyClaim | None
) -> Outcome:
    async def commit(_: Account, admission: Admission) -> list[int]:
        assert claim is not None

        def answer(ids: list[int]) -> StoredAnswer:
            return StoredAnswer(201, render.dumps_send(admission, ids))

        return await context.store.admit_idempotent(claim, admission.messages, answer)

    outcome = await context.sender.send(account, request, commit=None if claim is None else commit)
    if outcome.ids:
        body = render.send_result(outcome.admission, list(outcome.ids))
        return Outcome(201, body, stored=claim is not None)
    return problem_outcome(refusal_problem(outcome))


@endpoint
async def send(request: Request) -> Response:
    context, idempotency = _context(request)
    account = await authenticate(request, context)
    inputs.check_query(request)
    limit = min(context.max_body_bytes, account.limits.max_body_bytes)
    body = await inputs.json_body(request, limit)
    send_request = parse_send(body, context.clock())
    operation = partial(_send, context, account, send_request)
    return await idempotency.run(context, request, account.id, body, operation)


def _state(request: Request) -> MessageState | None:
    value = request.query_params.get("state")
    if value is None:
        return None
    if value not in STATES:
        raise parameter("state", f"state must be one of {', '.join(STATES)}")
    return MessageState(value)


@endpoint
async def list_messages(request: Request) -> Response:
    context, _ = _context(request)
    account = await authenticate(request, context)
    inputs.check_query(request, LIST_PARAMETERS)
    limit = inputs.query_limit(request)
    query = MessageQuery(
        account_id=account.id,
        state=_state(request),
        client_ref=inputs.query_string(request, "client_ref", MAX_CLIENT_REF),
        since=inputs.query_time(request, "since"),
        until=inputs.query_time(request, "until"),
        before_id=inputs.query_cursor(request, "m"),
        limit=limit + 1,
    )
    found = await context.store.find_messages(query)
    shown = found[:limit]
    cursor = inputs.encode_cursor("m", shown[-1].id) if len(found) > limit else None
    return json_response(200, render.page([render.message(m) for m in shown], cursor))


def _not_found(message_id: object) -> Problem:
    return Problem("not-found", f"no message {message_id} in this account")


@endpoint
async def get_message(request: Request) -> Response:
    context, _ = _context(request)
    account = await authenticate(request, context)
    inputs.check_query(request)
    message_id = inputs.path_id(request)
    detail = None
    if message_id is not None:
        detail = await context.store.get_message_detail(message_id, account.id)
    if detail is None:
        raise _not_found(request.path_params.get("id"))
    return json_response(200, render.detail(detail))


async def _cancel(
    context: ApiContext, account: Account, message_id: int, claim: IdempotencyClaim | None
) -> Outcome:
    store = context.store
    cancelled = await store.cancel(account.id, message_id, context.clock())
    message = await store.get_message(message_id, account.id)
    if message is None:
        return problem_outcome(_not_found(message_id))
    if not cancelled:
        detail = f"a {message.state.value} message cannot be cancelled (only queued ones can)"
        return problem_outcome(Problem("conflict", detail))
    return Outcome(200, render.message(message))


@endpoint
async def cancel(request: Request) -> Response:
    context, idempotency = _context(request)
    account = await authenticate(request, context)
    inputs.check_query(request)
    message_id = inputs.path_id(request)
    if message_id is None:
        raise _not_found(request.path_params.get("id"))
    operation = partial(_cancel, context, account, message_id)
    return await idempotency.run(context, request, account.id, None, operation)
