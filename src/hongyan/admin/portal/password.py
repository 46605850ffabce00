"""The portal's password change: the old password, then the new one twice.

The new hash replaces the old at once for every dialect (the API's credential cache compares
the stored hash; the account cache is dropped), and every other signed-in browser loses its
session (its credential fingerprint no longer matches); this one is signed in afresh. Wrong
old passwords count as failed sign-ins for the throttle.
"""

from __future__ import annotations

import asyncio
import math

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hongyan.admin.office import BackOffice
from hongyan.admin.portal.face import PortalFace
from hongyan.admin.views import View, page
from hongyan.core.accounts import MIN_PASSWORD, Account, hash_password, verify_password
from hongyan.services.api.http import client_address
from hongyan.store.base import AccountChanges

MAX_PASSWORD = 256


def routes(office: BackOffice, face: PortalFace) -> list[BaseRoute]:
    return [
        Route("/password", page(office, face, show), methods=["GET"]),
        Route("/password", page(office, face, change), methods=["POST"]),
    ]


async def show(view: View[Account]) -> Response:
    return view.render("portal/password.html", error=None, notice=None)


def _problem(new: str, again: str) -> str | None:
    if len(new) < MIN_PASSWORD:
        return "password.too_short"
    if len(new) > MAX_PASSWORD:
        return "password.too_long"
    if new != again:
        return "password.mismatch"
    return None


async def change(view: View[Account]) -> Response:
    account = view.signed_in_user
    old, new, again = (view.field(n) for n in ("old", "new", "again"))
    address = client_address(view.request, view.context.trusted_proxies) or "?"
    throttle = view.office.throttle
    counted = view.face.throttled_name(account.name)
    wait = throttle.wait_seconds(address, counted)
    if wait:
        message = view.t("signin.throttled", minutes=max(1, math.ceil(wait / 60)))
        return view.render("portal/password.html", status=429, error=message, notice=None)
    if not await asyncio.to_thread(verify_password, account.password_hash, old):
        throttle.failed(address, counted)
        error = view.t("password.wrong_old")
        return view.render("portal/password.html", status=400, error=error, notice=None)
    problem = _problem(new, again)
    if problem:
        error = view.t(problem, n=MIN_PASSWORD)
        return view.render("portal/password.html", status=400, error=error, notice=None)
    stored = await asyncio.to_thread(hash_password, new)
    updated = await view.store.update_account(account.name, AccountChanges(password_hash=stored))
    view.context.authenticator.forget(account.name)
    view.sign_in(updated)  # this browser stays; every other session ends
    return view.render("portal/password.html", error=None, notice=view.t("password.changed"))
