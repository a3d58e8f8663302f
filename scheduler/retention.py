"""Retention: raw check results for RAW_RETENTION_DAYS, hourly rollups for a year,
daily rollups for ever.

Rows go in batches of BATCH, each its own short statement, with a pause between
batches, and at most MAX_BATCHES per run (the job runs hourly), so deleting the
backlog of a year never holds locks long or starves the checks. Only raw rows
already in the rollups (id <= done_id) are deleted: statistics never lose them.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from core.settings import Settings
from db import rollups
from db.connection import current_connection

log = logging.getLogger(__name__)

BATCH = 5000
MAX_BATCHES = 200
PAUSE = 0.05  # seconds between batches
HOURLY_KEPT = timedelta(days=365)


async def _delete(table: str, column: str, before: datetime, upto_id: int | None) -> int:
    total = 0
    for _batch in range(MAX_BATCHES):
        count = await rollups.delete_batch(
            current_connection(), table, column, before, BATCH, upto_id
        )
        total += count
        if count < BATCH:
            break
        await asyncio.sleep(PAUSE)
    return total


async def apply_retention(settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """Delete what is past its time; returns rows deleted per table."""
    now = now or datetime.now(UTC)
    raw_before = now - timedelta(days=settings.raw_retention_days)
    return {
        "check_logs": await _delete(
            "check_logs", "checked_at", raw_before, await rollups.done_id()
        ),
        "rollups_hourly": await _delete("rollups_hourly", "period_start", now - HOURLY_KEPT, None),
    }


def retention_job(settings: Settings):
    async def run() -> None:
        try:
            deleted = await apply_retention(settings)
        except Exception as exc:  # the database went away: the next run goes on
            log.warning("retention job failed: %s", exc)
            return
        if any(deleted.values()):
            log.info("retention deleted %s", deleted)

    return run
