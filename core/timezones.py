"""Users' time zones: what a person may pick, how it is stored, and local wall times.

A zone is stored as a string in `User.timezone`:
- an IANA name ("Europe/Berlin"), spelled as zoneinfo spells it, or
- a fixed UTC offset, stored as "UTC+05:30" / "UTC-08:00" (always sign, hours and
  minutes). Offsets are not mapped to "Etc/GMT-3" names: those have inverted signs and
  cannot express half hours, and a person reading their settings should see what they
  typed. `tz_of()` turns the string into a tzinfo (ZoneInfo or datetime.timezone).

Every time the bot shows goes through core.render.fmt_datetime, which takes the zone
from the current context (`use_zone`, set per update by the bot's middleware and per
message by the alert renderer), so the many render helpers need no extra argument.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from core.monitor_rules import RuleError

DEFAULT_ZONE = "UTC"
# Offered as buttons in /settings: one per region most users come from.
COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Kyiv",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "Australia/Sydney",
)
_MAX_ZONE_TEXT = 64
_MAX_OFFSET = timedelta(hours=14)  # Kiribati; the furthest west is UTC-12

_current: ContextVar[str] = ContextVar("user_zone", default=DEFAULT_ZONE)


@cache
def _names_by_lower() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def parse_zone(text: str) -> str:
    """The stored form of a zone a person typed: an IANA name (any case) or a UTC
    offset ("+3", "UTC+05:30", "GMT-8", "-08:00"). Raises RuleError("timezone_invalid")."""
    raw = "".join(str(text).split())
    if not raw or len(raw) > _MAX_ZONE_TEXT:
        raise RuleError("timezone_invalid")
    named = _names_by_lower().get(raw.lower())
    if named is not None:
        return named
    offset = _parse_offset(raw)
    if offset is None:
        raise RuleError("timezone_invalid")
    return offset_name(offset)


def _parse_offset(raw: str) -> timedelta | None:
    """+3, +03, +0530, +05:30, -8 after an optional UTC/GMT: an offset of whole
    quarter hours within -12:00..+14:00, or None."""
    upper = raw.upper()
    for prefix in ("UTC", "GMT"):
        if upper.startswith(prefix):
            upper = upper[len(prefix) :]
            break
    if upper in ("", "0", "+0", "-0"):
        return timedelta(0)
    if upper[0] not in "+-":
        return None
    sign, rest = (1 if upper[0] == "+" else -1), upper[1:]
    hours, _sep, minutes = rest.partition(":")
    if not _sep and len(rest) == 4:
        hours, minutes = rest[:2], rest[2:]
    if not _ascii_digits(hours) or len(hours) > 2 or (minutes and not _ascii_digits(minutes)):
        return None
    if _sep and len(minutes) != 2:
        return None
    offset = sign * timedelta(hours=int(hours), minutes=int(minutes or 0))
    if int(minutes or 0) % 15 or not -timedelta(hours=12) <= offset <= _MAX_OFFSET:
        return None
    return offset


def _ascii_digits(text: str) -> bool:
    return bool(text) and all(char in "0123456789" for char in text)


def offset_name(offset: timedelta) -> str:
    """ "UTC" for zero, else "UTC+05:30": the stored form of a fixed offset."""
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


@cache
def tz_of(name: str | None) -> tzinfo:
    """The tzinfo of a stored zone; UTC for None or anything no longer valid (a zone
    removed from the tz database must not break rendering)."""
    if not name or name == "UTC":
        return UTC
    if name.startswith("UTC") and len(name) == 9:
        offset = _parse_offset(name)
        if offset is not None:
            return timezone(offset, name)
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return UTC


def zone_label(moment: datetime, tz: tzinfo) -> str:
    """The zone's name next to a time: its abbreviation where it has a real one (CET,
    CEST, MSK, EST), else the IANA name (the tz database writes "+04" for Asia/Dubai,
    which says nothing), and "UTC+05:30" for a fixed offset."""
    if isinstance(tz, timezone):
        return zone_name(tz)
    abbreviation = moment.astimezone(tz).tzname() or ""
    if abbreviation.isalpha():
        return abbreviation
    return str(tz)


def current_zone() -> tzinfo:
    """The zone of the person being written to (UTC outside `use_zone`)."""
    return tz_of(_current.get())


@contextmanager
def use_zone(name: str | None) -> Iterator[None]:
    """Render times in zone `name` inside the block."""
    token = _current.set(name or DEFAULT_ZONE)
    try:
        yield
    finally:
        _current.reset(token)


class LocalTimeError(ValueError):
    """A wall time that does not exist in the zone (clocks jumped over it)."""


def localize(naive: datetime, tz: tzinfo) -> tuple[datetime, bool]:
    """The UTC instant of wall time `naive` in `tz`, and whether that wall time occurs
    twice (clocks went back). A repeated time means its first occurrence (the earlier
    instant, still on summer time); a skipped one (clocks went forward over it) raises
    LocalTimeError rather than guessing which side the person meant."""
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    instant = first.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != naive:
        raise LocalTimeError(naive.isoformat())
    return instant, first.utcoffset() != second.utcoffset()


def wall_time(moment: datetime, tz: tzinfo) -> datetime:
    """`moment` as a naive wall time in `tz` (for the typed format of prompts)."""
    return moment.astimezone(tz).replace(tzinfo=None)


def is_repeated(moment: datetime, tz: tzinfo) -> bool:
    """Whether the wall time of `moment` in `tz` occurs twice (the hour clocks go back)."""
    naive = wall_time(moment, tz)
    return (
        naive.replace(tzinfo=tz, fold=0).utcoffset() != naive.replace(tzinfo=tz, fold=1).utcoffset()
    )


def zone_name(tz: tzinfo) -> str:
    """The name a person picked: "Europe/Berlin", "UTC+05:30" or "UTC"."""
    if isinstance(tz, timezone):
        return tz.tzname(None) or "UTC"
    return str(tz)
