"""A short-lived cache of what public pages serve (status pages), per process.

Every replica keeps its own: a page read from the database at most once per `ttl`
seconds per process costs nothing however popular it is, and no replica needs another
to serve any page. Time is the injected clock's (core/clock.py): tests move it instead
of sleeping.

- One request builds a missing or expired value; the others asking for the same key
  meanwhile wait for that one build instead of each making their own.
- While an expired value is being rebuilt, other requests get the expired one (at
  most `stale_for` seconds past its time), so a popular page never makes its visitors
  wait for a rebuild: only the request that rebuilds does.
- A rebuild that fails (the database is away) hands out the expired value, within
  `stale_for`, and is tried again by the next request: the page stays up, saying when
  it was last updated. Without one the error goes to the caller.
- None is not kept (a page that does not exist): asked again next time, so requests
  for made-up keys cannot push real pages out, and a page that is deleted is gone at
  the next rebuild.
- At most `max_entries` values are kept: the expired ones go first, then the oldest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from core.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class _Entry(Generic[T]):
    value: T
    expires: float  # on the clock's monotonic time


class PageCache(Generic[T]):
    """See the module doc. `get(key, build)`: the value, built when needed."""

    def __init__(
        self,
        ttl: float,
        clock: Clock = SYSTEM_CLOCK,
        *,
        stale_for: float = 300.0,
        max_entries: int = 256,
    ) -> None:
        self.ttl = ttl
        self.stale_for = stale_for
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[Hashable, _Entry[T]] = {}
        self._builds: dict[Hashable, asyncio.Future[T | None]] = {}
        self.builds = 0  # values built (for tests and benchmarks)

    async def get(self, key: Hashable, build: Callable[[], Awaitable[T | None]]) -> T | None:
        """The value of `key`, built with `build()` when missing or expired (module doc)."""
        now = self._clock.monotonic()
        entry = self._entries.get(key)
        if entry is not None and now < entry.expires:
            return entry.value
        usable = entry is not None and now < entry.expires + self.stale_for
        running = self._builds.get(key)
        if running is not None:
            if usable:
                return entry.value
            return await asyncio.shield(running)
        running = self._builds[key] = asyncio.get_running_loop().create_future()
        try:
            value = await build()
        except Exception as error:
            if usable:
                log.warning("could not rebuild %r, serving the copy before: %s", key, error)
                running.set_result(entry.value)
                return entry.value
            running.set_exception(error)
            running.exception()  # the waiters, if any, get it: not "never retrieved"
            raise
        except BaseException:
            running.cancel()
            raise
        finally:
            del self._builds[key]
        self.builds += 1
        if value is None:
            self._entries.pop(key, None)
        else:
            self._put(key, value, self._clock.monotonic() + self.ttl)
        running.set_result(value)
        return value

    def _put(self, key: Hashable, value: T, expires: float) -> None:
        self._entries.pop(key, None)  # to the end: the newest
        self._entries[key] = _Entry(value, expires)
        if len(self._entries) <= self.max_entries:
            return
        now = self._clock.monotonic()
        for old in [k for k, e in self._entries.items() if e.expires + self.stale_for <= now]:
            del self._entries[old]
        while len(self._entries) > self.max_entries:
            del self._entries[next(iter(self._entries))]

    def __len__(self) -> int:
        return len(self._entries)
