"""The one AsyncIOScheduler of the process and the jobs registered on it.

The queue of due checks is the database itself (monitors.next_check_at: a claim moves
it forward), so the scheduler holds a handful of periodic jobs, never one job per monitor.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.settings import Settings
from scheduler.engine import Engine
from scheduler.outbox import OutboxWorker
from scheduler.retention import retention_job
from scheduler.rollups import roll_up_job

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


def register_jobs(
    scheduler: AsyncIOScheduler,
    engine: Engine,
    outbox: OutboxWorker | None = None,
    settings: Settings | None = None,
) -> None:
    """The periodic jobs: the engine's tick (claim due monitors, start their checks,
    write buffered results), the outbox worker's tick (start delivering due
    notifications; it returns at once, the delivery runs as its own task), and with
    `settings` the statistics rollups (every minute) and retention (every hour)."""
    scheduler.add_job(
        engine.tick,
        "interval",
        seconds=TICK_SECONDS,
        jitter=TICK_JITTER,
        id="engine.tick",
        next_run_time=datetime.now(UTC),
    )
    if outbox is not None:
        scheduler.add_job(
            outbox.tick,
            "interval",
            seconds=OUTBOX_TICK_SECONDS,
            id="outbox.tick",
            next_run_time=datetime.now(UTC),
        )
    if settings is not None:
        scheduler.add_job(roll_up_job, "interval", seconds=ROLLUP_SECONDS, jitter=5, id="rollups")
        scheduler.add_job(
            retention_job(settings),
            "interval",
            seconds=RETENTION_SECONDS,
            jitter=60,
            id="retention",
            next_run_time=datetime.now(UTC) + timedelta(minutes=5),
        )
