"""Reading a live database's schema into comparable plain data."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient


async def describe_schema(conn: BaseDBAsyncClient, dialect: str) -> dict:
    """Tables -> columns (type, nullability, default), indexes and foreign keys.

    Column order is left out (ALTER TABLE ADD appends), names of indexes are kept.
    """
    if dialect == "sqlite":
        return await _describe_sqlite(conn)
    return await _describe_postgres(conn)


async def _describe_sqlite(conn: BaseDBAsyncClient) -> dict:
    _, tables = await conn.execute_query(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
    )
    schema: dict = {}
    for table in sorted(t["name"] for t in tables):
        _, cols = await conn.execute_query(f'PRAGMA table_info("{table}")')
        _, idx = await conn.execute_query(f'PRAGMA index_list("{table}")')
        _, fks = await conn.execute_query(f'PRAGMA foreign_key_list("{table}")')
        indexes = set()
        for row in idx:
            _, info = await conn.execute_query(f'PRAGMA index_info("{row["name"]}")')
            columns = tuple(i["name"] for i in sorted(info, key=lambda i: i["seqno"]))
            # A unique index's name is not what the schema enforces: SQLite cannot add
            # a UNIQUE column with ALTER TABLE, so a migration names the index that a
            # fresh schema gets as an automatic one.
            automatic = row["name"].startswith("sqlite_autoindex")
            name = "" if automatic or row["unique"] else row["name"]
            indexes.add((name, columns, bool(row["unique"])))
        schema[table] = {
            "columns": {
                c["name"]: (c["type"].upper(), bool(c["notnull"]), c["dflt_value"], c["pk"])
                for c in cols
            },
            "indexes": indexes,
            "foreign_keys": {(f["from"], f["table"], f["to"], f["on_delete"]) for f in fks},
        }
    return schema


async def _describe_postgres(conn: BaseDBAsyncClient) -> dict:
    _, cols = await conn.execute_query(
        "SELECT table_name, column_name, data_type, character_maximum_length, is_nullable,"
        " column_default FROM information_schema.columns WHERE table_schema = 'public'"
    )
    _, idx = await conn.execute_query(
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
    )
    _, cons = await conn.execute_query(
        "SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def"
        " FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
    )
    schema: dict = {}
    for c in cols:
        table = schema.setdefault(
            c["table_name"], {"columns": {}, "indexes": set(), "constraints": set()}
        )
        table["columns"][c["column_name"]] = (
            c["data_type"],
            c["character_maximum_length"],
            c["is_nullable"],
            c["column_default"],
        )
    for i in idx:
        schema[i["tablename"]]["indexes"].add((i["indexname"], i["indexdef"]))
    for c in cons:
        schema[c["tbl"].strip('"')]["constraints"].add((c["conname"], c["def"]))
    return schema
