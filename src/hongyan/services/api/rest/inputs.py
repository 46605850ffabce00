"""Reading /api/v1 input: JSON bodies, fields, query parameters, times and cursors.

Every check names what is wrong (a JSON pointer or parameter name), so no input reaches the
send path or the store unchecked: strings are valid Unicode without NUL (PostgreSQL refuses
NUL in text; lone surrogates cannot be encoded), numbers are real integers in range, and times
carry an offset.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request

from hongyan.services.api.http import BodyTooLarge, read_body
from hongyan.services.api.rest.problems import FieldError, Problem, field, parameter

MAX_ID = 2**63 - 1
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})?$"
)


async def json_body(request: Request, limit: int) -> dict[str, Any]:
    """The request's JSON object; problems for a wrong media type, size or syntax."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        raise Problem(
            "unsupported-media-type",
            f"send the body as application/json (got {media or 'no content type'})",
        )
    try:
        raw = await read_body(request, limit)
    except BodyTooLarge:
        raise Problem("body-too-large", f"the body is larger than {limit} bytes") from None
    try:
        parsed = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Problem("malformed-request", f"the body is not valid JSON in UTF-8: {exc}") from None
    if not isinstance(parsed, dict):
        raise Problem("malformed-request", "the body must be a JSON object")
    return parsed


def check_fields(body: Mapping[str, Any], known: frozenset[str], required: frozenset[str]) -> None:
    errors = [FieldError("unknown field", f"#/{name}") for name in body if name not in known]
    errors += [FieldError("required", f"#/{name}") for name in sorted(required - body.keys())]
    if errors:
        raise Problem("invalid-request", "the body has unknown or missing fields", errors=errors)


def clean_text(value: str) -> str | None:
    """Why ``value`` cannot be stored, or ``None`` when it can."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode (no lone surrogates)"
    return None


def string(
    body: Mapping[str, Any],
    name: str,
    *,
    max_length: int,
    min_length: int = 0,
    pointer: str | None = None,
) -> str | None:
    """The string at ``name`` (``None`` when absent or null)."""
    value = body.get(name)
    where = pointer or f"#/{name}"
    if value is None:
        return None
    if not isinstance(value, str):
        raise field(where, "must be a string")
    reason = clean_text(value)
    if reason is not None:
        raise field(where, reason)
    if not min_length <= len(value) <= max_length:
        raise field(where, f"must have {min_length} to {max_length} characters")
    return value


def integer(body: Mapping[str, Any], name: str, low: int, high: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise field(f"#/{name}", "must be an integer")
    if not low <= value <= high:
        raise field(f"#/{name}", f"must be between {low} and {high}")
    return value


def parse_time(text: str) -> datetime | str:
    """An aware UTC datetime from RFC 3339 text, or why it is not one."""
    if not _RFC3339.match(text):
        return "must be an RFC 3339 date-time, e.g. 2024-05-01T08:00:00+08:00"
    try:
        moment = datetime.fromisoformat(text.upper().replace(" ", "T"))
    except ValueError:
        return "is not a real date and time"
    if moment.tzinfo is None:
        return "needs a UTC offset (Z or ±hh:mm): a time without one is ambiguous"
    return moment.astimezone(UTC)


def time_field(body: Mapping[str, Any], name: str) -> datetime | None:
    text = string(body, name, max_length=40)
    if text is None:
        return None
    moment = parse_time(text)
    if isinstance(moment, str):
        raise field(f"#/{name}", moment)
    return moment


def format_time(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


# query parameters


def check_query(request: Request, known: frozenset[str] = frozenset()) -> None:
    """Refuse parameters the operation does not take: a typo (``stat=``) must not silently
    widen a listing."""
    unknown = sorted({name for name in request.query_params if name not in known})
    if unknown:
        errors = [FieldError("unknown parameter", parameter=name) for name in unknown]
        raise Problem("invalid-parameter", f"unknown query parameter {unknown[0]!r}", errors=errors)


def query_time(request: Request, name: str) -> datetime | None:
    text = request.query_params.get(name)
    if text is None:
        return None
    moment = parse_time(text)
    if isinstance(moment, str):
        raise parameter(name, f"{name} {moment}")
    return moment


def query_limit(request: Request, default: int = 50, high: int = 100) -> int:
    text = request.query_params.get("limit")
    if text is None:
        return default
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= high:
        raise parameter("limit", f"limit must be an integer from 1 to {high}")
    return int(text)


def query_string(request: Request, name: str, max_length: int) -> str | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    reason = clean_text(value)
    if reason is not None or len(value) > max_length:
        raise parameter(name, f"{name} {reason or f'has more than {max_length} characters'}")
    return value


def path_id(request: Request, name: str = "id") -> int | None:
    """A positive id from the path, or ``None`` when it cannot name anything (→ 404)."""
    text = request.path_params.get(name, "")
    if not isinstance(text, str) or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


# cursors: opaque to clients; "<kind>:<last id seen>" in URL-safe base64


def encode_cursor(kind: str, last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{last_id}".encode()).decode().rstrip("=")


def query_cursor(request: Request, kind: str) -> int | None:
    """The id a ``cursor`` parameter continues below, for listings of ``kind``."""
    text = request.query_params.get("cursor")
    if text is None or text == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    tag, _, number = raw.partition(":")
    if tag != kind or not number.isdigit() or not 1 <= int(number) <= MAX_ID:
        raise parameter("cursor", "cursor is not one this listing gave out")
    return int(number)


def bounded_send_at(moment: datetime | None, now: datetime, horizon: timedelta) -> datetime | None:
    if moment is not None and moment > now + horizon:
        raise field("#/send_at", f"must be within {horizon.days} days from now")
    return moment
