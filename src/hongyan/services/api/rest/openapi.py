"""The OpenAPI 3.1 document of /api/v1 (served at ``/api/v1/openapi.json``), built as data."""

from __future__ import annotations

from functools import cache
from typing import Any

from hongyan import __version__
from hongyan.services.api.rest.openapi_schemas import PARAMETERS, SCHEMAS, ref
from hongyan.services.api.rest.problems import TYPES

Doc = dict[str, Any]

DESCRIPTION = """\
JSON over HTTP(S) for sending SMS through hongyan, reading what happened to them, and reading
replies. Authenticate with an API key: `Authorization: Bearer hy_…` (keys are made in the
partner portal or with `hongyan api-key create`).

Every error is an RFC 9457 problem (`application/problem+json`) with `type`, `title`,
`status`, `detail` and, for field errors, `errors` (each with a JSON `pointer`, a query
`parameter` or a `header`). POSTs take an `Idempotency-Key`: a repeat within 24 hours returns
the first answer (with `Idempotent-Replayed: true`) without sending again; the same key with a
different body is refused with 422. Listings are newest first; pass `next_cursor` back as
`cursor` for the next page — pages stay stable while new messages arrive.
"""


def _problem_types() -> str:
    lines = ["\n## Problem types\n"]
    for slug, (status, title, when) in TYPES.items():
        lines.append(f'<a id="problem-{slug}"></a>**{slug}** ({status} {title}): {when}\n')
    return "\n".join(lines)


def _problem(description: str, headers: dict[str, Any] | None = None) -> Doc:
    answer: Doc = {
        "description": description,
        "content": {"application/problem+json": {"schema": ref("Problem")}},
    }
    if headers:
        answer["headers"] = headers
    return answer


RETRY_AFTER = {"Retry-After": {"required": True, "schema": {"type": "integer", "minimum": 0}}}
RESPONSES: dict[str, Doc] = {
    "BadRequest": _problem("Malformed JSON, or a bad query, path or header parameter."),
    "Unauthorized": _problem(
        "No API key, or an unknown or revoked one.",
        {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}},
    ),
    "PaymentRequired": _problem("The balance cannot pay for the send."),
    "Forbidden": _problem("The account is stopped or the client address is not allowed."),
    "NotFound": _problem("No such resource for this account."),
    "Conflict": _problem("Not allowed in the resource's state, or the same key is in use."),
    "TooLarge": _problem("The body is larger than the account allows."),
    "UnsupportedMediaType": _problem("The body is not application/json."),
    "Unprocessable": _problem("Invalid fields, refused content, or a reused Idempotency-Key."),
    "TooManyRequests": _problem("Over a rate limit; retry after Retry-After seconds.", RETRY_AFTER),
    "Internal": _problem("A fault on our side."),
}


def _json(schema: str, description: str, headers: dict[str, Any] | None = None) -> Doc:
    answer: Doc = {
        "description": description,
        "content": {"application/json": {"schema": ref(schema)}},
    }
    if headers:
        answer["headers"] = headers
    return answer


def _errors(*names: str) -> Doc:
    codes = {
        "BadRequest": "400",
        "PaymentRequired": "402",
        "Forbidden": "403",
        "NotFound": "404",
        "Conflict": "409",
        "TooLarge": "413",
        "UnsupportedMediaType": "415",
        "Unprocessable": "422",
    }
    out = {codes[n]: {"$ref": f"#/components/responses/{n}"} for n in names}
    out["400"] = {"$ref": "#/components/responses/BadRequest"}  # unknown query parameters
    out["401"] = {"$ref": "#/components/responses/Unauthorized"}
    out["429"] = {"$ref": "#/components/responses/TooManyRequests"}
    out["500"] = {"$ref": "#/components/responses/Internal"}
    return out


def _operation(
    operation_id: str,
    summary: str,
    ok: tuple[str, Doc],
    errors: tuple[str, ...],
    *,
    parameters: tuple[str, ...] = (),
    body: str | None = None,
    query: list[Doc] | None = None,
) -> Doc:
    op: Doc = {
        "operationId": operation_id,
        "summary": summary,
        "responses": {ok[0]: ok[1], **_errors(*errors)},
    }
    refs: list[Doc] = [{"$ref": f"#/components/parameters/{p}"} for p in parameters]
    if refs or query:
        op["parameters"] = refs + (query or [])
    if body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        }
    return op


def _query(name: str, schema: Doc, description: str) -> Doc:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


REPLAYED = {"Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true"]}}}
WRITE_ERRORS = ("BadRequest", "Forbidden", "Conflict", "TooLarge", "UnsupportedMediaType")
LIST_FILTERS = [
    _query("state", SCHEMAS["Message"]["properties"]["state"], "Only messages in this state."),
    _query("client_ref", {"type": "string", "maxLength": 64}, "Only messages with this ref."),
    _query("since", {"type": "string", "format": "date-time"}, "Created at or after (RFC 3339)."),
    _query("until", {"type": "string", "format": "date-time"}, "Created before (RFC 3339)."),
]


def _paths() -> Doc:
    send_errors = (*WRITE_ERRORS, "PaymentRequired", "Unprocessable")
    return {
        "/api/v1/messages": {
            "post": {
                **_operation(
                    "sendMessages",
                    "Send a text to one or more numbers",
                    ("201", _json("SendResult", "Accepted for at least one recipient.", REPLAYED)),
                    send_errors,
                    parameters=("IdempotencyKey",),
                    body="SendRequest",
                ),
            },
            "get": _operation(
                "listMessages",
                "List messages, newest first",
                ("200", _json("MessagePage", "A page of messages.")),
                ("BadRequest", "Forbidden"),
                parameters=("Limit", "Cursor"),
                query=LIST_FILTERS,
            ),
        },
        "/api/v1/messages/{id}": {
            "get": _operation(
                "getMessage",
                "A message with its per-segment receipts and report pushes",
                ("200", _json("MessageDetail", "The message.")),
                ("Forbidden", "NotFound"),
                parameters=("MessageId",),
            ),
        },
        "/api/v1/messages/{id}/cancel": {
            "post": _operation(
                "cancelMessage",
                "Cancel a message not sent yet (queued or scheduled); its price is refunded",
                ("200", _json("Message", "The cancelled message.", REPLAYED)),
                ("BadRequest", "Forbidden", "NotFound", "Conflict", "Unprocessable"),
                parameters=("MessageId", "IdempotencyKey"),
            ),
        },
        "/api/v1/inbound": {
            "get": _operation(
                "listInbound",
                "Replies and other messages to the account's numbers, newest first",
                ("200", _json("InboundPage", "A page of inbound messages.")),
                ("BadRequest", "Forbidden"),
                parameters=("Limit", "Cursor"),
            ),
        },
        "/api/v1/balance": {
            "get": _operation(
                "getBalance",
                "The account's balance, in segments",
                ("200", _json("Balance", "The balance.")),
                ("Forbidden",),
            ),
        },
        "/api/v1/webhooks": {
            "get": _operation(
                "getWebhooks",
                "Where status reports and inbound messages are pushed",
                ("200", _json("Webhooks", "The push URLs.")),
                ("Forbidden",),
            ),
            "put": _operation(
                "putWebhooks",
                "Set both push URLs (null: no pushes of that kind)",
                ("200", _json("Webhooks", "The push URLs now.")),
                (*WRITE_ERRORS, "Unprocessable"),
                body="Webhooks",
            ),
        },
        "/api/v1/webhooks/test": {
            "post": _operation(
                "testWebhook",
                "Push a signed sample report or inbound message to a URL and show the answer",
                ("200", _json("TestPushResult", "What the URL answered.", REPLAYED)),
                (*WRITE_ERRORS, "Unprocessable"),
                parameters=("IdempotencyKey",),
                body="TestPushRequest",
            ),
        },
    }


@cache
def document() -> Doc:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hongyan REST API",
            "version": f"v1 ({__version__})",
            "description": DESCRIPTION + _problem_types(),
        },
        "security": [{"apiKey": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "hy_<prefix>_<secret>",
                }
            },
            "schemas": SCHEMAS,
            "parameters": PARAMETERS,
            "responses": RESPONSES,
        },
    }
