"""run.py as a real process: start-up, /health, the bot switch, and clean shutdown."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.support.fake_telegram import FakeTelegram
from tests.support.http import free_port
from tests.support.service import run_to_exit, start_service


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_starts_serves_health_and_stops_cleanly(
    fresh_db_url: str, tmp_path: Path, sig: signal.Signals
) -> None:
    service = await start_service(tmp_path, DATABASE_URL=fresh_db_url)
    assert await service.wait_healthy() == {"status": "ok"}
    code, seconds = await service.stop(sig)
    assert code == 0, service.text
    assert seconds < 5, f"took {seconds:.1f}s to stop"
    bot_off = [line for line in service.text.splitlines() if "bot is off" in line]
    assert len(bot_off) == 1, service.text
    assert "TELEGRAM_BOT_TOKEN" in bot_off[0]
    assert "applied migrations" in service.text
    assert "Traceback" not in service.text


async def test_log_format_json_writes_one_object_a_line(tmp_path: Path) -> None:
    import json

    service = await start_service(
        tmp_path, DATABASE_URL=f"sqlite://{tmp_path / 'db.sqlite3'}", LOG_FORMAT="json"
    )
    await service.wait_healthy()
    code, _ = await service.stop()
    assert code == 0, service.text
    entries = [json.loads(line) for line in service.text.splitlines()]
    messages = [entry["message"] for entry in entries]
    assert any(m.startswith("web app listening") for m in messages)
    assert messages[-1] == "stopped"
    assert {entry["logger"] for entry in entries} >= {"run"}


async def test_creates_the_sqlite_file_and_its_folder(tmp_path: Path) -> None:
    database = tmp_path / "nested" / "data" / "uptime.sqlite3"
    service = await start_service(tmp_path, DATABASE_URL=f"sqlite://{database}")
    await service.wait_healthy()
    assert database.is_file()
    code, _ = await service.stop()
    assert code == 0
    # A second start finds the schema in place and applies nothing.
    again = await start_service(tmp_path, DATABASE_URL=f"sqlite://{database}")
    await again.wait_healthy()
    await again.stop()
    assert "applied migrations" not in again.text


async def test_with_a_bot_token_it_polls_and_still_stops_within_five_seconds(
    tmp_path: Path,
) -> None:
    telegram = FakeTelegram()
    await telegram.start()
    try:
        service = await start_service(
            tmp_path,
            DATABASE_URL=f"sqlite://{tmp_path / 'db.sqlite3'}",
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_URL=telegram.url,
            LOGLEVEL="DEBUG",
        )
        await service.wait_healthy()
        # A long-poll getUpdates is in flight when the signal arrives.
        await telegram.wait_for_call("getUpdates")
        code, seconds = await service.stop(signal.SIGTERM)
    finally:
        await telegram.stop()
    assert code == 0, service.text
    assert seconds < 5, f"took {seconds:.1f}s to stop"
    assert "bot is off" not in service.text
    assert "long polling" in service.text
    assert telegram.token not in service.text  # even at DEBUG, the token is masked


async def test_a_failing_monitor_alerts_its_owner_through_the_running_service(
    tmp_path: Path,
) -> None:
    """The production wiring end to end: the engine's check fails, the incident's row
    goes into the outbox, the outbox job delivers it to Telegram."""
    from datetime import UTC, datetime

    from db.connection import close_database, open_database
    from db.models import Monitor, Notification, NotificationStatus, User

    database = f"sqlite://{tmp_path / 'db.sqlite3'}"
    telegram = FakeTelegram()
    await telegram.start()
    service = await start_service(
        tmp_path,
        DATABASE_URL=database,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_URL=telegram.url,
        ALLOW_PRIVATE_TARGETS="true",
    )
    try:
        await service.wait_healthy()
        await open_database(database)
        owner = await User.create(telegram_id=777, language="de")
        await Monitor.create(
            owner=owner,
            name="closed port",
            url=f"http://127.0.0.1:{free_port()}/",
            failure_threshold=1,
            next_check_at=datetime.now(UTC),
        )
        await telegram.wait_for(
            lambda: any(
                c.method == "sendMessage" and c.ok and c.params.get("chat_id") == 777
                for c in telegram.calls
            ),
            timeout=20,
        )
        [alert] = [c for c in telegram.calls if c.method == "sendMessage" and c.ok]
        assert "closed port" in alert.message.plain
        for _attempt in range(50):  # the mark follows the send by a moment
            row = await Notification.get(user_id=owner.id)
            if row.status == NotificationStatus.SENT:
                break
            await asyncio.sleep(0.1)
        assert row.status == NotificationStatus.SENT
        await close_database()
    finally:
        code, _seconds = await service.stop(signal.SIGTERM)
        await telegram.stop()
    assert code == 0, service.text


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_an_update_being_handled_at_shutdown_is_still_answered(
    tmp_path: Path, targets, mode: str
) -> None:
    """SIGTERM arrives while the bot handles a press of Check now on a slow site. The
    update is already acknowledged, so Telegram would never send it again: the service
    lets the handler finish (the result reaches the user) and still exits within 5 s."""
    from db.connection import close_database, open_database
    from db.models import Monitor, User
    from tests.support.bot_harness import tr

    site = await targets.http()
    database = f"sqlite://{tmp_path / 'db.sqlite3'}"
    telegram = FakeTelegram()
    await telegram.start()
    variables = {
        "DATABASE_URL": database,
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.url,
        "ALLOW_PRIVATE_TARGETS": "true",
        "API_PORT": str(free_port()),
    }
    if mode == "webhook":
        variables["WEBHOOK_URL"] = "https://bot.example.test/telegram/webhook"
        telegram.deliver_webhook_to(f"http://127.0.0.1:{variables['API_PORT']}/telegram/webhook")
    service = await start_service(tmp_path, **variables)
    try:
        await service.wait_healthy()
        await open_database(database)
        owner = await User.create(telegram_id=778)
        monitor = await Monitor.create(
            owner=owner, name="slow site", url=site.url("/slow?delay=0.8")
        )
        await close_database()
        if mode == "webhook":
            await telegram.wait_for_call("setWebhook")
        me = telegram.user(778, language_code="en")
        await me.send(f"/start m{monitor.id}")
        await me.next_reply(timeout=10)
        await me.press(tr("en", "🔄 Check now"))
        await me.next_answer()  # "Checking…": the handler now waits for the probe
    finally:
        code, seconds = await service.stop(signal.SIGTERM)
        await telegram.stop()
    assert code == 0, service.text
    assert seconds < 5, f"took {seconds:.1f}s to stop"
    assert any(c.ok and c.message and "HTTP 200" in c.message.plain for c in telegram.calls)
    assert "Traceback" not in service.text


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://root@localhost/db"),
        ("ADMIN_IDS", "42,not-a-number"),
        ("API_PORT", "70000"),
        ("SMTP_SECURITY", "ssl"),
        ("API_ACCESS_TOKEN", "short-key"),
        ("METRICS_TOKEN", "short-key"),
    ],
)
async def test_bad_configuration_exits_2_with_one_line(
    tmp_path: Path, variable: str, value: str
) -> None:
    code, output = await run_to_exit(tmp_path, **{variable: value})
    assert code == 2
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert variable in lines[0]


async def test_unreachable_database_fails_start_up_with_one_clear_line(tmp_path: Path) -> None:
    url = f"postgres://postgres:hunter2pass@127.0.0.1:{free_port()}/nothing"
    code, output = await run_to_exit(tmp_path, DATABASE_URL=url)
    assert code == 1
    assert "start-up failed" in output
    assert "Traceback" not in output
    assert "hunter2pass" not in output


async def test_webhook_mode_checks_the_secret_and_answers_updates(tmp_path: Path) -> None:
    """With WEBHOOK_URL the bot registers its webhook (with the secret) and serves updates
    posted to the web app; a wrong secret is refused."""
    import aiohttp

    telegram = FakeTelegram()
    await telegram.start()
    try:
        service = await start_service(
            tmp_path,
            DATABASE_URL=f"sqlite://{tmp_path / 'db.sqlite3'}",
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_URL=telegram.url,
            WEBHOOK_URL="https://bot.example.test/telegram/webhook",
            WEBHOOK_SECRET="webhook-secret-123",
        )
        await service.wait_healthy()
        hook = await telegram.wait_for_call("setWebhook")
        assert hook.params["url"] == "https://bot.example.test/telegram/webhook"
        assert hook.params["secret_token"] == "webhook-secret-123"
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 1_700_000_000,
                "chat": {"id": 77, "type": "private"},
                "from": {"id": 77, "is_bot": False, "first_name": "Web", "language_code": "en"},
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }
        url = f"{service.base_url}/telegram/webhook"
        async with aiohttp.ClientSession() as http:
            wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
            async with http.post(url, json=update, headers=wrong) as resp:
                assert resp.status == 401
            right = {"X-Telegram-Bot-Api-Secret-Token": "webhook-secret-123"}
            async with http.post(url, json=update, headers=right) as resp:
                assert resp.status == 200
        sent = await telegram.wait_for_call("sendMessage")
        assert sent.params["chat_id"] == 77
        assert [c.method for c in telegram.calls].count("sendMessage") == 1
        assert "getUpdates" not in telegram.methods()
        code, _ = await service.stop()
    finally:
        await telegram.stop()
    assert code == 0, service.text
    assert "webhook-secret-123" not in service.text


def test_webhook_target_always_has_a_path_and_a_secret() -> None:
    from core.settings import Settings
    from run import webhook_target

    bare = Settings(_env_file=None, telegram_bot_token="1:abc", webhook_url="https://bot.example")
    url, secret = webhook_target(bare)
    assert url == "https://bot.example/telegram/webhook"
    assert len(secret) == 64 and secret == webhook_target(bare)[1]  # same on every replica
    other = bare.model_copy(update={"telegram_bot_token": SecretStr("2:xyz")})
    assert webhook_target(other)[1] != secret
    chosen = Settings(
        _env_file=None,
        telegram_bot_token="1:abc",
        webhook_url="https://bot.example/hook/",
        webhook_secret="mine",
    )
    assert webhook_target(chosen) == ("https://bot.example/hook", "mine")


async def test_telegram_away_at_start_keeps_monitoring_and_delivers_when_it_answers(
    tmp_path: Path,
) -> None:
    """TELEGRAM_API_URL points at a port where nothing answers: /health and the API
    serve, the engine opens an incident and queues its alert (which waits, without
    spending attempts); once a Bot API answers there, the bot starts and the alert goes
    out. The log says once that Telegram is away and once that it answers."""
    from datetime import UTC, datetime

    import aiohttp

    from db.connection import close_database, open_database
    from db.models import Monitor, Notification, NotificationStatus, User

    database = f"sqlite://{tmp_path / 'db.sqlite3'}"
    telegram = FakeTelegram(port=free_port())  # not started yet: the port is closed
    admin_key = "an-admin-key-for-this-test"
    service = await start_service(
        tmp_path,
        DATABASE_URL=database,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_URL=telegram.url,
        TELEGRAM_RETRY_MAX_SECONDS="0.5",
        API_ACCESS_TOKEN=admin_key,
        ALLOW_PRIVATE_TARGETS="true",
    )
    try:
        await service.wait_healthy()
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"{service.base_url}/api/v1/monitors", headers={"X-API-KEY": admin_key}
            ) as resp,
        ):
            assert resp.status == 200
        await open_database(database)
        owner = await User.create(telegram_id=779, language="en")
        await Monitor.create(
            owner=owner,
            name="closed port",
            url=f"http://127.0.0.1:{free_port()}/",
            failure_threshold=1,
            next_check_at=datetime.now(UTC),
        )
        row = None
        for _attempt in range(300):  # the engine checks, fails, queues the alert
            row = await Notification.get_or_none(user_id=owner.id)
            if row is not None:
                break
            await asyncio.sleep(0.1)
        assert row is not None, service.text
        await asyncio.sleep(1.5)  # several bot start attempts fail meanwhile
        await row.refresh_from_db()
        assert row.status == NotificationStatus.PENDING and row.attempts == 0
        assert service.process.returncode is None, service.text

        await telegram.start()
        await telegram.wait_for(
            lambda: any(
                c.method == "sendMessage" and c.ok and c.params.get("chat_id") == 779
                for c in telegram.calls
            ),
            timeout=30,
        )
        await telegram.wait_for_call("getUpdates", timeout=30)
        await close_database()
    finally:
        code, _seconds = await service.stop(signal.SIGTERM)
        await telegram.stop()
    assert code == 0, service.text
    lines = service.text.splitlines()
    assert len([line for line in lines if "Telegram cannot be reached" in line]) == 1, lines
    assert len([line for line in lines if "Telegram answers again" in line]) == 1, lines
    assert "Traceback" not in service.text


async def test_a_token_telegram_refuses_exits_2_with_one_line(tmp_path: Path) -> None:
    telegram = FakeTelegram()
    await telegram.start()
    try:
        code, output = await run_to_exit(
            tmp_path,
            DATABASE_URL=f"sqlite://{tmp_path / 'db.sqlite3'}",
            TELEGRAM_BOT_TOKEN="999999:A-TOKEN-TELEGRAM-REFUSES",
            TELEGRAM_API_URL=telegram.url,
        )
    finally:
        await telegram.stop()
    assert code == 2, output
    errors = [line for line in output.splitlines() if "error" in line.lower()]
    assert len(errors) == 1, output
    assert errors[0].startswith("configuration error: TELEGRAM_BOT_TOKEN")
    assert "401" in errors[0]
    assert "A-TOKEN-TELEGRAM-REFUSES" not in output
    assert "Traceback" not in output


@pytest.mark.parametrize("dialect", ["postgres"])
async def test_debug_logs_show_no_part_of_the_database_password(
    fresh_db_url: str, tmp_path: Path
) -> None:
    """At DEBUG Tortoise prints its connection settings with a third of the password
    left in: the masking hides the whole password of every URL."""
    scheme, _, rest = fresh_db_url.partition("://")
    userinfo, _, host = rest.rpartition("@")
    user = userinfo.split(":", 1)[0]
    url = f"{scheme}://{user}:Pw4tortoise-secret@{host}"  # trust auth: any password works
    service = await start_service(tmp_path, DATABASE_URL=url, LOGLEVEL="DEBUG")
    await service.wait_healthy()
    code, _ = await service.stop()
    assert code == 0, service.text
    assert "Tortoise-ORM startup" in service.text  # the line that used to leak
    assert "Pw4t" not in service.text and "Pw4" not in service.text
    assert f"{user}:***@" in service.text
