"""Schema migrations with aerich, one folder of migration files per dialect.

aerich writes SQL for one dialect per file, so PostgreSQL and SQLite each have their own
history under db/migrations/<dialect>/models/. Both are generated from the same models,
offline (no database needed), by `python -m db.migrate make NAME` (`make migration`).

Start-up (run.py) and `make migrate` call `upgrade(url)`, which applies what the
database lacks. On PostgreSQL it holds an advisory lock meanwhile, so replicas starting
together apply each migration once.

aerich keeps its diff state in class attributes of `Migrate`, so each dialect is
generated (and checked) in a fresh interpreter.

    python -m db.migrate upgrade          apply pending migrations to DATABASE_URL
    python -m db.migrate make NAME        write a migration for both dialects if models changed
    python -m db.migrate check            exit 1 if the models differ from the migrations
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Literal

os.environ.setdefault("AERICH_NO_TORTOISE_V1_WARNING", "1")

from aerich import Command
from tortoise.context import TortoiseContext

from db.config import APP, tortoise_config
from db.urls import database_dialect

Dialect = Literal["postgres", "sqlite"]
DIALECTS: tuple[Dialect, ...] = ("postgres", "sqlite")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_ROOT = PROJECT_ROOT / "db" / "migrations"
# Any constant works; it only has to be the same for every replica.
_ADVISORY_LOCK_KEY = 7_315_001

# Offline generation never connects; these URLs only select the dialect.
_OFFLINE_URLS: dict[Dialect, str] = {
    "postgres": "postgres://offline@127.0.0.1:1/offline",
    "sqlite": "sqlite://:memory:",
}


def location(dialect: Dialect, root: Path = MIGRATIONS_ROOT) -> Path:
    """The folder aerich is given; it keeps the files in <folder>/<app>/."""
    return root / dialect


def migration_files(dialect: Dialect, root: Path = MIGRATIONS_ROOT) -> list[Path]:
    folder = location(dialect, root) / APP
    files = [p for p in folder.glob("*.py") if p.stem.split("_", 1)[0].isdigit()]
    return sorted(files, key=lambda p: int(p.stem.split("_", 1)[0]))


async def upgrade(db_url: str, root: Path = MIGRATIONS_ROOT) -> list[str]:
    """Apply every migration the database lacks; return the names applied."""
    dialect = database_dialect(db_url)
    lock = await _advisory_lock(db_url) if dialect == "postgres" else None
    try:
        # An isolated ORM context: aerich initialises and closes "the" Tortoise, and must
        # not disturb (or be disturbed by) the one the application opens afterwards.
        config = tortoise_config(db_url)
        async with TortoiseContext() as ctx:
            await ctx.init(config=config)
            command = Command(
                tortoise_config=config, app=APP, location=str(location(dialect, root))
            )
            await command.init()
            return await command.upgrade(run_in_transaction=True)
    finally:
        if lock is not None:
            await lock.close()


async def _advisory_lock(db_url: str):
    import asyncpg

    conn = await asyncpg.connect(db_url)
    await conn.execute("SELECT pg_advisory_lock($1)", _ADVISORY_LOCK_KEY)
    return conn  # closing the connection releases the lock


def _sqlite_ddl_without_alters() -> None:
    """SQLite has no column comments and no ALTER COLUMN: a changed comment (a
    CharEnumField's lists its members) or field class (an enum field becoming a plain
    one of the same type) needs no statement there, yet aerich refuses the whole
    migration instead. A real change of type would need a table rebuilt by hand;
    tests/test_migrations.py compares the migrated schema with the models' and would
    show one missing."""
    from aerich.ddl.sqlite import SqliteDDL

    SqliteDDL.set_comment = lambda self, model, field_describe: ""  # type: ignore[method-assign]
    SqliteDDL.modify_column = lambda self, model, field_describe, is_pk=True: ""  # type: ignore[method-assign]


async def _make_one(dialect: Dialect, name: str, root: Path) -> str | None:
    """Write the next migration for one dialect; None when the models did not change."""
    if dialect == "sqlite":
        _sqlite_ddl_without_alters()
    command = Command(
        tortoise_config=tortoise_config(_OFFLINE_URLS[dialect]),
        app=APP,
        location=str(location(dialect, root)),
    )
    try:
        if not migration_files(dialect, root):
            await command.init_migrations(safe=True)
            return migration_files(dialect, root)[-1].name
        await command.init(offline=True)
        version = await command.migrate(name=name, no_input=True, offline=True)
        return version or None
    finally:
        await command.aclose()


def _run_in_subprocess(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "db.migrate", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def make_migrations(name: str, root: Path = MIGRATIONS_ROOT) -> dict[Dialect, str | None]:
    """Generate the next migration for every dialect; returns the new file names."""
    made: dict[Dialect, str | None] = {}
    for dialect in DIALECTS:
        proc = _run_in_subprocess("_make_one", dialect, name, str(root))
        if proc.returncode != 0:
            raise RuntimeError(f"aerich failed for {dialect}:\n{proc.stdout}{proc.stderr}")
        made[dialect] = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else None
        if made[dialect] == "-":
            made[dialect] = None
    return made


def pending_changes(dialect: Dialect) -> str | None:
    """The migration aerich would write now for `dialect`, or None if the models match.

    Works on a copy of the migrations, so nothing in the tree changes.
    """
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(location(dialect), Path(tmp) / dialect)
        proc = _run_in_subprocess("_make_one", dialect, "pending", tmp)
        if proc.returncode != 0:
            raise RuntimeError(f"aerich failed for {dialect}:\n{proc.stdout}{proc.stderr}")
        new = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "-"
        if new == "-":
            return None
        return (Path(tmp) / dialect / APP / new).read_text(encoding="utf-8")


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    cmd, *rest = argv
    if cmd == "upgrade":
        from core.settings import ConfigError, load_settings

        try:
            settings = load_settings()
        except ConfigError as exc:
            print(f"configuration error: {exc}", file=sys.stderr)
            return 2
        applied = asyncio.run(upgrade(settings.database_url))
        print("applied: " + (", ".join(applied) if applied else "nothing (up to date)"))
        return 0
    if cmd == "make" and len(rest) == 1:
        for dialect, version in make_migrations(rest[0]).items():
            print(f"{dialect}: {version or 'no changes'}")
        return 0
    if cmd == "check":
        dirty = [d for d in DIALECTS if pending_changes(d) is not None]
        for dialect in dirty:
            print(f"{dialect}: models differ from the migrations; run `make migration NAME=...`")
        return 1 if dirty else 0
    if cmd == "_make_one" and len(rest) == 3:
        dialect, name, root = rest
        version = asyncio.run(_make_one(dialect, name, Path(root)))  # type: ignore[arg-type]
        print(version or "-")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
