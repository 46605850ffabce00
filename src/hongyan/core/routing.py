"""MT routing: which channels may carry a message to a number, in failover order.

Routes come from configuration (``[[routes]]``) and are tried in the order they are written:
the first route whose prefix the recipient's canonical digits start with wins (the operator
contract, ``operations.md``); ``""`` matches every number, so it belongs last. A message tries
the route's channels in order, skipping those that are down or refuse it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    prefix: str
    channels: tuple[str, ...]


class Router:
    def __init__(self, routes: Iterable[Route]) -> None:
        self._routes = tuple(routes)

    @property
    def routes(self) -> tuple[Route, ...]:
        return self._routes

    def channels_for(self, recipient: str) -> tuple[str, ...]:
        for route in self._routes:
            if recipient.startswith(route.prefix):
                return route.channels
        return ()

    def unreachable(self) -> list[tuple[int, Route]]:
        """Routes (with their index) that never match: an earlier prefix covers theirs."""
        return [
            (i, route)
            for i, route in enumerate(self._routes)
            if any(route.prefix.startswith(earlier.prefix) for earlier in self._routes[:i])
        ]
