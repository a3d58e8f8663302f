"""The scheduler's queue: claiming due monitors and releasing claims.

`monitors.next_check_at` is the queue (indexed, on PostgreSQL, through the narrow
`monitor_due` table that triggers keep equal to it: db/due_queue.py). A claim takes the
monitors due before a horizon and moves each one's `next_check_at` forward in the same
statement:

1. Pick due rows in due order, at most `limit`; on PostgreSQL `FOR UPDATE SKIP LOCKED`,
   so replicas claiming at once take disjoint sets and never wait for each other.
2. Decide when each one runs (`plan_run`): a row on time, or late by less than
   LATE_GRACE (and less than its step), runs at its due time and moves to `due + step`
   (fixed rate: no drift from check duration or tick jitter), where step is the retry
   interval while the monitor is failing. A row further behind (a backlog: after an
   outage of the database, a pause of the process, a restart, a slow stretch) runs at
   its next point on its own grid, `due + k * step`, the first one not in the past:
   its phase is kept, and since the monitors' phases were spread, so is the backlog,
   with nothing waiting more than one step. A step longer than MAX_DEFER waits at most
   MAX_DEFER (the grid point's offset modulo MAX_DEFER), once, then is on its grid
   again. A row whose run falls beyond the horizon is only moved there, not claimed.
   One mechanism serves start-up and every later backlog: missed runs are skipped,
   never replayed in a burst, and the checks after a backlog are as spread as before.
3. Return what a check needs (URL, method, rules, the owner's Telegram id for the
   private-target exemption, the intervals for the engine's memory of the schedule)
   and the time at which the caller starts the check.

A replica that dies after claiming loses nothing but those checks: the rows are already
scheduled for their next run. A clean shutdown gives unstarted claims back (`release`).

SQLite runs in one process, so a plain SELECT then UPDATE in one transaction is enough.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from core import kinds
from db.bulk import is_postgres
from db.connection import current_connection

# What every check needs, and the columns the kinds declare their fields in.
CLAIM_COLUMNS = (
    "id", "owner_id", "kind", "params", "timeout_seconds", "interval_seconds",
    "retry_interval_seconds", *kinds.claim_columns(),
)  # fmt: skip

# A row later than this (or than its step, if shorter) is a backlog: it runs at its
# next grid point instead of at once (see the module doc).
LATE_GRACE = timedelta(seconds=2)
# The longest a backlogged row waits for its grid point.
MAX_DEFER = timedelta(seconds=60)


@dataclass(frozen=True)
class ClaimedCheck:
    monitor_id: int
    owner_telegram_id: int
    due_at: datetime
    kind: str
    values: dict = field(hash=False)  # the kind's field values (core/kinds)
    timeout_seconds: float = 10.0
    interval_seconds: int = 60
    retry_interval_seconds: int = 60
    failing: bool = False  # checked at the retry interval

    def step(self, failing: bool | None = None) -> timedelta:
        """The time to the next check after this one (the retry interval while failing)."""
        failing = self.failing if failing is None else failing
        return timedelta(seconds=self.retry_interval_seconds if failing else self.interval_seconds)

    def spec(self, allow_private: bool) -> Any:
        """What the check needs: the kind's spec."""
        return kinds.spec_of(self.kind, self.values, self.timeout_seconds, allow_private)


def plan_run(due: datetime, step: timedelta, now: datetime) -> tuple[datetime, datetime]:
    """When a row due at `due` runs, and when it is due after that (module doc, step 2).
    The PostgreSQL claim computes the same in SQL (`_PG_CLAIM`)."""
    late = now - due
    if late < min(LATE_GRACE, step):
        return due, due + step
    point = due + math.ceil(late / step) * step  # the next grid point, in [now, now + step)
    ahead = point - now
    if ahead < MAX_DEFER:
        return point, point + step
    return now + ahead % MAX_DEFER, point


def _step_sql(prefix: str) -> str:
    return (
        f"(CASE WHEN {prefix}state = 'down' OR {prefix}consecutive_failures > 0 "
        f"THEN {prefix}retry_interval_seconds ELSE {prefix}interval_seconds END)"
    )


_PG_CLAIM = f"""
WITH due AS (
    -- Through the queue's index (db/due_queue.py), locking both rows: a transaction
    -- that updates a monitor locks its row, then its `monitor_due` row (the trigger),
    -- so a claim that waited for either could deadlock with it; it skips them instead.
    SELECT m.id, d.due_at, {_step_sql("m.")} AS step,
        EXTRACT(EPOCH FROM ($3::timestamptz - d.due_at))::float8 AS late
    FROM monitor_due AS d JOIN monitors AS m ON m.id = d.monitor_id
    WHERE d.due_at <= $1::timestamptz
    ORDER BY d.due_at
    LIMIT $2
    FOR UPDATE OF d, m SKIP LOCKED
), grid AS (
    -- The next grid point, due + k * step, in whole steps (exact: steps are whole
    -- seconds), and the seconds from now until it.
    SELECT id, due_at, step, late < LEAST($4::float8, step) AS on_time,
        due_at + make_interval(secs => ceil(late / step) * step) AS point,
        ceil(late / step) * step - late AS ahead
    FROM due
), plan AS (
    SELECT id, CASE
            WHEN on_time THEN due_at
            WHEN ahead < $5::float8 THEN point
            ELSE $3::timestamptz
                + make_interval(secs => ahead - $5::float8 * floor(ahead / $5::float8))
        END AS run_at,
        CASE
            WHEN on_time THEN due_at + make_interval(secs => step)
            WHEN ahead < $5::float8 THEN point + make_interval(secs => step)
            ELSE point
        END AS following
    FROM grid
)
UPDATE monitors AS m
SET next_check_at = CASE WHEN plan.run_at <= $1::timestamptz THEN plan.following
    ELSE plan.run_at END
FROM plan, users AS u
WHERE m.id = plan.id AND u.id = m.owner_id
RETURNING plan.run_at AS due_at, plan.run_at <= $1::timestamptz AS claimed,
    u.telegram_id AS owner_telegram_id,
    (m.state = 'down' OR m.consecutive_failures > 0) AS failing,
    {", ".join("m." + c for c in CLAIM_COLUMNS)}
"""

_SQLITE_SELECT = f"""
SELECT m.next_check_at AS due_at, u.telegram_id AS owner_telegram_id,
    {_step_sql("m.")} AS step, (m.state = 'down' OR m.consecutive_failures > 0) AS failing,
    {", ".join("m." + c for c in CLAIM_COLUMNS)}
FROM monitors AS m JOIN users AS u ON u.id = m.owner_id
WHERE m.next_check_at <= ?
ORDER BY m.next_check_at
LIMIT ?
"""


def sqlite_time(moment: datetime) -> str:
    """The text Tortoise stores for a datetime on SQLite (UTC, comparable as text)."""
    return str(moment.astimezone(UTC))


def db_time(value: object) -> datetime:
    """A datetime read by raw SQL: asyncpg gives datetimes, SQLite text (UTC)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value))


def db_json(value: object) -> Any:
    """A JSON column read by raw SQL: text on SQLite (and from asyncpg without a codec),
    already decoded otherwise."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def _claimed(row: dict) -> ClaimedCheck:
    return ClaimedCheck(
        monitor_id=row["id"],
        owner_telegram_id=row["owner_telegram_id"],
        due_at=db_time(row["due_at"]),
        kind=row["kind"],
        values=kinds.values_of(row["kind"], row.__getitem__, db_json(row["params"])),
        timeout_seconds=float(row["timeout_seconds"]),
        interval_seconds=row["interval_seconds"],
        retry_interval_seconds=row["retry_interval_seconds"],
        failing=bool(row["failing"]),
    )


async def claim_due(horizon: datetime, now: datetime, limit: int) -> list[ClaimedCheck]:
    """Claim up to `limit` monitors due at or before `horizon`, in due order; each comes
    with the time it runs at (`plan_run`: a backlog runs at its grid points)."""
    if limit <= 0:
        return []
    conn = current_connection()
    if is_postgres(conn):
        grace, defer = LATE_GRACE.total_seconds(), MAX_DEFER.total_seconds()
        _, rows = await conn.execute_query(_PG_CLAIM, [horizon, limit, now, grace, defer])
        claimed = [_claimed(dict(r)) for r in rows if r["claimed"]]
        claimed.sort(key=lambda c: c.due_at)
        return claimed
    async with in_transaction(conn.connection_name) as tx:
        _, rows = await tx.execute_query(_SQLITE_SELECT, [sqlite_time(horizon), limit])
        updates = []
        claimed = []
        for row in rows:
            row = dict(row)
            item = _claimed(row)
            run_at, following = plan_run(item.due_at, timedelta(seconds=row["step"]), now)
            if run_at <= horizon:
                claimed.append(replace(item, due_at=run_at))
            else:
                following = run_at
            updates.append([sqlite_time(following), item.monitor_id])
        if updates:
            await tx.execute_many("UPDATE monitors SET next_check_at = ? WHERE id = ?", updates)
    claimed.sort(key=lambda c: c.due_at)
    return claimed


async def release(claims: list[ClaimedCheck]) -> int:
    """Give back claims that never started: their monitors become due at once again.

    Only rows whose schedule nobody touched since (no check recorded, not paused or
    edited) are reset, so a release can never undo newer work.
    """
    if not claims:
        return 0
    conn = current_connection()
    released = 0
    async with in_transaction(conn.connection_name) as tx:
        for claim in claims:
            if is_postgres(conn):
                sql = (
                    "UPDATE monitors SET next_check_at = $1::timestamptz WHERE id = $2 "
                    "AND next_check_at > $1::timestamptz "
                    "AND (last_check_at IS NULL OR last_check_at < $1::timestamptz)"
                )
                params = [claim.due_at, claim.monitor_id]
            else:
                sql = (
                    "UPDATE monitors SET next_check_at = ? WHERE id = ? "
                    "AND next_check_at > ? AND (last_check_at IS NULL OR last_check_at < ?)"
                )
                due = sqlite_time(claim.due_at)
                params = [due, claim.monitor_id, due, due]
            count, _ = await tx.execute_query(sql, params)
            released += count or 0
    return released


def first_check_at(now: datetime, interval_seconds: int, max_jitter_s: float = 60.0) -> datetime:
    """When a new (or resumed) monitor is first due: soon, but spread, so a thousand
    monitors added at once do not all fire in the same second."""
    return now + timedelta(seconds=random.uniform(0, min(interval_seconds, max_jitter_s)))
