"""Shutdown and the scheduler's jobs in flight (scheduler/runner.RunningJobs)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler.runner import RunningJobs, create_scheduler


async def _start(jobs: RunningJobs, func) -> AsyncIOScheduler:
    """`func` running as a job of a started scheduler."""
    scheduler = create_scheduler()
    started = asyncio.Event()

    async def job() -> None:
        started.set()
        await func()

    scheduler.add_job(jobs.wrap("slow job", job), "date", run_date=datetime.now(UTC))
    scheduler.start()
    await asyncio.wait_for(started.wait(), timeout=10)
    return scheduler


async def test_a_job_running_at_shutdown_may_finish_within_the_deadline() -> None:
    jobs = RunningJobs()
    release = asyncio.Event()
    finished: list[bool] = []

    async def job() -> None:
        await release.wait()
        finished.append(True)

    scheduler = await _start(jobs, job)
    asyncio.get_running_loop().call_soon(release.set)
    await jobs.shut_down(scheduler, timeout=10)
    assert finished == [True]


async def test_a_job_past_the_deadline_is_cut_short_with_one_line_and_no_traceback(
    caplog,
) -> None:
    jobs = RunningJobs()
    never = asyncio.Event()
    with caplog.at_level(logging.INFO):
        scheduler = await _start(jobs, never.wait)
        await jobs.shut_down(scheduler, timeout=0.01)
        await asyncio.sleep(0)
    assert [r.getMessage() for r in caplog.records if r.name == "scheduler.runner"] == [
        "slow job cut short by shutdown"
    ]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_job_cancelled_outside_shutdown_still_raises() -> None:
    jobs = RunningJobs()
    job = jobs.wrap("job", asyncio.Event().wait)
    task = asyncio.ensure_future(job())
    await asyncio.sleep(0)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    else:
        raise AssertionError("a cancelled job must stay cancelled outside shutdown")
