"""What the benchmarks share: connections, throw-away PostgreSQL databases (bare, or
with the current schema), a throw-away SQLite one, and the percentile they report."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/test"


async def connect(url: str) -> asyncpg.Connection:
    """A plain asyncpg connection to `url` (the app's postgres:// form accepted)."""
    return await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def create_database(server_url: str) -> str:
    """A new, empty database on the server of `server_url`; returns its URL."""
    name = f"um_bench_{uuid.uuid4().hex[:8]}"
    conn = await connect(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    _, _, rest = server_url.partition("://")
    return f"postgres://{rest.rsplit('/', 1)[0]}/{name}"


async def drop_database(server_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@asynccontextmanager
async def migrated_database(bench: str) -> AsyncIterator[str]:
    """A new database on the server of DATABASE_URL (default: the local test server),
    migrated; dropped afterwards. `bench` names the benchmark in the refusal."""
    from db.migrate import upgrade
    from db.urls import normalize_database_url

    server_url = normalize_database_url(os.environ.get("DATABASE_URL", DEFAULT_URL))
    if not server_url.startswith("postgres://"):
        raise SystemExit(f"{bench} needs PostgreSQL: set DATABASE_URL=postgres://...")
    url = await create_database(server_url)
    try:
        await upgrade(url)
        yield url
    finally:
        await drop_database(server_url, url)


async def postgres_answers(url: str, timeout: float = 3.0) -> bool:
    """Whether the PostgreSQL server of `url` takes a connection within `timeout` s."""
    try:
        conn = await asyncio.wait_for(connect(url), timeout)
    except (OSError, TimeoutError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


@asynccontextmanager
async def migrated_sqlite_database() -> AsyncIterator[str]:
    """A new SQLite file in a temporary folder, migrated; removed afterwards."""
    from db.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="um-bench-") as folder:
        url = f"sqlite://{folder}/bench.sqlite3"
        await upgrade(url)
        yield url


def use_uvloop(wanted: bool) -> None:
    """Run this process's event loops on uvloop when `wanted` (a benchmark's --uvloop),
    as run.py does where it is installed."""
    if wanted:
        import uvloop

        uvloop.install()


def print_report(parse_args, main_async, argv: list[str] | None) -> None:
    """A benchmark's command line: its arguments (uvloop if --uvloop), one run, the
    report as one JSON line."""
    import json
    import sys

    args = parse_args(sys.argv[1:] if argv is None else argv)
    use_uvloop(args.uvloop)
    print(json.dumps(asyncio.run(main_async(args))))


def bench_settings(url: str, concurrency: int):
    """The settings every benchmark's app runs with: its database, loopback targets
    allowed, and the check slots asked for."""
    from core.settings import Settings

    return Settings(
        _env_file=None,
        database_url=url,
        allow_private_targets=True,
        check_concurrency=concurrency,
    )
