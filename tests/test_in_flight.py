"""UpdatesInFlight: shutdown waits for handlers, then cancels and unwinds the rest."""

from __future__ import annotations

import asyncio

from aiogram import Dispatcher

from bot.in_flight import UpdatesInFlight, finish_updates, track_updates


async def test_finish_waits_for_quick_handlers_and_cancels_stuck_ones() -> None:
    in_flight = UpdatesInFlight()
    finished, unwound = [], []

    async def quick(event, data):
        await asyncio.sleep(0.2)
        finished.append(event)

    async def stuck(event, data):
        try:
            await asyncio.sleep(3600)
        finally:
            unwound.append(event)  # where a handler's FSM lock is released

    tasks = [
        asyncio.create_task(in_flight(quick, "a", {})),
        asyncio.create_task(in_flight(stuck, "b", {})),
    ]
    await asyncio.sleep(0)
    assert in_flight.count == 2
    assert await in_flight.finish(timeout=1) == 1
    assert finished == ["a"] and unwound == ["b"]
    assert tasks[1].cancelled() and in_flight.count == 0
    assert await in_flight.finish(timeout=1) == 0  # nothing left: returns at once


async def test_the_dispatcher_keeps_its_storage_open_until_the_owner_closes_it() -> None:
    dispatcher = Dispatcher()
    tracker = track_updates(dispatcher)
    assert tracker in dispatcher.update.outer_middleware
    assert all(h.callback != dispatcher.fsm.close for h in dispatcher.shutdown.handlers)
    assert await finish_updates(dispatcher, 0.1) == 0
