"""The rollup job: hourly and daily aggregates of check_logs, kept up incrementally.

Each run (an APScheduler job, every minute):
1. locks the job's state row, so one replica at a time rolls up;
2. takes the check_logs rows with id in (done_id, seen_id], where seen_id is the
   highest id the *previous* run saw. A row's id is drawn when its transaction
   inserts it but becomes visible when it commits; lagging one run behind the ids
   means every transaction that drew an id up to seen_id had a whole run interval
   (a minute) to commit, and result batches commit in well under a second, so no row
   is skipped for having committed late;
3. adds those rows to their monitors' hourly and daily aggregates (read, merged in
   Python, written back with one upsert per table) and moves done_id to seen_id and
   seen_id to today's highest id, in the same transaction. A rerun, or a crash at any
   point, can therefore never count a row twice or lose one;
4. works in chunks of CHUNK rows, one transaction each, so a large backlog (after an
   upgrade, or downtime) is caught up in steps that never hold the lock for long, nor
   the event loop: a chunk's Python work (summing the rows, merging them into the
   stored rows, building the upserts) costs about 2 us a row plus 15 us a distinct
   (monitor, hour), so 1,000 rows keep the loop busy for under 20 ms at a stretch
   even when each is a different monitor's (500 checks/s over 30,000 monitors).

Statistics read the aggregates for whole periods and the raw rows above done_id, so
they are exact although the rollups trail by a minute or two.
"""

from __future__ import annotations

import asyncio
import logging
import time

from tortoise.transactions import in_transaction

from core.aggregates import Aggregate
from core.series import HOUR, floor_day, floor_hour
from db import rollups
from db.claims import db_time
from db.connection import current_connection
from db.outage_log import OutageLog
from db.rollups import Key

log = logging.getLogger(__name__)

CHUNK = 1_000  # rows a transaction: under 20 ms of event-loop time (see the module doc)
TIME_BUDGET = 20.0  # seconds of work per run at most; the rest waits for the next run
OUTAGE = OutageLog("rollups")


def aggregate(rows: list[dict]) -> tuple[dict[Key, Aggregate], dict[Key, Aggregate]]:
    """Raw checks summed per (monitor, hour), and those hours merged per (monitor, day):
    each row is added once, the days cost one merge per hour."""
    hours: dict[Key, Aggregate] = {}
    hour = end = None  # [hour, end): the previous row's hour; rows come about in time order
    for row in rows:
        at = db_time(row["checked_at"])
        if hour is None or not hour <= at < end:
            hour = floor_hour(at)
            end = hour + HOUR
        key = (row["monitor_id"], hour)
        figures = hours.get(key)
        if figures is None:
            figures = hours[key] = Aggregate()
        figures.add_check(bool(row["ok"]), row["latency_ms"], bool(row["in_maintenance"]))
    days: dict[Key, Aggregate] = {}
    for (monitor_id, start), figures in hours.items():
        key = (monitor_id, floor_day(start))
        day = days.get(key)
        if day is None:
            day = days[key] = Aggregate()
        day.merge(figures)
    return hours, days


async def roll_up_chunk(chunk: int = CHUNK, *, catch_up: bool = False) -> tuple[int, bool]:
    """One transaction of the job (see the module doc); returns (rows rolled up,
    whether more are waiting). `catch_up` rolls up to the highest id now instead of
    the previous run's (tests and benchmarks that want everything at once)."""
    async with in_transaction(current_connection().connection_name) as conn:
        state = await rollups.locked_state(conn)
        top = await rollups.max_check_id(conn)
        target = top if catch_up else state.seen_id
        upto = min(target, state.done_id + chunk)
        rows = (
            await rollups.checks_between(conn, state.done_id, upto) if upto > state.done_id else []
        )
        hours, days = aggregate(rows)
        for table, fresh in (("rollups_hourly", hours), ("rollups_daily", days)):
            stored = await rollups.existing(conn, table, set(fresh))
            for key, figures in fresh.items():
                if key in stored:
                    fresh[key] = stored[key].merge(figures)
            await rollups.upsert(conn, table, fresh)
        more = upto < target
        state.done_id = max(state.done_id, upto)
        if not more:
            state.seen_id = max(state.seen_id, top)
        await state.save(using_db=conn, update_fields=["done_id", "seen_id", "updated_at"])
    return len(rows), more


async def roll_up(catch_up: bool = False, budget: float = TIME_BUDGET) -> int:
    """The job: chunks until caught up or the time budget is spent; returns rows."""
    started = time.monotonic()
    total = 0
    while True:
        count, more = await roll_up_chunk(catch_up=catch_up)
        total += count
        if not more or time.monotonic() - started > budget:
            return total
        await asyncio.sleep(0)  # let checks start between chunks


async def roll_up_job() -> None:
    try:
        count = await roll_up()
    except Exception as exc:  # the database went away: the next run catches up
        OUTAGE.failed("rolling up checks", exc)
        return
    OUTAGE.recovered(f"{count:,} checks rolled up")
    if count:
        log.debug("rolled up %s checks", count)
