"""The queue's index outside the monitor rows (db/due_queue.py), on PostgreSQL: the
`monitor_due` table follows `monitors.next_check_at` whoever writes it, the claim reads
it, and a monitor row's updates stay HOT (no new index entries, no dead row for vacuum)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from tortoise.transactions import in_transaction

from db.bulk import update_rows
from db.claims import claim_due
from db.connection import current_connection
from db.models import Monitor, User

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def dialect() -> str:
    """SQLite indexes `monitors.next_check_at` itself (db/due_queue.py)."""
    return "postgres"


async def due_rows() -> dict[int, datetime | None]:
    _, rows = await current_connection().execute_query(
        "SELECT monitor_id, due_at FROM monitor_due ORDER BY monitor_id"
    )
    return {r["monitor_id"]: r["due_at"] for r in rows}


async def add(count: int, due: datetime) -> list[Monitor]:
    owner, _ = await User.get_or_create(telegram_id=7)
    return [
        await Monitor.create(
            owner=owner, name=f"m{i}", url="http://127.0.0.1:9/", next_check_at=due
        )
        for i in range(count)
    ]


async def test_the_due_table_follows_next_check_at_whoever_writes_it(db) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    a, b = await add(2, now)
    assert await due_rows() == {a.id: now, b.id: now}

    a.next_check_at = now + timedelta(seconds=30)
    await a.save(update_fields=["next_check_at"])  # the ORM
    await Monitor.filter(id=b.id).update(next_check_at=None)  # paused
    assert await due_rows() == {a.id: now + timedelta(seconds=30), b.id: None}

    later = now + timedelta(minutes=5)
    await update_rows(  # recording's bulk statement
        current_connection(), "monitors", (("next_check_at", "timestamptz"),), [(b.id, [later])]
    )
    await Monitor.filter(id=a.id).update(name="renamed")  # no change of the due time
    assert await due_rows() == {a.id: now + timedelta(seconds=30), b.id: later}

    await a.delete()
    assert await due_rows() == {b.id: later}


async def test_the_claim_finds_due_monitors_through_it_and_moves_both(db) -> None:
    now = datetime.now(UTC)
    due = await add(3, now - timedelta(seconds=1))
    not_due = await add(2, now + timedelta(hours=1))
    claimed = await claim_due(now, now, 10)
    assert sorted(c.monitor_id for c in claimed) == sorted(m.id for m in due)
    rows = await due_rows()
    for monitor in due:
        await monitor.refresh_from_db()
        assert monitor.next_check_at > now and rows[monitor.id] == monitor.next_check_at
    assert all(rows[m.id] == m.next_check_at for m in not_due)


async def test_a_claim_skips_a_monitor_whose_row_another_transaction_holds(db) -> None:
    """A recording that holds a monitor's row would otherwise wait for the claim's lock
    on its `monitor_due` row while the claim waits for the monitor's: a deadlock."""
    now = datetime.now(UTC)
    held, free = await add(2, now - timedelta(seconds=1))
    locked, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with in_transaction() as tx:
            await tx.execute_query(
                "UPDATE monitors SET consecutive_failures = 1 WHERE id = $1", [held.id]
            )
            locked.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.wait_for(locked.wait(), 10)
    claimed = await asyncio.wait_for(claim_due(now, now, 10), 10)
    release.set()
    await holder
    assert [c.monitor_id for c in claimed] == [free.id]


async def test_updates_of_monitor_rows_are_hot(db) -> None:
    """A claim, then recording's update of the same rows, each in its own transaction
    as in the engine: every update of `monitors` is HOT, the due time's change included
    (the second one fits in the page once the first one's old versions are pruned)."""
    now = datetime.now(UTC)
    monitors = await add(40, now - timedelta(seconds=1))

    async def counts(tx) -> tuple[int, int]:
        """Updates and HOT ones that this backend has not reported yet (PostgreSQL
        reports at most once a second, so a reading is taken before and after)."""
        _, rows = await tx.execute_query(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables"
            " WHERE relname = 'monitors'"
        )
        return rows[0]["n_tup_upd"], rows[0]["n_tup_hot_upd"]

    async with in_transaction() as tx:
        before = await counts(tx)
        assert len(await claim_due(now, now, 100)) == 40
        after = await counts(tx)
        assert (after[0] - before[0], after[1] - before[1]) == (40, 40)
    for _ in range(3):
        async with in_transaction() as tx:
            before = await counts(tx)
            await update_rows(
                tx,
                "monitors",
                (("consecutive_successes", "int"), ("last_latency_ms", "int")),
                [(m.id, [1, 42]) for m in monitors],
            )
            after = await counts(tx)
            assert (after[0] - before[0], after[1] - before[1]) == (40, 40)
