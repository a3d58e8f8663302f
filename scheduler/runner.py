"""The one AsyncIOScheduler of the process and the jobs registered on it.

The queue of due checks is the database itself (monitors.next_check_at: a claim moves
it forward), so the scheduler holds a handful of periodic jobs, never one job per monitor.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.settings import Settings
from scheduler.engine import Engine
from scheduler.outbox import OutboxWorker
from scheduler.retention import retention_job
from scheduler.rollups import roll_up_job

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 5}
# Ticks come twice a second at random moments (APScheduler's jitter): replicas then
# take turns at claiming in proportion, instead of the one whose tick happens to come
# first each second taking nearly everything. The claim horizon (1.5 s) covers the
# longest gap between two ticks, so no check starts late for want of a tick.
TICK_SECONDS = 0.5
TICK_JITTER = 0.25
OUTBOX_TICK_SECONDS = 1.0
ROLLUP_SECONDS = 60
RETENTION_SECONDS = 3600


def create_scheduler() -> AsyncIOScheduler:
    return AsyncIOScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)


class RunningJobs:
    """The scheduler's jobs in flight, so that shutdown can let them end before the
    engine, the outbox and the database close under them.

    APScheduler's asyncio executor cancels the jobs running at shutdown (its
    shutdown(wait=True) cannot wait on a loop), mid-query, and logs each with a
    traceback. So each job runs through `wrap`, which keeps its task in a set, and
    `shut_down` first pauses the scheduler (no new run starts), gives the running jobs
    a deadline, cancels the rest, and only then shuts the scheduler down; a job cut
    short that way ends with one INFO line instead of a traceback.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()
        self._stopping = False

    def wrap(self, name: str, func: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[Any]]:
        @functools.wraps(func)
        async def job() -> Any:
            task = asyncio.current_task()
            assert task is not None
            self._tasks.add(task)
            try:
                return await func()
            except asyncio.CancelledError:
                if not self._stopping:
                    raise
                log.info("%s cut short by shutdown", name)
                return None
            finally:
                self._tasks.discard(task)

        return job

    async def shut_down(self, scheduler: AsyncIOScheduler, timeout: float) -> None:
        """Stop `scheduler`: no new runs, up to `timeout` seconds for the jobs running
        now, then cancel the rest (see the class doc)."""
        scheduler.pause()
        self._stopping = True
        running = list(self._tasks)
        if running:
            _done, late = await asyncio.wait(running, timeout=timeout)
            for task in late:
                task.cancel()
            if late:
                await asyncio.gather(*late, return_exceptions=True)
        scheduler.shutdown(wait=False)


def register_jobs(
    scheduler: AsyncIOScheduler,
    engine: Engine | None,
    outbox: OutboxWorker | None = None,
    settings: Settings | None = None,
) -> RunningJobs:
    """The periodic jobs of this process's roles: the engine's tick (claim due
    monitors, start their checks, write buffered results), the outbox worker's tick
    (start delivering due notifications; it returns at once, the delivery runs as its
    own task), and with `settings` the statistics rollups (every minute) and retention
    (every hour). Returns what shutdown waits for (RunningJobs)."""
    jobs = RunningJobs()
    if engine is not None:
        scheduler.add_job(
            jobs.wrap("engine tick", engine.tick),
            "interval",
            seconds=TICK_SECONDS,
            jitter=TICK_JITTER,
            id="engine.tick",
            next_run_time=datetime.now(UTC),
        )
    if outbox is not None:
        scheduler.add_job(
            jobs.wrap("outbox tick", outbox.tick),
            "interval",
            seconds=OUTBOX_TICK_SECONDS,
            id="outbox.tick",
            next_run_time=datetime.now(UTC),
        )
    if settings is not None:
        scheduler.add_job(
            jobs.wrap("rollups", roll_up_job),
            "interval",
            seconds=ROLLUP_SECONDS,
            jitter=5,
            id="rollups",
        )
        scheduler.add_job(
            jobs.wrap("retention", retention_job(settings)),
            "interval",
            seconds=RETENTION_SECONDS,
            jitter=60,
            id="retention",
            next_run_time=datetime.now(UTC) + timedelta(minutes=5),
        )
    return jobs
