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
   upgrade, or downtime) is caught up in steps that never hold the lock for long.

Statistics read the aggregates for whole periods and the raw rows above done_id, so
they are exact although the rollups trail by a minute or two.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from core.aggregates import Aggregate
from db import rollups
from db.claims import db_time
from db.connection import current_connection
from db.rollups import Key

log = logging.getLogger(__name__)

CHUNK = 50_000
TIME_BUDGET = 20.0  # seconds of work per run at most; the rest waits for the next run


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _day(moment: datetime) -> datetime:
    return _hour(moment).replace(hour=0)


def aggregate(rows: list[dict]) -> tuple[dict[Key, Aggregate], dict[Key, Aggregate]]:
    """Raw checks summed per (monitor, hour) and per (monitor, day)."""
    hours: dict[Key, Aggregate] = {}
    days: dict[Key, Aggregate] = {}
    for row in rows:
        at = db_time(row["checked_at"])
        args = (bool(row["ok"]), row["latency_ms"], bool(row["in_maintenance"]))
        hours.setdefault((row["monitor_id"], _hour(at)), Aggregate()).add_check(*args)
        days.setdefault((row["monitor_id"], _day(at)), Aggregate()).add_check(*args)
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
        log.warning("rollup job failed: %s", exc)
        return
    if count:
        log.debug("rolled up %s checks", count)
