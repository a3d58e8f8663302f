"""Fixtures shared by every test.

Databases: each test that asks for `db` gets a fresh, empty schema, once on SQLite and
once on PostgreSQL. PostgreSQL comes from TEST_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/test); each pytest run creates its own databases
with a random suffix and drops them at the end, so two runs never collide. When the
server does not answer, the PostgreSQL cases are skipped with the reason, unless
REQUIRE_POSTGRES=1 makes that a failure.

Browser: a test that asks for `browser` gets a headless Chromium (tests/support/cdp.py).
Where /usr/bin/chromium is missing it is skipped with the reason, unless
REQUIRE_BROWSER=1 makes that a failure.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from tortoise.context import TortoiseContext

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("AERICH_NO_TORTOISE_V1_WARNING", "1")

from core.probe import Probe  # noqa: E402
from core.runtime import Runtime  # noqa: E402
from core.settings import Settings  # noqa: E402
from db.config import tortoise_config  # noqa: E402
from db.due_queue import apply_schema_extras  # noqa: E402
from tests.support import cdp  # noqa: E402
from tests.support.bot_harness import ADMIN, running_bot  # noqa: E402
from tests.support.fake_telegram import FakeTelegram  # noqa: E402
from tests.support.outbox import fake, worker  # noqa: E402, F401  (fixtures)
from tests.support.postgres import PostgresServer, postgres_server_or_reason  # noqa: E402
from tests.support.receiver import receiver  # noqa: E402, F401  (a fixture)
from tests.support.targets import TargetServers  # noqa: E402

DIALECTS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The PostgreSQL server for this run, or a skip (a failure with REQUIRE_POSTGRES=1)."""
    server, reason = postgres_server_or_reason()
    if server is None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: {reason}")
        pytest.skip(f"PostgreSQL unreachable ({reason}); set TEST_DATABASE_URL to run these")
    try:
        yield server
    finally:
        server.drop_all()


@pytest.fixture(scope="session")
def postgres_shared_url(postgres_server: PostgresServer) -> str:
    """One database per run for ordinary tests; `db` empties it before each test."""
    return postgres_server.create_database()


@pytest.fixture
async def browser() -> AsyncIterator[cdp.Browser]:
    """Headless Chromium for this test, killed after it; or a skip (a failure with
    REQUIRE_BROWSER=1)."""
    cdp.require()
    async with cdp.launch() as launched:
        yield launched


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def fresh_db_url(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a new, empty database of the test's dialect (no tables at all)."""
    if dialect == "sqlite":
        return f"sqlite://{tmp_path / 'fresh.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture
def db_url(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of the test's database; `db` gives it the schema."""
    if dialect == "sqlite":
        return f"sqlite://{tmp_path / 'test.sqlite3'}"
    return request.getfixturevalue("postgres_shared_url")


_schema_ready: set[str] = set()


@pytest.fixture
async def db(db_url: str, dialect: str) -> AsyncIterator[TortoiseContext]:
    """An initialised Tortoise context on an empty schema, active for the test's tasks."""
    ctx = TortoiseContext()
    async with ctx:
        await ctx.init(config=tortoise_config(db_url))
        if dialect == "sqlite" or db_url not in _schema_ready:
            await ctx.generate_schemas(safe=True)
            await apply_schema_extras(ctx.db())
            _schema_ready.add(db_url)
        if dialect == "postgres":
            tables = [m._meta.db_table for m in ctx.apps.get_models_iterable()]
            quoted = ", ".join(f'"{t}"' for t in tables)
            await ctx.db().execute_script(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        yield ctx


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Settings for in-process tests: no .env, no bot, private targets allowed."""
    return Settings(
        _env_file=None,
        database_url=db_url,
        allow_private_targets=True,
    )


@pytest.fixture
async def targets() -> AsyncIterator[TargetServers]:
    """Real HTTP(S) target servers on loopback."""
    servers = TargetServers()
    yield servers
    await servers.close()


@pytest.fixture
async def probe(targets: TargetServers) -> AsyncIterator[Probe]:
    p = Probe(ssl_context=targets.probe_ssl_context())
    await p.start()
    yield p
    await p.close()


@pytest.fixture
def runtime(settings: Settings, probe: Probe) -> Runtime:
    """What run.py builds and hands to core: the settings, the shared probe, the slots."""
    return Runtime(settings=settings, probe=probe)


@pytest.fixture
async def telegram(db, settings: Settings, probe: Probe) -> AsyncIterator[FakeTelegram]:
    """The real bot polling the fake Bot API server, as a user would meet it: private
    targets refused, one admin (bot_harness.ADMIN)."""
    strict = settings.model_copy(
        update={"allow_private_targets": False, "admin_ids": frozenset({ADMIN})}
    )
    async with running_bot(strict, probe) as served:
        yield served


@pytest.fixture
def drawn_charts(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every chart core.charts draws during the test (its core.charts.Chart: what was
    drawn, labels included), in order."""
    from core import charts

    drawn: list[charts.Chart] = []
    real = charts.draw

    def spy(*args, **kwargs):
        drawn.append(real(*args, **kwargs))
        return drawn[-1]

    monkeypatch.setattr(charts, "draw", spy)
    return drawn
