"""A token bucket for a channel's sends-per-second limit; time is passed in."""

from __future__ import annotations


class TokenBucket:
    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate / 10)
        self._tokens = self.capacity
        self._last: float | None = None

    def delay(self, now: float) -> float:
        """Take one token; the seconds to wait before sending (0 when one was available)."""
        if self._last is not None:
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate
