"""The audit log page: every operator action, newest first, filtered by operator or target,
each with the fields it changed (before → after)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from hongyan.admin.console.face import ConsoleFace, ConsoleView, route
from hongyan.admin.office import BackOffice
from hongyan.admin.pagination import PageRequest
from hongyan.admin.views import query_params
from hongyan.core.operators import COMMAND_LINE, AuditEntry
from hongyan.store.base import AuditQuery

MAX_VALUE = 300  # characters of one value shown in the table; the rest is cut with "…"


@dataclass(frozen=True)
class Change:
    field: str
    before: str | None  # None: the field was not there (created, added)
    after: str | None


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def changes(entry: AuditEntry) -> list[Change]:
    """One row per field either side names, in the order they were recorded."""
    before, after = entry.before or {}, entry.after or {}
    fields = list(dict.fromkeys([*before, *after]))
    return [
        Change(
            field,
            _shown(before[field]) if field in before else None,
            _shown(after[field]) if field in after else None,
        )
        for field in fields
    ]


def routes(office: BackOffice, face: ConsoleFace) -> list[BaseRoute]:
    return [route(office, face, "/audit", audit_page)]


async def audit_page(view: ConsoleView) -> Response:
    request = PageRequest.from_query(view.request.query_params)
    query = AuditQuery(
        operator=view.query("operator") or None,
        target=view.query("target")[:200] or None,
        before_id=request.before,
        limit=request.limit,
    )
    found = await view.store.find_audit(query)
    operators = [o.name for o in await view.store.list_operators()]
    return view.render(
        "console/audit.html",
        page=request.page(found, key=lambda e: e.id),
        params=query_params(view, "operator", "target"),
        filtered=bool(query.operator or query.target),
        operators=[*operators, COMMAND_LINE],
        changes=changes,
    )
