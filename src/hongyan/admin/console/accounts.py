"""Partner accounts in the console: list and create, then per account edit settings and
limits, top up with a note, stop or resume, and set a new password (never shown).

Each change goes through an ``*_audited`` store verb, so the change and its audit entry commit
in one transaction. After a change the API's account cache forgets the account, so a stop or
a new password takes effect on the next request.
"""

from __future__ import annotations

import asyncio
import dataclasses

from starlette.responses import Response
from starlette.routing import BaseRoute

from hongyan.admin.console import forms
from hongyan.admin.console.face import ConsoleFace, ConsoleView, acting, route
from hongyan.admin.console.listing import page_of
from hongyan.admin.office import BackOffice
from hongyan.admin.pagination import PageRequest
from hongyan.admin.views import query_params
from hongyan.core.accounts import Account, hash_password
from hongyan.core.errors import Conflict, InsufficientBalance, NotFound
from hongyan.store.base import AccountChanges, AuditQuery

NOTICES = {"created", "saved", "topped_up", "stopped", "resumed", "password"}


def routes(office: BackOffice, face: ConsoleFace) -> list[BaseRoute]:
    return [
        route(office, face, "/accounts", account_list),
        route(office, face, "/accounts", create, "POST"),
        route(office, face, "/accounts/{name}", detail),
        route(office, face, "/accounts/{name}/edit", edit, "POST"),
        route(office, face, "/accounts/{name}/topup", top_up, "POST"),
        route(office, face, "/accounts/{name}/state", set_state, "POST"),
        route(office, face, "/accounts/{name}/password", set_password, "POST"),
    ]


async def account_list(
    view: ConsoleView, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    wanted = view.query("q").lower()
    accounts = [
        a
        for a in await view.store.list_accounts()
        if not wanted or wanted in a.name.lower() or wanted in a.short_name.lower()
    ]
    return view.render(
        "console/accounts.html",
        status=status,
        page=page_of(accounts, PageRequest.from_query(view.request.query_params)),
        params=query_params(view, "q"),
        total=len(accounts),
        errors=errors or {},
        values=_values(view),
        notice=view.query("done") if view.query("done") in NOTICES else "",
    )


async def create(view: ConsoleView) -> Response:
    account, password, errors = forms.new_account(view.t, view.field)
    if account is not None:
        target = f"account:{account.name}"
        hashed = await asyncio.to_thread(hash_password, password)
        account = dataclasses.replace(account, password_hash=hashed)
        try:
            await view.store.create_account_audited(account, acting(view, "account.create", target))
        except Conflict:
            errors = {"name": view.t("form.name_taken")}
        else:
            return view.redirect(f"/accounts/{account.name}?done=created")
    return await account_list(view, errors, status=400)


async def _account(view: ConsoleView) -> Account:
    account = await view.store.get_account(view.request.path_params["name"])
    if account is None:
        raise NotFound(view.request.path_params["name"])
    return account


async def detail(
    view: ConsoleView,
    errors: dict[str, str] | None = None,
    status: int = 200,
    form: str = "",
) -> Response:
    account = await _account(view)
    target = f"account:{account.name}"
    entries = await view.store.find_audit(AuditQuery(target=target, limit=50))
    return view.render(
        "console/account.html",
        status=status,
        account=account,
        history=[e for e in entries if e.target == target][:10],
        errors=errors or {},
        failed_form=form,
        values=_values(view),
        notice=view.query("done") if view.query("done") in NOTICES else "",
    )


def _values(view: ConsoleView) -> dict[str, str]:
    """What was typed, to show again with the errors (never a password)."""
    if view.form is None:
        return {}
    return {k: view.field(k) for k in view.form if k not in ("csrf", "password", "password2")}


def _changed(view: ConsoleView, account: Account, notice: str) -> Response:
    view.context.authenticator.forget(account.name)
    return view.redirect(f"/accounts/{account.name}?done={notice}")


async def edit(view: ConsoleView) -> Response:
    account = await _account(view)
    changes, errors = forms.account_changes(view.t, view.field, account)
    if changes is None:
        return await detail(view, errors, status=400, form="edit")
    target = f"account:{account.name}"
    await view.store.update_account_audited(
        account.name, changes, acting(view, "account.update", target)
    )
    return _changed(view, account, "saved")


async def top_up(view: ConsoleView) -> Response:
    account = await _account(view)
    amount, note, errors = forms.top_up(view.t, view.field)
    if not errors:
        target = f"account:{account.name}"
        try:
            await view.store.adjust_balance_audited(
                account.name, amount, note, acting(view, "account.topup", target)
            )
        except InsufficientBalance:
            errors = {"amount": view.t("form.below_zero", balance=account.balance)}
        else:
            return _changed(view, account, "topped_up")
    return await detail(view, errors, status=400, form="topup")


async def set_state(view: ConsoleView) -> Response:
    account = await _account(view)
    active = view.field("active") == "1"
    action = "account.resume" if active else "account.stop"
    await view.store.update_account_audited(
        account.name, AccountChanges(active=active), acting(view, action, f"account:{account.name}")
    )
    return _changed(view, account, "resumed" if active else "stopped")


async def set_password(view: ConsoleView) -> Response:
    account = await _account(view)
    check = forms.Checked(view.t)
    password = check.password("password", view.field("password"), view.field("password2"))
    if check.errors:
        return await detail(view, check.errors, status=400, form="password")
    changes = AccountChanges(password_hash=await asyncio.to_thread(hash_password, password))
    target = f"account:{account.name}"
    await view.store.update_account_audited(
        account.name, changes, acting(view, "account.password", target)
    )
    return _changed(view, account, "password")
