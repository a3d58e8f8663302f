"""Bulk reads and writes for check results, one statement per batch, SQL per dialect.

The ORM's bulk_update builds one CASE expression per column and row, which costs more
CPU than the checks themselves at a few hundred results a second (measured with
bench/scheduler.py). Here a batch is one `INSERT ... SELECT FROM unnest(arrays)` and
one `UPDATE ... FROM unnest(arrays)` on PostgreSQL, and an `executemany` on SQLite,
with values stored exactly as Tortoise stores them. Likewise, the monitors a batch
records are read as plain rows of the columns it needs, with their owner's (a model
instance costs 60 us a row to build: more than the rest of recording a ping, measured
with bench/pings.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from tortoise import fields
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

INCIDENT_COLUMNS = (
    ("monitor_id", "int"),
    ("started_at", "timestamptz"),
    ("resolved_at", "timestamptz"),
    ("cause", "varchar"),
    ("first_error", "varchar"),
    ("last_error", "varchar"),
    ("failed_checks", "int"),
)
# What recording changes of an open incident.
INCIDENT_CHANGE_COLUMNS = (
    ("resolved_at", "timestamptz"),
    ("last_error", "varchar"),
    ("failed_checks", "int"),
    ("cause", "varchar"),
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


async def insert_rows_returning_ids(
    conn: BaseDBAsyncClient,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
) -> list[int]:
    """insert_rows, returning the new rows' ids in `rows` order. On PostgreSQL one
    statement: the rows go in in their order, each taking the next value of the id's
    sequence, so the ids sorted are theirs in order. On SQLite (no network to cross)
    one statement per row."""
    if not rows:
        return []
    names = ", ".join(name for name, _ in columns)
    if is_postgres(conn):
        arrays = ", ".join(f"${i}::{kind}[]" for i, (_, kind) in enumerate(columns, 1))
        values = [[_pg_value(row[i]) for row in rows] for i in range(len(columns))]
        _, returned = await conn.execute_query(
            f"WITH v AS (SELECT * FROM unnest({arrays}) WITH ORDINALITY AS v({names}, ord)),"
            f" added AS (INSERT INTO {table} ({names}) SELECT {names} FROM v ORDER BY ord"
            f" RETURNING id) SELECT id FROM added ORDER BY id",
            values,
        )
        return [row["id"] for row in returned]
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
    return [await conn.execute_insert(sql, [_sqlite_value(v) for v in row]) for row in rows]


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


class Row(SimpleNamespace):
    """A row read by `select_monitor_rows`: one attribute per column, holding what the
    model would (aware datetimes, booleans, enum members, decoded JSON); `owner` holds
    the owner's columns the same way."""


def _json_value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _sqlite_datetime(value: Any) -> Any:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _reader(field: fields.Field, postgres: bool) -> Callable[[Any], Any] | None:
    """How a raw value of `field` becomes the model's value (None: as it is)."""
    if isinstance(field, fields.JSONField):
        return _json_value
    enum_type = getattr(field, "enum_type", None)
    if enum_type is not None:
        return enum_type
    if postgres:
        return None
    if isinstance(field, fields.DatetimeField):
        return _sqlite_datetime
    if isinstance(field, fields.BooleanField):
        return bool
    return None


async def select_monitor_rows(
    conn: BaseDBAsyncClient,
    monitor_model: type[Model],
    owner_model: type[Model],
    columns: Sequence[str],
    owner_columns: Sequence[str],
    where: str,
    values: Sequence[Any],
    pg_type: str = "int",
    *,
    for_update: bool = False,
) -> list[Row]:
    """Monitors whose column `where` is one of `values`, in id order, as Rows of
    `columns` with `owner` (a Row of the owner's `owner_columns`, read in the same
    statement: `owner_model`'s row of `owner_id`); `for_update` locks the monitors
    (PostgreSQL), not their owners."""
    if not values:
        return []
    postgres = is_postgres(conn)
    condition, params = _id_list(conn, values, pg_type=pg_type)
    selected = ", ".join(
        [f"m.{name}" for name in columns] + [f"u.{name} AS owner__{name}" for name in owner_columns]
    )
    lock = " FOR UPDATE OF m" if for_update and postgres else ""
    _, records = await conn.execute_query(
        f"SELECT {selected} FROM {monitor_model._meta.db_table} AS m"
        f" JOIN {owner_model._meta.db_table} AS u ON u.id = m.owner_id"
        f" WHERE m.{where} {condition} ORDER BY m.id{lock}",
        params,
    )
    readers = [_column_reader(monitor_model, name, postgres) for name in columns]
    owner_readers = [_column_reader(owner_model, name, postgres) for name in owner_columns]
    count = len(columns)
    rows = []
    for record in records:
        raw = tuple(record)
        row = Row(**_read(columns, readers, raw[:count]))
        row.owner = Row(**_read(owner_columns, owner_readers, raw[count:]))
        rows.append(row)
    return rows


def _column_reader(model: type[Model], column: str, postgres: bool) -> Callable | None:
    field = model._meta.fields_map.get(column)  # none for a foreign key's column
    return None if field is None else _reader(field, postgres)


def _read(names: Sequence[str], readers: Sequence, raw: Sequence[Any]) -> dict[str, Any]:
    return {
        name: value if read is None or value is None else read(value)
        for name, read, value in zip(names, readers, raw, strict=True)
    }
