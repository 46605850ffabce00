"""What the sync and async clients share: each call as plain data, and reading the answers."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from hongyan.client.errors import ApiError

PREFIX = "/api/v1"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    body: Any = None
    has_body: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def _time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("send_at/since/until must be aware datetimes (with a time zone)")
    return moment.astimezone(UTC).isoformat()


def _idempotency(key: str | None) -> dict[str, str]:
    return {} if key is None else {"Idempotency-Key": key}


def send(
    to: Sequence[str] | str,
    text: str,
    *,
    sender_extension: str | None = None,
    send_at: datetime | None = None,
    client_ref: str | None = None,
    validity: timedelta | int | None = None,
    idempotency_key: str | None = None,
) -> Call:
    body: dict[str, Any] = {"to": [to] if isinstance(to, str) else list(to), "text": text}
    if sender_extension is not None:
        body["sender_extension"] = sender_extension
    if send_at is not None:
        body["send_at"] = _time(send_at)
    if client_ref is not None:
        body["client_ref"] = client_ref
    if validity is not None:
        seconds = validity.total_seconds() if isinstance(validity, timedelta) else validity
        body["validity"] = int(seconds)
    return Call(
        "POST", "/messages", body=body, has_body=True, headers=_idempotency(idempotency_key)
    )


def messages(
    *,
    state: str | None = None,
    client_ref: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Call:
    params: dict[str, str] = {}
    for name, value in (("state", state), ("client_ref", client_ref), ("cursor", cursor)):
        if value is not None:
            params[name] = value
    for name, moment in (("since", since), ("until", until)):
        if moment is not None:
            params[name] = _time(moment)
    if limit is not None:
        params["limit"] = str(limit)
    return Call("GET", "/messages", params=params)


def page(path: str, limit: int | None, cursor: str | None) -> Call:
    params = {} if limit is None else {"limit": str(limit)}
    if cursor is not None:
        params["cursor"] = cursor
    return Call("GET", path, params=params)


def cancel(message_id: int, idempotency_key: str | None) -> Call:
    return Call(
        "POST", f"/messages/{int(message_id)}/cancel", headers=_idempotency(idempotency_key)
    )


def set_webhooks(report_url: str | None, inbound_url: str | None) -> Call:
    body = {"report_url": report_url, "inbound_url": inbound_url}
    return Call("PUT", "/webhooks", body=body, has_body=True)


def test_webhook(kind: str, url: str | None) -> Call:
    body: dict[str, Any] = {"kind": kind}
    if url is not None:
        body["url"] = url
    return Call("POST", "/webhooks/test", body=body, has_body=True)


def request_kwargs(call: Call) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"params": call.params or None, "headers": call.headers or None}
    if call.has_body:
        kwargs["content"] = json.dumps(call.body, ensure_ascii=False).encode("utf-8")
        kwargs["headers"] = {**call.headers, "Content-Type": "application/json"}
    return kwargs


def headers(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}


def base(base_url: str) -> str:
    return base_url.rstrip("/") + PREFIX


def read(response: httpx.Response) -> tuple[Mapping[str, Any], bool]:
    """The JSON body of a success and whether it was replayed; ``ApiError`` for a problem."""
    replayed = response.headers.get("idempotent-replayed") == "true"
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.status_code >= 400 or not isinstance(data, Mapping):
        problem = data if isinstance(data, Mapping) else {"detail": response.text[:500]}
        retry = response.headers.get("retry-after")
        raise ApiError(
            response.status_code,
            problem,
            retry_after=float(retry) if retry and retry.isdigit() else None,
            replayed=replayed,
        )
    return data, replayed
