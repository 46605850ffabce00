"""Message search as both faces offer it: the form's fields read into a ``MessageQuery``.

Fields (all optional): ``number`` (any way a partner writes it: ``13800138000``,
``+86 138…``), ``from`` and ``to`` (dates, inclusive, in the back office's time zone),
``state`` and ``ref`` (the client reference, exact). A field that cannot be read is reported
by its label key and left out of the query, so the page still answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hongyan.core.messages import MessageState
from hongyan.core.numbers import normalize
from hongyan.store.base import MessageQuery

FIELDS = ("number", "from", "to", "state", "ref")
MAX_FIELD = 100


@dataclass(frozen=True)
class MessageSearch:
    query: MessageQuery  # without cursor and limit: the page adds them
    params: dict[str, str]  # the fields as given, for the form and the pager links
    errors: tuple[str, ...] = field(default=())  # label keys of fields that could not be read

    @property
    def filtered(self) -> bool:
        return any(self.params.values())


def _local_day(text: str, tz: ZoneInfo) -> datetime | None:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return datetime.combine(day, time(), tz)


def read_search(params: Mapping[str, str], tz: ZoneInfo, account_id: int | None) -> MessageSearch:
    given = {k: params.get(k, "").strip()[:MAX_FIELD] for k in FIELDS}
    errors: list[str] = []
    recipient = None
    if given["number"]:
        recipient = normalize(given["number"], national="CN")
        if recipient is None:
            errors.append("search.bad_number")
    since = until = None
    if given["from"]:
        since = _local_day(given["from"], tz)
        if since is None:
            errors.append("search.bad_date")
    if given["to"]:
        day_after = _local_day(given["to"], tz)
        until = day_after + timedelta(days=1) if day_after else None
        if until is None and "search.bad_date" not in errors:
            errors.append("search.bad_date")
    state = None
    if given["state"]:
        try:
            state = MessageState(given["state"])
        except ValueError:
            errors.append("search.bad_state")
    query = MessageQuery(
        account_id=account_id,
        recipient=recipient,
        state=state,
        client_ref=given["ref"] or None,
        since=since,
        until=until,
    )
    return MessageSearch(query=query, params=given, errors=tuple(errors))
