"""core/clock.py: the manual clock runs timers and sleepers in due order, each at its
own moment, and only when a test moves it; the system clock keeps real time."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from core.clock import ManualClock, SystemClock

T0 = datetime(2030, 1, 1, tzinfo=UTC)


async def test_timers_run_in_due_order_each_at_its_own_moment() -> None:
    clock = ManualClock(T0)
    seen: list[tuple[str, float, float]] = []

    def note(name: str) -> None:
        seen.append((name, (clock.now() - T0).total_seconds(), clock.monotonic()))

    for name, at in [("c", 3.0), ("a", 1.0), ("b", 2.0), ("a2", 1.0)]:
        clock.call_at(T0 + timedelta(seconds=at), note, name)
    await clock.advance(1.5)
    assert seen == [("a", 1.0, 1.0), ("a2", 1.0, 1.0)]
    assert clock.now() == T0 + timedelta(seconds=1.5) and clock.pending == 2
    await clock.advance(10)
    assert [name for name, *_ in seen] == ["a", "a2", "b", "c"]
    assert clock.now() == T0 + timedelta(seconds=11.5) and clock.monotonic() == 11.5


async def test_nothing_runs_until_the_clock_moves_and_cancelled_timers_never_run() -> None:
    clock = ManualClock(T0)
    seen: list[str] = []
    clock.call_at(T0, seen.append, "due now")
    clock.call_at(T0 + timedelta(seconds=1), seen.append, "cancelled").cancel()
    await asyncio.sleep(0.01)
    assert seen == []  # real time passing moves nothing
    await clock.advance(0)
    assert seen == ["due now"]
    await clock.advance(5)
    assert seen == ["due now"] and clock.next_due() is None


async def test_a_timer_in_the_past_runs_at_the_next_advance_at_the_current_time() -> None:
    clock = ManualClock(T0)
    await clock.advance(10)
    seen: list[datetime] = []
    clock.call_at(T0, lambda: seen.append(clock.now()))
    await clock.advance(1)
    assert seen == [T0 + timedelta(seconds=10)]  # the clock never goes back


async def test_sleepers_wake_in_order_and_their_tasks_run_before_the_clock_moves_on() -> None:
    clock = ManualClock(T0)
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float, then: float = 0) -> None:
        await clock.sleep(seconds)
        woke.append((name, (clock.now() - T0).total_seconds()))
        if then:
            await clock.sleep(then)  # set while the clock stands at the wake-up
            woke.append((name + " again", (clock.now() - T0).total_seconds()))

    tasks = [
        asyncio.create_task(sleeper("long", 5)),
        asyncio.create_task(sleeper("short", 1, then=1.5)),
    ]
    await clock.advance(0)  # the tasks start and go to sleep
    await clock.advance(10)
    await asyncio.gather(*tasks)
    assert woke == [("short", 1.0), ("short again", 2.5), ("long", 5.0)]


async def test_a_cancelled_sleeper_leaves_no_timer_behind() -> None:
    clock = ManualClock(T0)
    task = asyncio.create_task(clock.sleep(60))
    await clock.advance(0)
    assert clock.pending == 1
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert clock.pending == 0


async def test_the_system_clock_keeps_real_time() -> None:
    clock = SystemClock()
    before = datetime.now(UTC)
    assert before <= clock.now() <= datetime.now(UTC) and clock.now().tzinfo is not None
    fired = asyncio.Event()
    started = time.monotonic()
    clock.call_at(clock.now() + timedelta(seconds=0.05), fired.set)
    clock.call_at(clock.now() - timedelta(hours=1), lambda: None)  # the past: at once
    await asyncio.wait_for(fired.wait(), 5)
    assert time.monotonic() - started >= 0.04
    mono = clock.monotonic()
    await clock.sleep(0.02)
    assert clock.monotonic() - mono >= 0.015
