"""Maintenance windows: the rules the bot, the API and alert buttons share.

What a person types (a length such as "2h" or "2 Std", a time such as
"2026-12-01 04:00" in their own time zone) is parsed here too, so every front end
refuses the same inputs with the same `WindowError` codes: `duration_invalid`,
`too_short`, `time_invalid`, `time_skipped` (a wall time the clocks jump over),
`in_the_past`, `ends_before_start`, `too_long` (and `naive_time`, `foreign_monitor` for
callers). A wall time that occurs twice (clocks going back) means its first occurrence.

Two limits keep one user from filling the table: a window starts and ends at most
MAX_AHEAD from now (nobody plans maintenance for 9999), and an owner has at most
MAX_OPEN_WINDOWS windows that have not ended (codes `too_far_ahead`, `too_many_windows`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core.monitor_rules import RuleError, parse_duration
from core.timezones import LocalTimeError, localize, wall_time
from db.connection import current_connection
from db.models import MaintenanceWindow, Monitor, User

MAX_WINDOW = timedelta(days=31)
MIN_WINDOW = timedelta(minutes=1)
MAX_AHEAD = timedelta(days=365)  # the latest a window may start or end, from now
MAX_OPEN_WINDOWS = 100  # running or upcoming windows per owner
MAX_REASON_LENGTH = 256  # longer reasons are cut to this
# The format of typed start and end times, in the typist's time zone.
TIME_FORMAT = "%Y-%m-%d %H:%M"
_MAX_TIME_TEXT = 32


class WindowError(ValueError):
    """A window that makes no sense; `code` is stable for translations and the API."""

    def __init__(self, code: str, field: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.field = field  # the input it is about, for callers that have fields (the API)


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
        raise WindowError("ends_before_start", "ends_at")
    if ends_at - starts_at < MIN_WINDOW:
        raise WindowError("too_short", "ends_at")
    if ends_at - starts_at > MAX_WINDOW:
        raise WindowError("too_long", "ends_at")
    now = datetime.now(UTC)
    if ends_at <= now:
        raise WindowError("in_the_past", "ends_at")
    check_ahead(starts_at, "starts_at", now)
    check_ahead(ends_at, "ends_at", now)
    if monitor is not None and monitor.owner_id != owner.id:
        raise WindowError("foreign_monitor")
    async with in_transaction(current_connection().connection_name):
        # The owner's row is locked so two creations at once cannot both pass the cap.
        await User.filter(id=owner.id).select_for_update().first()
        if await count_current_windows(owner, now) >= MAX_OPEN_WINDOWS:
            raise WindowError("too_many_windows")
        return await MaintenanceWindow.create(
            owner=owner,
            monitor=monitor,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason[:MAX_REASON_LENGTH],
            created_by=created_by or owner,
        )


def check_ahead(moment: datetime, field: str | None = None, now: datetime | None = None) -> None:
    """WindowError("too_far_ahead") for a moment more than MAX_AHEAD from now."""
    if moment > (now or datetime.now(UTC)) + MAX_AHEAD:
        raise WindowError("too_far_ahead", field)


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


async def end_window(window: MaintenanceWindow) -> bool:
    """End a window now (or drop it if it has not started); True when it was dropped."""
    now = datetime.now(UTC)
    if window.starts_at >= now:
        await window.delete()
        return True
    window.ends_at = min(window.ends_at, now)
    await window.save(update_fields=["ends_at"])
    return False


def parse_length(value: str | int) -> timedelta:
    """The length of a window from "90m", "2h", "1d" (core.monitor_rules.parse_duration)
    or a number of seconds: at least MIN_WINDOW, at most MAX_WINDOW."""
    try:
        seconds = parse_duration(value)
    except RuleError:
        raise WindowError("duration_invalid") from None
    if seconds < MIN_WINDOW.total_seconds():
        raise WindowError("too_short")
    if seconds > MAX_WINDOW.total_seconds():
        raise WindowError("too_long")
    return timedelta(seconds=seconds)


def parse_time(text: str, tz: tzinfo = UTC) -> datetime:
    """A moment typed as "YYYY-MM-DD HH:MM" (a "T" between date and time works too) as a
    wall time in `tz`, returned in UTC. A time skipped by a DST change is refused
    (`time_skipped`); a repeated one is its first occurrence (core.timezones.localize)."""
    raw = " ".join(text.replace("T", " ").split())
    if not raw or len(raw) > _MAX_TIME_TEXT:
        raise WindowError("time_invalid")
    try:
        moment = datetime.strptime(raw, TIME_FORMAT)
    except ValueError:
        raise WindowError("time_invalid") from None
    try:
        return localize(moment, tz)[0]
    except LocalTimeError:
        raise WindowError("time_skipped") from None


def parse_start(text: str, now: datetime | None = None, tz: tzinfo = UTC) -> datetime:
    """The start of a scheduled window: a typed time (parse_time) no earlier than the
    current minute, so "now" typed by hand still counts, and at most MAX_AHEAD away."""
    starts_at = parse_time(text, tz)
    this_minute = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    if starts_at < this_minute:
        raise WindowError("in_the_past")
    check_ahead(starts_at, now=now)
    return starts_at


def format_time(moment: datetime, tz: tzinfo = UTC) -> str:
    """A moment in the typed format, as a wall time in `tz`: for examples in prompts."""
    return wall_time(moment, tz).strftime(TIME_FORMAT)


async def open_window(
    by: User,
    starts_at: datetime,
    ends_at: datetime,
    *,
    monitor: Monitor | None = None,
    reason: str = "",
) -> MaintenanceWindow:
    """A window created by `by`: over `monitor` (owned by its owner, so an admin acting
    on someone's monitor makes a window of that owner), or over every monitor of `by`.
    The caller has checked that `by` may touch `monitor` (core.users.monitor_of)."""
    owner = by
    if monitor is not None and monitor.owner_id != by.id:
        owner = await User.get(id=monitor.owner_id)
    return await create_window(
        owner, starts_at, ends_at, monitor=monitor, reason=reason, created_by=by
    )


async def start_window(
    by: User, length: timedelta, *, monitor: Monitor | None = None, reason: str = ""
) -> MaintenanceWindow:
    """A window from now on for `length` (see open_window for who owns it)."""
    if length < MIN_WINDOW:
        raise WindowError("too_short")
    if length > MAX_WINDOW:
        raise WindowError("too_long")
    now = datetime.now(UTC)
    return await open_window(by, now, now + length, monitor=monitor, reason=reason)


async def current_windows(
    owner: User, limit: int | None = None, now: datetime | None = None
) -> tuple[list[MaintenanceWindow], int]:
    """The owner's windows that are running or still to come, soonest first, with their
    monitors loaded; at most `limit` of them, and how many there are in all."""
    now = now or datetime.now(UTC)
    query = MaintenanceWindow.filter(owner_id=owner.id, ends_at__gt=now)
    listed = query.order_by("starts_at", "id").prefetch_related("monitor")
    windows = await (listed if limit is None else listed.limit(limit))
    if limit is None or len(windows) < limit:
        return windows, len(windows)
    return windows, await query.count()


async def count_current_windows(owner: User, now: datetime | None = None) -> int:
    """How many of the owner's windows are running or still to come."""
    now = now or datetime.now(UTC)
    return await MaintenanceWindow.filter(owner_id=owner.id, ends_at__gt=now).count()


async def window_of(user: User, window_id: int, is_admin: bool = False) -> MaintenanceWindow | None:
    """The window if it is running or still to come and `user` may touch it (the owner
    of its monitors, or an admin); None for a window that is over, gone or someone else's."""
    window = await MaintenanceWindow.get_or_none(id=window_id, ends_at__gt=datetime.now(UTC))
    if window is None or (window.owner_id != user.id and not is_admin):
        return None
    return window


async def under_maintenance(monitor_id: int, owner_id: int, now: datetime) -> bool:
    """Whether a window covers the monitor at `now`: one of its own, or one over every
    monitor of its owner (the owner's windows by (owner_id, ends_at): one index range)."""
    return await (
        MaintenanceWindow.filter(owner_id=owner_id, starts_at__lte=now, ends_at__gt=now)
        .filter(Q(monitor_id=None) | Q(monitor_id=monitor_id))
        .exists()
    )
