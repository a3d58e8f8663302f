"""The scheduler's queue: claiming due monitors, spreading overdue ones, releasing claims.

`monitors.next_check_at` is the queue. A claim takes the monitors due before a horizon
and moves each one's `next_check_at` forward in the same statement:

1. Pick due rows in due order, at most `limit`; on PostgreSQL `FOR UPDATE SKIP LOCKED`,
   so replicas claiming at once take disjoint sets and never wait for each other.
2. Move each to `due + step` (fixed rate: no drift from check duration or tick
   jitter), where step is the retry interval while the monitor is failing. A row so far
   behind that `due + step` is already past goes to `now + step`: missed runs are
   skipped, not replayed in a burst.
3. Return what a check needs (URL, method, rules, the owner's Telegram id for the
   private-target exemption) and the due time, at which the caller starts the check.

A replica that dies after claiming loses nothing but those checks: the rows are already
scheduled for their next run. A clean shutdown gives unstarted claims back (`release`).

SQLite runs in one process, so a plain SELECT then UPDATE in one transaction is enough.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from db.bulk import is_postgres
from db.connection import current_connection

CLAIM_COLUMNS = (
    "id", "owner_id", "url", "method", "headers", "body", "timeout_seconds",
    "accepted_status_codes", "latency_threshold_ms", "keyword", "keyword_mode",
)  # fmt: skip


@dataclass(frozen=True)
class ClaimedCheck:
    monitor_id: int
    owner_telegram_id: int
    due_at: datetime
    url: str
    method: str
    headers: dict = field(hash=False)
    body: str | None
    timeout_seconds: float
    accepted_status_codes: str
    latency_threshold_ms: int | None
    keyword: str | None
    keyword_mode: str


def _step_sql(prefix: str) -> str:
    return (
        f"(CASE WHEN {prefix}state = 'down' OR {prefix}consecutive_failures > 0 "
        f"THEN {prefix}retry_interval_seconds ELSE {prefix}interval_seconds END)"
    )


_PG_CLAIM = f"""
WITH due AS (
    SELECT id, next_check_at AS due_at
    FROM monitors
    WHERE next_check_at <= $1::timestamptz
    ORDER BY next_check_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE monitors AS m
SET next_check_at = CASE
    WHEN due.due_at + make_interval(secs => {_step_sql("m.")}) > $3::timestamptz
        THEN due.due_at + make_interval(secs => {_step_sql("m.")})
    ELSE $3::timestamptz + make_interval(secs => {_step_sql("m.")})
END
FROM due, users AS u
WHERE m.id = due.id AND u.id = m.owner_id
RETURNING due.due_at, u.telegram_id AS owner_telegram_id,
    {", ".join("m." + c for c in CLAIM_COLUMNS)}
"""

_SQLITE_SELECT = f"""
SELECT m.next_check_at AS due_at, u.telegram_id AS owner_telegram_id,
    {_step_sql("m.")} AS step, {", ".join("m." + c for c in CLAIM_COLUMNS)}
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
        url=row["url"],
        method=row["method"],
        headers=db_json(row["headers"]) or {},
        body=row["body"],
        timeout_seconds=float(row["timeout_seconds"]),
        accepted_status_codes=row["accepted_status_codes"],
        latency_threshold_ms=row["latency_threshold_ms"],
        keyword=row["keyword"],
        keyword_mode=row["keyword_mode"],
    )


async def claim_due(horizon: datetime, now: datetime, limit: int) -> list[ClaimedCheck]:
    """Claim up to `limit` monitors due at or before `horizon`, in due order."""
    if limit <= 0:
        return []
    conn = current_connection()
    if is_postgres(conn):
        _, rows = await conn.execute_query(_PG_CLAIM, [horizon, limit, now])
        claimed = [_claimed(dict(r)) for r in rows]
        claimed.sort(key=lambda c: c.due_at)
        return claimed
    async with in_transaction(conn.connection_name) as tx:
        _, rows = await tx.execute_query(_SQLITE_SELECT, [sqlite_time(horizon), limit])
        updates = []
        claimed = []
        for row in rows:
            row = dict(row)
            item = _claimed(row)
            step = timedelta(seconds=row["step"])
            following = item.due_at + step
            if following <= now:
                following = now + step
            updates.append([sqlite_time(following), item.monitor_id])
            claimed.append(item)
        if updates:
            await tx.execute_many("UPDATE monitors SET next_check_at = ? WHERE id = ?", updates)
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


async def spread_overdue(now: datetime) -> int:
    """Reschedule overdue monitors evenly over the time they were left waiting.

    Run at start-up. After downtime D every monitor that came due meanwhile is overdue;
    starting them all at once would be a thundering herd. Each overdue monitor gets a
    random moment within min(2 D, its interval) from now: the backlog drains at half
    the rate it built up, so the load stays near 1.5 times the steady rate (the backlog
    plus the monitors coming due as usual), and every monitor is checked again within
    one interval of start-up. When other replicas keep the schedule, D is a fraction of
    a second and nothing moves noticeably.
    """
    conn = current_connection()
    if is_postgres(conn):
        count, _ = await conn.execute_query(
            "UPDATE monitors AS m SET next_check_at = $1::timestamptz + make_interval(secs =>"
            " random() * LEAST(m.interval_seconds, backlog.seconds))"
            " FROM (SELECT 2 * EXTRACT(EPOCH FROM ($1::timestamptz - min(next_check_at)))::float8"
            "       AS seconds FROM monitors WHERE next_check_at < $1::timestamptz) AS backlog"
            " WHERE m.next_check_at < $1::timestamptz",
            [now],
        )
        return count or 0
    async with in_transaction(conn.connection_name) as tx:
        _, rows = await tx.execute_query(
            "SELECT id, interval_seconds, next_check_at FROM monitors WHERE next_check_at < ?",
            [sqlite_time(now)],
        )
        if not rows:
            return 0
        backlog = 2 * (now - min(db_time(r["next_check_at"]) for r in rows)).total_seconds()
        updates = [
            [
                sqlite_time(
                    now + timedelta(seconds=random.random() * min(r["interval_seconds"], backlog))
                ),
                r["id"],
            ]
            for r in rows
        ]
        await tx.execute_many("UPDATE monitors SET next_check_at = ? WHERE id = ?", updates)
    return len(updates)


def first_check_at(now: datetime, interval_seconds: int, max_jitter_s: float = 60.0) -> datetime:
    """When a new (or resumed) monitor is first due: soon, but spread, so a thousand
    monitors added at once do not all fire in the same second."""
    return now + timedelta(seconds=random.uniform(0, min(interval_seconds, max_jitter_s)))
