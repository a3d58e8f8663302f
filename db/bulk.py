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
from collections.abc import Callable, Collection, Sequence
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


def _pg_arrays(columns: Sequence[tuple[str, str]], first: int) -> str:
    return ", ".join(f"${i}::{kind}[]" for i, (_, kind) in enumerate(columns, first))


def _pg_insert(table: str, columns, rows, first: int) -> tuple[str, list]:
    names = ", ".join(name for name, _ in columns)
    values = [[_pg_value(row[i]) for row in rows] for i in range(len(columns))]
    sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({_pg_arrays(columns, first)})"
    return sql, values


def _pg_update(table: str, columns, rows, first: int) -> tuple[str, list]:
    aliases = ", ".join(["id", *(name for name, _ in columns)])
    sets = ", ".join(f"{name} = v.{name}" for name, _ in columns)
    values = [[row_id for row_id, _ in rows]] + [
        [_pg_value(vals[i]) for _, vals in rows] for i in range(len(columns))
    ]
    arrays = _pg_arrays((("id", "int"), *columns), first)
    sql = f"UPDATE {table} AS t SET {sets} FROM unnest({arrays}) AS v({aliases}) WHERE t.id = v.id"
    return sql, values


def _pg_insert_in_order(table: str, columns, rows, first: int) -> tuple[list[str], list]:
    """WITH queries inserting `rows` in their order and returning the ids (`added`):
    each row takes the next value of the id's sequence as it goes in, so the ids
    sorted are the rows' in order."""
    names = ", ".join(name for name, _ in columns)
    values = [[_pg_value(row[i]) for row in rows] for i in range(len(columns))]
    return [
        f"v AS (SELECT * FROM unnest({_pg_arrays(columns, first)}) WITH ORDINALITY"
        f" AS v({names}, ord))",
        f"added AS (INSERT INTO {table} ({names}) SELECT {names} FROM v ORDER BY ord RETURNING id)",
    ], values


async def _sqlite_insert(conn: BaseDBAsyncClient, table: str, columns, rows) -> None:
    names = ", ".join(name for name, _ in columns)
    marks = ", ".join("?" for _ in columns)
    await conn.execute_many(
        f"INSERT INTO {table} ({names}) VALUES ({marks})",
        [[_sqlite_value(v) for v in row] for row in rows],
    )


async def _sqlite_update(conn: BaseDBAsyncClient, table: str, columns, rows) -> None:
    sets = ", ".join(f"{name} = ?" for name, _ in columns)
    await conn.execute_many(
        f"UPDATE {table} SET {sets} WHERE id = ?",
        [[*(_sqlite_value(v) for v in vals), row_id] for row_id, vals in rows],
    )


async def insert_rows(
    conn: BaseDBAsyncClient,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Insert `rows` (tuples in `columns` order) in one statement."""
    writes = Writes()
    writes.insert(table, columns, rows)
    await writes.run(conn)


async def update_rows(
    conn: BaseDBAsyncClient,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[tuple[int, Sequence[Any]]],
) -> None:
    """Set `columns` of the rows with these ids: rows are (id, values in column order)."""
    writes = Writes()
    writes.update(table, columns, rows)
    await writes.run(conn)


class Writes:
    """The inserts and updates of one batch, sent as ONE statement on PostgreSQL (data-
    modifying WITH queries: each runs to completion whatever the final query reads;
    they must not touch the same row twice) and one after the other on SQLite, where
    there is no network to cross. Each round trip waits for a turn of an event loop
    that is busy with other work, so on a loaded server four statements cost about four
    times one (measured with bench/pings.py). One insert may return its new ids."""

    def __init__(self) -> None:
        self._parts: list[tuple[str, str, Sequence, Sequence]] = []
        self._returning: tuple[str, Sequence, Sequence] | None = None

    def insert(self, table: str, columns: Sequence[tuple[str, str]], rows: Sequence) -> None:
        if rows:
            self._parts.append(("insert", table, columns, rows))

    def update(self, table: str, columns: Sequence[tuple[str, str]], rows: Sequence) -> None:
        """Rows are (id, values in column order)."""
        if rows:
            self._parts.append(("update", table, columns, rows))

    def insert_returning_ids(
        self, table: str, columns: Sequence[tuple[str, str]], rows: Sequence
    ) -> None:
        """An insert whose new ids `run` returns, in `rows` order (one per batch)."""
        assert self._returning is None, "one insert returning ids per batch"
        if rows:
            self._returning = (table, columns, rows)

    async def run(self, conn: BaseDBAsyncClient) -> list[int]:
        """Send everything; the ids of the insert_returning_ids rows, in their order."""
        if is_postgres(conn):
            return await self._run_postgres(conn)
        for kind, table, columns, rows in self._parts:
            if kind == "insert":
                await _sqlite_insert(conn, table, columns, rows)
            else:
                await _sqlite_update(conn, table, columns, rows)
        if self._returning is None:
            return []
        table, columns, rows = self._returning
        names = ", ".join(name for name, _ in columns)
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in columns)})"
        return [await conn.execute_insert(sql, [_sqlite_value(v) for v in row]) for row in rows]

    async def _run_postgres(self, conn: BaseDBAsyncClient) -> list[int]:
        queries: list[str] = []
        params: list = []
        for kind, table, columns, rows in self._parts:
            build = _pg_insert if kind == "insert" else _pg_update
            sql, values = build(table, columns, rows, len(params) + 1)
            queries.append(sql)
            params.extend(values)
        if self._returning is not None:
            table, columns, rows = self._returning
            added, values = _pg_insert_in_order(table, columns, rows, len(params) + 1)
            params.extend(values)
            withs = [f"w{n} AS ({sql})" for n, sql in enumerate(queries)] + added
            _, returned = await conn.execute_query(
                f"WITH {', '.join(withs)} SELECT id FROM added ORDER BY id", params
            )
            return [row["id"] for row in returned]
        if len(queries) == 1:
            await conn.execute_query(queries[0], params)
        elif queries:
            withs = ", ".join(f"w{n} AS ({sql})" for n, sql in enumerate(queries[:-1]))
            await conn.execute_query(f"WITH {withs} {queries[-1]}", params)
        return []


def id_list(
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
        monitors, owners = id_list(conn, monitor_ids)[0], id_list(conn, owner_ids)[0]
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
    windows_since: datetime | None = None,
    undecoded: Collection[str] = (),
) -> list[Row]:
    """Monitors whose column `where` is one of `values`, in id order, as Rows of
    `columns`, all in one statement with:
    - `owner`: a Row of the owner's `owner_columns` (`owner_model`'s row of owner_id);
    - `maintenance` (with `windows_since`): whether a maintenance window of the monitor
      or of all its owner's monitors ends after that moment (False: none can cover a
      check made since).
    `for_update` locks the monitors (PostgreSQL), not the rows joined to them; JSON
    columns in `undecoded` are left as the database's text.

    A monitor whose lock had to wait comes as the transaction that held it left it,
    but what is joined to it is read as it was when the statement began (PostgreSQL's
    READ COMMITTED): rows that the holder may have changed meanwhile and that must be
    exact (its incidents) are to be read after this, in a statement of their own."""
    if not values:
        return []
    postgres = is_postgres(conn)
    selected = [f"m.{name}" for name in columns]
    selected += [f"u.{name} AS owner__{name}" for name in owner_columns]
    joins = f" JOIN {owner_model._meta.db_table} AS u ON u.id = m.owner_id"
    params: list = []
    if windows_since is not None:
        selected.append(
            f"EXISTS (SELECT 1 FROM maintenance_windows AS w WHERE w.ends_at > "
            f"{'$1' if postgres else '?'} AND (w.monitor_id = m.id OR "
            "(w.monitor_id IS NULL AND w.owner_id = m.owner_id))) AS maintenance"
        )
        params.append(windows_since if postgres else _sqlite_value(windows_since))
    condition, listed = id_list(conn, values, start=len(params) + 1, pg_type=pg_type)
    lock = " FOR UPDATE OF m" if for_update and postgres else ""
    _, records = await conn.execute_query(
        f"SELECT {', '.join(selected)} FROM {monitor_model._meta.db_table} AS m{joins}"
        f" WHERE m.{where} {condition} ORDER BY m.id{lock}",
        params + listed,
    )
    readers = [
        None if name in undecoded else _column_reader(monitor_model, name, postgres)
        for name in columns
    ]
    owner_readers = [_column_reader(owner_model, name, postgres) for name in owner_columns]
    count, owned = len(columns), len(columns) + len(owner_columns)
    rows = []
    for record in records:
        raw = tuple(record)
        row = Row(**_read(columns, readers, raw[:count]))
        row.owner = Row(**_read(owner_columns, owner_readers, raw[count:owned]))
        if windows_since is not None:
            row.maintenance = bool(raw[owned])
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
