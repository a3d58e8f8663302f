"""CHECK_CONCURRENCY as one budget for every check a process runs.

The engine's scheduled checks and the checks by hand (the bot's Check now, the API's
POST /monitors/{id}/check) draw from the same slots, so no mix of schedule and
button presses puts more than CHECK_CONCURRENCY probes in flight.

1. The engine takes a slot without waiting (`try_take`): when none is free it keeps
   the claim in its own FIFO queue and claims less at the next tick.
2. A check by hand waits for a slot (`by_hand`). Someone is looking at the chat, so a
   freed slot goes to a waiting hand check before the engine's queue.
3. Because hand checks jump that queue, one owner's hand checks may hold (or wait for)
   at most `per_owner` slots, a quarter of them: one person pressing Check now on many
   slow targets queues behind their own checks, and the schedule keeps the rest.
4. Every slot is given back (`give_back`) when its check ends, however it ends; the
   engine hears of slots that no hand check took (`on_free`) and starts what waits.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

# The share of the slots one owner's checks by hand may hold at once (at least one).
HAND_SHARE_PER_OWNER = 0.25


@dataclass
class _OwnerHands:
    gate: asyncio.Semaphore
    present: int = 0  # hand checks waiting at the gate or past it
    holding: int = 0  # of which hold a slot


class CheckSlots:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_use = 0
        self.per_owner = max(1, int(limit * HAND_SHARE_PER_OWNER))
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._on_free: list[Callable[[], None]] = []
        # Owner id -> their hand checks: the gate of their share, how many are at it
        # (waiting or holding) and how many hold a slot. An owner's entry goes away
        # with their last hand check, so the map stays small.
        self._owners: dict[int, _OwnerHands] = {}

    def free(self) -> int:
        """Slots nobody holds or waits for."""
        return max(0, self.limit - self.in_use - len(self._waiters))

    def held_by_hand(self, owner_id: int) -> int:
        """Slots `owner_id`'s checks by hand hold now."""
        hands = self._owners.get(owner_id)
        return hands.holding if hands else 0

    def try_take(self) -> bool:
        if self.in_use >= self.limit or self._waiters:
            return False
        self.in_use += 1
        return True

    @asynccontextmanager
    async def by_hand(self, owner_id: int) -> AsyncIterator[None]:
        """Hold a slot for one check by hand of `owner_id`'s monitor: first a place in
        the owner's share (per_owner), then a slot from the shared ones (`take`)."""
        hands = self._owners.get(owner_id)
        if hands is None:
            hands = self._owners[owner_id] = _OwnerHands(asyncio.Semaphore(self.per_owner))
        hands.present += 1
        try:
            async with hands.gate:
                await self.take()
                hands.holding += 1
                try:
                    yield
                finally:
                    hands.holding -= 1
                    self.give_back()
        finally:
            hands.present -= 1
            if not hands.present:
                del self._owners[owner_id]

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
