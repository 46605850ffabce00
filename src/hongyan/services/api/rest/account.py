"""/api/v1 account resources: balance, inbound messages, webhook URLs (and a test push)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from hongyan.services.api.context import ApiContext
from hongyan.services.api.rest import inputs, render
from hongyan.services.api.rest.problems import endpoint, field, json_response
from hongyan.services.api.rest.security import authenticate
from hongyan.store.base import AccountChanges

MAX_URL = 2000
WEBHOOK_FIELDS = frozenset({"report_url", "inbound_url"})


def _context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


@endpoint
async def balance(request: Request) -> Response:
    context = _context(request)
    account = await authenticate(request, context)
    fresh = await context.store.get_account_by_id(account.id) or account
    return json_response(200, {"account": fresh.name, "balance": fresh.balance})


@endpoint
async def list_inbound(request: Request) -> Response:
    context = _context(request)
    account = await authenticate(request, context)
    limit = inputs.query_limit(request)
    before = inputs.query_cursor(request, "i")
    found = await context.store.find_inbound(account.id, before, limit + 1)
    shown = found[:limit]
    cursor = inputs.encode_cursor("i", shown[-1].id) if len(found) > limit else None
    return json_response(200, render.page([render.inbound(m) for m in shown], cursor))


def webhooks_json(report_url: str | None, inbound_url: str | None) -> dict[str, Any]:
    return {"report_url": report_url, "inbound_url": inbound_url}


@endpoint
async def get_webhooks(request: Request) -> Response:
    context = _context(request)
    account = await authenticate(request, context)
    fresh = await context.store.get_account_by_id(account.id) or account
    return json_response(200, webhooks_json(fresh.report_url, fresh.inbound_url))


def check_url(body: Mapping[str, Any], name: str) -> str | None:
    """An absolute http(s) URL at ``name``, or ``None`` (null: no pushes of that kind)."""
    url = inputs.string(body, name, max_length=MAX_URL, min_length=1)
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if (
        not port_ok
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() or not c.isprintable() for c in url)
    ):
        raise field(f"#/{name}", "must be an absolute http:// or https:// URL, or null")
    return url


@endpoint
async def put_webhooks(request: Request) -> Response:
    context = _context(request)
    account = await authenticate(request, context)
    limit = min(context.max_body_bytes, account.limits.max_body_bytes)
    body = await inputs.json_body(request, limit)
    inputs.check_fields(body, WEBHOOK_FIELDS, WEBHOOK_FIELDS)
    report_url, inbound_url = check_url(body, "report_url"), check_url(body, "inbound_url")
    # "" clears a URL in AccountChanges (None would leave it as it is).
    changes = AccountChanges(report_url=report_url or "", inbound_url=inbound_url or "")
    updated = await context.store.update_account(account.name, changes)
    context.authenticator.forget(account.name)
    return json_response(200, webhooks_json(updated.report_url, updated.inbound_url))
