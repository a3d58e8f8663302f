"""Creating and dropping throw-away PostgreSQL databases for one test run."""

from __future__ import annotations

import asyncio
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import asyncpg

DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _asyncpg_dsn(url: str) -> str:
    _, _, rest = url.partition("://")
    return "postgresql://" + rest


def _run_sync(coro) -> None:
    """Run a coroutine to completion from sync code, even inside a running loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coro).result()


@dataclass
class PostgresServer:
    """A reachable server; `admin_url` names a database we may connect to."""

    admin_url: str
    run_id: str = field(default_factory=lambda: f"{os.getpid()}_{uuid.uuid4().hex[:8]}")
    created: list[str] = field(default_factory=list)

    def create_database(self) -> str:
        name = f"um_test_{self.run_id}_{len(self.created)}"
        _run_sync(self._execute(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return "postgres://" + _with_database(self.admin_url, name).partition("://")[2]

    def drop_all(self) -> None:
        for name in self.created:
            _run_sync(self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.created.clear()

    async def _execute(self, sql: str) -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(self.admin_url), timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()


def postgres_server_or_reason() -> tuple[PostgresServer | None, str]:
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)

    async def probe() -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"
    return PostgresServer(url), ""
