"""``Idempotency-Key`` on POSTs: the first answer for a key is the answer for 24 hours.

Theory of operation. A request with a key first *claims* it in the store (one row per account
and key, unique), with a fingerprint of its method, path and JSON body and a random token.
Whoever holds the claim runs the operation; for a send, the answer is written in the same
transaction as the admitted messages (``Store.admit_idempotent``), so "messages committed" and
"answer remembered" are one fact. Everyone else gets, from the row:

* a different fingerprint → 422 ``idempotency-key-reused``;
* an answer → that answer again (same status and body, ``Idempotent-Replayed: true``);
* no answer yet → 409 ``idempotency-in-progress`` with ``Retry-After`` (the IETF draft's rule).

A process that dies while holding a claim leaves a row without an answer. Since a send's answer
is committed with its messages, such a row means nothing was admitted, so after ``STALE`` a
retry with the same body may take the claim over; the token makes sure the slow original (if it
was only slow) can no longer commit. 429 and 5xx answers are not remembered: the key is
released, and a retry with it runs again. Expired rows are purged about once an hour.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from hongyan.services.api.context import ApiContext
from hongyan.services.api.rest.problems import (
    FieldError,
    Problem,
    dumps,
    json_response,
    raw_json_response,
)
from hongyan.store.base import ClaimLost, IdempotencyClaim, IdempotencyRecord, StoredAnswer

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
STALE = timedelta(seconds=60)
PURGE_EVERY = 3600.0  # seconds
MAX_KEY = 255


@dataclass(frozen=True)
class Outcome:
    """An operation's answer. ``keep=False``: not remembered (429, 5xx) and the key released;
    ``stored=True``: already written under the key, atomically with the work."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)
    keep: bool = True
    stored: bool = False

    def response(self) -> Response:
        return json_response(self.status, self.body, headers=self.headers)


Operation = Callable[[IdempotencyClaim | None], Awaitable[Outcome]]


def header_key(request: Request) -> str | None:
    value = request.headers.get(HEADER)
    if value is None:
        return None
    if not 1 <= len(value) <= MAX_KEY or not all("!" <= c <= "~" for c in value):
        detail = f"{HEADER} must be 1 to {MAX_KEY} visible ASCII characters (a UUID is ideal)"
        raise Problem("invalid-parameter", detail, errors=[FieldError(detail, header=HEADER)])
    return value


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def answer_of(outcome: Outcome) -> StoredAnswer:
    return StoredAnswer(outcome.status, dumps(outcome.body).decode("utf-8"))


def replay(record: IdempotencyRecord | None, fingerprint: str) -> Response:
    if record is None:  # expired or released under our feet: the caller may simply retry
        raise Problem(
            "idempotency-in-progress",
            "the request with this key did not finish; retry",
            headers={"Retry-After": "1"},
        )
    if record.fingerprint != fingerprint:
        raise Problem(
            "idempotency-key-reused",
            f"this {HEADER} was used for a different request; use a new key for a new request",
            errors=[FieldError("used for a different request", header=HEADER)],
        )
    if record.answer is None:
        raise Problem(
            "idempotency-in-progress",
            f"a request with this {HEADER} is still running",
            headers={"Retry-After": "1"},
        )
    return raw_json_response(
        record.answer.status,
        record.answer.body.encode("utf-8"),
        headers={"Idempotent-Replayed": "true"},
    )


class Idempotency:
    """Runs POST operations at most once per key (one per app; it remembers when it purged)."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._next_purge = 0.0

    async def run(
        self,
        context: ApiContext,
        request: Request,
        account_id: int,
        body: Any,
        operation: Operation,
    ) -> Response:
        key = header_key(request)
        if key is None:
            return (await operation(None)).response()
        await self._purge(context)
        store = context.store
        mark = fingerprint(request.method, request.url.path, body)
        claim = IdempotencyClaim(account_id, key, secrets.token_urlsafe(16))
        found = await store.claim_idempotency_key(
            claim, mark, context.clock(), ttl=TTL, stale=STALE
        )
        if found is not None:
            return replay(found, mark)
        try:
            outcome = await operation(claim)
        except ClaimLost:
            return replay(await store.get_idempotency_key(account_id, key, context.clock()), mark)
        except BaseException:
            # Only an unanswered claim is released: work that committed keeps its answer.
            with contextlib.suppress(Exception):
                await asyncio.shield(store.release_idempotency_key(claim))
            raise
        if not outcome.keep:
            await store.release_idempotency_key(claim)
        elif not outcome.stored and not await store.finish_idempotency_key(
            claim, answer_of(outcome)
        ):
            return replay(await store.get_idempotency_key(account_id, key, context.clock()), mark)
        return outcome.response()

    async def _purge(self, context: ApiContext) -> None:
        now = self._monotonic()
        if now < self._next_purge:
            return
        self._next_purge = now + PURGE_EVERY
        await context.store.purge_idempotency_keys(context.clock())
