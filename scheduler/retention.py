"""Retention: raw check results for RAW_RETENTION_DAYS, hourly rollups for a year,
daily rollups for ever; push monitors' pings for RAW_RETENTION_DAYS too, and at most
PINGS_PER_MONITOR per monitor.

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
Pings are the same case (an index on (monitor_id, received_at) only, ids written in
arrival order by the ping intake) and take the same walk, up to their newest id: no
rollup depends on them.

Why a cap per monitor as well: pings are the one table whose growth a user decides.
A check is written once per interval; a token may be pinged ten times a second
(api/ping.py), each ping with up to 10 KB of body, so one runaway job could write
860,000 rows and gigabytes a day, which a limit in days does not bound. Pings are
the card's recent history and what alerts quote; statistics come from the check
logs and rollups, which the cap does not touch. 1,000 is 16 hours of a job run every
minute, three and a half days of one every five minutes, and every ping of an hourly
job within 30 days (720); at most about 10 MB per monitor. (Healthchecks.io keeps
100 or 1,000 pings per check, by plan.) The cap is applied to the monitors pinged
within TRIM_LOOKBACK, since only a monitor being pinged can pass it: per monitor, the
cut is found by reading the newest PINGS_PER_MONITOR entries of its index, and what
is older goes in batches.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from core.settings import Settings
from db import rollups
from db.connection import current_connection
from db.models import Monitor

log = logging.getLogger(__name__)

BATCH = 5000
MAX_BATCHES = 2000  # 10 million rows a run, over five hours of checks at 500/s
PAUSE = 0.05  # seconds between batches
HOURLY_KEPT = timedelta(days=365)
PINGS_PER_MONITOR = 1000  # the newest kept of each push monitor (module doc)
# Monitors pinged this recently are trimmed to the cap: a day of hourly runs, so runs
# that fail (the database away) are caught up.
TRIM_LOOKBACK = timedelta(days=1)


async def _delete_walk(table: str, column: str, before: datetime, upto_id: int) -> int:
    """Delete rows of `table` with `column` older than `before` and an id up to
    `upto_id`, walking the primary key (see the module doc)."""
    conn = current_connection()
    first = await rollups.first_id_above(conn, table, 0)
    if first is None:
        return 0
    low = first - 1  # ids in (low, low + BATCH] come next
    total = 0
    for _batch in range(MAX_BATCHES):
        if low >= upto_id:
            break
        high = min(low + BATCH, upto_id)
        count = await rollups.delete_id_range(conn, table, column, before, low, high)
        total += count
        if count == 0:
            following = await rollups.first_id_above(conn, table, low)
            if following is None or following <= high:
                break  # no rows left, or a range of rows all newer than the cut: done
            low = following - 1  # an empty range: on to the next row
            continue
        low = high
        if low < upto_id:
            await asyncio.sleep(PAUSE)
    return total


async def _trim_pings(keep: int, pinged_since: datetime) -> int:
    """Keep the newest `keep` pings of each push monitor pinged since `pinged_since`
    (see the module doc)."""
    conn = current_connection()
    monitor_ids = await Monitor.filter(
        kind="push", push_last_ping_at__gte=pinged_since
    ).values_list("id", flat=True)
    total = 0
    for monitor_id in sorted(monitor_ids):
        cut = await rollups.nth_newest_ping(conn, monitor_id, keep)
        if cut is None:
            continue  # no more than `keep`
        for _batch in range(MAX_BATCHES):
            count = await rollups.delete_pings_upto(conn, monitor_id, cut, BATCH)
            total += count
            if count < BATCH:
                break
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
    conn = current_connection()
    checks = await _delete_walk("check_logs", "checked_at", raw_before, await rollups.done_id())
    aged = await _delete_walk(
        "pings", "received_at", raw_before, await rollups.max_id(conn, "pings")
    )
    return {
        "check_logs": checks,
        "rollups_hourly": await _delete("rollups_hourly", "period_start", now - HOURLY_KEPT),
        "pings": aged + await _trim_pings(PINGS_PER_MONITOR, now - TRIM_LOOKBACK),
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
