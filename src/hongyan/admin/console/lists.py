"""The blacklist (global, or one account's) and the banned words, in the console.

The store verbs for these lists have no audit hook, so the audit entry is written right after
the change commits (see ``face.audit``). The API re-reads banned words every few seconds.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import BaseRoute

from hongyan.admin.console.face import ConsoleFace, ConsoleView, audit, route
from hongyan.admin.console.listing import page_of
from hongyan.admin.office import BackOffice
from hongyan.admin.pagination import PageRequest
from hongyan.admin.views import query_params
from hongyan.core.errors import NotFound
from hongyan.core.numbers import normalize

MAX_ITEMS = 1000  # one form; more is a job for the command line
MAX_WORD = 100


def routes(office: BackOffice, face: ConsoleFace) -> list[BaseRoute]:
    return [
        route(office, face, "/lists", _to_blacklist),
        route(office, face, "/lists/blacklist", blacklist),
        route(office, face, "/lists/blacklist/add", blacklist_add, "POST"),
        route(office, face, "/lists/blacklist/remove", blacklist_remove, "POST"),
        route(office, face, "/lists/words", words),
        route(office, face, "/lists/words/add", words_add, "POST"),
        route(office, face, "/lists/words/remove", words_remove, "POST"),
    ]


async def _to_blacklist(view: ConsoleView) -> Response:
    return view.redirect("/lists/blacklist")


def _lines(text: str) -> list[str]:
    return [w for w in (part.strip() for part in re.split(r"[\r\n]+", text)) if w]


async def _scope(view: ConsoleView, name: str) -> int | None:
    """The account a blacklist belongs to (``None``: the global list)."""
    if not name:
        return None
    account = await view.store.get_account(name)
    if account is None:
        raise NotFound(name)
    return account.id


async def blacklist(
    view: ConsoleView, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    scope = view.query("account") or view.field("account")
    entries = await view.store.list_blacklist(await _scope(view, scope))
    return view.render(
        "console/blacklist.html",
        status=status,
        scope=scope,
        accounts=await view.store.list_accounts(),
        page=page_of(
            [number for number, _ in entries], PageRequest.from_query(view.request.query_params)
        ),
        params=query_params(view, "account"),
        total=len(entries),
        errors=errors or {},
        typed=view.field("numbers"),
        notice=view.query("done") if view.query("done") in ("added", "removed") else "",
    )


def _numbers(text: str) -> tuple[list[str], list[str]]:
    """(canonical numbers, what could not be read as a number)."""
    good: list[str] = []
    bad: list[str] = []
    for raw in re.split(r"[\s,，;；]+", text):
        if raw:
            number = normalize(raw, national="CN")
            (good if number else bad).append(number or raw)
    return good, bad


async def _blacklist_change(view: ConsoleView, adding: bool) -> Response:
    scope = view.field("account")
    account_id = await _scope(view, scope)
    numbers, bad = _numbers(view.field("numbers"))
    if bad or not numbers or len(numbers) > MAX_ITEMS:
        wrong = ", ".join(bad[:5])
        message = view.t("lists.bad_numbers", numbers=wrong) if bad else view.t("lists.no_numbers")
        return await blacklist(view, {"numbers": message}, status=400)
    if adding:
        changed = await view.store.add_blacklist(numbers, account_id)
    else:
        changed = await view.store.remove_blacklist(numbers, account_id)
    target = f"blacklist:{scope or 'global'}"
    values = {"numbers": numbers, "changed": changed}
    if adding:
        await audit(view, "blacklist.add", target, None, values)
    else:
        await audit(view, "blacklist.remove", target, values, None)
    done = {"done": "added" if adding else "removed", **({"account": scope} if scope else {})}
    return view.redirect(f"/lists/blacklist?{urlencode(done)}")


async def blacklist_add(view: ConsoleView) -> Response:
    return await _blacklist_change(view, adding=True)


async def blacklist_remove(view: ConsoleView) -> Response:
    return await _blacklist_change(view, adding=False)


async def words(
    view: ConsoleView, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    found = await view.store.list_banned_words()
    return view.render(
        "console/words.html",
        status=status,
        page=page_of(found, PageRequest.from_query(view.request.query_params)),
        params={},
        total=len(found),
        errors=errors or {},
        typed=view.field("words"),
        notice=view.query("done") if view.query("done") in ("added", "removed") else "",
    )


async def _words_change(view: ConsoleView, adding: bool) -> Response:
    given = list(dict.fromkeys(_lines(view.field("words"))))
    if not given or len(given) > MAX_ITEMS or any(len(w) > MAX_WORD for w in given):
        return await words(view, {"words": view.t("lists.bad_words", n=MAX_WORD)}, status=400)
    if adding:
        changed = await view.store.add_banned_words(given)
        values = {"words": given, "changed": changed}
        await audit(view, "banned-words.add", "banned-words", None, values)
    else:
        changed = await view.store.remove_banned_words(given)
        values = {"words": given, "changed": changed}
        await audit(view, "banned-words.remove", "banned-words", values, None)
    return view.redirect(f"/lists/words?done={'added' if adding else 'removed'}")


async def words_add(view: ConsoleView) -> Response:
    return await _words_change(view, adding=True)


async def words_remove(view: ConsoleView) -> Response:
    return await _words_change(view, adding=False)
