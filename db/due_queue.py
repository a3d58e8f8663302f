"""The index of the scheduler's queue, kept apart from the wide monitor rows.

`monitors.next_check_at` is when a monitor is next due, and the claim (db/claims.py)
needs it indexed. But every check and every push monitor's ping moves it, and on
PostgreSQL an update that changes an indexed column is never HOT: each one left a dead
copy of the whole monitor row (hundreds of bytes) and a new entry in every index of
`monitors`, at each check and ping. The dead rows and index entries piled up faster than
autovacuum cleared them, and the pings' answer times grew through a run with them
(bench/pings.py: p99 from 70 to 643 ms in 40 s; 2% of the updates were HOT).

So on PostgreSQL `monitors.next_check_at` carries no index, `monitors` keeps room in its
pages for new row versions (fillfactor), and the index lives in a narrow table of its
own, `monitor_due (monitor_id, due_at)`, that triggers keep equal to `next_check_at`:

1. A new monitor gets its row (AFTER INSERT), and a change of `next_check_at` is copied
   to it (AFTER UPDATE OF next_check_at, only when the value changed) in the same
   statement, so the two never disagree, whoever writes: the ORM, the bulk statements
   of recording, a test. Deleting a monitor deletes its row (foreign key, CASCADE).
2. The claim finds due monitors through `monitor_due`'s index and locks both rows
   (SKIP LOCKED), then moves `monitors.next_check_at`; the trigger moves `due_at`.
3. Updates of `monitors` then change no indexed column and stay HOT: the new version goes
   into the same page and no index grows. Only the narrow `monitor_due` row is copied.

SQLite updates rows in place and has no such cost, so there `next_check_at` keeps a plain
index and the claim reads `monitors` directly.

`apply_schema_extras` installs this on a database built from the models
(`generate_schemas`, as the tests do); migration 11 executes the same statements. They
are versioned constants: a later change adds a new constant and a new migration, and
never edits these.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from db.bulk import is_postgres

# Free space kept in each page of `monitors` for the next versions of its rows.
MONITORS_FILLFACTOR = 50

POSTGRES_V1 = f"""
CREATE TABLE IF NOT EXISTS monitor_due (
    monitor_id INT NOT NULL PRIMARY KEY REFERENCES monitors (id) ON DELETE CASCADE,
    due_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS monitor_due_due_at ON monitor_due (due_at);
CREATE OR REPLACE FUNCTION monitor_due_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO monitor_due (monitor_id, due_at) VALUES (NEW.id, NEW.next_check_at)
    ON CONFLICT (monitor_id) DO UPDATE SET due_at = EXCLUDED.due_at;
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS monitors_due_insert ON monitors;
CREATE TRIGGER monitors_due_insert AFTER INSERT ON monitors
    FOR EACH ROW EXECUTE FUNCTION monitor_due_sync();
DROP TRIGGER IF EXISTS monitors_due_update ON monitors;
CREATE TRIGGER monitors_due_update AFTER UPDATE OF next_check_at ON monitors
    FOR EACH ROW WHEN (NEW.next_check_at IS DISTINCT FROM OLD.next_check_at)
    EXECUTE FUNCTION monitor_due_sync();
INSERT INTO monitor_due (monitor_id, due_at) SELECT id, next_check_at FROM monitors
    ON CONFLICT (monitor_id) DO UPDATE SET due_at = EXCLUDED.due_at;
ALTER TABLE monitors SET (fillfactor = {MONITORS_FILLFACTOR});
"""

SQLITE_V1 = 'CREATE INDEX IF NOT EXISTS "monitors_next_check_at" ON "monitors" ("next_check_at");'


def schema_extras(postgres: bool) -> str:
    """The statements that install the queue's index on a database of the dialect."""
    return POSTGRES_V1 if postgres else SQLITE_V1


async def apply_schema_extras(conn: BaseDBAsyncClient) -> None:
    """Install the queue's index on a schema built from the models (idempotent)."""
    await conn.execute_script(schema_extras(is_postgres(conn)))
