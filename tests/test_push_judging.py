"""Push monitors judged: pings through the real web app, silence judged by the real
engine, on one ManualClock, on both databases. Deadlines to the microsecond, runs that
start and never end, late and early pings, pauses, restarts, clock changes, and the
races between a ping and a judgement of silence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from core.alerts import render_alert
from core.i18n import use_locale
from core.kinds import push
from core.monitors import pause_monitor, resume_monitor
from core.ping_intake import IncomingPing, write_pings
from core.push_tokens import token_hash
from db.models import Incident, Monitor, MonitorState, Ping, PingKind
from tests.support.push_rig import START, alerts_of, at, logs_of, push_rig

HOUR, GRACE = 3600, 600
BERLIN = ZoneInfo("Europe/Berlin")


async def test_the_deadline_is_the_last_success_plus_period_plus_grace_to_the_microsecond(
    db, settings
) -> None:
    """A success at T: due at T + period + grace exactly; the engine judges at that
    moment, not a tick later, dates the failure then, and alerts once."""
    async with push_rig(settings) as rig:
        monitor = await rig.monitor(period=HOUR, grace=GRACE)
        await rig.clock.advance(0.25)  # a ping at an odd moment
        assert await rig.ping(monitor.ping_token) == (200, "OK")
        pinged = at(0.25)
        await monitor.refresh_from_db()
        assert monitor.push_last_success_at == pinged
        deadline = pinged + timedelta(seconds=HOUR + GRACE)
        assert monitor.next_check_at == deadline
        assert monitor.state == MonitorState.UP

        await rig.run_until(deadline - timedelta(microseconds=1))
        assert [log.ok for log in await logs_of(monitor)] == [True]
        await rig.run_until(deadline + timedelta(seconds=5))
        logs = await logs_of(monitor)
        assert [(log.ok, log.error_kind, log.checked_at) for log in logs] == [
            (True, None, pinged),
            (False, "missed", deadline),
        ]
        await monitor.refresh_from_db()
        assert monitor.state == MonitorState.DOWN and monitor.state_since == deadline
        # Judged next at the following deadline after the judgement.
        assert monitor.next_check_at == deadline + timedelta(seconds=HOUR + GRACE)
        (down,) = await alerts_of(monitor, "down")
        assert down.payload["cause"] == "missed" and down.payload["since"] == deadline.isoformat()


async def test_silence_judged_again_and_again_alerts_once(db, settings) -> None:
    """While the job stays silent, each following deadline is judged again (the
    incident counts them) but the DOWN alert goes once: one row per channel, with the
    incident's dedup key."""
    async with push_rig(settings) as rig:
        monitor = await rig.monitor(period=HOUR, grace=GRACE)
        assert (await rig.ping(monitor.ping_token))[0] == 200
        await rig.run_for(5 * (HOUR + GRACE) + 30)
        failures = [log for log in await logs_of(monitor) if not log.ok]
        assert [log.checked_at for log in failures] == [at(k * (HOUR + GRACE)) for k in range(1, 6)]
        assert {log.error_kind for log in failures} == {"missed"}
        incident = await Incident.get(monitor_id=monitor.id)
        assert incident.failed_checks == 5 and incident.resolved_at is None
        (down,) = await alerts_of(monitor)  # no reminder: the owner has none set
        key = f"down:{incident.id}:c{down.alert_channel_id}"  # the owner's private chat
        assert down.kind == "down" and down.dedup_key == key and down.channel == "telegram"


async def test_a_late_ping_brings_the_monitor_up(db, settings) -> None:
    async with push_rig(settings) as rig:
        monitor = await rig.monitor(period=HOUR, grace=GRACE)
        await rig.ping(monitor.ping_token)
        deadline = at(HOUR + GRACE)
        await rig.run_until(deadline + timedelta(minutes=20))
        await monitor.refresh_from_db()
        assert monitor.state == MonitorState.DOWN
        assert await rig.ping(monitor.ping_token) == (200, "OK")
        late = rig.clock.now()
        await monitor.refresh_from_db()
        assert monitor.state == MonitorState.UP
        assert monitor.next_check_at == late + timedelta(seconds=HOUR + GRACE)
        (up,) = await alerts_of(monitor, "up")
        assert up.payload["downtime_seconds"] == 20 * 60
        assert up.payload["cause"] == "missed"
        incident = await Incident.get(monitor_id=monitor.id)
        assert incident.resolved_at == late
        # And it is judged from the late ping on.
        await rig.run_until(late + timedelta(seconds=HOUR + GRACE - 1))
        assert len(await alerts_of(monitor)) == 2


async def test_an_early_ping_only_moves_the_deadline(db, settings) -> None:
    async with push_rig(settings) as rig:
        monitor = await rig.monitor(period=HOUR, grace=GRACE)
        await rig.ping(monitor.ping_token)
        await rig.run_until(at(HOUR / 2))  # a run half an hour early
        assert (await rig.ping(monitor.ping_token))[0] == 200
        await monitor.refresh_from_db()
        assert monitor.next_check_at == at(HOUR / 2 + HOUR + GRACE)
        await rig.run_until(at(HOUR + GRACE + 60))  # the old deadline passes: nothing
        assert all(log.ok for log in await logs_of(monitor))
        assert await alerts_of(monitor) == []
        await rig.run_until(at(HOUR / 2 + HOUR + GRACE + 1))
        logs = await logs_of(monitor)
        assert [(log.ok, log.checked_at) for log in logs][-1] == (
            False,
            at(HOUR / 2 + HOUR + GRACE),
        )


async def test_a_new_monitor_waits_for_its_first_ping_without_alerting(db, settings) -> None:
    async with push_rig(settings) as rig:
        monitor = await rig.monitor(period=60, grace=60)
        await rig.run_for(3 * 86400)
        await monitor.refresh_from_db()
        assert monitor.next_check_at is None and monitor.state == MonitorState.UNKNOWN
        assert await logs_of(monitor) == [] and await alerts_of(monitor) == []
        assert rig.engine is not None and rig.engine.started_checks == 0
        # The first ping starts the schedule.
        assert (await rig.ping(monitor.ping_token))[0] == 200
        await rig.run_for(121)
        assert [log.ok for log in await logs_of(monitor)] == [True, False]
        assert len(await alerts_of(monitor, "down")) == 1


async def test_start_then_success_records_the_run_time(db, settings) -> None:
    async with push_rig(settings) as rig:
        monitor = await rig.monitor(period=HOUR, grace=GRACE)
        assert await rig.ping(monitor.ping_token, "start") == (200, "OK")
        await monitor.refresh_from_db()
        assert monitor.push_started_at == START and monitor.state == MonitorState.UNKNOWN
        assert monitor.next_check_at == at(GRACE)  # the run must end within the grace
        await rig.run_for(95.25)
        assert await rig.ping(monitor.ping_token) == (200, "OK")
        pings = await Ping.filter(monitor_id=monitor.id).order_by("id")
        assert [(p.kind, p.run_ms) for p in pings] == [("start", None), ("success", 95250)]
        (log,) = await logs_of(monitor)
        assert (log.ok, log.latency_ms, log.checked_at) == (True, 95250, at(95.25))
        await monitor.refresh_from_db()
        assert monitor.push_started_at is None and monitor.last_latency_ms == 95250
        assert monitor.next_check_at == at(95.25 + HOUR + GRACE)
        # An end without a start has no run time.
        await rig.ping(monitor.ping_token, "fail")
        last = await Ping.filter(monitor_id=monitor.id).order_by("-id").first()
        assert last is not None and last.run_ms is None


async def test_a_start_never_finished_is_judged_after_the_grace(db, settings) -> None:
    """A /start and no end: a failure at start + grace exactly, recorded by the engine;
    the end coming later brings the monitor up with the whole run time."""
    async with push_rig(settings) as rig:
        monitor = await rig.monitor(period=HOUR, grace=GRACE)
        await rig.ping(monitor.ping_token)  # a success at START: due at START + 70 min
        await rig.run_until(at(HOUR - 300))
        await rig.ping(monitor.ping_token, "start")  # the next run, 5 min early
        started = at(HOUR - 300)
        await monitor.refresh_from_db()
        # The sooner of the period's deadline and the start plus the grace.
        assert monitor.next_check_at == started + timedelta(seconds=GRACE)
        await rig.run_until(started + timedelta(seconds=GRACE - 1))
        assert [log.ok for log in await logs_of(monitor)] == [True]
        await rig.run_until(started + timedelta(seconds=GRACE + 30))
        failure = (await logs_of(monitor))[-1]
        assert (failure.ok, failure.error_kind, failure.checked_at) == (
            False,
            "never_finished",
            started + timedelta(seconds=GRACE),
        )
        (down,) = await alerts_of(monitor, "down")
        assert down.payload["cause"] == "never_finished"
        assert down.payload["details"] == {"started_at": started.isoformat()}
        text = render_alert(down.kind, down.payload, "en").text
        assert "The run started at " in text and "Last ping said" not in text
        await rig.run_until(started + timedelta(seconds=GRACE + 200))
        assert (await rig.ping(monitor.ping_token))[0] == 200
        await monitor.refresh_from_db()
        assert monitor.state == MonitorState.UP and monitor.last_latency_ms == (GRACE + 200) * 1000
        assert len(await alerts_of(monitor, "up")) == 1


async def test_a_failure_ping_is_a_failure_at_once(db, settings) -> None:
    async with push_rig(settings) as rig:
        monitor = await rig.monitor(period=HOUR, grace=GRACE)
        await rig.ping(monitor.ping_token)
        await rig.clock.advance(30)
        assert await rig.ping(monitor.ping_token, "7", method="POST", body=b"disk full") == (
            200,
            "OK",
        )
        await monitor.refresh_from_db()
        assert monitor.state == MonitorState.DOWN and monitor.state_since == at(30)
        (down,) = await alerts_of(monitor, "down")
        assert down.payload["cause"] == "reported_failure"
        assert down.payload["error"] == down.payload["message"] == "[exit 7] disk full"
        text = render_alert(down.kind, down.payload, "en").text
        assert "Last ping said: [exit 7] disk full" in text
        # The next run is expected a period after the failed one.
        assert monitor.next_check_at == at(30 + HOUR + GRACE)


async def test_a_paused_monitor_keeps_its_pings_and_judges_nothing(db, settings) -> None:
    async with push_rig(settings) as rig:
        monitor = await rig.monitor(period=HOUR, grace=GRACE)
        await rig.ping(monitor.ping_token)
        await pause_monitor(monitor)
        for action in (None, "fail", "start", "3"):
            assert (await rig.ping(monitor.ping_token, action))[0] == 200
            await rig.run_for(60)
        await rig.run_for(3 * HOUR)  # silence: nothing judged either
        pings = await Ping.filter(monitor_id=monitor.id).order_by("id")
        assert [p.kind for p in pings] == ["success", "success", "fail", "start", "fail"]
        assert [log.ok for log in await logs_of(monitor)] == [True]  # the one before
        await monitor.refresh_from_db()
        assert monitor.state == MonitorState.PAUSED and monitor.next_check_at is None
        assert monitor.push_last_ping_at == at(180) and monitor.push_started_at is None
        assert await alerts_of(monitor) == []
        # Resumed, it waits for its next report.
        await resume_monitor(monitor)
        await rig.run_for(2 * HOUR)
        assert [log.ok for log in await logs_of(monitor)] == [True]
        await rig.ping(monitor.ping_token)
        await monitor.refresh_from_db()
        assert monitor.state == MonitorState.UP


async def test_pings_while_the_engine_is_stopped_never_alert_after_a_restart(db, settings) -> None:
    """The engine stops; the job keeps pinging the web app; a new engine starts long
    after the deadline the old one knew: nothing to alert about."""
    async with push_rig(settings) as rig:
        monitor = await rig.monitor(period=HOUR, grace=GRACE)
        await rig.ping(monitor.ping_token)
        await rig.run_until(at(HOUR - 10))
        await rig.stop_engine()
        for hour in (1, 2, 3):
            await rig.run_until(at(hour * HOUR))  # the clock alone
            assert (await rig.ping(monitor.ping_token))[0] == 200
        await rig.run_until(at(3 * HOUR + 60))  # the first deadline is 2 h 50 min behind
        await rig.start_engine()
        await rig.run_until(at(4 * HOUR + GRACE - 1))
        assert all(log.ok for log in await logs_of(monitor))
        assert len(await logs_of(monitor)) == 4
        assert await alerts_of(monitor) == []
        await monitor.refresh_from_db()
        assert monitor.state == MonitorState.UP
        # The new engine judges the deadline the last ping set.
        await rig.run_until(at(4 * HOUR + GRACE + 1))
        assert (await logs_of(monitor))[-1].checked_at == at(4 * HOUR + GRACE)


async def test_a_missed_deadline_while_the_engine_was_stopped_is_judged_at_restart(
    db, settings
) -> None:
    """Silence through the downtime is still silence: judged once the engine is back
    (dated at the deadline it judges), with one alert."""
    async with push_rig(settings) as rig:
        monitor = await rig.monitor(period=HOUR, grace=GRACE)
        await rig.ping(monitor.ping_token)
        await rig.stop_engine()
        await rig.run_until(at(3 * HOUR))
        await rig.start_engine()
        await rig.run_for(120)
        failures = [log for log in await logs_of(monitor) if not log.ok]
        assert [log.checked_at for log in failures] == [at(HOUR + GRACE)]
        assert len(await alerts_of(monitor, "down")) == 1


def wall(year: int, month: int, day: int, hour: int, minute: int, fold: int = 0) -> datetime:
    """A Berlin wall time, in UTC."""
    return datetime(year, month, day, hour, minute, fold=fold, tzinfo=BERLIN).astimezone(UTC)


async def test_a_daily_cron_job_across_berlins_clock_changes(db, settings) -> None:
    """A job at 02:30 every day in Europe/Berlin, grace 10 min, pinging when cron runs
    it: spring forward (2026-03-29) skips the day's 02:30, which the deadline must not
    expect; fall back (2026-10-25) repeats 02:30, expected once, at its first pass. The
    engine judges nothing while the job keeps its times, then a silent day exactly."""
    spring = datetime(2026, 3, 27, 12, tzinfo=UTC)
    async with push_rig(settings, spring) as rig:
        monitor = await rig.monitor(cron="30 2 * * *", tz="Europe/Berlin", grace=GRACE)
        runs = [wall(2026, 3, 28, 2, 30), wall(2026, 3, 30, 2, 30), wall(2026, 3, 31, 2, 30)]
        expected_deadlines = [
            wall(2026, 3, 30, 2, 30) + timedelta(seconds=GRACE),  # 29 March has no 02:30
            wall(2026, 3, 31, 2, 30) + timedelta(seconds=GRACE),
            wall(2026, 4, 1, 2, 30) + timedelta(seconds=GRACE),
        ]
        assert runs[1] - runs[0] == timedelta(hours=47)  # a day and 23 hours
        for run, deadline in zip(runs, expected_deadlines, strict=True):
            await rig.run_until(run)
            assert (await rig.ping(monitor.ping_token))[0] == 200
            await monitor.refresh_from_db()
            assert monitor.next_check_at == deadline
        await rig.run_until(expected_deadlines[-1] + timedelta(seconds=30))  # silent
        assert [
            (log.checked_at, log.error_kind) for log in await logs_of(monitor) if not log.ok
        ] == [(expected_deadlines[-1], "missed")]
        assert len(await alerts_of(monitor, "down")) == 1

    await Monitor.all().delete()
    autumn = datetime(2026, 10, 23, 12, tzinfo=UTC)
    async with push_rig(settings, autumn) as rig:
        monitor = await rig.monitor(cron="30 2 * * *", tz="Europe/Berlin", grace=GRACE)
        first_pass = wall(2026, 10, 25, 2, 30)  # CEST, 00:30 UTC
        second_pass = wall(2026, 10, 25, 2, 30, fold=1)  # CET, 01:30 UTC
        assert second_pass - first_pass == timedelta(hours=1)
        runs = [wall(2026, 10, 24, 2, 30), first_pass, wall(2026, 10, 26, 2, 30)]
        expected_deadlines = [
            first_pass + timedelta(seconds=GRACE),
            wall(2026, 10, 26, 2, 30) + timedelta(seconds=GRACE),  # not the second pass
            wall(2026, 10, 27, 2, 30) + timedelta(seconds=GRACE),
        ]
        assert runs[2] - runs[1] == timedelta(hours=25)
        for run, deadline in zip(runs, expected_deadlines, strict=True):
            await rig.run_until(run)
            assert (await rig.ping(monitor.ping_token))[0] == 200
            await monitor.refresh_from_db()
            assert monitor.next_check_at == deadline
        assert all(log.ok for log in await logs_of(monitor))
        await rig.run_until(expected_deadlines[-1] + timedelta(seconds=30))
        assert [
            (log.checked_at, log.error_kind) for log in await logs_of(monitor) if not log.ok
        ] == [(expected_deadlines[-1], "missed")]


async def test_a_silent_job_on_the_fall_back_day_is_judged_once_at_the_first_pass(
    db, settings
) -> None:
    autumn = datetime(2026, 10, 24, 0, 30, tzinfo=UTC)  # 02:30 CEST on the 24th
    async with push_rig(settings, autumn) as rig:
        monitor = await rig.monitor(cron="30 2 * * *", tz="Europe/Berlin", grace=GRACE)
        await rig.ping(monitor.ping_token)
        first_pass = wall(2026, 10, 25, 2, 30)
        await rig.run_until(first_pass + timedelta(hours=3))
        failures = [log for log in await logs_of(monitor) if not log.ok]
        assert [log.checked_at for log in failures] == [first_pass + timedelta(seconds=GRACE)]
        await monitor.refresh_from_db()
        # Next judged at the next day's run plus the grace, not at the repeated 02:30.
        assert monitor.next_check_at == wall(2026, 10, 26, 2, 30) + timedelta(seconds=GRACE)


# --- races between a ping and a judgement of silence ---------------------------------


async def test_a_ping_landing_between_the_claim_and_the_judgement_wins(db, settings) -> None:
    """The engine claims a deadline up to a second and a half ahead and judges at the
    deadline from the row as it claimed it. A success arriving in between (before the
    deadline) must void that judgement: no failure, no alert."""
    async with push_rig(settings) as rig:
        monitor = await rig.monitor(period=HOUR, grace=GRACE)
        await rig.ping(monitor.ping_token)
        deadline = at(HOUR + GRACE)
        await rig.run_until(deadline - timedelta(seconds=1.2))
        engine = rig.engine
        assert engine is not None
        await engine.tick()  # claims the deadline, 1.2 s ahead
        assert engine.in_flight == 1
        await rig.clock.advance(1)
        assert (await rig.ping(monitor.ping_token))[0] == 200  # 0.2 s before the deadline
        await rig.clock.advance_to(deadline)  # the judgement, from the row as claimed
        await engine.flush()
        await rig.run_for(60)
        assert [log.ok for log in await logs_of(monitor)] == [True, True]
        await monitor.refresh_from_db()
        assert monitor.state == MonitorState.UP
        assert monitor.next_check_at == deadline - timedelta(seconds=0.2) + timedelta(
            seconds=HOUR + GRACE
        )
        assert await alerts_of(monitor) == []


async def test_a_ping_received_before_a_judgement_but_written_after_it_still_counts(
    db, settings
) -> None:
    """A ping that arrived before the deadline but whose batch was written after the
    engine's judgement of silence (a slow or locked write) is newer news than the
    judgement: the monitor comes back up at once, it is not ignored as stale."""
    async with push_rig(settings) as rig:
        monitor = await rig.monitor(period=HOUR, grace=GRACE)
        await rig.ping(monitor.ping_token)
        deadline = at(HOUR + GRACE)
        await rig.run_until(deadline + timedelta(seconds=2))
        await monitor.refresh_from_db()
        assert monitor.state == MonitorState.DOWN
        received = deadline - timedelta(seconds=0.5)
        ping = IncomingPing(token_hash(monitor.ping_token), PingKind.SUCCESS, received)
        assert await write_pings([ping]) == [True]
        await monitor.refresh_from_db()
        assert monitor.state == MonitorState.UP
        assert monitor.push_last_success_at == received
        assert monitor.next_check_at == received + timedelta(seconds=HOUR + GRACE)
        assert [a.kind for a in await alerts_of(monitor)] == ["down", "up"]


async def test_a_deadline_edit_is_judged_from_the_new_schedule(db, settings) -> None:
    """`rescheduled`: a shorter period moves the deadline from the last success."""
    from core.monitors import update_monitor

    async with push_rig(settings) as rig:
        monitor = await rig.monitor(period=86400, grace=GRACE)
        await rig.ping(monitor.ping_token)
        await rig.run_until(at(1800))
        monitor = await Monitor.get(id=monitor.id)
        with use_locale("en"):
            await update_monitor(rig.runtime, monitor, "period", "1h")
        await monitor.refresh_from_db()
        assert monitor.next_check_at == at(HOUR + GRACE)
        await rig.run_until(at(HOUR + GRACE + 5))
        assert [log.checked_at for log in await logs_of(monitor) if not log.ok] == [
            at(HOUR + GRACE)
        ]


def test_a_failure_judged_while_a_run_is_under_way_comes_back_at_the_runs_end() -> None:
    """MISSED at the period's deadline while a run started within the grace: the next
    judgement is that run's own deadline (start + grace), not a whole period later."""
    import asyncio

    from core.clock import ManualClock
    from core.probe import Probe

    deadline = at(HOUR + GRACE)
    started = deadline - timedelta(seconds=100)
    spec = push.Spec(
        period=HOUR, cron=None, tz="UTC", grace=GRACE, last_success_at=START,
        started_at=started, last_ping_at=started, last_check_at=START,
    )  # fmt: skip
    probe = Probe(clock=ManualClock(deadline))
    result = asyncio.run(push.check(spec, probe))
    assert result is not None and result.error_kind == "missed"
    assert result.checked_at == deadline
    assert result.next_due_at == started + timedelta(seconds=GRACE)
