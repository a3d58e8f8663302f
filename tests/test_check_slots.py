"""CheckSlots: one CHECK_CONCURRENCY budget; checks by hand wait and go first."""

from __future__ import annotations

import asyncio

import pytest

from core.check_slots import CheckSlots


async def test_the_engine_never_exceeds_the_limit_and_hears_of_freed_slots() -> None:
    slots = CheckSlots(2)
    freed = []
    slots.on_free(lambda: freed.append(slots.in_use))
    assert slots.try_take() and slots.try_take()
    assert not slots.try_take() and slots.free() == 0
    slots.give_back()
    assert freed == [1] and slots.free() == 1


async def test_a_freed_slot_goes_to_a_waiting_check_by_hand_before_the_engine() -> None:
    slots = CheckSlots(1)
    freed = []
    slots.on_free(lambda: freed.append(True))
    assert slots.try_take()
    first, second = asyncio.create_task(slots.take()), asyncio.create_task(slots.take())
    await asyncio.sleep(0)
    assert not first.done() and slots.free() == 0
    assert not slots.try_take()  # the engine may not jump the queue of people
    slots.give_back()
    await asyncio.sleep(0)
    assert first.done() and not second.done() and freed == []
    slots.give_back()
    await asyncio.sleep(0)
    assert second.done() and slots.in_use == 1
    slots.give_back()
    assert slots.in_use == 0 and freed == [True]


async def test_a_cancelled_wait_gives_nothing_away_and_loses_no_slot() -> None:
    slots = CheckSlots(1)
    assert slots.try_take()
    waiting = asyncio.create_task(slots.take())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    slots.give_back()
    assert slots.in_use == 0 and slots.try_take()

    # Cancelled just after the slot was handed over: the slot passes on, not lost.
    handed = asyncio.create_task(slots.take())
    await asyncio.sleep(0)
    slots.give_back()  # resolves handed's waiter...
    handed.cancel()  # ...which is cancelled before it resumes
    with pytest.raises(asyncio.CancelledError):
        await handed
    assert slots.in_use == 0 and slots.free() == 1
