"""The data model's defaults and constraints, on both dialects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tortoise.exceptions import IntegrityError

from db.models import (
    ApiToken,
    Channel,
    CheckLog,
    Incident,
    MaintenanceWindow,
    Monitor,
    MonitorState,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    User,
)


def now() -> datetime:
    return datetime.now(UTC)


async def make_monitor(user: User, **kw) -> Monitor:
    return await Monitor.create(owner=user, name="site", url="https://example.com/", **kw)


async def test_defaults(db) -> None:
    user = await User.create(telegram_id=10**12, username="ann")
    assert user.telegram_id == 10**12  # Telegram ids exceed 32 bits
    assert (user.email_verified, user.blocked_bot) == (False, False)
    [chat] = await Channel.filter(owner_id=user.id)  # their private chat, from the start
    assert (chat.kind, chat.target, chat.enabled, chat.is_default) == (
        "telegram", str(10**12), True, True,
    )  # fmt: skip
    assert user.monitor_quota is None and user.reminder_interval_minutes == 0
    monitor = await make_monitor(user)
    fresh = await Monitor.get(id=monitor.id)
    assert fresh.state == MonitorState.UNKNOWN
    assert fresh.method == "GET"
    assert fresh.accepted_status_codes == "200-399"
    assert fresh.cert_warning_days == [14, 7, 3, 1]
    assert (fresh.failure_threshold, fresh.success_threshold) == (3, 2)
    assert fresh.headers == {} and fresh.paused is False
    assert fresh.created_at is not None and fresh.created_at.tzinfo is not None


async def test_telegram_id_is_unique(db) -> None:
    await User.create(telegram_id=1)
    with pytest.raises(IntegrityError):
        await User.create(telegram_id=1)


async def test_monitor_round_trips_every_field(db) -> None:
    user = await User.create(telegram_id=2)
    expiry = now().replace(microsecond=0) + timedelta(days=20)
    monitor = await make_monitor(
        user,
        method="POST",
        headers={"X-Token": "abc"},
        body='{"a": 1}',
        interval_seconds=300,
        retry_interval_seconds=30,
        timeout_seconds=2.5,
        accepted_status_codes="200-299,301",
        latency_threshold_ms=800,
        keyword="Welcome",
        keyword_mode="absent",
        cert_warning_days=[30, 7],
        cert_expires_at=expiry,
        cert_warned_days=7,
        next_check_at=expiry,
    )
    got = await Monitor.get(id=monitor.id)
    assert got.headers == {"X-Token": "abc"} and got.body == '{"a": 1}'
    assert got.timeout_seconds == 2.5 and got.keyword_mode == "absent"
    assert got.cert_warning_days == [30, 7] and got.cert_expires_at == expiry
    assert got.next_check_at == expiry


async def test_deleting_a_monitor_removes_its_history_but_keeps_sent_alerts(db) -> None:
    user = await User.create(telegram_id=3)
    monitor = await make_monitor(user)
    await CheckLog.create(monitor=monitor, checked_at=now(), ok=False, error_kind="timeout")
    incident = await Incident.create(monitor=monitor, started_at=now(), cause="timeout")
    await MaintenanceWindow.create(
        owner=user, monitor=monitor, starts_at=now(), ends_at=now() + timedelta(hours=1)
    )
    note = await Notification.create(
        user=user,
        channel=NotificationChannel.TELEGRAM,
        kind=NotificationKind.DOWN,
        monitor=monitor,
        incident=incident,
        payload={"name": "site"},
        next_attempt_at=now(),
    )
    await monitor.delete()
    assert await CheckLog.all().count() == 0
    assert await Incident.all().count() == 0
    assert await MaintenanceWindow.all().count() == 0
    kept = await Notification.get(id=note.id)
    assert kept.monitor_id is None and kept.incident_id is None
    assert kept.payload == {"name": "site"} and kept.status == NotificationStatus.PENDING


async def test_deleting_a_user_removes_everything_they_own(db) -> None:
    user = await User.create(telegram_id=4)
    await make_monitor(user)
    await ApiToken.create(user=user, token_hash="a" * 64, prefix="um_abc")
    await user.delete()
    assert await Monitor.all().count() == 0 and await ApiToken.all().count() == 0


async def test_notification_dedup_key_is_unique(db) -> None:
    user = await User.create(telegram_id=5)
    fields = dict(
        user=user, channel="telegram", kind="down", next_attempt_at=now(), dedup_key="inc:1:down"
    )
    await Notification.create(**fields)
    with pytest.raises(IntegrityError):
        await Notification.create(**fields)
    # Rows without a key (broadcasts) never collide.
    fields["dedup_key"] = None
    await Notification.create(**fields)
    await Notification.create(**fields)


async def test_api_token_hash_is_unique(db) -> None:
    user = await User.create(telegram_id=6)
    await ApiToken.create(user=user, token_hash="b" * 64, prefix="um_b")
    with pytest.raises(IntegrityError):
        await ApiToken.create(user=user, token_hash="b" * 64, prefix="um_b")


async def test_window_for_all_monitors_has_no_monitor(db) -> None:
    user = await User.create(telegram_id=7)
    window = await MaintenanceWindow.create(
        owner=user, created_by=user, starts_at=now(), ends_at=now() + timedelta(minutes=15)
    )
    got = await MaintenanceWindow.get(id=window.id)
    assert got.monitor_id is None and got.created_by_id == user.id
