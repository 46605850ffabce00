"""The operator console at ``/admin``: operators sign in (``hongyan operator create``) to run
the platform: accounts, channels and routes, messages across accounts, the blacklist and
banned words, charts, and the audit log every action writes to.

Built on the back-office framework (``hongyan.admin``): its sessions (the ``console`` realm, so
a partner's cookie never opens it), CSRF on every form, sign-in throttling, labels, pagination.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hongyan.admin.console import accounts, audit, channels, lists, messages, traffic
from hongyan.admin.console.face import ConsoleView, console_face, route, verify
from hongyan.admin.office import BackOffice
from hongyan.admin.signin import sign_in_routes
from hongyan.admin.views import not_found_page


async def _home(view: ConsoleView) -> Response:
    return view.redirect("/accounts")


def routes(office: BackOffice) -> list[BaseRoute]:
    face = console_face(office)
    found: list[BaseRoute] = [
        *sign_in_routes(office, face, verify),
        route(office, face, "/", _home),
    ]
    for module in (accounts, channels, messages, lists, traffic, audit):
        found += module.routes(office, face)
    return [*found, Route("/{rest:path}", not_found_page(office, face))]
