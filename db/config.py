"""The Tortoise configuration for a database URL."""

from __future__ import annotations

from db.urls import database_dialect, sqlite_path

APP = "models"
MODEL_MODULES = ["db.models", "aerich.models"]


def tortoise_config(db_url: str) -> dict:
    """Tortoise config for one normalised URL; SQLite files get their folder created."""
    path = sqlite_path(db_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    # The connection is named after its dialect: Tortoise caches compiled statements by
    # connection name, so one process (the test suite) may use both dialects safely.
    name = database_dialect(db_url)
    return {
        "connections": {name: db_url},
        "apps": {APP: {"models": MODEL_MODULES, "default_connection": name}},
        "use_tz": True,
        "timezone": "UTC",
    }
