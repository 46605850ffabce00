"""Server-side pagination by key (``id < cursor``), newest first, for tables of any size.

An offset (``LIMIT 20 OFFSET 200000``) makes the database walk every skipped row; a cursor
does not, and rows arriving meanwhile do not shift the pages. Going back to newer pages needs
the cursors already passed, so the query string carries them (``trail``), a few bytes per page.
A list fetches ``size + 1`` rows through ``PageRequest.limit`` to learn whether older rows exist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

T = TypeVar("T")
DEFAULT_SIZE = 20
MAX_SIZE = 100
MAX_TRAIL = 200  # deeper than this, "newer" jumps back to the first page


def _positive(value: str | None) -> int | None:
    if value is None or not value.isdigit() or len(value) > 19:
        return None
    number = int(value)
    return number if number > 0 else None


@dataclass(frozen=True)
class PageRequest:
    before: int | None  # only rows with a key below this; None = the newest rows
    trail: tuple[int, ...]  # cursors of the newer pages (0 = the first page)
    size: int = DEFAULT_SIZE

    @classmethod
    def from_query(cls, params: Mapping[str, str], size: int = DEFAULT_SIZE) -> PageRequest:
        """Read ``before``, ``trail`` and ``size``; anything malformed means the first page."""
        trail_text = params.get("trail", "")
        parts = trail_text.split(".") if trail_text else []
        trail = tuple(int(p) for p in parts if p.isdigit() and len(p) <= 19)[-MAX_TRAIL:]
        asked = _positive(params.get("size"))
        return cls(
            before=_positive(params.get("before")),
            trail=trail,
            size=min(asked, MAX_SIZE) if asked else size,
        )

    @property
    def limit(self) -> int:
        return self.size + 1

    def page(self, rows: Sequence[T], key: Callable[[T], int]) -> Page[T]:
        return Page(
            items=list(rows[: self.size]), request=self, older=len(rows) > self.size, key=key
        )


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    request: PageRequest
    older: bool  # rows older than this page exist
    key: Callable[[T], int]

    @property
    def newer(self) -> bool:
        return self.request.before is not None

    @property
    def number(self) -> int:
        """1 for the newest page, counting back."""
        return len(self.request.trail) + 1 if self.newer else 1

    def older_href(self, params: Mapping[str, str]) -> str:
        """Link to the next older page, keeping the other query ``params`` (filters)."""
        if not self.items:
            return _href(params, {})
        trail = (*self.request.trail, self.request.before or 0)[-MAX_TRAIL:]
        cursor = {"before": str(self.key(self.items[-1])), "trail": ".".join(map(str, trail))}
        return _href(params, cursor)

    def newer_href(self, params: Mapping[str, str]) -> str:
        trail = self.request.trail
        if not trail or trail[-1] == 0:
            return _href(params, {})
        return _href(params, {"before": str(trail[-1]), "trail": ".".join(map(str, trail[:-1]))})

    def first_href(self, params: Mapping[str, str]) -> str:
        return _href(params, {})


def _href(params: Mapping[str, str], cursor: Mapping[str, str]) -> str:
    kept = {k: v for k, v in params.items() if k not in ("before", "trail") and v != ""}
    query = urlencode({**kept, **{k: v for k, v in cursor.items() if v}})
    return f"?{query}" if query else "?"
