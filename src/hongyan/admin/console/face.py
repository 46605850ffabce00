"""The console as a face of the back office: its realm, navigation, how operators sign in, and
how every action it takes is written to the audit log."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from starlette.routing import Route

from hongyan.admin.console.labels import CONSOLE
from hongyan.admin.labels import COMMON
from hongyan.admin.office import BackOffice, Face, NavItem
from hongyan.admin.views import Handler, View, page
from hongyan.core.accounts import hash_password, verify_password
from hongyan.core.operators import AuditAction, AuditEntry, NewAuditEntry, Operator
from hongyan.services.api.context import ApiContext

ConsoleFace = Face[Operator]
ConsoleView = View[Operator]
NAV = (
    NavItem("/accounts", "nav.accounts"),
    NavItem("/channels", "nav.channels"),
    NavItem("/messages", "nav.messages"),
    NavItem("/lists", "nav.lists"),
    NavItem("/charts", "nav.charts"),
    NavItem("/audit", "nav.audit"),
)


def console_face(office: BackOffice) -> ConsoleFace:
    return Face(
        realm="console",
        prefix="/admin",
        title="console.title",
        catalog=COMMON.merged(CONSOLE.labels),
        load=_load,
        cookie=office.session_cookie("console", "/admin"),
        nav=NAV,
        home="/accounts",
    )


async def _load(context: ApiContext, operator_id: int) -> Operator | None:
    return await context.store.get_operator_by_id(operator_id)


@functools.cache
def _decoy_hash() -> str:
    return hash_password("no operator has this password")


async def verify(context: ApiContext, name: str, password: str) -> Operator | None:
    """The operator when ``password`` is theirs (argon2id, off the event loop)."""
    operator = await context.store.get_operator(name)
    # An unknown name costs the same slow hash as a known one: timing does not tell them apart.
    stored = operator.password_hash if operator else await asyncio.to_thread(_decoy_hash)
    ok = await asyncio.to_thread(verify_password, stored, password)
    return operator if ok and operator is not None else None


def acting(view: ConsoleView, action: str, target: str) -> AuditAction:
    """Who is doing what, for the store verbs that write the audit entry with the change."""
    return AuditAction(view.signed_in_user.name, action, target)


async def audit(
    view: ConsoleView,
    action: str,
    target: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEntry:
    """Record an action whose store verb cannot write the entry itself: called right after the
    change commits, so a crash in between loses the entry, never the change."""
    entry = NewAuditEntry(view.signed_in_user.name, action, target, before, after)
    return await view.store.record_audit(entry)


def route(
    office: BackOffice,
    face: ConsoleFace,
    path: str,
    handler: Handler[Operator],
    method: str = "GET",
) -> Route:
    """A console page: ``handler`` behind ``page()`` (session, CSRF, signed-in operator)."""
    return Route(path, page(office, face, handler), methods=[method])
