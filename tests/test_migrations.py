"""aerich migrations: per dialect they build exactly the models' schema and keep data."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tortoise.context import TortoiseContext

from db.claims import claim_due
from db.config import APP, tortoise_config
from db.connection import current_connection
from db.due_queue import apply_schema_extras
from db.migrate import DIALECTS, MIGRATIONS_ROOT, migration_files, pending_changes, upgrade
from db.models import Channel, CheckLog, Monitor, Notification, User
from tests.support.schema import describe_schema


async def schema_of(url: str, dialect: str, generate: bool = False) -> dict:
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(url))
        if generate:
            await ctx.generate_schemas(safe=False)
            await apply_schema_extras(current_connection())
        return await describe_schema(current_connection(), dialect)


@pytest.mark.parametrize("which", DIALECTS)
def test_models_have_no_change_missing_from_the_migrations(which: str) -> None:
    """`make migration` would write nothing: the last migration matches the models."""
    assert migration_files(which), f"no migrations for {which}"
    assert pending_changes(which) is None


def test_both_dialects_have_the_same_migration_history() -> None:
    def steps(dialect: str) -> list[str]:
        return [p.name.split("_", 2)[2] for p in migration_files(dialect)]

    assert steps("postgres") == steps("sqlite")


async def test_migrations_build_the_schema_the_models_declare(
    dialect: str, fresh_db_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    applied = await upgrade(fresh_db_url)
    assert applied == [p.name for p in migration_files(dialect)]
    migrated = await schema_of(fresh_db_url, dialect)

    if dialect == "sqlite":
        reference_url = f"sqlite://{tmp_path / 'reference.sqlite3'}"
    else:
        reference_url = request.getfixturevalue("postgres_server").create_database()
    generated = await schema_of(reference_url, dialect, generate=True)

    assert set(migrated) == set(generated)
    for table in generated:
        assert migrated[table] == generated[table], table


async def test_upgrade_is_idempotent(fresh_db_url: str) -> None:
    assert await upgrade(fresh_db_url)
    assert await upgrade(fresh_db_url) == []


async def test_upgrading_a_database_with_rows_keeps_them(
    dialect: str, fresh_db_url: str, tmp_path: Path
) -> None:
    """Build the oldest schema, fill it, then upgrade to the newest: nothing is lost."""
    files = migration_files(dialect)
    assert len(files) >= 2, "needs a history of at least two migrations"
    oldest = tmp_path / "oldest" / dialect / APP
    oldest.mkdir(parents=True)
    shutil.copy(files[0], oldest / files[0].name)
    assert await upgrade(fresh_db_url, root=tmp_path / "oldest") == [files[0].name]

    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(fresh_db_url))
        conn = current_connection()
        await conn.execute_script(
            """
            INSERT INTO users (id, telegram_id, display_name, email_verified,
                email_code_attempts, blocked_bot, telegram_alerts, reminder_interval_minutes,
                created_at)
            VALUES (1, 4242, 'Ann', FALSE, 0, FALSE, TRUE, 0, '2026-01-01 00:00:00+00:00');
            INSERT INTO monitors (id, owner_id, name, url, method, headers, interval_seconds,
                retry_interval_seconds, timeout_seconds, accepted_status_codes, keyword_mode,
                cert_warning_days, failure_threshold, success_threshold, paused, state,
                consecutive_failures, consecutive_successes, next_check_at, created_at,
                updated_at)
            VALUES (1, 1, 'Shop', 'https://shop.example/', 'GET', '{}', 60, 20, 10.0,
                '200-399', 'present', '[14, 7, 3, 1]', 3, 2, FALSE, 'up', 0, 0,
                '2026-01-01 00:01:00+00:00', '2026-01-01 00:00:00+00:00',
                '2026-01-01 00:00:00+00:00');
            INSERT INTO check_logs (monitor_id, checked_at, ok, status_code, latency_ms,
                in_maintenance)
            VALUES (1, '2026-01-01 00:00:30+00:00', TRUE, 200, 42, FALSE);
            """
        )

    assert await upgrade(fresh_db_url) == [p.name for p in files[1:]]

    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(fresh_db_url))
        user = await User.get(telegram_id=4242)
        assert user.display_name == "Ann"
        [chat] = await Channel.filter(owner_id=user.id)
        assert (chat.kind, chat.target, chat.enabled, chat.is_default) == (
            "telegram",
            "4242",
            True,
            True,
        )
        monitor = await Monitor.get(id=1)
        assert (monitor.name, monitor.state, monitor.last_ok) == ("Shop", "up", None)
        check = await CheckLog.get(monitor_id=1)
        assert (check.status_code, check.latency_ms) == (200, 42)
        # Still in the scheduler's queue (on PostgreSQL, its index was filled: due_queue).
        due = datetime(2026, 1, 1, 0, 1, tzinfo=UTC)
        assert [c.monitor_id for c in await claim_due(due, due, 10)] == [1]


@pytest.mark.parametrize("dialect", ["postgres"])
async def test_replicas_starting_together_apply_each_migration_once(fresh_db_url: str) -> None:
    results = await asyncio.gather(*(upgrade(fresh_db_url) for _ in range(3)))
    applied = sorted(name for result in results for name in result)
    assert applied == sorted(p.name for p in migration_files("postgres"))
    assert MIGRATIONS_ROOT.exists()


async def test_private_chats_and_confirmed_addresses_become_channels(
    dialect: str, fresh_db_url: str, tmp_path: Path
) -> None:
    """The channels migration: each user's private chat becomes a channel (off when
    they blocked the bot), a confirmed address another (off when its alerts were off),
    and queued alerts name the channel they now go to: none is lost."""
    files = migration_files(dialect)
    at = next(i for i, p in enumerate(files) if p.stem.endswith("_channels"))
    before = tmp_path / "before" / dialect / APP
    before.mkdir(parents=True)
    for path in files[:at]:
        shutil.copy(path, before / path.name)
    await upgrade(fresh_db_url, root=tmp_path / "before")
    t = "'2026-01-01 00:00:00+00:00'"
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(fresh_db_url))
        await current_connection().execute_script(
            f"""
            INSERT INTO users (id, telegram_id, display_name, email, email_verified,
                email_code_attempts, blocked_bot, telegram_alerts, email_alerts,
                reminder_interval_minutes, timezone, created_at)
            VALUES (1, 101, 'Ann', 'ann@example.com', TRUE, 0, FALSE, TRUE, FALSE, 0, 'UTC', {t}),
                (2, 102, 'Bob', 'bob@example.com', FALSE, 0, TRUE, TRUE, TRUE, 0, 'UTC', {t}),
                (3, 103, 'Cy', 'cy@example.com', TRUE, 0, FALSE, TRUE, TRUE, 0, 'UTC', {t});
            INSERT INTO notifications (id, user_id, channel, kind, payload, status, attempts,
                next_attempt_at, created_at, dedup_key)
            VALUES (1, 1, 'telegram', 'down', '{{}}', 'pending', 0, {t}, {t}, 'a'),
                (2, 3, 'email', 'down', '{{}}', 'pending', 0, {t}, {t}, 'b'),
                (3, 3, 'telegram', 'broadcast', '{{}}', 'pending', 0, {t}, {t}, 'c'),
                (4, 1, 'telegram', 'down', '{{}}', 'sent', 1, {t}, {t}, 'd');
            """
        )
    await upgrade(fresh_db_url)
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(fresh_db_url))
        channels = {
            (c.owner_id, c.kind): (c.target, c.enabled, c.is_default, c.disabled_reason)
            for c in await Channel.all()
        }
        assert channels == {
            (1, "telegram"): ("101", True, True, None),
            (1, "email"): ("ann@example.com", False, True, None),  # its alerts were off
            (2, "telegram"): ("102", False, True, "the user has blocked the bot"),
            (3, "telegram"): ("103", True, True, None),
            (3, "email"): ("cy@example.com", True, True, None),
        }  # Bob's address was never confirmed: no channel
        routed = {n.id: n.alert_channel_id for n in await Notification.all()}
        chat_of = {c.owner_id: c.id for c in await Channel.filter(kind="telegram")}
        mail_of = {c.owner_id: c.id for c in await Channel.filter(kind="email")}
        # Queued alerts go to the channel; a broadcast and what was sent stay as they were.
        assert routed == {1: chat_of[1], 2: mail_of[3], 3: None, 4: None}
        assert await Notification.filter(status="pending").count() == 3
