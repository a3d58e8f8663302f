"""Maintenance windows: the rules the bot, the API and alert buttons share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from db.models import MaintenanceWindow, Monitor, User

MAX_WINDOW = timedelta(days=31)


class WindowError(ValueError):
    """A window that makes no sense; `code` is stable for translations and the API."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def create_window(
    owner: User,
    starts_at: datetime,
    ends_at: datetime,
    *,
    monitor: Monitor | None = None,
    reason: str = "",
    created_by: User | None = None,
) -> MaintenanceWindow:
    """A window over one monitor, or over every monitor of `owner` when `monitor` is None."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise WindowError("naive_time")
    if ends_at <= starts_at:
        raise WindowError("ends_before_start")
    if ends_at - starts_at > MAX_WINDOW:
        raise WindowError("too_long")
    if ends_at <= datetime.now(UTC):
        raise WindowError("in_the_past")
    if monitor is not None and monitor.owner_id != owner.id:
        raise WindowError("foreign_monitor")
    return await MaintenanceWindow.create(
        owner=owner,
        monitor=monitor,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason[:256],
        created_by=created_by or owner,
    )


async def pause_alerts(monitor: Monitor, minutes: int, by: User | None = None) -> MaintenanceWindow:
    """The quick "pause alerts for N minutes" window, starting now, for one monitor."""
    await monitor.fetch_related("owner")
    now = datetime.now(UTC)
    return await create_window(
        monitor.owner,
        now,
        now + timedelta(minutes=minutes),
        monitor=monitor,
        reason="alerts paused",
        created_by=by,
    )


async def end_window(window: MaintenanceWindow) -> None:
    """End a window now (or drop it if it has not started)."""
    now = datetime.now(UTC)
    if window.starts_at >= now:
        await window.delete()
        return
    window.ends_at = min(window.ends_at, now)
    await window.save(update_fields=["ends_at"])
