"""Retention: raw check results for RAW_RETENTION_DAYS, hourly rollups for a year,
daily rollups for ever.

Rows go in batches, each its own short statement, with a pause between batches, so
deleting a large backlog never holds locks long or starves the checks. Only raw rows
already in the rollups (id <= done_id) are deleted: statistics never lose them.

check_logs has no index on checked_at alone (only (monitor_id, checked_at)), so a
"WHERE checked_at < cut ORDER BY id LIMIT n" would scan and sort the whole table for
every batch. Instead the job walks the primary key: from the smallest id, one range
of BATCH ids at a time (`id > lo AND id <= lo + BATCH AND checked_at < cut`, a range
scan of the key), up to done_id. Rows are written as their checks finish, so ids
follow checked_at and the rows past their time are the lowest ids, give or take the
seconds a batch of results waits: the walk ends at the first range whose rows are
all newer than the cut. Ranges left empty (rows deleted earlier, ids of rolled-back
inserts) are skipped in one step. MAX_BATCHES per run (the job runs hourly) is far
above what an hour of checks writes (1.8 million rows at 500 checks/s: 360 batches).
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
MAX_BATCHES = 2000  # 10 million rows a run, over five hours of checks at 500/s
PAUSE = 0.05  # seconds between batches
HOURLY_KEPT = timedelta(days=365)


async def _delete_checks(before: datetime, upto_id: int) -> int:
    """Delete check_logs rows older than `before` with an id up to `upto_id`, walking
    the primary key (see the module doc)."""
    conn = current_connection()
    first = await rollups.first_id_above(conn, "check_logs", 0)
    if first is None:
        return 0
    low = first - 1  # ids in (low, low + BATCH] come next
    total = 0
    for _batch in range(MAX_BATCHES):
        if low >= upto_id:
            break
        high = min(low + BATCH, upto_id)
        count = await rollups.delete_id_range(conn, "check_logs", "checked_at", before, low, high)
        total += count
        if count == 0:
            following = await rollups.first_id_above(conn, "check_logs", low)
            if following is None or following <= high:
                break  # no rows left, or a range of rows all newer than the cut: done
            low = following - 1  # an empty range: on to the next row
            continue
        low = high
        if low < upto_id:
            await asyncio.sleep(PAUSE)
    return total


async def _delete(table: str, column: str, before: datetime) -> int:
    total = 0
    for _batch in range(MAX_BATCHES):
        count = await rollups.delete_batch(current_connection(), table, column, before, BATCH)
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
        "check_logs": await _delete_checks(raw_before, await rollups.done_id()),
        "rollups_hourly": await _delete("rollups_hourly", "period_start", now - HOURLY_KEPT),
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
