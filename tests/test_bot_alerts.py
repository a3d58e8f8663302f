"""The buttons under an alert, pressed in the real bot: the alert is delivered by the
outbox worker to the fake Bot API server, and the user presses what it shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from db.models import MaintenanceWindow, Monitor, Notification, NotificationStatus, User
from tests.support.bot_harness import ADMIN, tr
from tests.support.fake_telegram import FakeTelegram
from tests.support.outbox import close_worker, deliver_all, queue, worker_for


@pytest.fixture
async def alerted(telegram: FakeTelegram, settings, targets):
    """An admin's monitor of a local site, and its down alert delivered to the admin."""
    site = await targets.http()
    admin = await User.create(telegram_id=ADMIN, language="es")
    monitor = await Monitor.create(owner=admin, name="Tienda <1>", url=site.url("/ok"))
    await queue(admin, monitor=monitor)
    worker = worker_for(settings, telegram)
    try:
        await deliver_all(worker)
    finally:
        await close_worker(worker)
    return telegram.user(ADMIN, language_code="es"), monitor


async def test_open_monitor_sends_its_card_and_keeps_the_alert(alerted) -> None:
    me, _monitor = alerted
    alert = me.last()
    await me.press(tr("es", "📋 Open monitor"))
    card = await me.next_reply()
    assert card.message_id != alert.message_id
    assert "Tienda <1>" in card.plain
    assert tr("es", "✏️ Edit") in card.buttons
    assert me.messages()[alert.message_id - 1].plain == alert.plain  # unchanged


async def test_check_now_from_an_alert_runs_a_check(alerted) -> None:
    me, monitor = alerted
    await me.press(tr("es", "🔄 Check now"))
    result = await me.next_reply()
    assert "HTTP 200" in result.plain
    await monitor.refresh_from_db()
    assert monitor.last_check_at is not None


async def test_pause_alerts_opens_a_one_hour_window_once(alerted) -> None:
    me, monitor = alerted
    alert = me.last()
    await me.press(tr("es", "🔕 Pause alerts 1 h"), alert.message_id)
    answer = await me.next_answer()
    assert answer["text"] == tr("es", "Alerts paused.")
    edited = await me.next_reply()
    assert edited.message_id == alert.message_id
    assert tr("es", "🔕 Pause alerts 1 h") not in edited.buttons
    note = await me.next_reply()
    assert tr("es", "Checks go on; /maintenance ends the pause sooner.") in note.plain
    [window] = await MaintenanceWindow.filter(monitor_id=monitor.id)
    length = window.ends_at - window.starts_at
    assert length == timedelta(hours=1)
    assert abs(window.starts_at - datetime.now(UTC)) < timedelta(seconds=30)


async def test_someone_elses_alert_button_opens_nothing(alerted, telegram) -> None:
    _me, monitor = alerted
    await User.create(telegram_id=555)
    stranger = telegram.user(555)
    await stranger.send("/start")
    await stranger.next_reply()
    await stranger.press_data(f"al:mute:{monitor.id}")
    answer = await stranger.next_answer()
    assert answer["show_alert"] and answer["text"] == tr("en", "Monitor not found.")
    assert await MaintenanceWindow.filter(monitor_id=monitor.id).count() == 0


async def test_admins_see_the_latest_dead_notifications(telegram: FakeTelegram) -> None:
    admin = await User.create(telegram_id=ADMIN)
    user = await User.create(telegram_id=4242)
    row = await queue(user)
    await Notification.filter(id=row.id).update(
        status=NotificationStatus.DEAD, last_error="Bad Request: <chat> & not found"
    )
    boss = telegram.user(admin.telegram_id)
    await boss.send("/admin")
    overview = await boss.next_reply()
    assert tr("en", "Dead notifications: {dead}", dead=1).split(":")[0] in overview.plain
    assert tr("en", "Latest dead notifications:") in overview.plain
    assert f"#{row.id} → 4242 (telegram, down): Bad Request: <chat> & not found" in overview.plain
