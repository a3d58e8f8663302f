"""When a push (heartbeat) monitor expects its next ping: its schedule read and checked,
and the deadline a success sets.

A push monitor is pinged by a job. Its schedule is either a period (the job runs every
N seconds) or a cron expression evaluated in a time zone; after a success at `after` the
next ping is expected at `next_expected(...)` and the monitor is late once
`deadline(...)` (that plus the grace time) has passed. Everything here is pure: no
database, no clock; times in and out are aware UTC datetimes.

Cron expressions are the five fields of a crontab (minute hour day month weekday) or
one of @hourly, @daily (@midnight), @weekly, @monthly, @yearly (@annually), read as
cron reads them, not as APScheduler 3 does where they differ:
- the weekday counts from Sunday: 0 and 7 are Sunday, 1 is Monday (APScheduler 3's
  `from_crontab` takes 0 for Monday), names sun..sat;
- when both the day and the weekday are restricted (neither starts with "*"), a day
  matching either one fires ("0 0 13 * 5": every 13th and every Friday); otherwise
  both must match, as in Vixie cron and cronie;
- items are "*", a number or name, a range "a-b", each with an optional step "/n"
  ("a/n" is "a" to the field's end), in a comma list; nothing else ("L", "W", "#",
  "?", APScheduler's "last" and "2nd mon") is accepted.
Each field is checked here, so a refusal names the field; APScheduler's CronTrigger is
then built from the expanded values and finds the fire times.

Clock changes. A deadline must not fall before the time any common scheduler would run
the job, or a healthy job alerts once a year:
- spring forward: a time the clocks jump over is not expected at all (a daily 02:30 job
  in Europe/Berlin is next expected the day after the change, at 02:30 CEST).
  APScheduler itself returns the missing wall time read with the winter offset (02:30
  CET, that is 03:30 CEST) for the first such time of the day and skips the rest; cronie
  runs the job at 03:00 and Kubernetes' cron library skips it.
- fall back: a wall time the clocks repeat is expected once, on its first pass (a daily
  02:30 job is expected at 02:30 CEST, not again at 02:30 CET). APScheduler returns both
  passes; cronie runs a fixed-time job once, a job with "*" in its minute or hour in
  both (which a deadline then covers: an extra ping is never late).
A fixed UTC offset (a zone stored as "UTC+05:30", see core.timezones) has no changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache

from apscheduler.triggers.cron import CronTrigger

from core.i18n import _, use_locale
from core.monitor_rules import RuleError, parse_duration
from core.render import fmt_exact_duration
from core.timezones import parse_zone, tz_of

MIN_PERIOD = 60
MAX_PERIOD = 365 * 86400
MIN_GRACE = 60
MAX_GRACE = 30 * 86400
MAX_CRON_LENGTH = 100
CRON_FIELDS = ("minute", "hour", "day", "month", "weekday")
ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
# The most days each month can have (February: in a leap year).
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# Fire times the clocks skip or repeat are passed over one by one; a day has fewer.
_MAX_PASSED_OVER = 24 * 60
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class _Part:
    name: str
    low: int
    high: int  # the highest value a person may write (7 for the weekday: Sunday again)
    end: int  # what "*" runs to (6 for the weekday)
    names: tuple[str, ...] = ()  # names for low, low + 1, ...


_PARTS = (
    _Part("minute", 0, 59, 59),
    _Part("hour", 0, 23, 23),
    _Part("day", 1, 31, 31),
    _Part("month", 1, 12, 12, _MONTHS),
    _Part("weekday", 0, 7, 6, _WEEKDAYS),
)


def parse_period(raw: object) -> int:
    """Seconds between the job's runs, from 60 ("1m") to 365 days: an int of seconds or
    a duration as core.monitor_rules.parse_duration reads it ("300", "90s", "5m", "2h",
    "1d", "5 мин"). RuleError "push_period_invalid" / "push_period_range" ({min}, {max}
    in seconds)."""
    return _seconds(raw, "push_period", MIN_PERIOD, MAX_PERIOD)


def parse_grace(raw: object) -> int:
    """Seconds a ping may be late before the monitor is down, from 60 to 30 days (read
    like the period). RuleError "push_grace_invalid" / "push_grace_range"."""
    return _seconds(raw, "push_grace", MIN_GRACE, MAX_GRACE)


def _seconds(raw: object, code: str, low: int, high: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise RuleError(f"{code}_invalid")
    try:
        seconds = parse_duration(raw)
    except RuleError:
        raise RuleError(f"{code}_invalid") from None
    if not low <= seconds <= high:
        raise RuleError(f"{code}_range", {"min": low, "max": high})
    return seconds


def parse_tz(raw: object) -> str:
    """The zone a cron expression is read in, in its stored form: an IANA name as
    zoneinfo spells it ("europe/berlin" -> "Europe/Berlin") or a fixed offset
    ("UTC+05:30"), as a person's own zone (core.timezones.parse_zone).
    RuleError "timezone_invalid"."""
    if not isinstance(raw, str):
        raise RuleError("timezone_invalid")
    return parse_zone(raw)


def parse_cron(raw: object) -> str:
    """A cron expression, normalised: lower case, fields separated by single spaces,
    an alias as itself ("@daily"). Refusals (RuleError codes):
    - "cron_empty": nothing (or not text);
    - "cron_too_long" {max}: over 100 characters;
    - "cron_characters": a non-ASCII or control character;
    - "cron_alias" {value}: "@" and not one of the aliases;
    - "cron_fields" {count}: not five fields;
    - "cron_minute_invalid", "cron_hour_invalid", "cron_day_invalid",
      "cron_month_invalid", "cron_weekday_invalid" {value}: that field is wrong;
    - "cron_never" {value}: it never fires (its days are not in its months: 0 0 31 2 *).
    """
    if not isinstance(raw, str) or not raw.strip():
        raise RuleError("cron_empty")
    text = raw.strip()
    if len(text) > MAX_CRON_LENGTH:
        raise RuleError("cron_too_long", {"max": MAX_CRON_LENGTH})
    if not text.isascii() or any(not (c.isprintable() or c.isspace()) for c in text):
        raise RuleError("cron_characters")
    normal = " ".join(text.lower().split())
    _compile(normal)
    return normal


@dataclass(frozen=True)
class _Cron:
    """A cron expression's values, each field as the set of numbers it matches (the
    weekday counted from Sunday = 0)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    either_day: bool  # day and weekday both restricted: either one matching fires
    days_occur: bool  # some month has one of the days (else only the weekday can match)


@lru_cache(maxsize=1024)
def _compile(normal: str) -> _Cron:
    """The values of a normalised expression; RuleError as parse_cron says."""
    if normal.startswith("@"):
        if normal not in ALIASES:
            raise RuleError("cron_alias", {"value": normal})
        normal = ALIASES[normal]
    texts = normal.split()
    if len(texts) != len(_PARTS):
        raise RuleError("cron_fields", {"count": len(texts)})
    minutes, hours, days, months, weekdays = (
        _field_values(part, text) for part, text in zip(_PARTS, texts, strict=True)
    )
    either_day = not texts[2].startswith("*") and not texts[4].startswith("*")
    days_occur = any(day <= _MONTH_DAYS[month - 1] for month in months for day in days)
    if not days_occur and not either_day:
        raise RuleError("cron_never", {"value": normal})
    return _Cron(minutes, hours, days, months, weekdays, either_day, days_occur)


def _field_values(part: _Part, text: str) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        found = _item_values(part, item)
        if found is None:
            raise RuleError(f"cron_{part.name}_invalid", {"value": text})
        values.update(found)
    if part.name == "weekday":
        values = {day % 7 for day in values}  # 7 is Sunday too
    return frozenset(values)


def _item_values(part: _Part, item: str) -> range | None:
    """The values of one comma-separated item, or None when it is not valid."""
    body, slash, step_text = item.partition("/")
    step = 1
    if slash:
        step = _digits(step_text)
        if step is None or not 1 <= step <= part.end - part.low + 1:
            return None
    if body == "*":
        return range(part.low, part.end + 1, step)
    first_text, dash, last_text = body.partition("-")
    first = _value(part, first_text)
    last = _value(part, last_text) if dash else (part.end if slash else first)
    if first is None or last is None or first > last:
        return None
    return range(first, last + 1, step)


def _value(part: _Part, text: str) -> int | None:
    if text in part.names:
        return part.low + part.names.index(text)
    number = _digits(text)
    return number if number is not None and part.low <= number <= part.high else None


def _digits(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) <= 3 else None


def _aps(values: frozenset[int], low: int, high: int) -> str:
    """Values as an APScheduler field: "*" for all, else ranges ("0-4,10,20-30")."""
    if values == frozenset(range(low, high + 1)):
        return "*"
    ordered = sorted(values)
    runs: list[list[int]] = []
    for value in ordered:
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


@lru_cache(maxsize=1024)
def _triggers(expression: str, tz: str) -> tuple[tzinfo, tuple[CronTrigger, ...]]:
    cron = _compile(" ".join(expression.lower().split()))
    zone = tz_of(tz)
    # APScheduler 3 counts weekdays from Monday = 0.
    weekdays = frozenset((day - 1) % 7 for day in cron.weekdays)
    common = {
        "minute": _aps(cron.minutes, 0, 59),
        "hour": _aps(cron.hours, 0, 23),
        "month": _aps(cron.months, 1, 12),
        "timezone": zone,
    }
    days, week = _aps(cron.days, 1, 31), _aps(weekdays, 0, 6)
    if cron.either_day:
        # A day no month has would send APScheduler searching to the year 9999.
        by_day = (CronTrigger(day=days, day_of_week="*", **common),) if cron.days_occur else ()
        triggers = (*by_day, CronTrigger(day="*", day_of_week=week, **common))
    else:
        triggers = (CronTrigger(day=days, day_of_week=week, **common),)
    return zone, triggers


def next_expected(
    after: datetime, *, period: int | None = None, cron: str | None = None, tz: str = "UTC"
) -> datetime:
    """When the next ping is due after a success at `after` (aware; the answer is in
    UTC): `after` plus the period, or the cron expression's first fire time strictly
    after `after`, read in zone `tz` (clock changes as the module says). Give exactly one
    of `period` and `cron`."""
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError("after must be an aware datetime")
    if (period is None) == (cron is None):
        raise ValueError("give exactly one of period and cron")
    after = after.astimezone(UTC)
    if period is not None:
        return after + timedelta(seconds=period)
    assert cron is not None
    zone, triggers = _triggers(cron, tz)
    moment = after
    for _passed_over in range(_MAX_PASSED_OVER):
        # Asked as a first fire time from just after `moment`: given `moment` as the
        # previous fire time, APScheduler compares it with a time in the zone, and in a
        # repeated hour two zones' times never compare equal (PEP 495), so it would
        # return `moment` itself. Times in one zone compare as wall times (fold
        # ignored), so they are compared in UTC.
        found = (t.get_next_fire_time(None, moment + _TICK) for t in triggers)
        fire = min((time for time in found if time is not None), default=None, key=_in_utc)
        if fire is None:  # past the year 9999
            raise ValueError(f"cron expression {cron!r} does not fire after {after}")
        if not (_skipped(fire, zone) or _repeated(fire, zone)):
            return fire.astimezone(UTC)
        moment = fire.astimezone(UTC)
    raise ValueError(f"cron expression {cron!r}: no usable fire time after {after}")


def deadline(
    after: datetime,
    *,
    period: int | None = None,
    cron: str | None = None,
    tz: str = "UTC",
    grace: int,
) -> datetime:
    """When a push monitor whose last success was at `after` becomes late: the next
    expected ping plus the grace time (UTC)."""
    return next_expected(after, period=period, cron=cron, tz=tz) + timedelta(seconds=grace)


def _in_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _skipped(fire: datetime, zone: tzinfo) -> bool:
    """Whether APScheduler's `fire` (in `zone`) is a wall time the clocks jumped over."""
    wall = fire.replace(tzinfo=None)
    return fire.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall


def _repeated(fire: datetime, zone: tzinfo) -> bool:
    """Whether `fire` is the second pass of a wall time the clocks repeat."""
    local = fire.astimezone(UTC).astimezone(zone)
    return local.fold == 1 and local.utcoffset() != local.replace(fold=0).utcoffset()


def describe(period: int | None, cron: str | None, tz: str, locale: str) -> str:
    """The schedule in words for a monitor's card, in `locale` (plain text):
    "every 1 day", "every 1 hour 30 minutes", "cron 0 3 * * * (Europe/Berlin)"."""
    if (period is None) == (cron is None):
        raise ValueError("give exactly one of period and cron")
    with use_locale(locale):
        if cron is not None:
            return _("cron {expression} ({zone})").format(expression=cron, zone=tz)
        return _("every {duration}").format(duration=fmt_exact_duration(period or 0, locale))
