"""Time as a dependency: the engine and the outbox read the time and set timers through
a `Clock`, so tests can drive them on a `ManualClock` instead of sleeping.

- `now()`: the wall-clock time (aware, UTC) for due times, leases and dates.
- `monotonic()`: seconds for measuring durations and spacing work.
- `call_at(moment, callback, *args)`: run `callback` on the event loop at the wall-clock
  `moment` (at once when it is past); returns a handle with `cancel()`.
- `sleep(seconds)`: wait that long.

`SystemClock` is the real thing (the event loop's timers). `ManualClock` stands still
until a test moves it with `advance()`: the timers and sleepers that fall due run in
due order, each at its own moment (the clock shows that moment while its callback
runs), and the event loop gets a few turns after each so that the tasks they wake
get going before the clock moves on. Nothing in a test on a ManualClock waits for
real time, and nothing depends on how fast the machine is.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    def call_at(
        self, moment: datetime, callback: Callable[..., Any], *args: Any
    ) -> TimerHandle: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real time and the running event loop's timers."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def call_at(
        self, moment: datetime, callback: Callable[..., Any], *args: Any
    ) -> asyncio.TimerHandle:
        # The loop's timers run on its monotonic clock: the wall-clock moment becomes a
        # delay from now (so a step of the system clock after this does not move it).
        delay = (moment - datetime.now(UTC)).total_seconds()
        return asyncio.get_running_loop().call_later(max(0.0, delay), callback, *args)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


class _ManualTimer:
    def __init__(self, callback: Callable[..., Any], args: tuple) -> None:
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """A clock that moves only when told to (tests). See the module doc."""

    # Event-loop turns given after each timer: enough for a woken task to reach its
    # next await on I/O or on this clock (a chain of a few coroutine steps).
    SETTLE_TURNS = 5

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC)
        self._mono = 0.0
        self._timers: list[tuple[datetime, int, _ManualTimer]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def call_at(self, moment: datetime, callback: Callable[..., Any], *args: Any) -> _ManualTimer:
        timer = _ManualTimer(callback, args)
        heapq.heappush(self._timers, (moment, next(self._order), timer))
        return timer

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        waiter = asyncio.get_running_loop().create_future()
        timer = self.call_at(self._now + timedelta(seconds=seconds), _wake, waiter)
        try:
            await waiter
        finally:
            timer.cancel()

    @property
    def pending(self) -> int:
        """Timers and sleepers not yet due (cancelled ones excluded)."""
        return sum(1 for _, _, timer in self._timers if not timer.cancelled)

    def next_due(self) -> datetime | None:
        """When the earliest live timer is due, if any."""
        for moment, _, timer in sorted(self._timers):
            if not timer.cancelled:
                return moment
        return None

    async def advance(self, seconds: float) -> None:
        """Move the clock `seconds` forward, running what falls due on the way."""
        await self.advance_to(self._now + timedelta(seconds=seconds))

    async def advance_to(self, moment: datetime) -> None:
        """Move the clock to `moment` (never backwards), running what falls due."""
        await _settle(self.SETTLE_TURNS)
        while self._timers and self._timers[0][0] <= moment:
            due, _, timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            self._set(max(due, self._now))
            timer.callback(*timer.args)
            await _settle(self.SETTLE_TURNS)
        self._set(max(moment, self._now))
        await _settle(self.SETTLE_TURNS)

    def _set(self, moment: datetime) -> None:
        self._mono += (moment - self._now).total_seconds()
        self._now = moment


def _wake(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def _settle(turns: int) -> None:
    for _ in range(turns):
        await asyncio.sleep(0)
