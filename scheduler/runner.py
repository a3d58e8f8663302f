"""The one AsyncIOScheduler of the process and the jobs registered on it.

DESIGN.md keeps the queue in the database (monitors.next_check_at), so the scheduler
holds a handful of periodic jobs, never one job per monitor.
"""

from __future__ import annotations

import logging
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.settings import Settings

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 5}


def create_scheduler() -> AsyncIOScheduler:
    return AsyncIOScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)


def register_jobs(scheduler: AsyncIOScheduler, settings: Settings) -> None:
    """Hook for the periodic jobs. Empty until the issues that own them land:
    the engine's tick (claim due monitors, probe, evaluate, persist), the outbox
    delivery worker, and the statistics rollups and retention."""
    del scheduler, settings


async def flush_pending_work() -> None:
    """Hook called on shutdown after the scheduler stops, so that buffered work
    (the engine's check results) reaches the database. Nothing is buffered yet."""
