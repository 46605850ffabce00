"""Sign-in throttling: too many failed sign-ins from one address, or for one name, wait a while.

Two counters, because they stop different attacks: per address stops one client guessing many
names; per name stops many clients (a botnet) guessing one account's password. Counting is in
memory, per process; a restart forgets, which only helps a guesser by one window.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class SignInThrottle:
    max_per_address: int = 20
    max_per_name: int = 5
    window_seconds: float = 900.0
    monotonic: Callable[[], float] = time.monotonic
    _failures: dict[str, list[float]] = field(default_factory=dict)

    def wait_seconds(self, address: str, name: str) -> int:
        """0 when a sign-in may be tried now; else the whole seconds until it may."""
        waits = [
            self._wait(f"ip:{address}", self.max_per_address),
            self._wait(f"name:{name.lower()}", self.max_per_name),
        ]
        return max(waits)

    def failed(self, address: str, name: str) -> None:
        now = self.monotonic()
        for key in (f"ip:{address}", f"name:{name.lower()}"):
            self._recent(key).append(now)
        if len(self._failures) > 50_000:  # bound memory under a spray of names
            for key in [k for k in self._failures if not self._recent(k)]:
                del self._failures[key]

    def succeeded(self, name: str) -> None:
        """A correct password clears the name's count (not the address's: it may be shared)."""
        self._failures.pop(f"name:{name.lower()}", None)

    def _wait(self, key: str, limit: int) -> int:
        recent = self._recent(key)
        if len(recent) < limit:
            return 0
        # The oldest failure that still counts must leave the window before another try.
        release = recent[len(recent) - limit] + self.window_seconds
        return max(1, math.ceil(release - self.monotonic()))

    def _recent(self, key: str) -> list[float]:
        horizon = self.monotonic() - self.window_seconds
        kept = [t for t in self._failures.get(key, ()) if t > horizon]
        self._failures[key] = kept
        return kept
