"""Time zones, local wall times and typed durations: the core rules every front end uses
(core.timezones, core.maintenance.parse_time, core.monitor_rules.parse_duration)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core.alerts import cause_words, render_alert
from core.i18n import LANGUAGES, use_locale
from core.maintenance import WindowError, format_time, parse_time
from core.monitor_rules import RuleError, parse_duration
from core.probe import ErrorKind
from core.render import fmt_datetime
from core.timezones import (
    LocalTimeError,
    is_repeated,
    localize,
    parse_zone,
    tz_of,
    use_zone,
    zone_label,
)

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("typed", "seconds"),
    [
        # English
        ("45", 45),
        ("45s", 45),
        ("45 sec", 45),
        ("5m", 300),
        ("5 min", 300),
        ("2h", 7200),
        ("2 hr", 7200),
        ("1d", 86400),
        ("3 days", 3 * 86400),
        ("1 DAY", 86400),
        # Russian
        ("30 с", 30),
        ("30сек", 30),
        ("5 мин", 300),
        ("2 ч", 7200),
        ("2 час", 7200),
        ("1 д", 86400),
        ("2 дн", 2 * 86400),
        ("1 день", 86400),
        ("2 дня", 2 * 86400),
        ("5 ДНЕЙ", 5 * 86400),
        # Spanish
        ("30 seg", 30),
        ("5 min", 300),
        ("1 hora", 3600),
        ("2 horas", 7200),
        ("1 día", 86400),
        ("3 Días", 3 * 86400),
        # German
        ("30 Sek", 30),
        ("5 Min", 300),
        ("2 Std", 7200),
        ("2h", 7200),
        ("1 Tag", 86400),
        ("3 Tage", 3 * 86400),
    ],
)
def test_durations_are_understood_in_every_language(typed: str, seconds: int) -> None:
    assert parse_duration(typed) == seconds


@pytest.mark.parametrize("typed", ["", "min", "5 years", "5 минуток", "five", "5.5h", "²h", "-5m"])
def test_durations_that_make_no_sense_are_refused(typed: str) -> None:
    with pytest.raises(RuleError) as refused:
        parse_duration(typed)
    assert refused.value.code == "duration_invalid"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        (" America/New_York ", "America/New_York"),
        ("UTC", "UTC"),
        ("+3", "UTC+03:00"),
        ("UTC+3", "UTC+03:00"),
        ("utc+05:30", "UTC+05:30"),
        ("+0530", "UTC+05:30"),
        ("-08:00", "UTC-08:00"),
        ("GMT-8", "UTC-08:00"),
        ("UTC+14", "UTC+14:00"),
        ("UTC-12", "UTC-12:00"),
        ("+0", "UTC"),
    ],
)
def test_zones_are_iana_names_or_utc_offsets(typed: str, stored: str) -> None:
    assert parse_zone(typed) == stored


@pytest.mark.parametrize(
    "typed", ["", "Mars/Olympus", "Berlin", "+15", "-13", "UTC+05:20", "+3:7", "+３", "x" * 100]
)
def test_unknown_zones_are_refused(typed: str) -> None:
    with pytest.raises(RuleError) as refused:
        parse_zone(typed)
    assert refused.value.code == "timezone_invalid"


def test_a_stored_offset_is_a_fixed_zone_and_named_as_typed() -> None:
    moment = datetime(2031, 7, 1, 10, 0, tzinfo=UTC)
    tz = tz_of("UTC+05:30")
    assert moment.astimezone(tz).hour == 15 and moment.astimezone(tz).minute == 30
    assert zone_label(moment, tz) == "UTC+05:30"
    assert tz_of("No/Such_Zone") is UTC  # a zone gone from the tz database still renders


def test_times_are_shown_in_the_zone_and_name_it() -> None:
    summer = datetime(2031, 7, 1, 10, 0, tzinfo=UTC)
    winter = datetime(2031, 12, 1, 10, 0, tzinfo=UTC)
    assert fmt_datetime(summer, "ru", BERLIN) == "01.07.2031, 12:00 CEST"
    assert fmt_datetime(winter, "de", BERLIN) == "01.12.31, 11:00 CET"
    assert fmt_datetime(summer, "ru", tz_of("Asia/Dubai")).endswith("14:00 Asia/Dubai")
    assert fmt_datetime(summer, "ru", tz_of("UTC+05:30")).endswith("15:30 UTC+05:30")
    with use_zone("America/New_York"):  # the zone of the person being written to
        assert fmt_datetime(summer, "ru").endswith("06:00 EDT")
    assert fmt_datetime(summer, "ru").endswith("10:00 UTC")


def test_a_skipped_wall_time_is_refused_and_a_repeated_one_is_the_first() -> None:
    with pytest.raises(LocalTimeError):
        localize(datetime(2031, 3, 30, 2, 30), BERLIN)
    instant, repeated = localize(datetime(2031, 10, 26, 2, 30), BERLIN)
    assert repeated and instant == datetime(2031, 10, 26, 0, 30, tzinfo=UTC)  # still CEST
    assert is_repeated(instant, BERLIN)
    assert localize(datetime(2031, 7, 1, 12, 0), BERLIN) == (
        datetime(2031, 7, 1, 10, 0, tzinfo=UTC),
        False,
    )


def test_maintenance_times_are_read_in_the_users_zone() -> None:
    assert parse_time("2031-07-01 12:00", BERLIN) == datetime(2031, 7, 1, 10, 0, tzinfo=UTC)
    assert parse_time("2031-12-01T12:00", BERLIN) == datetime(2031, 12, 1, 11, 0, tzinfo=UTC)
    assert parse_time("2031-07-01 12:00", tz_of("UTC-08:00")) == datetime(
        2031, 7, 1, 20, 0, tzinfo=UTC
    )
    with pytest.raises(WindowError) as refused:
        parse_time("2031-03-30 02:30", BERLIN)
    assert refused.value.code == "time_skipped"
    assert format_time(datetime(2031, 7, 1, 10, 0, tzinfo=UTC), BERLIN) == "2031-07-01 12:00"


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_probe_error_kind_has_words_in_every_language(lang: str) -> None:
    for kind in ErrorKind:
        with use_locale(lang):
            words = cause_words(kind)
        assert words and words != kind.value, (lang, kind)
        if lang == "ru":
            assert not any("a" <= char <= "z" for char in words.replace("DNS", "")), words
            assert not any("a" <= c <= "z" for c in words.replace("TLS", "").replace("HTTP", ""))


def test_an_alert_is_rendered_in_the_recipients_zone() -> None:
    payload = {"name": "shop", "url": "https://s.test/", "cause": "timeout"}
    since = {"since": "2031-07-01T10:00:00+00:00"}
    berlin = render_alert("down", payload | since, "de", "Europe/Berlin").text
    assert "12:00 CEST" in berlin
    assert "10:00 UTC" in render_alert("down", payload | since, "de").text
