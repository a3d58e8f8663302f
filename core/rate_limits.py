"""Per-key token buckets: a steady rate with room for a burst (the public endpoints'
limits, per token: a burst of pings is not an outage, but a loop is not let through)."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBuckets:
    """`rate` per second per key, up to `burst` at once. At most `max_keys` keys are
    remembered: past that, the full buckets (keys quiet for a while) are forgotten,
    so a flood of random keys cannot grow memory without bound."""

    def __init__(
        self,
        rate: float,
        burst: float,
        max_keys: int = 100_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._monotonic = monotonic
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def allow(self, key: str) -> bool:
        now = self._monotonic()
        tokens, at = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return False
        if key not in self._buckets and len(self._buckets) >= self.max_keys:
            self._forget_full(now)
        self._buckets[key] = (tokens - 1, now)
        return True

    def _forget_full(self, now: float) -> None:
        full = [
            k for k, (t, at) in self._buckets.items() if t + (now - at) * self.rate >= self.burst
        ]
        for key in full or list(self._buckets)[: self.max_keys // 10]:
            del self._buckets[key]
