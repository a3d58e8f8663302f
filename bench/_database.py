"""A throw-away PostgreSQL database with the current schema, for one benchmark run."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bench.scheduler import DEFAULT_URL, create_database, drop_database


@asynccontextmanager
async def migrated_database(bench: str) -> AsyncIterator[str]:
    """A new database on the server of DATABASE_URL (default: the local test server),
    migrated; dropped afterwards. `bench` names the benchmark in the refusal."""
    from core.settings import normalize_database_url
    from db.migrate import upgrade

    server_url = normalize_database_url(os.environ.get("DATABASE_URL", DEFAULT_URL))
    if not server_url.startswith("postgres://"):
        raise SystemExit(f"{bench} needs PostgreSQL: set DATABASE_URL=postgres://...")
    url = await create_database(server_url)
    try:
        await upgrade(url)
        yield url
    finally:
        await drop_database(server_url, url)
