"""MT routing: which channels may carry a message to a number, in failover order.

Routes come from configuration (``[[routes]]``). The route with the longest prefix matching the
recipient's canonical digits wins; ``""`` matches every number. A message tries the route's
channels in order, skipping those that are down or refuse it.
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
        # Longest prefix first; among equal prefixes the first configured wins (stable sort).
        self._routes = sorted(routes, key=lambda r: len(r.prefix), reverse=True)

    def channels_for(self, recipient: str) -> tuple[str, ...]:
        for route in self._routes:
            if recipient.startswith(route.prefix):
                return route.channels
        return ()
