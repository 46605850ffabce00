"""The OpenAPI 3.1 components of /api/v1: JSON Schemas of every body, parameter and problem.

Written as data next to the code that produces the shapes (``render``, ``inputs``,
``problems``); tests/rest checks the live answers against it with schemathesis.
"""

from __future__ import annotations

from typing import Any

from hongyan.core.errors import Refusal
from hongyan.core.messages import MessageState
from hongyan.services.api.rest import messages as m
from hongyan.services.api.rest.account import MAX_URL
from hongyan.services.api.rest.idempotency import MAX_KEY
from hongyan.services.api.rest.inputs import MAX_ID
from hongyan.services.api.rest.problems import TYPES

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    kind = schema["type"]
    return {**schema, "type": [kind, "null"]}


def obj(properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


TIME: Schema = {"type": "string", "format": "date-time"}
ID: Schema = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}
STRING: Schema = {"type": "string"}
COUNT: Schema = {"type": "integer", "minimum": 0}

SEND_REQUEST = obj(
    {
        "to": {
            "type": "array",
            "minItems": 1,
            "maxItems": m.MAX_TO,
            "items": {"type": "string", "minLength": 1, "maxLength": m.MAX_NUMBER},
            "description": "International numbers, country code first (+8613800138000,"
            " 447911123456); the same number twice is sent twice.",
        },
        "text": {
            "type": "string",
            "maxLength": m.MAX_TEXT,
            "description": "UTF-8 text; long texts go as concatenated segments, each charged.",
        },
        "sender_extension": {
            "type": "string",
            "maxLength": 20,
            "description": "Digits appended to the account's service code (扩展号).",
        },
        "send_at": {
            **TIME,
            "description": "RFC 3339 with an offset; in the past or absent means now, at most"
            " 366 days ahead.",
        },
        "client_ref": {
            "type": "string",
            "maxLength": m.MAX_CLIENT_REF,
            "description": "Your reference, echoed in reports and filterable.",
        },
        "validity": {
            "type": "integer",
            "minimum": m.VALIDITY_SECONDS[0],
            "maximum": m.VALIDITY_SECONDS[1],
            "description": "Seconds after send_at before an unsent message expires"
            " (default: the platform's, 48 h).",
        },
    },
    required=["to", "text"],
)

REFUSAL = obj(
    {
        "code": {"type": "string", "enum": [r.value for r in Refusal]},
        "detail": STRING,
    }
)

RECIPIENT_RESULT = obj(
    {
        "to": {**STRING, "description": "The number as you wrote it."},
        "number": nullable({**STRING, "description": "E.164 digits, when it parsed."}),
        "id": nullable(ID),
        "state": {"type": "string", "enum": ["queued", "refused"]},
        "segments": nullable({"type": "integer", "minimum": 1}),
        "refusal": {"oneOf": [REFUSAL, {"type": "null"}]},
    }
)

SEND_RESULT = obj(
    {
        "messages": {"type": "array", "items": ref("RecipientResult")},
        "accepted": COUNT,
        "refused": COUNT,
        "price": {**COUNT, "description": "Segments charged to the balance."},
    }
)

MESSAGE_PROPERTIES: dict[str, Schema] = {
    "id": ID,
    "to": STRING,
    "to_input": STRING,
    "from": STRING,
    "text": STRING,
    "state": {"type": "string", "enum": [s.value for s in MessageState]},
    "segments": {"type": "integer", "minimum": 1},
    "price": COUNT,
    "client_ref": nullable(STRING),
    "created_at": TIME,
    "send_at": TIME,
    "expires_at": TIME,
    "done_at": nullable(TIME),
    "stat": nullable({**STRING, "description": "DELIVRD, UNDELIV, EXPIRED, CANCELLED…"}),
    "error_code": nullable(STRING),
    "attempts": COUNT,
}

RECEIPT = obj(
    {
        "segment": {"type": "integer", "minimum": 1},
        "carrier_id": STRING,
        "outcome": nullable(STRING),
        "stat": nullable(STRING),
        "error_code": nullable(STRING),
        "done_at": nullable(TIME),
    }
)

PUSH = obj(
    {
        "id": ID,
        "state": {"type": "string", "enum": ["pending", "delivered", "abandoned"]},
        "attempts": COUNT,
        "last_error": nullable(STRING),
        "created_at": TIME,
        "next_attempt_at": nullable(TIME),
        "done_at": nullable(TIME),
    }
)

INBOUND = obj(
    {
        "id": ID,
        "from": STRING,
        "to": STRING,
        "extension": STRING,
        "text": STRING,
        "received_at": TIME,
    }
)


def page(item: str) -> Schema:
    return obj(
        {
            "data": {"type": "array", "items": ref(item)},
            "next_cursor": nullable(
                {**STRING, "description": "Pass as `cursor` for the next (older) page."}
            ),
        }
    )


URL: Schema = {
    "type": ["string", "null"],
    "minLength": 1,
    "maxLength": MAX_URL,
    "pattern": "^https?://[^\\s/?#]+([/?#]\\S*)?$",
    "description": "An absolute http:// or https:// URL; null: no pushes of that kind.",
}

FIELD_ERROR = {
    "type": "object",
    "properties": {
        "detail": STRING,
        "pointer": {**STRING, "description": "JSON pointer into the body, e.g. #/to/0"},
        "parameter": STRING,
        "header": STRING,
        "code": {**STRING, "description": "Refusal code, when a refusal caused it."},
    },
    "required": ["detail"],
    "additionalProperties": False,
}

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string", "enum": [f"/api/v1/docs#problem-{slug}" for slug in TYPES]},
        "title": STRING,
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": STRING,
        "errors": {"type": "array", "items": ref("FieldError")},
    },
    "required": ["type", "title", "status", "detail"],
    "additionalProperties": False,
}

SCHEMAS: dict[str, Schema] = {
    "SendRequest": SEND_REQUEST,
    "SendResult": SEND_RESULT,
    "RecipientResult": RECIPIENT_RESULT,
    "Message": obj(MESSAGE_PROPERTIES),
    "MessageDetail": obj(
        {
            **MESSAGE_PROPERTIES,
            "receipts": {"type": "array", "items": ref("Receipt")},
            "pushes": {"type": "array", "items": ref("Push")},
        }
    ),
    "Receipt": RECEIPT,
    "Push": PUSH,
    "MessagePage": page("Message"),
    "Inbound": INBOUND,
    "InboundPage": page("Inbound"),
    "Balance": obj({"account": STRING, "balance": {**COUNT, "description": "In segments."}}),
    "Webhooks": obj({"report_url": URL, "inbound_url": URL}),
    "TestPushRequest": obj(
        {
            "kind": {"type": "string", "enum": ["report", "inbound"]},
            "url": {**URL, "description": "Default: the saved URL of that kind."},
        },
        required=["kind"],
    ),
    "TestPushResult": obj(
        {
            "url": STRING,
            "status": nullable({"type": "integer"}),
            "body": STRING,
            "error": nullable(STRING),
            "elapsed_ms": {"type": "number", "minimum": 0},
        }
    ),
    "FieldError": FIELD_ERROR,
    "Problem": PROBLEM,
}

PARAMETERS: dict[str, Schema] = {
    "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "Any unique string (a UUID): a repeat with the same key and body within"
        " 24 h returns the first answer without doing the work again.",
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY, "pattern": "^[!-~]+$"},
    },
    "Limit": {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
    },
    "Cursor": {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "`next_cursor` of the previous page.",
        "schema": {"type": "string", "maxLength": 64},
    },
    "MessageId": {"name": "id", "in": "path", "required": True, "schema": ID},
}
