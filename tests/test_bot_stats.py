"""/stats, /stats_<id> and the card's Stats button, end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.callbacks import MonitorCb
from core.render import fmt_duration, fmt_percent
from core.settings import Settings
from db.models import CheckLog, Incident, Monitor, User
from tests.support.bot_harness import running_bot, tr
from tests.support.fake_telegram import FakeTelegram


@pytest.fixture
async def telegram(db, settings: Settings, probe) -> AsyncIterator[FakeTelegram]:
    async with running_bot(settings, probe) as fake:
        yield fake


async def seeded(telegram_id: int, name: str = "API <v2> & co") -> Monitor:
    user = await User.create(telegram_id=telegram_id)
    monitor = await Monitor.create(owner=user, name=name, url="https://93.184.216.34/")
    now = datetime.now(UTC)
    await CheckLog.bulk_create(
        [
            CheckLog(
                monitor=monitor,
                checked_at=now - timedelta(minutes=i),
                ok=i % 4 != 0,
                latency_ms=100 + i,
            )
            for i in range(1, 41)
        ]
    )
    await Incident.create(
        monitor=monitor, started_at=now - timedelta(hours=2),
        resolved_at=now - timedelta(hours=1), cause="timeout",
    )  # fmt: skip
    return monitor


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_stats_command_with_an_id(telegram: FakeTelegram, lang: str) -> None:
    monitor = await seeded(1)
    me = telegram.user(1, language_code=lang)
    await me.send(f"/stats_{monitor.id}")
    text = (await me.next_reply()).plain
    assert "API <v2> & co" in text  # escaped in HTML, shown as typed
    assert tr(lang, "Last 30 days") in text
    assert tr(lang, "Uptime: {uptime}", uptime=fmt_percent(0.75, lang)) in text
    assert tr(lang, "Incidents: {count}, downtime {downtime}", count=1,
              downtime=fmt_duration(3600, lang)) in text  # fmt: skip


async def test_stats_picker_and_card_button(telegram: FakeTelegram) -> None:
    monitor = await seeded(2)
    await Monitor.create(owner_id=monitor.owner_id, name="second", url="https://1.1.1.1/")
    me = telegram.user(2, language_code="en")
    await me.send("/stats")
    await me.next_reply()
    await me.press("⚪ API <v2> & co")
    assert tr("en", "Last 24 hours") in (await me.next_reply()).plain
    await me.press(tr("en", "⬅️ Back"))
    assert tr("en", "🔄 Check now") in me.buttons(await me.next_reply())


async def test_stats_of_someone_elses_monitor_is_not_found(telegram: FakeTelegram) -> None:
    monitor = await seeded(3)
    spy = telegram.user(4, language_code="en")
    await spy.send(f"/stats_{monitor.id}")
    assert (await spy.next_reply()).plain == tr("en", "Monitor not found.")
    await spy.press_data(MonitorCb(action="stats", id=monitor.id).pack())
    assert (await spy.next_answer())["text"] == tr("en", "Monitor not found.")
