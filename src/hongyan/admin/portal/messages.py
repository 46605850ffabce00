"""The portal's message pages: search (paginated), one message's detail, inbound messages.

Every read passes the signed-in account's id to the store, which answers only that account's
rows: another account's message id in the URL is the same 404 as a missing one.
"""

from __future__ import annotations

import dataclasses

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hongyan.admin.office import BackOffice
from hongyan.admin.pagination import PageRequest
from hongyan.admin.portal.face import PortalFace
from hongyan.admin.search import read_search
from hongyan.admin.views import View, page
from hongyan.core.accounts import Account
from hongyan.core.errors import NotFound
from hongyan.core.messages import FINAL_STATES, MessageState

STATES = tuple(s.value for s in MessageState if s is not MessageState.ACCEPTED)


def routes(office: BackOffice, face: PortalFace) -> list[BaseRoute]:
    return [
        Route("/messages", page(office, face, search), methods=["GET"]),
        Route("/messages/{message_id:int}", page(office, face, detail), methods=["GET"]),
        Route("/inbound", page(office, face, inbound), methods=["GET"]),
    ]


async def search(view: View[Account]) -> Response:
    account = view.signed_in_user
    found = read_search(view.request.query_params, view.office.tz, account.id)
    cursor = PageRequest.from_query(view.request.query_params)
    query = dataclasses.replace(found.query, before_id=cursor.before, limit=cursor.limit)
    rows = await view.store.find_messages(query)
    return view.render(
        "portal/messages.html",
        search=found,
        states=STATES,
        page=cursor.page(rows, key=lambda m: m.id),
    )


async def detail(view: View[Account]) -> Response:
    account = view.signed_in_user
    message_id: int = view.request.path_params["message_id"]
    found = await view.store.get_message_detail(message_id, account.id)
    if found is None:
        raise NotFound(f"message {message_id}")
    moving = found.message.state not in FINAL_STATES or any(
        push.state == "pending" for push in found.pushes
    )
    return view.render("portal/message.html", detail=found, message=found.message, moving=moving)


async def inbound(view: View[Account]) -> Response:
    account = view.signed_in_user
    cursor = PageRequest.from_query(view.request.query_params)
    rows = await view.store.find_inbound(account.id, cursor.before, cursor.limit)
    return view.render("portal/inbound.html", page=cursor.page(rows, key=lambda m: m.id))
