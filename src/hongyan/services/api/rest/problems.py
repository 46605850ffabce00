"""RFC 9457 problem details: every /api/v1 error in one shape, ``application/problem+json``.

A problem's ``type`` is a link to its entry in the API docs page (``/api/v1/docs#problem-…``);
``title`` is fixed per type, ``detail`` says what happened this time, and ``errors`` lists what
is wrong with each field (a JSON pointer into the body, or the name of a query parameter or
header). Handlers raise ``Problem``; ``endpoint`` turns it into the response.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "/api/v1/docs#problem-"

# slug → (HTTP status, title, when it happens): the docs and the OpenAPI text come from here.
TYPES: dict[str, tuple[int, str, str]] = {
    "malformed-request": (400, "Malformed request", "The body is not a JSON object in UTF-8."),
    "invalid-parameter": (
        400,
        "Invalid parameter",
        "A query parameter, path parameter or header has a wrong value (`errors` names it).",
    ),
    "unauthorized": (
        401,
        "Unauthorized",
        "No API key, or one that is malformed, unknown or revoked.",
    ),
    "insufficient-balance": (402, "Insufficient balance", "The balance cannot pay for the send."),
    "forbidden": (
        403,
        "Forbidden",
        "The account is stopped, or the client's address is not in its allow-list.",
    ),
    "not-found": (404, "Not found", "No such resource for this account."),
    "method-not-allowed": (405, "Method not allowed", "The path does not take this method."),
    "conflict": (409, "Conflict", "The resource is not in a state that allows this."),
    "idempotency-in-progress": (
        409,
        "Request with this Idempotency-Key in progress",
        "The first request with this key has not finished yet; retry after `Retry-After`.",
    ),
    "body-too-large": (413, "Body too large", "The body is larger than the account allows."),
    "unsupported-media-type": (
        415,
        "Unsupported media type",
        "Request bodies must be sent as `Content-Type: application/json`.",
    ),
    "invalid-request": (
        422,
        "Invalid request",
        "The body is JSON but some fields are missing, of the wrong type or out of range.",
    ),
    "refused": (
        422,
        "Refused",
        "The send was refused as a whole (content, extension, recipients…); `errors` says why.",
    ),
    "no-recipient-accepted": (
        422,
        "No recipient accepted",
        "Every recipient was refused (invalid or blacklisted number); `errors` lists them.",
    ),
    "idempotency-key-reused": (
        422,
        "Idempotency-Key reused",
        "This key was used in the last 24 hours for a request with a different body or path.",
    ),
    "rate-limited": (
        429,
        "Too many requests",
        "Over the account's send rate, or too many failed authentications from this address;"
        " retry after `Retry-After` seconds.",
    ),
    "internal": (500, "Internal error", "A fault on our side; the request may be retried."),
}


@dataclass(frozen=True)
class FieldError:
    detail: str
    pointer: str | None = None  # JSON pointer into the body, "#/to/0"
    parameter: str | None = None  # query or path parameter
    header: str | None = None
    code: str | None = None  # stable machine-readable reason (refusal code)

    def as_json(self) -> dict[str, str]:
        out = {"detail": self.detail}
        for name in ("pointer", "parameter", "header", "code"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


class Problem(Exception):
    def __init__(
        self,
        slug: str,
        detail: str,
        *,
        errors: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.slug = slug
        self.status = TYPES[slug][0]
        self.detail = detail
        self.errors = tuple(errors)
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": TYPE_BASE + self.slug,
            "title": TYPES[self.slug][1],
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            out["errors"] = [e.as_json() for e in self.errors]
        return out

    def response(self) -> Response:
        return json_response(self.status, self.body(), headers=self.headers)


def field(pointer: str, detail: str, code: str | None = None) -> Problem:
    """A body field problem (422) naming one field."""
    return Problem("invalid-request", detail, errors=[FieldError(detail, pointer, code=code)])


def parameter(name: str, detail: str) -> Problem:
    return Problem("invalid-parameter", detail, errors=[FieldError(detail, parameter=name)])


def dumps(body: object) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(
    status: int, body: object, *, headers: Mapping[str, str] | None = None
) -> Response:
    """JSON (or problem JSON for statuses ≥ 400) with ``no-store``: answers are per account."""
    return raw_json_response(status, dumps(body), headers=headers)


def raw_json_response(
    status: int, body: bytes, *, headers: Mapping[str, str] | None = None
) -> Response:
    media = PROBLEM_JSON if status >= 400 else "application/json"
    all_headers = {"cache-control": "no-store", **(headers or {})}
    return Response(body, status_code=status, media_type=media, headers=all_headers)


Handler = Callable[[Request], Awaitable[Response]]


def endpoint(handler: Handler) -> Handler:
    """A route handler whose ``Problem`` becomes its answer, and any fault a 500 problem."""

    @wraps(handler)
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except Problem as problem:
            return problem.response()
        except Exception:
            log.exception("%s %s failed", request.method, request.url.path)
            return Problem("internal", "the request could not be completed").response()

    return run


async def http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 (no route, wrong method) as problems."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 405:
        allow = (exc.headers or {}).get("Allow", "") if isinstance(exc, HTTPException) else ""
        detail = f"{request.method} is not allowed here (allowed: {allow or 'none'})"
        headers = {"Allow": allow} if allow else {}
        return Problem("method-not-allowed", detail, headers=headers).response()
    if status == 404:
        return Problem("not-found", f"no resource at {request.url.path}").response()
    return Problem("internal", "the request could not be completed").response()
