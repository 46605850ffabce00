"""The partner portal at ``/portal``: a partner signs in with its account name and password."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from hongyan.admin.office import BackOffice
from hongyan.admin.portal import keys, messages, overview, password, settings
from hongyan.admin.portal.face import portal_face, verify
from hongyan.admin.signin import sign_in_routes
from hongyan.admin.views import not_found_page


def routes(office: BackOffice) -> list[BaseRoute]:
    face = portal_face(office)
    found: list[BaseRoute] = [
        *sign_in_routes(office, face, verify),
        *overview.routes(office, face),
        *messages.routes(office, face),
        *settings.routes(office, face),
        *keys.routes(office, face),
        *password.routes(office, face),
    ]
    return [*found, Route("/{rest:path}", not_found_page(office, face))]
