"""One active sender among replicas: a PostgreSQL session advisory lock.

Telegram's limits (about 30 messages a second per bot) hold for the bot token, not
per process: two replicas each sending at 25/s would be throttled. So one replica at
a time delivers the outbox; the others stand by. The lock lives on a connection of
its own, outside the ORM's pool: PostgreSQL releases it the moment that connection
ends, so when the leading replica dies another one takes over at its next tick.

Correctness never depends on the lock (claims are disjoint and fenced, see
db/outbox.py); it only keeps the send rate of the whole deployment within limits.
SQLite serves one process, which is always the leader.
"""

from __future__ import annotations

import logging

from db.outage_log import OutageLog
from db.urls import database_dialect

log = logging.getLogger(__name__)

# Any constant shared by every replica; distinct from db/migrate.py's key.
OUTBOX_LOCK_KEY = 0x6F7574626F78  # "outbox"


class Leadership:
    def __init__(self, db_url: str, key: int = OUTBOX_LOCK_KEY) -> None:
        self.db_url = db_url
        self.key = key
        self._conn = None
        self._leading = False
        self._always = database_dialect(db_url) == "sqlite"
        self.outage = OutageLog("outbox leadership")

    async def check(self) -> bool:
        """Whether this process leads now: keep the lock if held (and the connection
        is alive), else try to take it. Never raises; a database problem means no."""
        if self._always:
            return True
        import asyncpg

        try:
            if self._conn is None or self._conn.is_closed():
                self._leading = False
                self._conn = await asyncpg.connect(self.db_url, timeout=5)
            if self._leading:
                await self._conn.fetchval("SELECT 1", timeout=5)  # still connected: still ours
                self.outage.recovered()
                return True
            self._leading = bool(
                await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key, timeout=5)
            )
            self.outage.recovered()
            if self._leading:
                log.info("this replica now delivers the notification outbox")
            return self._leading
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            self.outage.failed("checking outbox leadership", exc)
        await self.close()
        return False

    async def close(self) -> None:
        """Let go of the lock (closing its connection releases it)."""
        conn, self._conn, self._leading = self._conn, None, False
        if conn is not None and not conn.is_closed():
            try:
                await conn.close(timeout=2)
            except Exception:  # closing a broken connection: nothing left to do
                conn.terminate()
