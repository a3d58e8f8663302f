"""CHECK_CONCURRENCY as one budget for every check a process runs.

The engine's scheduled checks and the checks by hand (the bot's Check now, the API's
POST /monitors/{id}/check) draw from the same slots, so no mix of schedule and
button presses puts more than CHECK_CONCURRENCY probes in flight.

1. The engine takes a slot without waiting (`try_take`): when none is free it keeps
   the claim in its own FIFO queue and claims less at the next tick.
2. A check by hand waits for a slot (`take`). Someone is looking at the chat, so a
   freed slot goes to a waiting hand check before the engine's queue.
3. Every slot is given back (`give_back`) when its check ends, however it ends; the
   engine hears of slots that no hand check took (`on_free`) and starts what waits.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable


class CheckSlots:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_use = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._on_free: list[Callable[[], None]] = []

    def free(self) -> int:
        """Slots nobody holds or waits for."""
        return max(0, self.limit - self.in_use - len(self._waiters))

    def try_take(self) -> bool:
        if self.in_use >= self.limit or self._waiters:
            return False
        self.in_use += 1
        return True

    async def take(self) -> None:
        """Wait for a slot (first come, first served among checks by hand)."""
        if self.try_take():
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give_back()  # the slot arrived as we were cancelled: pass it on
            else:
                self._waiters.remove(waiter)
            raise

    def give_back(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes to it: in_use is unchanged
                return
        self.in_use -= 1
        for listener in self._on_free:
            listener()

    def on_free(self, listener: Callable[[], None]) -> None:
        """Call `listener` whenever a slot is given back and no check by hand took it."""
        self._on_free.append(listener)
