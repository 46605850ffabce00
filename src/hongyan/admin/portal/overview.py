"""The portal's start page: balance, today's and this month's figures, the last 24 hours."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hongyan.admin import figures
from hongyan.admin.office import BackOffice
from hongyan.admin.portal.face import PortalFace
from hongyan.admin.views import View, page
from hongyan.core.accounts import Account


def routes(office: BackOffice, face: PortalFace) -> list[BaseRoute]:
    return [Route("/", page(office, face, overview), methods=["GET"])]


async def overview(view: View[Account]) -> Response:
    account = view.signed_in_user
    found = await figures.overview(view.store, account.id, view.office.clock(), view.office.tz)
    return view.render("portal/overview.html", account=account, figures=found)
