"""The Tortoise configuration for a database URL."""

from __future__ import annotations

from tortoise.backends.base.config_generator import expand_db_url

from db.urls import database_dialect, sqlite_path

APP = "models"
MODEL_MODULES = ["db.models", "aerich.models"]


async def keep_session(_connection: object) -> None:
    """What a pooled PostgreSQL connection runs on its way back to the pool: nothing
    beyond what asyncpg always does (end an open transaction, drop listeners). Its
    default also sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET
    ALL`, one more round trip after every transaction, for session state this app never
    leaves on a pooled connection: its advisory locks live on connections of their own
    (db/leader.py, db/migrate.py), and it declares no cursors, listens on nothing and
    sets no session variables."""


def tortoise_config(db_url: str) -> dict:
    """Tortoise config for one normalised URL; SQLite files get their folder created."""
    path = sqlite_path(db_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    # The connection is named after its dialect: Tortoise caches compiled statements by
    # connection name, so one process (the test suite) may use both dialects safely.
    name = database_dialect(db_url)
    connection: str | dict = db_url
    if name == "postgres":
        connection = expand_db_url(db_url)
        connection["credentials"]["reset"] = keep_session
    return {
        "connections": {name: connection},
        "apps": {APP: {"models": MODEL_MODULES, "default_connection": name}},
        "use_tz": True,
        "timezone": "UTC",
    }
