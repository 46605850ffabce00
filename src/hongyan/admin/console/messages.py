"""Message search across every account — the portal's search fields (``admin.search``) plus an
account filter — newest first and paged by id, and one message's detail: segments, receipts,
pushes."""

from __future__ import annotations

import dataclasses

from starlette.responses import Response
from starlette.routing import BaseRoute

from hongyan.admin.console.face import ConsoleFace, ConsoleView, route
from hongyan.admin.office import BackOffice
from hongyan.admin.pagination import PageRequest
from hongyan.admin.search import read_search
from hongyan.core.errors import NotFound
from hongyan.core.messages import Message, MessageState

STATES = tuple(s.value for s in MessageState if s is not MessageState.ACCEPTED)


def routes(office: BackOffice, face: ConsoleFace) -> list[BaseRoute]:
    return [
        route(office, face, "/messages", search),
        route(office, face, "/messages/{id:int}", detail),
    ]


async def search(view: ConsoleView) -> Response:
    accounts = await view.store.list_accounts()
    name = view.query("account")
    account = next((a for a in accounts if a.name == name), None)
    found = read_search(view.request.query_params, view.office.tz, account.id if account else None)
    errors = list(found.errors)
    cursor = PageRequest.from_query(view.request.query_params)
    rows: list[Message] = []
    if name and account is None:
        errors.append("messages.no_account")  # no account by that name: nothing can match
    else:
        query = dataclasses.replace(found.query, before_id=cursor.before, limit=cursor.limit)
        rows = await view.store.find_messages(query)
    params = {**found.params, "account": name}
    return view.render(
        "console/messages.html",
        page=cursor.page(rows, key=lambda m: m.id),
        params={k: v for k, v in params.items() if v},
        search=found,
        account=name,
        filtered=any(params.values()),
        errors=errors,
        accounts=accounts,
        names={a.id: a.name for a in accounts},
        states=STATES,
    )


async def detail(view: ConsoleView) -> Response:
    message_id: int = view.request.path_params["id"]
    found = await view.store.get_message_detail(message_id)
    if found is None:
        raise NotFound(f"message {message_id}")
    account = await view.store.get_account_by_id(found.message.account_id)
    return view.render(
        "console/message.html",
        detail=found,
        message=found.message,
        account_name=account.name if account else str(found.message.account_id),
    )
