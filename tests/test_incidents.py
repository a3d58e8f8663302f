"""Incidents and alert rows: thresholds, recovery, maintenance, restarts, certificates.

Checks run for real against local targets through `check_now`; rules that depend on
time passing (reminders, windows ending) feed `record_results` with results dated in
the past, which is exactly what the engine's buffer hands it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from core.checks import check_now
from core.monitors import create_monitor, pause_monitor, resume_monitor
from core.probe import ProbeResult
from core.recording import record_results
from core.runtime import Runtime
from core.targets import TargetError
from db.models import (
    Channel,
    CheckLog,
    Incident,
    MaintenanceWindow,
    Monitor,
    MonitorState,
    Notification,
    User,
)
from tests.support.targets import STATS, Site, TargetServers


@pytest.fixture
async def http(targets: TargetServers) -> Site:
    return await targets.http()


async def make_user(telegram_id: int = 100, *, verified_email: bool = False, **kw) -> User:
    if verified_email:
        kw.update(email="ann@example.com", email_verified=True)
    return await User.create(telegram_id=telegram_id, **kw)


async def monitor_for(runtime: Runtime, user: User, url: str, **kw) -> Monitor:
    return await create_monitor(runtime, user, url, **kw)


def kinds(rows: list[Notification]) -> list[tuple[str, str]]:
    return sorted((n.kind.value, n.channel) for n in rows)


def failure(at: datetime, kind: str = "timeout") -> ProbeResult:
    return ProbeResult(checked_at=at, ok=False, error_kind=kind, error_message="no answer")


def success(at: datetime) -> ProbeResult:
    return ProbeResult(checked_at=at, ok=True, status_code=200, latency_ms=12)


async def test_first_success_makes_a_new_monitor_up_without_an_alert(db, runtime, http) -> None:
    monitor = await monitor_for(runtime, await make_user(), http.url("/ok"))
    assert monitor.state == MonitorState.UNKNOWN
    recorded = await check_now(runtime, monitor)
    assert recorded.result.ok and recorded.state == MonitorState.UP
    await monitor.refresh_from_db()
    assert monitor.state == MonitorState.UP and monitor.last_status_code == 200
    assert await CheckLog.filter(monitor_id=monitor.id).count() == 1
    assert await Notification.all().count() == 0


async def test_a_new_monitor_that_is_down_alerts_once_at_the_threshold(db, runtime, http) -> None:
    monitor = await monitor_for(runtime, await make_user(), http.url("/status/503"))
    for expected in (MonitorState.UNKNOWN, MonitorState.UNKNOWN, MonitorState.DOWN):
        assert (await check_now(runtime, monitor)).state == expected
    for _ in range(3):
        await check_now(runtime, monitor)
    incidents = await Incident.filter(monitor_id=monitor.id)
    assert len(incidents) == 1
    incident = incidents[0]
    assert incident.resolved_at is None and incident.cause == "http_status"
    assert incident.failed_checks == 6
    assert incident.first_error.startswith("HTTP 503")
    notes = await Notification.all()
    assert kinds(notes) == [("down", "telegram")]
    assert notes[0].incident_id == incident.id and notes[0].payload["name"] == monitor.name
    await monitor.refresh_from_db()
    # Dated from the first failure of the streak, not the third.
    first = await CheckLog.filter(monitor_id=monitor.id).order_by("checked_at").first()
    assert monitor.state_since == incident.started_at == first.checked_at


async def test_flaky_target_failing_one_in_five_never_opens_an_incident(db, runtime, http) -> None:
    monitor = await monitor_for(runtime, await make_user(), http.url("/flaky?every=5"))
    results = [await check_now(runtime, monitor) for _ in range(20)]
    assert sum(not r.result.ok for r in results) == 4
    assert await Incident.all().count() == 0
    assert await Notification.all().count() == 0
    await monitor.refresh_from_db()
    assert monitor.state == MonitorState.UP


async def test_recovery_needs_two_successes_and_alerts_once(
    db, runtime, http, targets: TargetServers
) -> None:
    user = await make_user(verified_email=True)
    monitor = await monitor_for(runtime, user, http.url("/switch"))
    targets.app[STATS]["switch_ok"] = False
    for _ in range(3):
        await check_now(runtime, monitor)
    assert kinds(await Notification.all()) == [("down", "email"), ("down", "telegram")]
    targets.app[STATS]["switch_ok"] = True
    assert (await check_now(runtime, monitor)).state == MonitorState.DOWN
    assert (await check_now(runtime, monitor)).state == MonitorState.UP
    await check_now(runtime, monitor)
    incident = await Incident.get(monitor_id=monitor.id)
    assert incident.resolved_at is not None
    ups = await Notification.filter(kind="up")
    assert kinds(ups) == [("up", "email"), ("up", "telegram")]
    assert ups[0].payload["downtime_seconds"] >= 0
    assert await Notification.all().count() == 4


async def test_an_incident_opened_and_closed_is_one_info_line_each(db, runtime, caplog) -> None:
    user = await make_user()
    monitor = await Monitor.create(owner=user, name="m", url="https://x.test/")
    t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    down = [failure(t + timedelta(seconds=20 * n)) for n in range(4)]
    up = [success(t + timedelta(seconds=200)), success(t + timedelta(seconds=220))]
    with caplog.at_level(logging.INFO, logger="core.recording"):
        await record_results([(monitor.id, r) for r in down])
        await record_results([(monitor.id, r) for r in down])  # the same again: no change
        opened = [r.getMessage() for r in caplog.records]
        await record_results([(monitor.id, r) for r in up])
    incident = await Incident.get(monitor_id=monitor.id)
    assert opened == [f"incident opened: monitor {monitor.id}, cause timeout"]
    duration = incident.resolved_at - incident.started_at
    assert [r.getMessage() for r in caplog.records] == [
        *opened,
        f"incident closed: monitor {monitor.id}, cause timeout, down for {duration}",
    ]
    assert all(r.levelno == logging.INFO for r in caplog.records)


async def test_one_batch_opening_and_closing_incidents_names_each_in_its_alerts(
    db, runtime
) -> None:
    """Incidents opened in a batch are written together after it is walked: one monitor
    going down, up and down again, another going down, all in one batch, still get an
    incident each, closed or open as they ended, and every alert names its own."""
    user = await make_user(verified_email=True)
    flaky, other = [
        await Monitor.create(
            owner=user, name=name, url=f"https://{name}.test/", failure_threshold=1,
            success_threshold=1,
        )
        for name in ("flaky", "other")
    ]  # fmt: skip
    t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    await record_results(
        [
            (flaky.id, failure(t)),
            (other.id, failure(t + timedelta(seconds=5), "dns")),
            (flaky.id, success(t + timedelta(seconds=10))),
            (flaky.id, failure(t + timedelta(seconds=20), "connection")),
        ]
    )
    first, second, third = await Incident.all().order_by("started_at")
    assert (first.monitor_id, first.cause, first.resolved_at) == (
        flaky.id, "timeout", t + timedelta(seconds=10),
    )  # fmt: skip
    assert (second.monitor_id, second.cause, second.resolved_at) == (other.id, "dns", None)
    assert (third.monitor_id, third.cause, third.resolved_at) == (flaky.id, "connection", None)
    alerts = await Notification.all()
    assert len(alerts) == 8  # 4 alerts, 2 channels each
    named = sorted((n.kind.value, n.incident_id, n.dedup_key.split(":")[1]) for n in alerts)
    assert named == sorted(
        (kind, incident.id, str(incident.id))
        for kind, incident in (
            ("down", first), ("up", first), ("down", second), ("down", third)
        )
        for _channel in range(2)
    )  # fmt: skip


async def test_success_in_between_resets_the_streak(db, runtime) -> None:
    user = await make_user()
    monitor = await Monitor.create(owner=user, name="m", url="https://x.test/")
    t = datetime.now(UTC) - timedelta(minutes=10)
    seq = [failure(t), failure(t + timedelta(seconds=20)), success(t + timedelta(seconds=40)),
           failure(t + timedelta(seconds=60)), failure(t + timedelta(seconds=80))]  # fmt: skip
    await record_results([(monitor.id, r) for r in seq])
    await monitor.refresh_from_db()
    assert monitor.state == MonitorState.UP and monitor.consecutive_failures == 2
    assert await Incident.all().count() == 0


async def test_restart_does_not_alert_a_known_state_again(db, settings, targets, http) -> None:
    """State lives in the database: a fresh process (new probe, new runtime) that keeps
    seeing the same outage sends nothing new."""
    from core.probe import Probe

    user = await make_user()
    for attempt in range(2):  # two "process lifetimes"
        probe = Probe(ssl_context=targets.probe_ssl_context())
        await probe.start()
        runtime = Runtime(settings=settings, probe=probe)
        try:
            if attempt == 0:
                monitor = await monitor_for(runtime, user, http.url("/status/500"))
            monitor = await Monitor.get(id=monitor.id)
            for _ in range(4):
                await check_now(runtime, monitor)
        finally:
            await probe.close()
    assert await Notification.all().count() == 1
    assert await Incident.all().count() == 1


async def test_maintenance_suppresses_incidents_and_alerts_then_reality_resumes(
    db, runtime
) -> None:
    user = await make_user()
    monitor = await Monitor.create(owner=user, name="m", url="https://x.test/")
    t0 = datetime.now(UTC) - timedelta(hours=1)
    await MaintenanceWindow.create(
        owner=user, monitor=monitor, starts_at=t0, ends_at=t0 + timedelta(minutes=10)
    )
    during = [failure(t0 + timedelta(minutes=m)) for m in range(1, 9)]
    await record_results([(monitor.id, r) for r in during])
    logs = await CheckLog.filter(monitor_id=monitor.id)
    assert len(logs) == 8 and all(log.in_maintenance for log in logs)
    assert await Incident.all().count() == 0 and await Notification.all().count() == 0
    await monitor.refresh_from_db()
    assert monitor.state == MonitorState.UNKNOWN and monitor.consecutive_failures == 8

    # The window is over and the target is still down: the next check opens the incident.
    after = failure(t0 + timedelta(minutes=11))
    (recorded,) = await record_results([(monitor.id, after)])
    assert recorded.state == MonitorState.DOWN and not recorded.in_maintenance
    assert await Incident.all().count() == 1
    assert kinds(await Notification.all()) == [("down", "telegram")]


async def test_window_for_all_of_a_users_monitors(db, runtime) -> None:
    user = await make_user()
    other = await make_user(telegram_id=200)
    mine = await Monitor.create(owner=user, name="a", url="https://a.test/")
    theirs = await Monitor.create(owner=other, name="b", url="https://b.test/")
    t0 = datetime.now(UTC) - timedelta(hours=1)
    await MaintenanceWindow.create(owner=user, starts_at=t0, ends_at=t0 + timedelta(hours=2))
    results = [failure(t0 + timedelta(minutes=m)) for m in range(1, 5)]
    await record_results([(m.id, r) for r in results for m in (mine, theirs)])
    assert await Incident.filter(monitor_id=mine.id).count() == 0
    assert await Incident.filter(monitor_id=theirs.id).count() == 1
    assert {n.user_id for n in await Notification.all()} == {other.id}


async def test_recovery_during_maintenance_is_announced_after_it(db, runtime) -> None:
    user = await make_user()
    monitor = await Monitor.create(owner=user, name="m", url="https://x.test/")
    t0 = datetime.now(UTC) - timedelta(hours=1)
    await record_results([(monitor.id, failure(t0 + timedelta(seconds=s))) for s in (0, 20, 40)])
    await MaintenanceWindow.create(
        owner=user, monitor=monitor, starts_at=t0 + timedelta(minutes=5),
        ends_at=t0 + timedelta(minutes=10),
    )  # fmt: skip
    await record_results([(monitor.id, success(t0 + timedelta(minutes=m))) for m in (6, 7, 8)])
    await monitor.refresh_from_db()
    assert monitor.state == MonitorState.DOWN  # unchanged during the window
    assert await Notification.filter(kind="up").count() == 0
    await record_results([(monitor.id, success(t0 + timedelta(minutes=11)))])
    await monitor.refresh_from_db()
    assert monitor.state == MonitorState.UP
    assert await Notification.filter(kind="up").count() == 1


async def test_reminders_every_interval_while_down(db, runtime) -> None:
    user = await make_user(reminder_interval_minutes=30)
    monitor = await Monitor.create(owner=user, name="m", url="https://x.test/")
    t0 = datetime.now(UTC) - timedelta(hours=3)
    results = [failure(t0 + timedelta(minutes=m)) for m in range(0, 100, 1)]
    await record_results([(monitor.id, r) for r in results])
    reminders = await Notification.filter(kind="reminder").order_by("id")
    # Down from minute 0; reminders at 30, 60 and 90.
    assert len(reminders) == 3
    assert [r.payload["down_seconds"] // 60 for r in reminders] == [30, 60, 90]


async def test_reminders_are_off_by_default(db, runtime) -> None:
    user = await make_user()
    monitor = await Monitor.create(owner=user, name="m", url="https://x.test/")
    t0 = datetime.now(UTC) - timedelta(hours=3)
    await record_results([(monitor.id, failure(t0 + timedelta(minutes=m))) for m in range(120)])
    assert await Notification.filter(kind="reminder").count() == 0


async def test_certificate_expiring_in_5_days_warns_once_for_7(
    db, runtime, targets: TargetServers
) -> None:
    site = await targets.https(expires_in=timedelta(days=5, hours=1))
    monitor = await monitor_for(runtime, await make_user(), site.url("/ok"))
    for _ in range(4):
        assert (await check_now(runtime, monitor)).result.ok
    warnings = await Notification.filter(kind="cert_expiring")
    assert len(warnings) == 1
    assert warnings[0].payload["threshold_days"] == 7
    assert warnings[0].payload["days_left"] == 5


async def test_certificate_thresholds_cross_one_by_one_and_rearm_on_renewal(db, runtime) -> None:
    user = await make_user()
    monitor = await Monitor.create(owner=user, name="m", url="https://x.test/")
    expiry = datetime.now(UTC) + timedelta(days=20)

    def with_cert(days_before: float, expires: datetime) -> ProbeResult:
        r = success(expires - timedelta(days=days_before))
        r.cert_expires_at = expires
        return r

    days = [20, 13.5, 13, 8, 6.5, 6, 2.5, 2, 0.5]
    await record_results([(monitor.id, with_cert(d, expiry)) for d in days])
    warned = [n.payload["threshold_days"] for n in await Notification.all().order_by("id")]
    assert warned == [14, 7, 3, 1]
    renewed = expiry + timedelta(days=90)
    await record_results([(monitor.id, with_cert(2, renewed))])
    warned = [n.payload["threshold_days"] for n in await Notification.all().order_by("id")]
    assert warned == [14, 7, 3, 1, 3]


async def test_expired_certificate_is_a_failure_not_a_warning(
    db, runtime, targets: TargetServers
) -> None:
    site = await targets.https(expires_in=timedelta(days=-1))
    monitor = await monitor_for(runtime, await make_user(), site.url("/ok"))
    recorded = await check_now(runtime, monitor)
    assert recorded.result.error_kind == "tls_invalid"
    assert await Notification.filter(kind="cert_expiring").count() == 0


async def test_no_alerts_to_a_user_who_blocked_the_bot_or_turned_them_off(
    db, runtime, http
) -> None:
    blocked = await make_user(telegram_id=1, blocked_bot=True, verified_email=True)
    quiet = await make_user(telegram_id=2)
    await Channel.filter(owner_id=quiet.id).update(enabled=False)  # their alerts off
    for user in (blocked, quiet):
        monitor = await monitor_for(runtime, user, http.url("/status/500"))
        for _ in range(3):
            await check_now(runtime, monitor)
    assert kinds(await Notification.all()) == [("down", "email")]


async def test_unverified_email_gets_nothing(db, runtime, http) -> None:
    user = await make_user(email="ann@example.com", email_verified=False)
    monitor = await monitor_for(runtime, user, http.url("/status/500"))
    for _ in range(3):
        await check_now(runtime, monitor)
    assert kinds(await Notification.all()) == [("down", "telegram")]


async def test_the_same_batch_twice_never_duplicates_alert_rows(db, runtime) -> None:
    """Dedup keys make a replayed transition harmless (ON CONFLICT DO NOTHING)."""
    user = await make_user()
    monitor = await Monitor.create(owner=user, name="m", url="https://x.test/")
    t0 = datetime.now(UTC) - timedelta(minutes=5)
    await record_results([(monitor.id, failure(t0 + timedelta(seconds=s))) for s in (0, 10, 20)])
    incident = await Incident.get(monitor_id=monitor.id)
    # Replay the "went down" transition by hand: reset the state and feed it again.
    await Monitor.filter(id=monitor.id).update(state="up", consecutive_failures=0)
    await record_results([(monitor.id, failure(t0 + timedelta(seconds=s))) for s in (30, 40, 50)])
    assert await Notification.filter(kind="down", incident_id=incident.id).count() == 1


async def test_stale_result_is_logged_but_does_not_move_state_back(db, runtime) -> None:
    user = await make_user()
    monitor = await Monitor.create(owner=user, name="m", url="https://x.test/")
    now = datetime.now(UTC)
    await record_results([(monitor.id, success(now))])
    await record_results([(monitor.id, failure(now - timedelta(seconds=5)))])
    await monitor.refresh_from_db()
    assert monitor.consecutive_failures == 0 and monitor.last_ok is True
    assert await CheckLog.filter(monitor_id=monitor.id).count() == 2


async def test_failure_pulls_the_next_check_in_to_the_retry_interval(db, runtime) -> None:
    user = await make_user()
    monitor = await Monitor.create(
        owner=user, name="m", url="https://x.test/", interval_seconds=300,
        retry_interval_seconds=30, next_check_at=datetime.now(UTC) + timedelta(seconds=300),
    )  # fmt: skip
    at = datetime.now(UTC)
    await record_results([(monitor.id, failure(at))])
    await monitor.refresh_from_db()
    assert abs((monitor.next_check_at - at).total_seconds() - 30) < 0.01


async def test_results_for_a_deleted_monitor_are_dropped(db, runtime) -> None:
    user = await make_user()
    monitor = await Monitor.create(owner=user, name="m", url="https://x.test/")
    monitor_id = monitor.id
    await monitor.delete()
    (recorded,) = await record_results([(monitor_id, failure(datetime.now(UTC)))])
    assert recorded.state is None and await CheckLog.all().count() == 0


async def test_pause_closes_the_incident_silently_and_resume_starts_unknown(db, runtime) -> None:
    user = await make_user()
    monitor = await Monitor.create(owner=user, name="m", url="https://x.test/")
    t0 = datetime.now(UTC) - timedelta(minutes=5)
    await record_results([(monitor.id, failure(t0 + timedelta(seconds=s))) for s in (0, 10, 20)])
    await pause_monitor(monitor)
    assert monitor.next_check_at is None and monitor.state == MonitorState.PAUSED
    assert (await Incident.get(monitor_id=monitor.id)).resolved_at is not None
    await resume_monitor(monitor)
    assert monitor.state == MonitorState.UNKNOWN and monitor.next_check_at is not None
    assert await Notification.filter(kind="up").count() == 0


async def test_create_monitor_refuses_private_targets_for_non_admins(db, settings, probe) -> None:
    strict = settings.model_copy(
        update={"allow_private_targets": False, "admin_ids": frozenset({9})}
    )
    runtime = Runtime(settings=strict, probe=probe)
    user = await make_user(telegram_id=1)
    for url in ("http://127.0.0.1:8080/", "http://localhost/", "http://[::1]/",
                "http://169.254.169.254/", "http://10.1.2.3/"):  # fmt: skip
        with pytest.raises(TargetError) as caught:
            await create_monitor(runtime, user, url)
        assert caught.value.code == "private_address"
    admin = await make_user(telegram_id=9)
    monitor = await create_monitor(runtime, admin, "http://localhost:8080/health")
    assert monitor.url == "http://localhost:8080/health"
    assert await Monitor.filter(owner_id=user.id).count() == 0


async def test_new_monitors_are_spread_not_all_due_at_once(db, runtime) -> None:
    """Each new monitor is first due within a minute of its creation, at different
    moments (the spread itself: tests/test_rules.py, on the pure rule). Bounded by the
    time around each creation, so a slow machine cannot fail it."""
    user = await make_user(monitor_quota=1000)
    due = set()
    for i in range(20):
        before = datetime.now(UTC)
        monitor = await create_monitor(
            runtime, user, f"http://127.0.0.1:9/{i}", interval_seconds=60
        )
        after = datetime.now(UTC)
        assert before <= monitor.next_check_at <= after + timedelta(seconds=60)
        due.add(monitor.next_check_at)
    assert len(due) == 20


async def test_pause_alerts_for_n_minutes_suppresses_only_that_monitor(db, runtime, http) -> None:
    from core.maintenance import end_window, pause_alerts

    user = await make_user()
    quiet = await monitor_for(runtime, user, http.url("/status/500"))
    loud = await monitor_for(runtime, user, http.url("/status/500"))
    window = await pause_alerts(quiet, 60)
    for _ in range(3):
        await check_now(runtime, quiet)
        await check_now(runtime, loud)
    assert {n.monitor_id for n in await Notification.all()} == {loud.id}
    assert all(c.in_maintenance for c in await CheckLog.filter(monitor_id=quiet.id))
    await end_window(window)
    await check_now(runtime, quiet)
    assert await Notification.filter(monitor_id=quiet.id, kind="down").count() == 1


async def test_windows_that_make_no_sense_are_refused(db, runtime) -> None:
    from core.maintenance import WindowError, create_window

    user = await make_user()
    other = await make_user(telegram_id=555)
    theirs = await Monitor.create(owner=other, name="t", url="https://t.test/")
    now = datetime.now(UTC)
    cases = [
        (now, now - timedelta(minutes=1), None, "ends_before_start"),
        (now, now + timedelta(days=40), None, "too_long"),
        (now - timedelta(hours=2), now - timedelta(hours=1), None, "in_the_past"),
        (now, now + timedelta(hours=1), theirs, "foreign_monitor"),
    ]
    for starts, ends, monitor, code in cases:
        with pytest.raises(WindowError) as caught:
            await create_window(user, starts, ends, monitor=monitor)
        assert caught.value.code == code
    assert await MaintenanceWindow.all().count() == 0
