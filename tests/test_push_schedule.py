"""A push monitor's schedule (core.push_schedule): the period, grace, cron and zone a
person sets, read and refused in their language, and when the next ping is due, across
the clock changes of Europe/Berlin and America/New_York (pure: no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import combinations
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from core import push_schedule as push
from core.i18n import LANGUAGES, use_locale
from core.monitor_rules import RuleError
from core.render import fmt_exact_duration
from core.rule_texts import rule_text

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def refusal(parse, raw) -> RuleError:
    with pytest.raises(RuleError) as caught:
        parse(raw)
    return caught.value


def words(error: RuleError, lang: str) -> str:
    with use_locale(lang):
        return rule_text(error)


def generic(lang: str) -> str:
    return words(RuleError("no_such_code"), lang)


def fires(cron: str, after: datetime, count: int, tz: str = "UTC") -> list[datetime]:
    """The next `count` expected pings, each after a success at the one before."""
    times = []
    for _ in range(count):
        after = push.next_expected(after, cron=cron, tz=tz)
        times.append(after)
    return times


# --- period and grace ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("5m", 300),
        ("2h", 7200),
        ("1d", 86400),
        ("90s", 90),
        ("300", 300),
        (300, 300),
        (" 1 min ", 60),
        ("365d", 365 * 86400),
        ("5 мин", 300),
        ("2 Std", 7200),
        ("1 día", 86400),
    ],
)
def test_periods_are_durations_as_typed_anywhere(raw, seconds: int) -> None:
    assert push.parse_period(raw) == seconds


@pytest.mark.parametrize(
    "raw",
    [True, None, 1.5, 300.0, [], "", "  ", "abc", "5x", "-5m", "1.5h", "5m30s", "٣٠٠", "+5m"],
)
def test_periods_that_are_no_duration_are_refused(raw) -> None:
    error = refusal(push.parse_period, raw)
    assert error.code == "push_period_invalid"
    assert "5m, 2h" in words(error, "ru") and "Отправьте период" in words(error, "ru")


@pytest.mark.parametrize("raw", [59, "59s", 0, -60, "366d", push.MAX_PERIOD + 1, "9999999d"])
def test_periods_out_of_range_are_refused_with_the_bounds_as_durations(raw) -> None:
    error = refusal(push.parse_period, raw)
    assert error.code == "push_period_range"
    assert error.params == {"min": push.MIN_PERIOD, "max": push.MAX_PERIOD}
    assert words(error, "en") == "The period must be between 1 minute and 365 days."
    assert words(error, "ru") == "Период: минимум 1 минута, максимум 365 дней."
    assert words(error, "de") == "Zeitraum: mindestens 1 Minute, höchstens 365 Tage."


@pytest.mark.parametrize(
    ("raw", "seconds"), [("1m", 60), ("30d", 30 * 86400), (3600, 3600), ("15 минут", 900)]
)
def test_grace_times_are_durations(raw, seconds: int) -> None:
    assert push.parse_grace(raw) == seconds


@pytest.mark.parametrize("raw", [False, None, "", "soon", "1w", "10 %"])
def test_grace_times_that_are_no_duration_are_refused(raw) -> None:
    error = refusal(push.parse_grace, raw)
    assert error.code == "push_grace_invalid"
    assert "Toleranzzeit" in words(error, "de")


@pytest.mark.parametrize("raw", [30, "59s", "31d", push.MAX_GRACE + 60])
def test_grace_times_out_of_range_are_refused(raw) -> None:
    error = refusal(push.parse_grace, raw)
    assert error.code == "push_grace_range"
    assert error.params == {"min": 60, "max": 30 * 86400}
    assert words(error, "es") == "El tiempo de gracia debe estar entre 1 minuto y 30 días."


# --- time zone ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        (" america/new_york ", "America/New_York"),
        ("UTC", "UTC"),
        ("+5:30", "UTC+05:30"),
    ],
)
def test_zones_are_read_as_a_persons_own_zone(raw: str, zone: str) -> None:
    assert push.parse_tz(raw) == zone


@pytest.mark.parametrize("raw", ["Mars/Base", "", None, 5, "Europe/Berlin/x"])
def test_unknown_zones_are_refused(raw) -> None:
    error = refusal(push.parse_tz, raw)
    assert error.code == "timezone_invalid"
    assert words(error, "es") != generic("es") and "America/New_York" in words(error, "es")


# --- cron: what is accepted ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("0 3 * * *", "0 3 * * *"),
        ("  0\t3  *  * * ", "0 3 * * *"),
        ("*/15 9-17 * * MON-FRI", "*/15 9-17 * * mon-fri"),
        ("0 0 1,15 JAN-jun/2 *", "0 0 1,15 jan-jun/2 *"),
        ("5/20 * * * *", "5/20 * * * *"),
        ("0 12 * * 7", "0 12 * * 7"),
        ("0 0 29 2 *", "0 0 29 2 *"),  # every leap year
        ("0 0 31 2 mon", "0 0 31 2 mon"),  # day or weekday: every Monday in February
        ("59 23 31 12 0-7", "59 23 31 12 0-7"),
        ("@daily", "@daily"),
        (" @HOURLY ", "@hourly"),
    ],
)
def test_cron_expressions_are_normalised(raw: str, normal: str) -> None:
    assert push.parse_cron(raw) == normal


@pytest.mark.parametrize(
    ("alias", "same_as"),
    [
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
    ],
)
def test_aliases_fire_as_their_expressions(alias: str, same_as: str) -> None:
    after = utc(2026, 3, 28, 12, 34)
    assert push.parse_cron(alias) == alias
    assert fires(alias, after, 3, "Europe/Berlin") == fires(same_as, after, 3, "Europe/Berlin")


def test_weekdays_count_from_sunday_as_in_crontab() -> None:
    monday = utc(2026, 6, 1, 13)  # a Monday, after noon
    sunday_noon = utc(2026, 6, 7, 12)
    for weekday in ("0", "7", "sun", "SUN"):
        assert push.next_expected(monday, cron=f"0 12 * * {weekday}", tz="UTC") == sunday_noon
    workdays = fires("0 12 * * 1-5", utc(2026, 6, 5, 13), 3)  # from a Friday afternoon
    assert [t.strftime("%a %d") for t in workdays] == ["Mon 08", "Tue 09", "Wed 10"]
    assert workdays == fires("0 12 * * mon-fri", utc(2026, 6, 5, 13), 3)
    assert [t.strftime("%a") for t in fires("0 12 * * */2", monday, 4)] == [
        "Tue",
        "Thu",
        "Sat",
        "Sun",
    ]


def test_a_day_and_a_weekday_both_given_fire_on_either() -> None:
    # As cron: every 13th and every Friday (not only Friday the 13th).
    days = fires("0 0 13 * 5", utc(2026, 4, 1), 5)
    assert [t.strftime("%a %d") for t in days] == [
        "Fri 03",
        "Fri 10",
        "Mon 13",
        "Fri 17",
        "Fri 24",
    ]
    # February has no 31st: its Mondays alone (and no search to the year 9999).
    mondays = fires("0 0 31 2 mon", utc(2026, 3, 1), 2)
    assert [t.strftime("%a %d %b %Y") for t in mondays] == ["Mon 01 Feb 2027", "Mon 08 Feb 2027"]
    # A "*" in either field: both must match ("*/10" days are 1, 11, 21, 31).
    both = fires("0 0 */10 * fri", utc(2026, 4, 1), 3)
    assert [t.strftime("%a %d %b") for t in both] == ["Fri 01 May", "Fri 31 Jul", "Fri 21 Aug"]


def test_lists_ranges_and_steps_fire_where_they_say() -> None:
    times = fires("5/20 9-10 * * *", utc(2026, 6, 1), 7)
    assert [t.strftime("%H:%M") for t in times] == [
        "09:05",
        "09:25",
        "09:45",
        "10:05",
        "10:25",
        "10:45",
        "09:05",
    ]
    quarterly = fires("0 0 1 jan-dec/3 *", utc(2026, 2, 1), 4)
    assert [t.strftime("%b") for t in quarterly] == ["Apr", "Jul", "Oct", "Jan"]


def test_a_leap_day_expression_waits_for_the_leap_year() -> None:
    assert push.next_expected(utc(2026, 3, 1), cron="0 0 29 2 *", tz="UTC") == utc(2028, 2, 29)


# --- cron: what is refused ----------------------------------------------------------

FIELD_WORDS = {  # the field's name in each language's message
    "minute": {"en": "minute field", "ru": "Поле минут", "es": "minutos", "de": "Minutenfeld"},
    "hour": {"en": "hour field", "ru": "Поле часов", "es": "hora", "de": "Stundenfeld"},
    "day": {"en": "day-of-month", "ru": "дня месяца", "es": "día del mes", "de": "Tag des Monats"},
    "month": {"en": "month field", "ru": "Поле месяца", "es": "del mes de", "de": "Monatsfeld"},
    "weekday": {
        "en": "weekday field",
        "ru": "дня недели",
        "es": "día de la semana",
        "de": "Wochentagsfeld",
    },
}


@pytest.mark.parametrize(
    ("raw", "field", "value"),
    [
        ("60 * * * *", "minute", "60"),
        ("*/0 * * * *", "minute", "*/0"),
        ("*/61 * * * *", "minute", "*/61"),
        ("1,,2 * * * *", "minute", "1,,2"),
        ("5- * * * *", "minute", "5-"),
        ("** * * * *", "minute", "**"),
        ("0 25 * * *", "hour", "25"),
        ("0 5-3 * * *", "hour", "5-3"),
        ("0 1-2-3 * * *", "hour", "1-2-3"),
        ("0 mon * * *", "hour", "mon"),
        ("0 0 0 * *", "day", "0"),
        ("0 0 32 * *", "day", "32"),
        ("0 0 L * *", "day", "l"),
        ("0 0 ? * *", "day", "?"),
        ("0 0 last * *", "day", "last"),
        ("0 0 15W * *", "day", "15w"),
        ("0 0 1 13 *", "month", "13"),
        ("0 0 1 0 *", "month", "0"),
        ("0 0 1 foo *", "month", "foo"),
        ("0 0 1 dec-jan *", "month", "dec-jan"),
        ("0 0 * * 8", "weekday", "8"),
        ("0 0 * * fri-mon", "weekday", "fri-mon"),
        ("0 0 * * 1#2", "weekday", "1#2"),
        ("0 0 * * monday", "weekday", "monday"),
        ("0 0 * * */8", "weekday", "*/8"),
        ("0 0 * * jan", "weekday", "jan"),
    ],
)
def test_a_wrong_field_is_named_in_every_language(raw: str, field: str, value: str) -> None:
    error = refusal(push.parse_cron, raw)
    assert error.code == f"cron_{field}_invalid"
    assert error.params == {"value": value}
    for lang in LANGUAGES:
        text = words(error, lang)
        assert FIELD_WORDS[field][lang] in text and value in text, (lang, text)


def test_the_hour_refusal_reads_as_a_sentence() -> None:
    error = refusal(push.parse_cron, "0 25 * * *")
    assert words(error, "en") == (
        "The hour field of the cron expression is invalid: 25. Hours run from 0 to 23."
    )
    assert words(error, "de") == (
        "Das Stundenfeld des Cron-Ausdrucks ist ungültig: 25. Stunden gehen von 0 bis 23."
    )


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_each_field_has_its_own_words(lang: str) -> None:
    texts = [words(RuleError(f"cron_{f}_invalid", {"value": "x"}), lang) for f in FIELD_WORDS]
    assert all(a != b for a, b in combinations(texts, 2))
    assert generic(lang) not in texts


@pytest.mark.parametrize(
    ("raw", "count"),
    [("0 0 * *", 4), ("0 0 * * * *", 6), ("0 0 * * * 2026", 6), ("5", 1)],
)
def test_a_wrong_number_of_fields_is_refused(raw: str, count: int) -> None:
    error = refusal(push.parse_cron, raw)
    assert error.code == "cron_fields" and error.params == {"count": count}
    assert words(error, "ru") == (
        f"В выражении cron пять полей (минута час день месяц день-недели), а в этом — {count}."
    )


@pytest.mark.parametrize("raw", ["@reboot", "@daily 5", "@", "@every 5m"])
def test_unknown_aliases_are_refused(raw: str) -> None:
    error = refusal(push.parse_cron, raw)
    assert error.code == "cron_alias"
    assert "@hourly" in words(error, "es") and "atajo" in words(error, "es")


@pytest.mark.parametrize(
    "raw", ["0 0 31 2 *", "0 0 30 feb *", "0 0 30,31 2 *", "0 0 31 4,6,9,11 *", "0 0 31 */2 *"]
)
def test_expressions_that_never_fire_are_refused(raw: str) -> None:
    if raw == "0 0 31 */2 *":  # months 1, 3, 5, 7, 9, 11 have a 31st
        assert push.parse_cron(raw) == raw
        return
    error = refusal(push.parse_cron, raw)
    assert error.code == "cron_never" and error.params == {"value": raw}
    assert "никогда не сработает" in words(error, "ru") and raw in words(error, "ru")


@pytest.mark.parametrize("raw", ["", "   ", None, 5, ["0", "0", "*", "*", "*"]])
def test_nothing_is_no_cron_expression(raw) -> None:
    error = refusal(push.parse_cron, raw)
    assert error.code == "cron_empty"
    assert "0 3 * * *" in words(error, "de") and words(error, "de") != generic("de")


def test_long_expressions_are_refused() -> None:
    longest = "1," * 45 + "12 0 * * *"
    assert len(longest) == push.MAX_CRON_LENGTH and push.parse_cron(longest)
    error = refusal(push.parse_cron, longest + ",1")
    assert error.code == "cron_too_long" and error.params == {"max": 100}
    assert words(error, "ru") == "Выражение cron слишком длинное (не более 100 символов)."


@pytest.mark.parametrize(
    "raw", ["0 0 * * пн", "0\u00a00 * * *", "0 0 * * *\x00", "٠ 0 * * *", "0 0 * * mon\u200b"]
)
def test_non_ascii_and_control_characters_are_refused(raw: str) -> None:
    error = refusal(push.parse_cron, raw)
    assert error.code == "cron_characters"
    assert "lateinische Buchstaben" in words(error, "de")


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_refusal_has_its_own_words(lang: str) -> None:
    codes = [
        RuleError("push_period_invalid"),
        RuleError("push_period_range", {"min": 60, "max": 86400}),
        RuleError("push_grace_invalid"),
        RuleError("push_grace_range", {"min": 60, "max": 86400}),
        RuleError("cron_empty"),
        RuleError("cron_too_long", {"max": 100}),
        RuleError("cron_characters"),
        RuleError("cron_alias", {"value": "@x"}),
        RuleError("cron_fields", {"count": 3}),
        RuleError("cron_never", {"value": "0 0 31 2 *"}),
    ]
    texts = [words(error, lang) for error in codes]
    assert generic(lang) not in texts and len(set(texts)) == len(texts)


# --- when the next ping is due ------------------------------------------------------


def test_a_period_is_added_in_real_time_across_clock_changes() -> None:
    before_spring = utc(2026, 3, 28, 12)  # Berlin changes on 2026-03-29
    assert push.next_expected(before_spring, period=86400) == utc(2026, 3, 29, 12)
    assert push.next_expected(before_spring, period=300, tz="Europe/Berlin") == utc(
        2026, 3, 28, 12, 5
    )
    local = datetime(2026, 10, 24, 23, 0, tzinfo=BERLIN)
    due = push.next_expected(local, period=7200)  # 21:00 UTC, 23:00 CEST
    assert due == utc(2026, 10, 24, 23) and due.tzinfo is UTC
    assert push.deadline(local, period=7200, grace=600) == utc(2026, 10, 24, 23, 10)


def test_a_deadline_is_the_next_ping_plus_grace() -> None:
    after = utc(2026, 6, 1, 10, 17)
    expected = push.next_expected(after, cron="0 * * * *", tz="UTC")
    assert expected == utc(2026, 6, 1, 11)
    assert push.deadline(after, cron="0 * * * *", tz="UTC", grace=300) == utc(2026, 6, 1, 11, 5)


def test_the_next_fire_time_is_strictly_after_the_success() -> None:
    on_time = utc(2026, 6, 1, 3)
    assert push.next_expected(on_time, cron="0 3 * * *", tz="UTC") == utc(2026, 6, 2, 3)
    just_before = on_time - timedelta(microseconds=1)
    assert push.next_expected(just_before, cron="0 3 * * *", tz="UTC") == on_time
    assert push.next_expected(on_time + timedelta(microseconds=1), cron="@hourly") == utc(
        2026, 6, 1, 4
    )


def test_cron_is_read_in_its_zone() -> None:
    after = utc(2026, 6, 1)
    assert push.next_expected(after, cron="30 2 * * *", tz="Europe/Berlin") == utc(
        2026, 6, 1, 0, 30
    )
    assert push.next_expected(after, cron="30 2 * * *", tz="America/New_York") == utc(
        2026, 6, 1, 6, 30
    )
    assert push.next_expected(after, cron="30 2 * * *", tz="UTC+05:30") == utc(2026, 6, 1, 21)
    # A stored expression is read however it is spaced or cased.
    assert push.next_expected(after, cron=" @DAILY ", tz="Europe/Berlin") == utc(2026, 6, 1, 22)


def test_wrong_calls_are_programming_errors() -> None:
    with pytest.raises(ValueError):
        push.next_expected(datetime(2026, 6, 1), period=60)  # naive
    with pytest.raises(ValueError):
        push.next_expected(utc(2026, 6, 1), period=60, cron="* * * * *")
    with pytest.raises(ValueError):
        push.next_expected(utc(2026, 6, 1))
    with pytest.raises(RuleError):
        push.next_expected(utc(2026, 6, 1), cron="0 25 * * *")


# --- clock changes ------------------------------------------------------------------
# Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
# America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.


def local_times(times: list[datetime], zone: ZoneInfo) -> list[str]:
    return [t.astimezone(UTC).astimezone(zone).strftime("%d %H:%M %Z") for t in times]


def test_berlin_spring_forward_skips_a_job_in_the_missing_hour() -> None:
    after = datetime(2026, 3, 28, 2, 30, tzinfo=BERLIN)
    times = fires("30 2 * * *", after, 2, "Europe/Berlin")
    assert local_times(times, BERLIN) == ["30 02:30 CEST", "31 02:30 CEST"]


def test_apscheduler_alone_would_expect_the_missing_time_an_hour_late() -> None:
    """What next_expected corrects: APScheduler 3 returns 02:30 read with the winter
    offset (03:30 CEST) on the day 02:30 does not exist, and both passes of a repeated
    02:30. If this changes with an upgrade, the module's note on clock changes must too."""
    trigger = CronTrigger(minute="30", hour="2", timezone=BERLIN)
    spring = trigger.get_next_fire_time(None, utc(2026, 3, 28, 12))
    assert local_times([spring], BERLIN) == ["29 03:30 CEST"]
    first = trigger.get_next_fire_time(None, utc(2026, 10, 24, 12))
    second = trigger.get_next_fire_time(None, first + timedelta(seconds=1))
    assert local_times([first, second], BERLIN) == ["25 02:30 CEST", "25 02:30 CET"]


def test_berlin_fall_back_expects_a_repeated_time_once() -> None:
    after = datetime(2026, 10, 24, 2, 30, tzinfo=BERLIN)
    times = fires("30 2 * * *", after, 3, "Europe/Berlin")
    assert local_times(times, BERLIN) == ["25 02:30 CEST", "26 02:30 CET", "27 02:30 CET"]
    # A success late in the repeated hour: still tomorrow, not the second 02:30.
    late = utc(2026, 10, 25, 0, 45)  # 02:45 CEST
    assert push.next_expected(late, cron="30 2 * * *", tz="Europe/Berlin") == utc(
        2026, 10, 26, 1, 30
    )


def test_berlin_daily_jobs_outside_the_change_are_23_and_25_hours_apart() -> None:
    spring = fires("0 3 * * *", datetime(2026, 3, 28, 3, tzinfo=BERLIN), 1, "Europe/Berlin")
    assert spring[0] - datetime(2026, 3, 28, 3, tzinfo=BERLIN) == timedelta(hours=23)
    autumn = fires("0 3 * * *", datetime(2026, 10, 24, 3, tzinfo=BERLIN), 1, "Europe/Berlin")
    assert autumn[0] - datetime(2026, 10, 24, 3, tzinfo=BERLIN) == timedelta(hours=25)


def test_berlin_frequent_jobs_across_both_changes() -> None:
    spring = fires("*/30 * * * *", utc(2026, 3, 29, 0), 3, "Europe/Berlin")
    assert local_times(spring, BERLIN) == ["29 01:30 CET", "29 03:00 CEST", "29 03:30 CEST"]
    in_gap = fires("*/20 2 * * *", datetime(2026, 3, 28, 2, 40, tzinfo=BERLIN), 1, "Europe/Berlin")
    assert local_times(in_gap, BERLIN) == ["30 02:00 CEST"]
    autumn = fires("*/30 * * * *", utc(2026, 10, 24, 23, 45), 4, "Europe/Berlin")
    # The repeated 02:00-03:00 is expected on its first pass only: never too early.
    assert local_times(autumn, BERLIN) == [
        "25 02:00 CEST",
        "25 02:30 CEST",
        "25 03:00 CET",
        "25 03:30 CET",
    ]


def test_new_york_spring_forward_skips_a_job_in_the_missing_hour() -> None:
    after = datetime(2026, 3, 7, 2, 30, tzinfo=NEW_YORK)
    times = fires("30 2 * * *", after, 2, "America/New_York")
    assert local_times(times, NEW_YORK) == ["09 02:30 EDT", "10 02:30 EDT"]
    hourly = fires(
        "15 * * * *", datetime(2026, 3, 8, 1, 15, tzinfo=NEW_YORK), 2, "America/New_York"
    )
    assert local_times(hourly, NEW_YORK) == ["08 03:15 EDT", "08 04:15 EDT"]


def test_new_york_fall_back_expects_a_repeated_time_once() -> None:
    after = datetime(2026, 10, 31, 1, 30, tzinfo=NEW_YORK)
    times = fires("30 1 * * *", after, 2, "America/New_York")
    assert local_times(times, NEW_YORK) == ["01 01:30 EDT", "02 01:30 EST"]
    assert times[1] - times[0] == timedelta(hours=25)
    hourly = fires("@hourly", datetime(2026, 11, 1, 0, 30, tzinfo=NEW_YORK), 3, "America/New_York")
    assert local_times(hourly, NEW_YORK) == ["01 01:00 EDT", "01 02:00 EST", "01 03:00 EST"]


def test_a_fixed_offset_has_no_clock_changes() -> None:
    zone = timezone(timedelta(hours=-5))
    times = fires("30 2 * * *", datetime(2026, 3, 7, 2, 30, tzinfo=zone), 2, "UTC-05:00")
    assert [t - times[0] for t in times] == [timedelta(0), timedelta(days=1)]
    assert times[0] == datetime(2026, 3, 8, 2, 30, tzinfo=zone)


# --- words for the card -------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "period", "text"),
    [
        ("en", 86400, "every 1 day"),
        ("en", 5400, "every 1 hour 30 minutes"),
        ("en", 90, "every 1 minute 30 seconds"),
        ("en", 365 * 86400, "every 365 days"),
        ("ru", 300, "период: 5 минут"),
        ("es", 7200, "cada 2 horas"),
        ("de", 86400, "Intervall: 1 Tag"),
    ],
)
def test_a_period_is_described_exactly(lang: str, period: int, text: str) -> None:
    assert push.describe(period, None, "UTC", lang) == text


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_a_cron_schedule_is_described_with_its_zone(lang: str) -> None:
    text = push.describe(None, "0 3 * * *", "Europe/Berlin", lang)
    assert text.lower() == "cron 0 3 * * * (europe/berlin)"
    with use_locale("ru"):  # the locale asked for wins over the surrounding one
        assert push.describe(60, None, "UTC", "en") == "every 1 minute"
    with pytest.raises(ValueError):
        push.describe(None, None, "UTC", lang)


@pytest.mark.parametrize(
    ("seconds", "lang", "text"),
    [
        (0, "en", "0 seconds"),
        (14 * 86400, "en", "14 days"),
        (10 * 86400 + 61, "en", "10 days 1 minute 1 second"),
        (21 * 60, "ru", "21 минута"),
        (3 * 3600, "de", "3 Stunden"),
    ],
)
def test_exact_durations_are_not_rounded(seconds: int, lang: str, text: str) -> None:
    assert fmt_exact_duration(seconds, lang) == text
