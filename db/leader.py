"""One active sender among replicas: a PostgreSQL session advisory lock.

Telegram's limits (about 30 messages a second per bot) hold for the bot token, not
per process: two replicas each sending at 25/s would be throttled. So one replica at
a time delivers the outbox; the others stand by. The lock lives on a connection of
its own, outside the ORM's pool: PostgreSQL releases it the moment that connection
ends, so when the leading replica dies another one takes over at its next tick.

Taking the lead also counts up the leadership epoch (the one row of
`outbox_leadership`), right after the lock is taken and on the lock's connection. Each
claim records the epoch it was made under, so a new leader knows every claim of an
earlier epoch is abandoned (its leader died, or lost the lock and stops at its next
send) and returns those rows at once instead of waiting for their lease (db/outbox.py).
Only the lock holder counts up, so epochs only grow, one per leadership.

Correctness never depends on the lock (claims are disjoint and fenced, see
db/outbox.py); it only keeps the send rate of the whole deployment within limits.
SQLite serves one process, which is always the leader: its first check, when the
worker starts, is the new leadership.
"""

from __future__ import annotations

import logging

from db.outage_log import OutageLog
from db.urls import database_dialect

log = logging.getLogger(__name__)

# Any constant shared by every replica; distinct from db/migrate.py's key.
OUTBOX_LOCK_KEY = 0x6F7574626F78  # "outbox"

# The next epoch, in one statement (PostgreSQL and SQLite alike); the row is created
# by the first leader ever.
NEXT_EPOCH_SQL = """
INSERT INTO outbox_leadership (id, epoch) VALUES (1, 1)
ON CONFLICT (id) DO UPDATE SET epoch = outbox_leadership.epoch + 1
RETURNING epoch
"""


class Leadership:
    def __init__(self, db_url: str, key: int = OUTBOX_LOCK_KEY) -> None:
        self.db_url = db_url
        self.key = key
        self._conn = None
        self._leading = False
        self._always = database_dialect(db_url) == "sqlite"
        self.outage = OutageLog("outbox leadership")
        # The epoch of this process's leadership; None while it does not lead.
        self.epoch: int | None = None

    async def check(self) -> bool:
        """Whether this process leads now: keep the lock if held (and the connection
        is alive), else try to take it and count up the epoch. Never raises; a
        database problem means no."""
        if self._always:
            return await self._check_sqlite()
        import asyncpg

        try:
            if self._conn is None or self._conn.is_closed():
                self._leading = False
                self._conn = await asyncpg.connect(self.db_url, timeout=5)
            if self._leading:
                await self._conn.fetchval("SELECT 1", timeout=5)  # still connected: still ours
                self.outage.recovered()
                return True
            if not await self._conn.fetchval(
                "SELECT pg_try_advisory_lock($1)", self.key, timeout=5
            ):
                self.outage.recovered()
                return False
            self.epoch = await self._conn.fetchval(NEXT_EPOCH_SQL, timeout=5)
            self._leading = True
            self.outage.recovered()
            log.info("this replica now delivers the notification outbox (epoch %s)", self.epoch)
            return True
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            self.outage.failed("checking outbox leadership", exc)
        await self.close()
        return False

    async def _check_sqlite(self) -> bool:
        """One process, always leading: the first check takes the epoch."""
        if self.epoch is not None:
            return True
        from db.connection import current_connection

        try:
            _, rows = await current_connection().execute_query(NEXT_EPOCH_SQL)
        except Exception as exc:  # the database file is unusable: try again next tick
            self.outage.failed("checking outbox leadership", exc)
            return False
        self.outage.recovered()
        self.epoch = rows[0]["epoch"]
        return True

    async def close(self) -> None:
        """Let go of the lock (closing its connection releases it)."""
        conn, self._conn, self._leading = self._conn, None, False
        self.epoch = None
        if conn is not None and not conn.is_closed():
            try:
                await conn.close(timeout=2)
            except Exception:  # closing a broken connection: nothing left to do
                conn.terminate()
