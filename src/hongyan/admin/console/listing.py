"""Short lists the store returns whole (accounts, blacklist, banned words), shown a page at a
time with the same cursor pager as the store-paged tables.

Each item gets a key counting down from the list's length, so "rows with a key below the
cursor" is a page, exactly as for ids in the messages and audit tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from hongyan.admin.pagination import Page, PageRequest

T = TypeVar("T")


def page_of(items: Sequence[T], request: PageRequest) -> Page[tuple[int, T]]:
    keyed = [(len(items) - i, item) for i, item in enumerate(items)]
    if request.before is not None:
        keyed = [k for k in keyed if k[0] < request.before]
    return request.page(keyed[: request.limit], key=lambda pair: pair[0])
