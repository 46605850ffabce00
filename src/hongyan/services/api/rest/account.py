"""/api/v1 account resources: balance, inbound messages, webhook URLs (and a test push)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import Response

from hongyan.core.accounts import Account
from hongyan.services.api.context import ApiContext
from hongyan.services.api.rest import inputs, render
from hongyan.services.api.rest.idempotency import Idempotency, Outcome
from hongyan.services.api.rest.problems import Problem, endpoint, field, json_response
from hongyan.services.api.rest.security import authenticate
from hongyan.services.test_push import send_test_push
from hongyan.store.base import AccountChanges, IdempotencyClaim

MAX_URL = 2000
WEBHOOK_FIELDS = frozenset({"report_url", "inbound_url"})
TEST_FIELDS = frozenset({"kind", "url"})
PUSH_KINDS = ("report", "inbound")
TEST_TIMEOUT = 10.0
PAGE_PARAMETERS = frozenset({"limit", "cursor"})


def _context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


@endpoint
async def balance(request: Request) -> Response:
    context = _context(request)
    account = await authenticate(request, context)
    inputs.check_query(request)
    fresh = await context.store.get_account_by_id(account.id) or account
    return json_response(200, {"account": fresh.name, "balance": fresh.balance})


@endpoint
async def list_inbound(request: Request) -> Response:
    context = _context(request)
    account = await authenticate(request, context)
    inputs.check_query(request, PAGE_PARAMETERS)
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
    inputs.check_query(request)
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
    inputs.check_query(request)
    limit = min(context.max_body_bytes, account.limits.max_body_bytes)
    body = await inputs.json_body(request, limit)
    inputs.check_fields(body, WEBHOOK_FIELDS, WEBHOOK_FIELDS)
    report_url, inbound_url = check_url(body, "report_url"), check_url(body, "inbound_url")
    # "" clears a URL in AccountChanges (None would leave it as it is).
    changes = AccountChanges(report_url=report_url or "", inbound_url=inbound_url or "")
    updated = await context.store.update_account(account.name, changes)
    context.authenticator.forget(account.name)
    return json_response(200, webhooks_json(updated.report_url, updated.inbound_url))


async def _test_push(
    context: ApiContext,
    account: Account,
    kind: str,
    url: str,
    claim: IdempotencyClaim | None,
) -> Outcome:
    assert context.server_key is not None
    # The same capability as saving the URL (the notifier posts there anyway); no redirects.
    async with httpx.AsyncClient(timeout=TEST_TIMEOUT, follow_redirects=False) as client:
        result = await send_test_push(
            client, account, kind, url, context.server_key, context.clock(), timeout=TEST_TIMEOUT
        )
    body = {
        "url": url,
        "status": result.status,
        "body": result.body,
        "error": result.error,
        "elapsed_ms": round(result.elapsed_ms, 1),
    }
    return Outcome(200, body)


@endpoint
async def test_webhook(request: Request) -> Response:
    context = _context(request)
    idempotency: Idempotency = request.app.state.idempotency
    account = await authenticate(request, context)
    inputs.check_query(request)
    limit = min(context.max_body_bytes, account.limits.max_body_bytes)
    body = await inputs.json_body(request, limit)
    inputs.check_fields(body, TEST_FIELDS, frozenset({"kind"}))
    kind = body["kind"]
    if kind not in PUSH_KINDS:
        raise field("#/kind", "must be report or inbound")
    fresh = await context.store.get_account_by_id(account.id) or account
    saved = fresh.report_url if kind == "report" else fresh.inbound_url
    url = check_url(body, "url") or saved
    if url is None:
        raise field("#/url", f"no {kind} URL is saved: give one")
    if context.server_key is None:
        raise Problem("internal", "test pushes are not available on this server")
    operation = partial(_test_push, context, fresh, kind, url)
    return await idempotency.run(context, request, account.id, body, operation)
