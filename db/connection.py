"""Opening, checking and closing the ORM's connections."""

from __future__ import annotations

import asyncio

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient

from db.config import tortoise_config


async def open_database(db_url: str) -> None:
    """Initialise Tortoise for this task and every task it starts afterwards."""
    await Tortoise.init(config=tortoise_config(db_url))


async def close_database() -> None:
    await Tortoise.close_connections()


def current_connection() -> BaseDBAsyncClient:
    """The connection the models use, for the few statements the ORM cannot say."""
    from db.models import User

    return User._meta.db


async def ping(timeout: float = 2.0) -> bool:
    """True when the database answers `SELECT 1` within `timeout` seconds."""
    try:
        conn = current_connection()
        await asyncio.wait_for(conn.execute_query("SELECT 1"), timeout)
    except Exception:  # any failure means "not reachable" to the caller
        return False
    return True
