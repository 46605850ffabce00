"""The portal's push settings: report and inbound URLs, a test push, the push signing secret,
and the allowed client networks (read only: the operator sets them).

The secret is never in a page until asked for (a POST, so it is not in history or logs),
and is derived, not stored (``core.accounts.push_secret``, as ``hongyan account show
--push-secret``); rotating it is a new version, as ``--rotate-push-secret`` does.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hongyan.admin.office import BackOffice
from hongyan.admin.portal.face import PortalFace
from hongyan.admin.views import View, page
from hongyan.core.accounts import Account, push_secret
from hongyan.services.test_push import send_test_push
from hongyan.store.base import AccountChanges

MAX_URL = 500
KINDS = ("report", "inbound")


def routes(office: BackOffice, face: PortalFace) -> list[BaseRoute]:
    return [
        Route("/settings", page(office, face, show), methods=["GET"]),
        Route("/settings/urls", page(office, face, save_urls), methods=["POST"]),
        Route("/settings/test-push", page(office, face, test_push), methods=["POST"]),
        Route("/settings/secret", page(office, face, reveal_secret), methods=["POST"]),
        Route("/settings/secret/rotate", page(office, face, rotate_secret), methods=["POST"]),
    ]


def check_url(value: str) -> str | None:
    """``None`` when ``value`` may be a push URL ("" clears it), else the label key of why not."""
    if not value:
        return None
    if len(value) > MAX_URL:
        return "settings.url_too_long"
    try:
        parts = urlsplit(value)
    except ValueError:
        return "settings.url_invalid"
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        return "settings.url_invalid"
    return None


async def show(view: View[Account]) -> Response:
    return _render(view, view.signed_in_user)


def _render(view: View[Account], account: Account, status: int = 200, **values: object) -> Response:
    urls = {kind: getattr(account, f"{kind}_url") or "" for kind in KINDS}
    fields = {kind: values.pop(f"{kind}_value", urls[kind]) for kind in KINDS}
    return view.render(
        "portal/settings.html",
        status=status,
        account=account,
        fields=fields,
        errors=values.pop("errors", {}),
        notice=values.pop("notice", None),
        **values,
    )


async def save_urls(view: View[Account]) -> Response:
    account = view.signed_in_user
    given = {kind: view.field(f"{kind}_url") for kind in KINDS}
    errors = {kind: key for kind in KINDS if (key := check_url(given[kind]))}
    if errors:
        values = {f"{kind}_value": given[kind] for kind in KINDS}
        return _render(view, account, 400, errors=errors, **values)
    changes = AccountChanges(report_url=given["report"], inbound_url=given["inbound"])
    updated = await view.store.update_account(account.name, changes)
    view.context.authenticator.forget(account.name)
    return _render(view, updated, notice="settings.saved")


async def test_push(view: View[Account]) -> Response:
    """htmx: POST a sample push to the URL in the form (saved or not) and show the answer."""
    account = view.signed_in_user
    kind = view.field("kind")
    if kind not in KINDS:
        kind = "report"
    url = view.field(f"{kind}_url")
    problem = check_url(url) or (None if url else "settings.url_missing")
    if problem:
        return view.render("portal/test_push.html", kind=kind, result=None, problem=problem)
    timeout = view.office.settings.notifier.timeout_seconds
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        result = await send_test_push(
            client, account, kind, url, view.office.server_key, view.office.clock(), timeout=timeout
        )
    return view.render("portal/test_push.html", kind=kind, result=result, problem=None, url=url)


async def reveal_secret(view: View[Account]) -> Response:
    account = view.signed_in_user
    secret = push_secret(view.office.server_key, account.id, account.push_secret_version)
    return view.render("portal/secret.html", secret=secret, rotated=False)


async def rotate_secret(view: View[Account]) -> Response:
    account = view.signed_in_user
    changes = AccountChanges(push_secret_version=account.push_secret_version + 1)
    updated = await view.store.update_account(account.name, changes)
    view.context.authenticator.forget(account.name)
    secret = push_secret(view.office.server_key, updated.id, updated.push_secret_version)
    return view.render("portal/secret.html", secret=secret, rotated=True)
