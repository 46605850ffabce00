"""``/send/*.asp[x]``: the 企信通 family on the shared send path, read boxes and account calls."""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hongyan.core.accounts import Account, hash_password
from hongyan.core.admission import SendRequest, first_banned_word
from hongyan.core.errors import Refusal
from hongyan.core.inbound import InboundMessage
from hongyan.core.numbers import national_cn
from hongyan.core.receipts import report_stat
from hongyan.protocols.legacy import qxt
from hongyan.protocols.legacy.forms import FormError, parse_form, split_list
from hongyan.services.api.context import ApiContext
from hongyan.services.api.http import BodyTooLarge, raw_request
from hongyan.store.base import AccountChanges

log = logging.getLogger(__name__)
SINGLE_MAX = 70
MAX_RECORDS = 100


def routes() -> list[BaseRoute]:
    return [Route("/send/{name}", endpoint, methods=["GET", "POST"])]


async def endpoint(request: Request) -> Response:
    found = qxt.endpoint_for(request.url.path)
    if found is None:
        return Response("no such interface", status_code=404, media_type="text/plain")
    body = await answer(request.app.state.context, found, request)
    return Response(body, headers={"content-type": qxt.content_type(found)})


async def answer(context: ApiContext, found: qxt.Endpoint, request: Request) -> bytes:
    """The answer to a request to ``found``, whatever happened (never raises)."""
    try:
        return await _handle(context, found, request)
    except BodyTooLarge:
        return qxt.format_refusal(found, Refusal.BODY_TOO_LARGE)
    except Exception:
        log.exception("%s failed", found.path)
        return qxt.format_refusal(found, Refusal.INTERNAL)


async def _handle(context: ApiContext, found: qxt.Endpoint, request: Request) -> bytes:
    raw = await raw_request(request, context.max_body_bytes, context.trusted_proxies)
    try:
        form = parse_form(raw.method, raw.query, raw.content_type, raw.body, fold_case=True)
    except FormError:
        return qxt.format_refusal(found, Refusal.BAD_REQUEST)
    numbers = split_list(form.get("dst")) if found.operation is qxt.Operation.SEND else ()
    parsed = qxt.parse_request(found, form, now=context.clock())
    if isinstance(parsed, Refusal):
        return qxt.format_refusal(found, parsed, faile=numbers)
    auth = await context.authenticator.check_password(parsed.name, parsed.pwd, raw.client)
    if auth.refusal is not None or auth.account is None:
        return qxt.format_refusal(found, auth.refusal or Refusal.UNKNOWN_ACCOUNT, faile=numbers)
    if len(raw.body) > auth.account.limits.max_body_bytes:
        return qxt.format_refusal(found, Refusal.BODY_TOO_LARGE, faile=numbers)
    return await _operate(context, found, parsed, auth.account)


async def _operate(
    context: ApiContext, found: qxt.Endpoint, parsed: qxt.QxtRequest, account: Account
) -> bytes:
    if isinstance(parsed, qxt.QxtSend):
        return await _send(context, found, parsed, account)
    if isinstance(parsed, qxt.ChangePassword):
        password_hash = await asyncio.to_thread(hash_password, parsed.new_password)
        await context.store.update_account(
            account.name, AccountChanges(password_hash=password_hash)
        )
        context.authenticator.forget(account.name)
        return qxt.format_ok(found)
    if isinstance(parsed, qxt.CheckContent):
        word = first_banned_word(parsed.content, await context.sender.banned_words())
        return qxt.format_ok(found) if word is None else qxt.format_banned_word(found, word)
    return await _query(context, found, parsed, account)


def _length(rule: qxt.LengthRule, account: Account) -> tuple[int | None, bool]:
    """``(max_chars, allow_long)`` for a send endpoint's length rule."""
    if rule is qxt.LengthRule.SINGLE:
        return SINGLE_MAX, False
    if rule is qxt.LengthRule.ACCOUNT and not account.allow_long:
        return SINGLE_MAX, False
    return None, True


async def _send(
    context: ApiContext, found: qxt.Endpoint, parsed: qxt.QxtSend, account: Account
) -> bytes:
    max_chars, allow_long = _length(parsed.length_rule, account)
    outcome = await context.sender.send(
        account,
        SendRequest(
            recipients=parsed.recipients,
            text=parsed.text,
            extension=parsed.extension,
            send_at=parsed.send_at,
            client_ref=parsed.sequeid,
            max_chars=max_chars,
            allow_long=allow_long,
            national="CN",
            dialect="qxt",
        ),
    )
    admission = outcome.admission
    refused = [d.input for d in admission.refused]
    if outcome.refusal is not None:
        return qxt.format_refusal(found, outcome.refusal, faile=refused)
    if not outcome.ids:
        return qxt.format_refusal(found, outcome.first_refusal, faile=refused)
    return qxt.format_send(found, [d.input for d in admission.accepted], refused)


async def _query(
    context: ApiContext, found: qxt.Endpoint, parsed: qxt.QxtQuery, account: Account
) -> bytes:
    store = context.store
    operation = parsed.operation
    if operation is qxt.Operation.GET_FEE:
        fresh = await store.get_account_by_id(account.id) or account
        return qxt.format_fee(found, fresh.balance, fresh.short_name)
    if operation is qxt.Operation.READ_SMS:
        one = await store.next_inbound(account.id)
        return qxt.format_inbound(found, [_inbound_record(one)] if one else [])
    if operation is qxt.Operation.READ_XML_SMS:
        many = await store.unread_inbound(account.id, MAX_RECORDS)
        return qxt.format_inbound(found, [_inbound_record(m) for m in many])
    reports = await store.unread_reports(account.id, MAX_RECORDS)
    return qxt.format_reports(
        found,
        [
            qxt.ReportRecord(
                id=r.message_id,
                dst=national_cn(r.recipient),
                stat=report_stat(r.state, r.stat),
                time=r.done_at,
                errid="0" if r.stat == "DELIVRD" else (r.error_code or "0"),
                sequeid=r.client_ref or "",
            )
            for r in reports
        ],
    )


def _inbound_record(message: InboundMessage) -> qxt.InboundRecord:
    return qxt.InboundRecord(
        id=message.id,
        src=national_cn(message.source),
        msg=message.text,
        dst=message.destination,
        time=message.received_at,
    )
