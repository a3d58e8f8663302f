"""ROLES: run.py split into a front process and a checker process on one PostgreSQL."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.settings import ALL_ROLES, ConfigError, load_settings
from tests.support.fake_telegram import FakeTelegram
from tests.support.http import free_port
from tests.support.service import start_service


def test_roles_are_read_from_a_list_and_default_to_all() -> None:
    assert load_settings(_env_file=None).roles == ALL_ROLES
    assert load_settings(_env_file=None, roles="").roles == ALL_ROLES
    assert load_settings(_env_file=None, roles=" Checker ").roles == {"checker"}
    assert load_settings(_env_file=None, roles="api,bot,outbox").roles == {"api", "bot", "outbox"}


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"roles": "checker,web"}, "ROLES: unknown role 'web'; the roles are api, bot, checker"),
        (
            {"roles": "bot,outbox", "webhook_url": "https://bot.example.com/hook"},
            "ROLES: with WEBHOOK_URL, the bot role needs the api role",
        ),
    ],
)
def test_bad_roles_are_refused_with_one_line(variables: dict, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(_env_file=None, **variables)
    assert str(refused.value).startswith(message)


async def _checked(database: str, monitor_id: int) -> tuple[datetime | None, int]:
    from db.connection import close_database, open_database
    from db.models import CheckLog, Monitor

    await open_database(database)
    try:
        monitor = await Monitor.get(id=monitor_id)
        return monitor.last_check_at, await CheckLog.filter(monitor_id=monitor_id).count()
    finally:
        await close_database()


@pytest.mark.parametrize("dialect", ["postgres"])
async def test_a_checker_process_checks_and_the_front_process_alerts(
    fresh_db_url: str, tmp_path: Path
) -> None:
    """The front (api, bot, outbox) never checks; the checker (same API_PORT: it must not
    listen) checks and records; the front's outbox delivers the alert that caused."""
    from db.connection import close_database, open_database
    from db.models import Monitor, User

    telegram = FakeTelegram()
    await telegram.start()
    port = str(free_port())
    common = {
        "DATABASE_URL": fresh_db_url,
        "ALLOW_PRIVATE_TARGETS": "true",
        "API_PORT": port,
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.url,
    }
    front = await start_service(tmp_path, ROLES="api,bot,outbox", **common)
    checker = None
    try:
        await front.wait_healthy()
        await open_database(fresh_db_url)
        owner = await User.create(telegram_id=777, language="en")
        monitor = await Monitor.create(
            owner=owner,
            name="closed port",
            url=f"http://127.0.0.1:{free_port()}/",
            failure_threshold=1,
            next_check_at=datetime.now(UTC),
        )
        await close_database()
        await asyncio.sleep(2)  # four engine ticks, had the front an engine
        assert await _checked(fresh_db_url, monitor.id) == (None, 0)

        checker = await start_service(tmp_path, ROLES="checker", **common)
        for _ in range(300):
            if "engine started" in checker.text or checker.process.returncode is not None:
                break
            await asyncio.sleep(0.1)
        assert "engine started" in checker.text, checker.text
        await open_database(fresh_db_url)  # due now again: it was late, so on its grid
        await Monitor.filter(id=monitor.id).update(next_check_at=datetime.now(UTC))
        await close_database()
        await telegram.wait_for(
            lambda: any(
                c.method == "sendMessage" and c.ok and c.params.get("chat_id") == 777
                for c in telegram.calls
            ),
            timeout=30,
        )
        last_check_at, logs = await _checked(fresh_db_url, monitor.id)
        assert last_check_at is not None and logs >= 1
    finally:
        front_code, _ = await front.stop(signal.SIGTERM)
        checker_code = (await checker.stop(signal.SIGTERM))[0] if checker else 0
        await telegram.stop()
    assert front_code == 0, front.text
    assert checker_code == 0, checker.text
    assert "roles: api, bot, outbox" in front.text
    assert "roles: checker" in checker.text
    assert "web app listening" not in checker.text
    assert "engine started" not in front.text
    # Only the front talks to Telegram: the checker neither polls nor sends.
    assert "bot: long polling" in front.text and "bot:" not in checker.text
    assert "Traceback" not in front.text + checker.text
