"""Formatting for messages: HTML escaping, states, numbers, dates and durations per locale.

Every piece of text a user or a target supplied goes through `esc()` before it is put
into an HTML message; lengths are cut so no message exceeds Telegram's 4096 characters.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta, tzinfo

from babel.dates import format_datetime as babel_datetime
from babel.dates import format_timedelta
from babel.numbers import format_decimal, format_percent
from babel.units import format_unit

from core.timezones import current_zone, zone_label
from db.models import MonitorState

MESSAGE_LIMIT = 4096
STATE_EMOJI = {
    MonitorState.UP: "🟢",
    MonitorState.DOWN: "🔴",
    MonitorState.UNKNOWN: "⚪",
    MonitorState.PAUSED: "⏸",
}


def esc(text: object) -> str:
    """Escape for Telegram's HTML parse mode."""
    return html.escape(str(text), quote=False)


def cut(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut (cut before escaping)."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def state_emoji(state: str) -> str:
    return STATE_EMOJI.get(MonitorState(state), "⚪")


def fmt_duration(seconds: float, locale: str) -> str:
    """ "5 minutes", "3 Stunden": the largest sensible unit, in the user's language."""
    return format_timedelta(
        timedelta(seconds=max(0, seconds)), threshold=1.5, locale=locale, format="long"
    )


_EXACT_UNITS = (
    (86400, "duration-day"),
    (3600, "duration-hour"),
    (60, "duration-minute"),
    (1, "duration-second"),
)


def fmt_exact_duration(seconds: int, locale: str) -> str:
    """ "1 day", "1 hour 30 minutes", "365 days": whole seconds exactly, in days, hours,
    minutes and seconds (a setting such as a period; fmt_duration rounds, so 90 s would
    read "2 minutes" and 365 days "12 months")."""
    rest = max(0, int(seconds))
    parts = []
    for size, unit in _EXACT_UNITS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(format_unit(count, unit, length="long", locale=locale))
    return " ".join(parts) or format_unit(0, "duration-second", length="long", locale=locale)


def fmt_datetime(moment: datetime | None, locale: str, tz: tzinfo | None = None) -> str:
    """A moment in the reader's zone (`tz`, else the current one: core.timezones.use_zone),
    the zone named after it: "29.03.26, 04:00 CEST"."""
    if moment is None:
        return "—"
    tz = tz or current_zone()
    local = moment.astimezone(tz)
    return f"{babel_datetime(local, 'short', tzinfo=tz, locale=locale)} {zone_label(local, tz)}"


def fmt_ago(moment: datetime | None, locale: str, now: datetime | None = None) -> str:
    if moment is None:
        return "—"
    delta = moment - (now or datetime.now(UTC))  # negative: "5 minutes ago"
    return format_timedelta(delta, threshold=1.5, locale=locale, add_direction=True)


def fmt_percent(fraction: float | None, locale: str) -> str:
    if fraction is None:
        return "—"
    return format_percent(fraction, "#,##0.00%", locale=locale)


def fmt_number(value: float | None, locale: str) -> str:
    if value is None:
        return "—"
    return format_decimal(value, "#,##0", locale=locale)
