"""``/servlet/gateway.php``: the HI8D international dialect on the shared send path."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from hongyan.core.admission import SendRequest
from hongyan.core.errors import Refusal
from hongyan.protocols.legacy import hi8d
from hongyan.protocols.legacy.forms import FormError, parse_form
from hongyan.services.api.context import ApiContext
from hongyan.services.api.http import BodyTooLarge, raw_request

log = logging.getLogger(__name__)


PATH = "/servlet/gateway.php"


async def gateway(request: Request) -> Response:
    # HTTP 200 whatever happened: HI8D clients read ``status``, not the HTTP status.
    body = await answer(request.app.state.context, request)
    return Response(body, media_type=None, headers={"content-type": hi8d.CONTENT_TYPE})


async def answer(context: ApiContext, request: Request) -> bytes:
    """The JSON answer to a gateway.php request, whatever happened (never raises)."""
    try:
        return await _send(context, request)
    except BodyTooLarge:
        return hi8d.format_refused(Refusal.BODY_TOO_LARGE)
    except Exception:
        log.exception("gateway.php failed")
        return hi8d.format_refused(Refusal.INTERNAL)


async def _send(context: ApiContext, request: Request) -> bytes:
    raw = await raw_request(request, context.max_body_bytes, context.trusted_proxies)
    try:
        form = parse_form(raw.method, raw.query, raw.content_type, raw.body)
    except FormError:
        return hi8d.format_refused(Refusal.BAD_REQUEST)
    parsed = hi8d.parse_send(form)
    if isinstance(parsed, Refusal):
        return hi8d.format_refused(parsed)
    auth = await context.authenticator.check_md5(parsed.account, parsed.passwd, raw.client)
    if auth.refusal is not None or auth.account is None:
        return hi8d.format_refused(auth.refusal or Refusal.UNKNOWN_ACCOUNT)
    account = auth.account
    if len(raw.body) > account.limits.max_body_bytes:
        return hi8d.format_refused(Refusal.BODY_TOO_LARGE)
    outcome = await context.sender.send(
        account,
        SendRequest(
            recipients=parsed.recipients,
            text=parsed.content,
            sender=parsed.sender,
            dialect="hi8d",
        ),
    )
    admission = outcome.admission
    refused = [d.input for d in admission.refused]
    if outcome.refusal is not None:
        return hi8d.format_refused(outcome.refusal)
    if not outcome.ids:
        return hi8d.format_refused(outcome.first_refusal, refused)
    numbers = [d.recipient or d.input for d in admission.accepted]
    return hi8d.format_accepted(outcome.ids, numbers, refused)
