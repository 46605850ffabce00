"""Message search across every account (number, dates, state, client reference, account),
newest first and paged by id, and one message's detail: segments, receipts, pushes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hongyan.admin.console.face import ConsoleFace, ConsoleView
from hongyan.admin.office import BackOffice
from hongyan.admin.pagination import PageRequest
from hongyan.admin.views import page, query_params
from hongyan.core.errors import NotFound
from hongyan.core.messages import MessageState
from hongyan.core.numbers import normalize
from hongyan.store.base import MessageQuery

FILTERS = ("account", "number", "since", "until", "state", "ref")


@dataclass(frozen=True)
class Search:
    query: MessageQuery | None  # None: a filter is wrong, nothing to search
    errors: dict[str, str]


def _day(text: str, tz: ZoneInfo) -> datetime | None:
    """Midnight of a ``YYYY-MM-DD`` day in the operator's zone, or None."""
    try:
        return datetime.combine(date.fromisoformat(text), time(), tz)
    except ValueError:
        return None


def read_filters(view: ConsoleView, accounts: dict[str, int], request: PageRequest) -> Search:
    errors: dict[str, str] = {}
    tz = view.office.tz
    account_id = None
    if view.query("account"):
        account_id = accounts.get(view.query("account"))
        if account_id is None:
            errors["account"] = view.t("messages.no_account")
    recipient = None
    if view.query("number"):
        recipient = normalize(view.query("number"), national="CN")
        if recipient is None:
            errors["number"] = view.t("messages.bad_number")
    since = _day(view.query("since"), tz) if view.query("since") else None
    until = _day(view.query("until"), tz) if view.query("until") else None
    for name, value in (("since", since), ("until", until)):
        if view.query(name) and value is None:
            errors[name] = view.t("messages.bad_date")
    states = {s.value: s for s in MessageState}
    state = states.get(view.query("state"))
    if view.query("state") and state is None:
        errors["state"] = view.t("messages.bad_state")
    if errors:
        return Search(None, errors)
    query = MessageQuery(
        account_id=account_id,
        recipient=recipient,
        state=state,
        client_ref=view.query("ref") or None,
        since=since,
        until=until + timedelta(days=1) if until else None,  # the whole last day
        before_id=request.before,
        limit=request.limit,
    )
    return Search(query, {})


def routes(office: BackOffice, face: ConsoleFace) -> list[BaseRoute]:
    return [
        Route("/messages", page(office, face, search), methods=["GET"]),
        Route("/messages/{id:int}", page(office, face, detail), methods=["GET"]),
    ]


async def search(view: ConsoleView) -> Response:
    accounts = await view.store.list_accounts()
    request = PageRequest.from_query(view.request.query_params)
    found = read_filters(view, {a.name: a.id for a in accounts}, request)
    rows = await view.store.find_messages(found.query) if found.query else []
    return view.render(
        "console/messages.html",
        page=request.page(rows, key=lambda m: m.id),
        params=query_params(view, *FILTERS),
        filtered=bool(query_params(view, *FILTERS)),
        errors=found.errors,
        accounts=accounts,
        names={a.id: a.name for a in accounts},
        states=[s.value for s in MessageState],
    )


async def detail(view: ConsoleView) -> Response:
    found = await view.store.get_message_detail(view.request.path_params["id"])
    if found is None:
        raise NotFound(str(view.request.path_params["id"]))
    account = await view.store.get_account_by_id(found.message.account_id)
    return view.render(
        "console/message.html",
        detail=found,
        message=found.message,
        account_name=account.name if account else str(found.message.account_id),
    )
