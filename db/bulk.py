"""Bulk reads and writes for check results, one statement per batch, SQL per dialect.

The ORM's bulk_update builds one CASE expression per column and row, which costs more
CPU than the checks themselves at a few hundred results a second (measured with
bench/scheduler.py). Here a batch is one `INSERT ... SELECT FROM unnest(arrays)` and
one `UPDATE ... FROM unnest(arrays)` on PostgreSQL, and an `executemany` on SQLite,
with values stored exactly as Tortoise stores them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

# (column, PostgreSQL array type)
CHECK_LOG_COLUMNS = (
    ("monitor_id", "int"),
    ("checked_at", "timestamptz"),
    ("ok", "bool"),
    ("status_code", "smallint"),
    ("latency_ms", "int"),
    ("dns_ms", "int"),
    ("connect_ms", "int"),
    ("tls_ms", "int"),
    ("ttfb_ms", "int"),
    ("error_kind", "varchar"),
    ("error_message", "varchar"),
    ("cert_expires_at", "timestamptz"),
    ("final_url", "varchar"),
    ("in_maintenance", "bool"),
)

MONITOR_STATE_COLUMNS = (
    ("state", "varchar"),
    ("state_since", "timestamptz"),
    ("consecutive_failures", "int"),
    ("consecutive_successes", "int"),
    ("failing_since", "timestamptz"),
    ("failing_first_error", "varchar"),
    ("last_check_at", "timestamptz"),
    ("last_ok", "bool"),
    ("last_status_code", "smallint"),
    ("last_latency_ms", "int"),
    ("last_error_kind", "varchar"),
    ("last_reminder_at", "timestamptz"),
    ("cert_expires_at", "timestamptz"),
    ("cert_warned_days", "int"),
    ("next_check_at", "timestamptz"),
)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return str(value.astimezone(UTC))
    if isinstance(value, bool):
        return int(value)
    if hasattr(value, "value") and isinstance(value.value, str):  # a str enum
        return value.value
    return value


def _pg_value(value: Any) -> Any:
    if hasattr(value, "value") and isinstance(value.value, str):
        return value.value
    return value


def is_postgres(conn: BaseDBAsyncClient) -> bool:
    """Whether `conn` talks to PostgreSQL (else SQLite): the one check of the dialect."""
    return conn.schema_generator.DIALECT == "postgres"


async def insert_rows(
    conn: BaseDBAsyncClient,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Insert `rows` (tuples in `columns` order) in one statement."""
    if not rows:
        return
    names = ", ".join(name for name, _ in columns)
    if is_postgres(conn):
        arrays = ", ".join(f"${i}::{kind}[]" for i, (_, kind) in enumerate(columns, 1))
        values = [[_pg_value(row[i]) for row in rows] for i in range(len(columns))]
        await conn.execute_query(
            f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})", values
        )
        return
    marks = ", ".join("?" for _ in columns)
    await conn.execute_many(
        f"INSERT INTO {table} ({names}) VALUES ({marks})",
        [[_sqlite_value(v) for v in row] for row in rows],
    )


async def update_rows(
    conn: BaseDBAsyncClient,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[tuple[int, Sequence[Any]]],
) -> None:
    """Set `columns` of the rows with these ids: rows are (id, values in column order)."""
    if not rows:
        return
    if is_postgres(conn):
        arrays = ", ".join(
            f"${i}::{kind}[]" for i, (_, kind) in enumerate((("id", "int"), *columns), 1)
        )
        aliases = ", ".join(["id", *(name for name, _ in columns)])
        sets = ", ".join(f"{name} = v.{name}" for name, _ in columns)
        values = [[row_id for row_id, _ in rows]] + [
            [_pg_value(vals[i]) for _, vals in rows] for i in range(len(columns))
        ]
        await conn.execute_query(
            f"UPDATE {table} AS t SET {sets} FROM unnest({arrays}) AS v({aliases}) "
            f"WHERE t.id = v.id",
            values,
        )
        return
    sets = ", ".join(f"{name} = ?" for name, _ in columns)
    await conn.execute_many(
        f"UPDATE {table} SET {sets} WHERE id = ?",
        [[*(_sqlite_value(v) for v in vals), row_id] for row_id, vals in rows],
    )


def _id_list(
    conn: BaseDBAsyncClient, ids: Sequence[Any], start: int = 1, pg_type: str = "int"
) -> tuple[str, list]:
    """An `IN`-list condition for ids (or other values of `pg_type`), and its
    parameters, for the connection's dialect."""
    if is_postgres(conn):
        return f"= ANY(${start}::{pg_type}[])", [list(ids)]
    return f"IN ({', '.join('?' for _ in ids)})", list(ids)


async def select_by_ids(
    conn: BaseDBAsyncClient, model: type[Model], ids: Sequence[int], *, for_update: bool = False
) -> list[Model]:
    """Model instances by primary key, in id order; `for_update` locks them (PostgreSQL).

    Raw SQL into `_init_from_db`, the ORM's own row loader: the same objects as
    `filter(id__in=...)` without building the query each time.
    """
    return await select_where_in(conn, model, "id", ids, for_update=for_update)


async def select_where_in(
    conn: BaseDBAsyncClient,
    model: type[Model],
    column: str,
    values: Sequence[Any],
    pg_type: str = "int",
    *,
    for_update: bool = False,
) -> list[Model]:
    """select_by_ids on another column (`values` of PostgreSQL type `pg_type`), in id
    order, so that two lockers of overlapping sets cannot deadlock."""
    if not values:
        return []
    condition, params = _id_list(conn, values, pg_type=pg_type)
    lock = " FOR UPDATE" if for_update and is_postgres(conn) else ""
    table = model._meta.db_table
    _, rows = await conn.execute_query(
        f"SELECT * FROM {table} WHERE {column} {condition} ORDER BY id{lock}", params
    )
    return [model._init_from_db(**dict(row)) for row in rows]


async def windows_overlapping(
    conn: BaseDBAsyncClient,
    model: type[Model],
    monitor_ids: Sequence[int],
    owner_ids: Sequence[int],
    first: datetime,
    last: datetime,
) -> list[Model]:
    """Maintenance windows for these monitors, or for all monitors of these owners,
    that are open at any moment between `first` and `last`."""
    if not monitor_ids:
        return []
    if is_postgres(conn):
        sql = (
            "SELECT * FROM maintenance_windows WHERE starts_at <= $1 AND ends_at > $2 AND "
            "(monitor_id = ANY($3::int[]) OR (monitor_id IS NULL AND owner_id = ANY($4::int[])))"
        )
        params: list = [last, first, list(monitor_ids), list(owner_ids)]
    else:
        monitors, owners = _id_list(conn, monitor_ids)[0], _id_list(conn, owner_ids)[0]
        sql = (
            "SELECT * FROM maintenance_windows WHERE starts_at <= ? AND ends_at > ? AND "
            f"(monitor_id {monitors} OR (monitor_id IS NULL AND owner_id {owners}))"
        )
        params = [_sqlite_value(last), _sqlite_value(first), *monitor_ids, *owner_ids]
    _, rows = await conn.execute_query(sql, params)
    return [model._init_from_db(**dict(row)) for row in rows]
