"""Statements of the rollup and retention jobs, one function per need, SQL per dialect.

Rollup rows are written with one multi-row upsert per table and batch (`INSERT ...
ON CONFLICT (monitor_id, period_start) DO UPDATE`), replacing the row with the merged
figures the job computed while it held the state lock, so nothing else writes them.
"""

from __future__ import annotations

import json
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from core.aggregates import Aggregate
from db.bulk import is_postgres
from db.claims import db_json, db_time, sqlite_time
from db.models import RollupState

STATE_NAME = "checks"
_FIGURES = ("checks", "failures", "maintenance", "latency_count", "latency_sum",
            "latency_min", "latency_max", "buckets")  # fmt: skip
_PG_TYPES = ("int", "int", "int", "int", "bigint", "int", "int", "text")
_SQLITE_CHUNK = 400

Key = tuple[int, datetime]  # (monitor id, period start)


async def locked_state(conn: BaseDBAsyncClient) -> RollupState:
    """The job's state row, locked until the transaction ends (one job at a time)."""
    await RollupState.get_or_create(name=STATE_NAME, using_db=conn)
    return await RollupState.filter(name=STATE_NAME).using_db(conn).select_for_update().get()


async def done_id() -> int:
    """Rows of check_logs with an id up to this are in the rollups."""
    state = await RollupState.get_or_none(name=STATE_NAME)
    return state.done_id if state else 0


async def max_check_id(conn: BaseDBAsyncClient) -> int:
    return await max_id(conn, "check_logs")


async def max_id(conn: BaseDBAsyncClient, table: str) -> int:
    """The largest id of `table` (0 when empty)."""
    _, rows = await conn.execute_query(f"SELECT max(id) AS top FROM {table}")
    return int(rows[0]["top"] or 0)


async def checks_between(conn: BaseDBAsyncClient, after_id: int, upto_id: int) -> list[dict]:
    """(monitor_id, checked_at, ok, latency_ms, in_maintenance) of ids in (after, upto]."""
    sql = "SELECT monitor_id, checked_at, ok, latency_ms, in_maintenance FROM check_logs " + (
        "WHERE id > $1 AND id <= $2" if is_postgres(conn) else "WHERE id > ? AND id <= ?"
    )
    _, rows = await conn.execute_query(sql, [after_id, upto_id])
    return [dict(row) for row in rows]


async def existing(conn: BaseDBAsyncClient, table: str, keys: set[Key]) -> dict[Key, Aggregate]:
    """The stored figures of those (monitor, period) rows that exist."""
    if not keys:
        return {}
    found: dict[Key, Aggregate] = {}
    columns = "monitor_id, period_start, " + ", ".join(_FIGURES)
    if is_postgres(conn):
        monitors = sorted({k[0] for k in keys})
        periods = sorted({k[1] for k in keys})
        _, rows = await conn.execute_query(
            f"SELECT {columns} FROM {table} WHERE monitor_id = ANY($1::int[]) "
            "AND period_start = ANY($2::timestamptz[])",
            [monitors, periods],
        )
        batches = [rows]
    else:
        batches = []
        ordered = sorted(keys)
        for start in range(0, len(ordered), _SQLITE_CHUNK):
            chunk = ordered[start : start + _SQLITE_CHUNK]
            where = " OR ".join("(monitor_id = ? AND period_start = ?)" for _ in chunk)
            params = [v for m, p in chunk for v in (m, sqlite_time(p))]
            _, rows = await conn.execute_query(
                f"SELECT {columns} FROM {table} WHERE {where}", params
            )
            batches.append(rows)
    for rows in batches:
        for row in rows:
            row = dict(row)
            key = (row["monitor_id"], db_time(row["period_start"]))
            if key in keys:
                row["buckets"] = db_json(row["buckets"])
                found[key] = Aggregate.of_row(row)
    return found


def _values(aggregate: Aggregate) -> list:
    return [getattr(aggregate, name) for name in _FIGURES[:-1]] + [json.dumps(aggregate.buckets)]


async def upsert(conn: BaseDBAsyncClient, table: str, items: dict[Key, Aggregate]) -> None:
    """Write these rows whole (insert, or replace the figures of an existing row)."""
    if not items:
        return
    names = ", ".join(_FIGURES)
    replace = ", ".join(f"{name} = EXCLUDED.{name}" for name in _FIGURES)
    if is_postgres(conn):
        columns: list[list] = [[], []] + [[] for _ in _FIGURES]
        for (monitor_id, period), aggregate in items.items():
            columns[0].append(monitor_id)
            columns[1].append(period)
            for index, value in enumerate(_values(aggregate)):
                columns[2 + index].append(value)
        arrays = ", ".join(f"${i + 3}::{kind}[]" for i, kind in enumerate(_PG_TYPES))
        selected = ", ".join(f"u.{name}" for name in _FIGURES[:-1]) + ", u.buckets::jsonb"
        await conn.execute_query(
            f"INSERT INTO {table} (monitor_id, period_start, {names}) "
            f"SELECT u.monitor_id, u.period_start, {selected} "
            f"FROM unnest($1::int[], $2::timestamptz[], {arrays}) "
            f"AS u(monitor_id, period_start, {names}) "
            f"ON CONFLICT (monitor_id, period_start) DO UPDATE SET {replace}",
            columns,
        )
        return
    marks = ", ".join("?" for _ in range(len(_FIGURES) + 2))
    await conn.execute_many(
        f"INSERT INTO {table} (monitor_id, period_start, {names}) VALUES ({marks}) "
        f"ON CONFLICT (monitor_id, period_start) DO UPDATE SET {replace}",
        [[m, sqlite_time(p), *_values(a)] for (m, p), a in items.items()],
    )


async def delete_batch(
    conn: BaseDBAsyncClient, table: str, column: str, before: datetime, limit: int
) -> int:
    """Delete up to `limit` rows of `table` with `column` before `before`, oldest ids
    first; returns how many went."""
    if is_postgres(conn):
        sql = (
            f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} "
            f"WHERE {column} < $1 ORDER BY id LIMIT $2)"
        )
        params: list = [before, limit]
    else:
        sql = (
            f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} "
            f"WHERE {column} < ? ORDER BY id LIMIT ?)"
        )
        params = [sqlite_time(before), limit]
    count, _ = await conn.execute_query(sql, params)
    return count or 0


async def first_id_above(conn: BaseDBAsyncClient, table: str, after_id: int) -> int | None:
    """The smallest id of `table` above `after_id`, None without one (the primary key's
    index: one step, however many rows there are)."""
    mark = "$1" if is_postgres(conn) else "?"
    _, rows = await conn.execute_query(
        f"SELECT min(id) AS low FROM {table} WHERE id > {mark}", [after_id]
    )
    low = rows[0]["low"] if rows else None
    return None if low is None else int(low)


async def delete_id_range(
    conn: BaseDBAsyncClient, table: str, column: str, before: datetime, after_id: int,
    upto_id: int,
) -> int:  # fmt: skip
    """Delete the rows of `table` with an id in (after_id, upto_id] and `column` before
    `before`; returns how many went. A range scan of the primary key: it reads the
    rows of that id range only, whatever the table's size and whether or not `column`
    has an index."""
    if is_postgres(conn):
        sql = f"DELETE FROM {table} WHERE id > $1 AND id <= $2 AND {column} < $3"
        params: list = [after_id, upto_id, before]
    else:
        sql = f"DELETE FROM {table} WHERE id > ? AND id <= ? AND {column} < ?"
        params = [after_id, upto_id, sqlite_time(before)]
    count, _ = await conn.execute_query(sql, params)
    return count or 0


async def nth_newest_ping(
    conn: BaseDBAsyncClient, monitor_id: int, keep: int
) -> tuple[object, int] | None:
    """(received_at as the database gives it, id) of the newest ping of `monitor_id`
    beyond the newest `keep` (in (received_at, id) order), None when it has no more
    than `keep`. Reads `keep` + 1 entries of the (monitor_id, received_at) index."""
    marks = ("$1", "$2") if is_postgres(conn) else ("?", "?")
    _, rows = await conn.execute_query(
        f"SELECT received_at, id FROM pings WHERE monitor_id = {marks[0]} "
        f"ORDER BY received_at DESC, id DESC LIMIT 1 OFFSET {marks[1]}",
        [monitor_id, keep],
    )
    return (rows[0]["received_at"], int(rows[0]["id"])) if rows else None


async def delete_pings_upto(
    conn: BaseDBAsyncClient, monitor_id: int, cut: tuple[object, int], limit: int
) -> int:
    """Delete up to `limit` pings of `monitor_id` at or before `cut` (nth_newest_ping's
    answer, passed back as read) in (received_at, id) order; returns how many went."""
    at, cut_id = cut
    if is_postgres(conn):
        sql = (
            "DELETE FROM pings WHERE id IN (SELECT id FROM pings WHERE monitor_id = $1 "
            "AND received_at <= $2 AND (received_at < $2 OR id <= $3) LIMIT $4)"
        )
    else:
        sql = (
            "DELETE FROM pings WHERE id IN (SELECT id FROM pings WHERE monitor_id = ?1 "
            "AND received_at <= ?2 AND (received_at < ?2 OR id <= ?3) LIMIT ?4)"
        )
    count, _ = await conn.execute_query(sql, [monitor_id, at, cut_id, limit])
    return count or 0
