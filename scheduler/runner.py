"""The one AsyncIOScheduler of the process and the jobs registered on it.

DESIGN.md keeps the queue in the database (monitors.next_check_at), so the scheduler
holds a handful of periodic jobs, never one job per monitor.
"""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler.engine import Engine

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 5}
TICK_SECONDS = 1.0
FLUSH_SECONDS = 1.0


def create_scheduler() -> AsyncIOScheduler:
    return AsyncIOScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)


def register_jobs(scheduler: AsyncIOScheduler, engine: Engine) -> None:
    """The periodic jobs: the engine's tick (claim due monitors and start their checks)
    and flush (write buffered results). The outbox delivery worker and the statistics
    rollups and retention join here when their issues land."""
    now = datetime.now(UTC)
    scheduler.add_job(
        engine.tick, "interval", seconds=TICK_SECONDS, id="engine.tick", next_run_time=now
    )
    scheduler.add_job(
        engine.flush, "interval", seconds=FLUSH_SECONDS, id="engine.flush", next_run_time=now
    )
