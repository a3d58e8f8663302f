"""The pure rules, table by table, with no database: the state machine (evaluation),
the retry policy, the grouping of alerts, accepted status codes, durations, and when
new monitors are first due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.delivery import Outcome, Result, RetryPolicy
from core.evaluation import apply_result, is_failing
from core.maintenance import WindowError, parse_length
from core.monitor_rules import RuleError, parse_duration
from core.probe import ProbeResult
from core.status_codes import status_accepted
from db.claims import first_check_at
from db.models import Monitor, MonitorState, NotificationKind
from db.outbox import ClaimedNotification
from scheduler.outbox import GROUP_ABOVE, units_of

T0 = datetime(2030, 1, 1, tzinfo=UTC)

# --- evaluation ---------------------------------------------------------------------

# Each case: the monitor's thresholds, a string of results ("x" fails, "o" succeeds),
# whether the last one falls in a maintenance window, and what is expected after the
# last result: state, the effects it had, and the streaks.
EVALUATION = [
    # (failure, success), results, maintenance, state, effects, (failures, successes)
    ((3, 2), "o", False, "up", {"changed_state"}, (0, 1)),  # a new monitor: no alert
    ((3, 2), "xx", False, "unknown", set(), (2, 0)),
    ((3, 2), "xxx", False, "down", {"went_down", "changed_state"}, (3, 0)),
    ((3, 2), "oxxx", False, "down", {"went_down", "changed_state"}, (3, 0)),
    ((3, 2), "xxxx", False, "down", {"still_down"}, (4, 0)),
    ((3, 2), "xxoxx", False, "up", set(), (2, 0)),  # a success resets the streak
    ((1, 1), "x", False, "down", {"went_down", "changed_state"}, (1, 0)),
    ((3, 2), "xxxo", False, "down", {"still_down"}, (0, 1)),
    ((3, 2), "xxxoo", False, "up", {"came_up", "changed_state"}, (0, 2)),
    ((3, 2), "xxxoxo", False, "down", {"still_down"}, (0, 1)),
    ((3, 2), "xxx", True, "unknown", set(), (3, 0)),  # maintenance: streaks count only
    ((3, 2), "xxxoo", True, "down", set(), (0, 2)),  # recovery held back ...
]


def monitor(failure_threshold: int = 3, success_threshold: int = 2, **kw) -> Monitor:
    return Monitor(
        name="m",
        url="https://a.test/",
        failure_threshold=failure_threshold,
        success_threshold=success_threshold,
        **kw,
    )


def result(at: datetime, ok: bool, **kw) -> ProbeResult:
    if ok:
        return ProbeResult(checked_at=at, ok=True, status_code=200, **kw)
    return ProbeResult(checked_at=at, ok=False, error_kind="timeout", error_message="late", **kw)


def effects_of(effects) -> set[str]:
    flags = ("went_down", "came_up", "still_down", "reminder", "changed_state")
    return {flag for flag in flags if getattr(effects, flag)}


@pytest.mark.parametrize(
    ("thresholds", "results", "maintenance", "state", "expected", "streaks"), EVALUATION
)
def test_evaluation(thresholds, results, maintenance, state, expected, streaks) -> None:
    m = monitor(*thresholds)
    for i, mark in enumerate(results):
        last = i == len(results) - 1
        effects = apply_result(
            m,
            result(T0 + timedelta(seconds=10 * i), mark == "o"),
            in_maintenance=maintenance and last,
            reminder_minutes=0,
        )
    assert m.state == state
    assert effects_of(effects) == expected
    assert (m.consecutive_failures, m.consecutive_successes) == streaks
    assert is_failing(m) == (state == "down" or streaks[0] > 0)


def test_down_is_dated_from_the_first_failure_of_the_streak() -> None:
    m = monitor()
    for i, mark in enumerate("oxxx"):
        apply_result(m, result(T0 + timedelta(seconds=i), mark == "o"), in_maintenance=False,
                     reminder_minutes=0)  # fmt: skip
    assert m.state == MonitorState.DOWN and m.state_since == T0 + timedelta(seconds=1)
    assert m.failing_first_error == "late"


@pytest.mark.parametrize(
    ("reminder_minutes", "minutes_down", "reminders_at"),
    [
        (0, 120, []),  # off
        (30, 29, []),
        (30, 30, [30]),
        (30, 100, [30, 60, 90]),
        (60, 125, [60, 120]),
    ],
)
def test_reminders(reminder_minutes: int, minutes_down: int, reminders_at: list[int]) -> None:
    m = monitor(failure_threshold=1)
    sent = []
    for minute in range(minutes_down + 1):
        effects = apply_result(
            m, result(T0 + timedelta(minutes=minute), False), in_maintenance=False,
            reminder_minutes=reminder_minutes,
        )  # fmt: skip
        if effects.reminder:
            sent.append(minute)
    assert sent == reminders_at


@pytest.mark.parametrize(
    ("days_left_seen", "warned"),
    [
        ([20, 15], []),
        ([20, 13.5, 13, 8], [14]),
        ([5], [7]),  # 5 days left warns once, for 7
        ([5, 4.5, 4], [7]),
        ([20, 13.5, 6.5, 2.5, 0.5], [14, 7, 3, 1]),
        ([-1], []),  # expired: a failure elsewhere, not a warning
    ],
)
def test_certificate_warnings(days_left_seen: list[float], warned: list[int]) -> None:
    m = monitor()
    expires = T0 + timedelta(days=30)
    got = []
    for days_left in days_left_seen:
        r = result(expires - timedelta(days=days_left), True, cert_expires_at=expires)
        effects = apply_result(m, r, in_maintenance=False, reminder_minutes=0)
        if effects.cert_warning_days is not None:
            got.append(effects.cert_warning_days)
    assert got == warned


# --- the retry policy -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempts", "low", "high"),
    [(1, 2.5, 5), (2, 5, 10), (3, 10, 20), (7, 160, 320), (8, 300, 600), (20, 300, 600)],
)
def test_backoff_doubles_with_equal_jitter_up_to_the_cap(attempts, low, high) -> None:
    policy = RetryPolicy()
    delays = [policy.delay(attempts) for _ in range(200)]
    assert all(low <= d <= high for d in delays)
    assert max(delays) - min(delays) > (high - low) / 4  # jittered, not fixed


@pytest.mark.parametrize(
    ("outcome", "age", "expected"),
    [
        (Outcome(Result.RATE_LIMITED, retry_after=7), timedelta(hours=5), timedelta(seconds=7)),
        (Outcome(Result.RATE_LIMITED), timedelta(0), timedelta(seconds=1)),
        (Outcome(Result.RETRY), timedelta(minutes=59), "backoff"),
        (Outcome(Result.RETRY), timedelta(hours=1), None),  # failing for an hour: dead
    ],
)
def test_next_attempt(outcome: Outcome, age: timedelta, expected) -> None:
    policy = RetryPolicy(base=5, cap=600)
    at = policy.next_attempt(outcome, 1, T0 - age, T0)
    if expected == "backoff":
        assert at is not None and T0 + timedelta(seconds=2.5) <= at <= T0 + timedelta(seconds=5)
    else:
        assert at == (None if expected is None else T0 + expected)


# --- grouping -------------------------------------------------------------------------


def row(n: int, kind: NotificationKind) -> ClaimedNotification:
    return ClaimedNotification(
        id=n, user_id=1, channel="telegram", kind=kind, monitor_id=n, payload={}, attempts=1,
        created_at=T0, telegram_id=1, language=None, telegram_language=None, email=None,
        email_verified=False, blocked_bot=False, timezone="UTC", epoch=1,
    )  # fmt: skip


D, U, R, C, B, V = "down", "up", "reminder", "cert_expiring", "broadcast", "email_verification"


@pytest.mark.parametrize(
    ("kinds", "messages"),
    [
        # One letter a row; the expected messages as lists of row numbers ("g" = grouped).
        ([D] * GROUP_ABOVE, [[0], [1], [2], [3], [4]]),
        ([D] * (GROUP_ABOVE + 1), [["g", 0, 1, 2, 3, 4, 5]]),
        ([B, D, U, R, C, D, D], [[0], ["g", 1, 2, 3, 4, 5, 6]]),
        ([D, B, D, V, D, U, C, R], [["g", 0, 2, 4, 5, 6, 7], [1], [3]]),
        ([B, V, D, D], [[0], [1], [2], [3]]),  # only alerts count toward a group
    ],
)
def test_grouping(kinds: list[str], messages: list[list]) -> None:
    rows = [row(n, NotificationKind(kind)) for n, kind in enumerate(kinds)]
    units = units_of(rows)
    got = [(["g"] if u.grouped else []) + [r.id for r in u.rows] for u in units]
    assert got == messages


# --- status codes and durations -------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "accepted", "expected"),
    [
        (199, "200-399", False),
        (200, "200-399", True),
        (399, "200-399", True),
        (400, "200-399", False),
        (404, "200-299,404", True),
        (503, " 500 - 503 ", True),
    ],
)
def test_status_accepted(code: int, accepted: str, expected: bool) -> None:
    assert status_accepted(code, accepted) is expected


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("45", 45), ("45s", 45), ("45 sec", 45), ("5m", 300), ("5 min", 300), ("2h", 7200),
     ("1d", 86400), (" 2H ", 7200), (90, 90)],
)  # fmt: skip
def test_parse_duration(text, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text", ["", "m", "5x", "5 fortnights", "5²m", "५m", "-5m", "1.5h", "12345678s"]
)
def test_bad_durations(text: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_duration(text)
    assert caught.value.code == "duration_invalid"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90m", timedelta(minutes=90)), ("1m", timedelta(minutes=1)), ("31d", timedelta(days=31)),
     ("59s", "too_short"), ("32d", "too_long"), ("soon", "duration_invalid")],
)  # fmt: skip
def test_maintenance_window_length(text: str, expected) -> None:
    if isinstance(expected, timedelta):
        assert parse_length(text) == expected
    else:
        with pytest.raises(WindowError) as caught:
            parse_length(text)
        assert caught.value.code == expected


# --- first due times ------------------------------------------------------------------


@pytest.mark.parametrize(("interval", "spread"), [(60, 60), (3600, 60), (30, 30), (10, 10)])
def test_new_monitors_are_first_due_soon_and_spread(interval: int, spread: int) -> None:
    offsets = [(first_check_at(T0, interval) - T0).total_seconds() for _ in range(400)]
    assert min(offsets) >= 0 and max(offsets) <= spread
    per_second: dict[int, int] = {}
    for offset in offsets:
        per_second[int(offset)] = per_second.get(int(offset), 0) + 1
    assert len(per_second) >= spread * 2 // 3  # no second left out much
    assert max(per_second.values()) <= 400 / spread * 3  # and no herd
