"""A small per-process cache: each value is kept for `ttl` seconds of a Clock's
monotonic time (core/clock.py, so tests move it instead of sleeping), and at most
`max_entries` values are kept, the oldest written going first.

Every process has its own: what it saves is reads of figures that change slowly
(rollups, maintenance windows), so several replicas may each hold a copy for `ttl`
seconds without anything to keep in step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from core.clock import Clock

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(self, clock: Clock, ttl: float, max_entries: int) -> None:
        self._clock = clock
        self._ttl = ttl
        self._max = max_entries
        self._entries: dict[K, tuple[float, V]] = {}  # key -> (expires at, value)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> tuple[bool, V | None]:
        """(True, value) while `key`'s value is fresh, else (False, None)."""
        entry = self._entries.get(key)
        if entry is None:
            return False, None
        expires, value = entry
        if self._clock.monotonic() >= expires:
            del self._entries[key]
            return False, None
        return True, value

    def put(self, key: K, value: V) -> None:
        self._entries.pop(key, None)  # a value written again counts as the newest
        self._entries[key] = (self._clock.monotonic() + self._ttl, value)
        while len(self._entries) > self._max:
            del self._entries[next(iter(self._entries))]

    async def get_or_make(self, key: K, make: Callable[[], Awaitable[V]]) -> V:
        """The fresh value of `key`, else what `make()` gives, kept for the next ones."""
        fresh, value = self.get(key)
        if fresh:
            return value  # type: ignore[return-value]
        made = await make()
        self.put(key, made)
        return made
