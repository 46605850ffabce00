"""Signing in and out of a face: name + password, throttled, a new session on success.

The face supplies ``verify(context, name, password)``: the principal when the password is
right (whether or not it is active), else ``None``. Wrong name and wrong password get the same
answer. Too many failures from one address or for one name get a clear "wait N minutes"
instead of another try; a disabled principal is told so only after a correct password.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hongyan.admin.office import BackOffice, Face, U
from hongyan.admin.views import View, page
from hongyan.services.api.context import ApiContext
from hongyan.services.api.http import client_address

Verify = Callable[[ApiContext, str, str], Awaitable[U | None]]
MAX_NAME = 64
MAX_PASSWORD = 256


def sign_in_routes(office: BackOffice, face: Face[U], verify: Verify[U]) -> list[BaseRoute]:
    async def form(view: View[U]) -> Response:
        if view.user is not None:
            return view.redirect(face.safe_next(view.query("next")))
        return _form(view, error=None, name="")

    async def submit(view: View[U]) -> Response:
        name, password = view.field("name")[:MAX_NAME], view.field("password")[:MAX_PASSWORD]
        address = client_address(view.request, view.context.trusted_proxies) or "?"
        counted = face.throttled_name(name)
        wait = office.throttle.wait_seconds(address, counted)
        if wait:
            minutes = max(1, math.ceil(wait / 60))
            return _form(view, view.t("signin.throttled", minutes=minutes), name, status=429)
        user = await verify(view.context, name, password) if name and password else None
        if user is None:
            office.throttle.failed(address, counted)
            return _form(view, view.t("signin.wrong"), name, status=401)
        office.throttle.succeeded(counted)
        if not user.active:
            return _form(view, view.t("signin.disabled"), name, status=403)
        view.sign_in(user)
        return view.redirect(face.safe_next(view.field("next")))

    async def sign_out(view: View[U]) -> Response:
        view.sign_out()
        return view.redirect("/signin")

    return [
        Route("/signin", page(office, face, form, public=True), methods=["GET"]),
        Route("/signin", page(office, face, submit, public=True), methods=["POST"]),
        Route("/signout", page(office, face, sign_out, public=True), methods=["POST"]),
    ]


def _form(view: View[U], error: str | None, name: str, status: int = 200) -> Response:
    next_path = view.field("next") or view.query("next")
    return view.render(
        "signin.html",
        status=status,
        error=error,
        name=name,
        next=view.face.safe_next(next_path) if next_path else "",
    )
