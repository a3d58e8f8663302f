"""/stats, /stats_<id> and the card's Stats button, end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.callbacks import MonitorCb, StatsCb
from core.render import fmt_duration, fmt_percent
from core.settings import Settings
from db.models import CheckLog, Incident, Monitor, User
from tests.support.bot_harness import running_bot, tr
from tests.support.fake_telegram import FakeTelegram
from tests.support.png import png_size


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
async def test_stats_command_sends_a_chart_with_the_figures(
    telegram: FakeTelegram, lang: str
) -> None:
    monitor = await seeded(1)
    me = telegram.user(1, language_code=lang)
    await me.send(f"/stats_{monitor.id}")
    photo = await me.next_reply()
    assert photo.kind == "photo" and png_size(photo.photo) == (800, 400)
    caption = photo.plain
    assert "API <v2> & co" in caption  # escaped in HTML, shown as typed
    assert tr(lang, "Last 24 hours") in caption
    assert tr(lang, "Uptime: {uptime}", uptime=fmt_percent(0.75, lang)) in caption
    assert tr(lang, "Incidents: {count}, downtime {downtime}", count=1,
              downtime=fmt_duration(3600, lang)) in caption  # fmt: skip
    assert len(photo.caption) <= 1024
    assert photo.buttons[:4] == ["• 24h •", "7d", "30d", "90d"]

    await me.press("90d")
    switched = await me.next_reply()
    assert switched.message_id == photo.message_id and switched.kind == "photo"
    assert tr(lang, "Last 90 days") in switched.plain
    assert switched.photo != photo.photo and png_size(switched.photo) == (800, 400)
    assert switched.buttons[3] == "• 90d •"
    edits = [c for c in telegram.calls if c.method == "editMessageMedia"]
    assert len(edits) == 1 and edits[0].ok


async def test_stats_picker_and_card_button(telegram: FakeTelegram) -> None:
    monitor = await seeded(2)
    await Monitor.create(owner_id=monitor.owner_id, name="second", url="https://1.1.1.1/")
    me = telegram.user(2, language_code="en")
    await me.send("/stats")
    await me.next_reply()
    await me.press("⚪ API <v2> & co")
    photo = await me.next_reply()
    assert photo.kind == "photo" and tr("en", "Last 24 hours") in photo.plain
    await me.press(tr("en", "📋 Open monitor"))
    card = await me.next_reply()
    assert tr("en", "🔄 Check now") in me.buttons(card)
    await me.press(tr("en", "📊 Stats"), card.message_id)
    again = await me.next_reply()
    assert again.kind == "photo" and again.message_id != photo.message_id


async def test_stats_of_someone_elses_monitor_is_not_found(telegram: FakeTelegram) -> None:
    monitor = await seeded(3)
    spy = telegram.user(4, language_code="en")
    await spy.send(f"/stats_{monitor.id}")
    assert (await spy.next_reply()).plain == tr("en", "Monitor not found.")
    await spy.press_data(MonitorCb(action="stats", id=monitor.id).pack())
    assert (await spy.next_answer())["text"] == tr("en", "Monitor not found.")
    await spy.press_data(StatsCb(id=monitor.id, window="7d").pack())
    assert (await spy.next_answer())["text"] == tr("en", "Monitor not found.")


async def test_the_chart_is_drawn_in_the_readers_time_zone(
    telegram: FakeTelegram, drawn_charts: list
) -> None:
    drawn = drawn_charts
    monitor = await seeded(1)
    await User.filter(telegram_id=1).update(timezone="Asia/Tokyo")
    me = telegram.user(1, language_code="en")
    await me.send(f"/stats_{monitor.id}")
    assert (await me.next_reply()).kind == "photo"
    assert drawn[-1].x_label == "Time (Asia/Tokyo)"
