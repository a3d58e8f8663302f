"""Statistics on constructed data, both databases: exact figures from raw rows, from
rollups, and from any mix of the two; the rollup job's idempotence; retention."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from core import histogram
from core.aggregates import Aggregate
from core.charts import chart_png
from core.settings import Settings
from core.stats import last_incident, monitor_stats, window_stats
from db.models import (
    CheckLog,
    DailyRollup,
    HourlyRollup,
    Incident,
    MaintenanceWindow,
    Monitor,
    RollupState,
    User,
)
from scheduler.retention import apply_retention
from scheduler.rollups import roll_up, roll_up_chunk
from tests.support.png import png_size

# Mid-hour, so every window's start cuts an hour (and a day) in two.
NOW = datetime(2026, 6, 1, 12, 37, 20, tzinfo=UTC)


async def make_monitor(name: str = "m") -> Monitor:
    user, _created = await User.get_or_create(telegram_id=1)
    return await Monitor.create(owner=user, name=name, url="https://x.test/")


def p95_tolerance(value: float) -> float:
    return value * (histogram.FACTOR**0.5 - 1) + 1


def expected(rows: list[CheckLog], since: datetime, until: datetime) -> Aggregate:
    """The figures by brute force over the constructed rows."""
    total = Aggregate()
    for row in rows:
        if since <= row.checked_at < until:
            total.add_check(row.ok, row.latency_ms, row.in_maintenance)
    return total


def exact_p95(rows: list[CheckLog], since: datetime) -> int | None:
    values = sorted(
        r.latency_ms for r in rows
        if r.checked_at >= since and r.ok and not r.in_maintenance and r.latency_ms is not None
    )  # fmt: skip
    return values[int(0.95 * (len(values) - 1))] if values else None


async def history(monitor: Monitor, days: int, every: timedelta, seed: int = 7) -> list[CheckLog]:
    """Checks every `every` for `days` days up to NOW: about 3% failures, some in
    maintenance, latencies spread over two orders of magnitude."""
    rng = random.Random(seed)
    rows, moment = [], NOW - timedelta(days=days)
    while moment < NOW:
        ok = rng.random() > 0.03
        rows.append(CheckLog(
            monitor=monitor, checked_at=moment, ok=ok,
            latency_ms=int(rng.lognormvariate(5, 0.7)) if ok else None,
            in_maintenance=rng.random() < 0.02,
        ))  # fmt: skip
        moment += every
    await CheckLog.bulk_create(rows, batch_size=2000)
    return rows


async def assert_figures_match(monitor: Monitor, rows: list[CheckLog]) -> None:
    for window, length in (("24h", timedelta(hours=24)), ("7d", timedelta(days=7)),
                           ("30d", timedelta(days=30)), ("90d", timedelta(days=90))):  # fmt: skip
        since = NOW - length
        truth = expected(rows, since, NOW)
        stats = await window_stats(monitor.id, window, NOW)
        assert stats.checks == truth.counted, window
        assert stats.uptime == pytest.approx(truth.uptime), window
        assert stats.avg_latency_ms == pytest.approx(truth.avg_latency_ms), window
        p95 = exact_p95(rows, since)
        assert abs(stats.p95_latency_ms - p95) <= p95_tolerance(p95), (window, p95)


async def test_empty_history_and_a_brand_new_monitor(db) -> None:
    monitor = await make_monitor()
    for stats in await monitor_stats(monitor.id, NOW):
        assert (stats.checks, stats.uptime, stats.incidents) == (0, None, 0)
        assert stats.avg_latency_ms is None and stats.p95_latency_ms is None
        assert stats.mttr_seconds is None and stats.longest_incident_seconds is None
        assert stats.last_check_at is None
    assert await last_incident(monitor.id) is None
    assert await roll_up(catch_up=True) == 0  # nothing to roll up is fine
    assert (await window_stats(monitor.id, "90d", NOW)).uptime is None


async def test_figures_are_exact_from_raw_rows_from_rollups_and_from_a_mix(db) -> None:
    monitor = await make_monitor()
    other = await make_monitor("other")  # its rows must never leak into the first's
    rows = await history(monitor, days=40, every=timedelta(minutes=7))
    await history(other, days=3, every=timedelta(minutes=5), seed=9)
    await assert_figures_match(monitor, rows)  # nothing rolled up: raw only

    # Half rolled up: rollups below done_id, raw rows above it.
    state = await RollupState.create(name="checks")
    middle = (await CheckLog.filter(monitor_id=monitor.id).order_by("id").offset(len(rows) // 2)
              .first()).id  # fmt: skip
    state.seen_id = middle
    await state.save()
    await roll_up()
    assert (await RollupState.get(name="checks")).done_id == middle
    await assert_figures_match(monitor, rows)

    await roll_up(catch_up=True)  # everything rolled up
    await assert_figures_match(monitor, rows)


async def test_rollups_equal_the_raw_rows_and_a_rerun_changes_nothing(db) -> None:
    monitor = await make_monitor()
    rows = await history(monitor, days=3, every=timedelta(minutes=3))
    await roll_up(catch_up=True)
    hourly = await HourlyRollup.filter(monitor_id=monitor.id).order_by("period_start")
    daily = await DailyRollup.filter(monitor_id=monitor.id).order_by("period_start")
    for rollup, length in [(r, timedelta(hours=1)) for r in hourly] + [
        (r, timedelta(days=1)) for r in daily
    ]:
        truth = expected(rows, rollup.period_start, rollup.period_start + length)
        assert (rollup.checks, rollup.failures, rollup.maintenance) == (
            truth.checks, truth.failures, truth.maintenance)  # fmt: skip
        assert (rollup.latency_count, rollup.latency_sum) == (truth.latency_count,
                                                               truth.latency_sum)  # fmt: skip
        assert (rollup.latency_min, rollup.latency_max) == (truth.latency_min, truth.latency_max)
        assert rollup.buckets == truth.buckets
    assert sum(r.checks for r in daily) == len(rows) == sum(r.checks for r in hourly)

    def snapshot(items):
        return [(r.period_start, r.checks, r.failures, r.latency_sum, r.buckets) for r in items]

    before = snapshot(hourly), snapshot(daily)
    for _run in range(3):
        await roll_up()
        await roll_up(catch_up=True)
    after = (
        snapshot(await HourlyRollup.filter(monitor_id=monitor.id).order_by("period_start")),
        snapshot(await DailyRollup.filter(monitor_id=monitor.id).order_by("period_start")),
    )
    assert after == before


async def test_the_job_trails_one_run_behind_the_ids_and_catches_up_in_chunks(db) -> None:
    monitor = await make_monitor()
    rows = await history(monitor, days=1, every=timedelta(minutes=1))
    assert await roll_up() == 0  # the first run only notes the highest id
    state = await RollupState.get(name="checks")
    assert (state.done_id, state.seen_id) == (0, max(r.id for r in await CheckLog.all()))
    count, more = await roll_up_chunk(chunk=500)
    assert (count, more) == (500, True)
    assert await roll_up() == len(rows) - 500
    assert sum(r.checks for r in await DailyRollup.all()) == len(rows)


async def test_maintenance_is_left_out_of_uptime(db) -> None:
    monitor = await make_monitor()
    rows = [
        CheckLog(monitor=monitor, checked_at=NOW - timedelta(minutes=m), ok=m >= 10,
                 latency_ms=50, in_maintenance=m < 10)
        for m in range(1, 61)
    ]  # fmt: skip
    await CheckLog.bulk_create(rows)
    await MaintenanceWindow.create(
        owner_id=monitor.owner_id, monitor=monitor, starts_at=NOW - timedelta(minutes=10),
        ends_at=NOW,
    )  # fmt: skip
    for catch_up in (False, True):
        if catch_up:
            await roll_up(catch_up=True)
        day = await window_stats(monitor.id, "24h", NOW)
        assert day.checks == 51 and day.uptime == 1.0


async def test_incidents_straddling_the_edges_open_ones_mttr_and_longest(db) -> None:
    monitor = await make_monitor()
    await Incident.create(  # began 25 h ago, lasted 2 h: 1 h inside the 24 h window
        monitor=monitor, started_at=NOW - timedelta(hours=25),
        resolved_at=NOW - timedelta(hours=23), cause="timeout",
    )  # fmt: skip
    await Incident.create(  # still open for the last 30 minutes
        monitor=monitor, started_at=NOW - timedelta(minutes=30), cause="http_status",
        last_error="HTTP 503",
    )  # fmt: skip
    await Incident.create(  # 20 days ago, 10 minutes
        monitor=monitor, started_at=NOW - timedelta(days=20),
        resolved_at=NOW - timedelta(days=20) + timedelta(minutes=10), cause="dns",
    )  # fmt: skip
    await Incident.create(  # 100 days ago: outside every window
        monitor=monitor, started_at=NOW - timedelta(days=100),
        resolved_at=NOW - timedelta(days=99), cause="dns",
    )  # fmt: skip
    day, week, month, quarter = await monitor_stats(monitor.id, NOW)
    assert day.incidents == 2 and day.downtime_seconds == 3600 + 1800
    assert day.mttr_seconds == 7200 and day.longest_incident_seconds == 7200
    assert week.incidents == 2 and week.downtime_seconds == 7200 + 1800
    assert month.incidents == 3 and month.downtime_seconds == 7200 + 1800 + 600
    assert month.mttr_seconds == (7200 + 600) / 2
    assert quarter.incidents == 3
    last = await last_incident(monitor.id)
    assert last.cause == "http_status" and last.resolved_at is None and last.error == "HTTP 503"


async def test_retention_deletes_only_what_it_should(db, settings: Settings) -> None:
    monitor = await make_monitor()
    now = datetime.now(UTC)
    old = [CheckLog(monitor=monitor, checked_at=now - timedelta(days=40, minutes=m), ok=True,
                    latency_ms=10) for m in range(30)]  # fmt: skip
    fresh = [CheckLog(monitor=monitor, checked_at=now - timedelta(days=5, minutes=m), ok=True,
                      latency_ms=10) for m in range(30)]  # fmt: skip
    await CheckLog.bulk_create(old + fresh)
    # Not rolled up yet: nothing may go, or statistics would lose it.
    assert (await apply_retention(settings, now))["check_logs"] == 0
    await roll_up(catch_up=True)
    ancient_hour = await HourlyRollup.create(
        monitor=monitor, period_start=now - timedelta(days=400), checks=5
    )
    ancient_day = await DailyRollup.create(
        monitor=monitor, period_start=now - timedelta(days=400), checks=5
    )
    deleted = await apply_retention(settings, now)
    assert deleted == {"check_logs": 30, "rollups_hourly": 1}
    remaining = await CheckLog.filter(monitor_id=monitor.id).values_list("checked_at", flat=True)
    assert len(remaining) == 30 and min(remaining) > now - timedelta(days=6)
    assert not await HourlyRollup.filter(id=ancient_hour.id).exists()
    assert await DailyRollup.filter(id=ancient_day.id).exists()  # daily rows stay for ever
    # The old checks still count, from the rollups.
    quarter = await window_stats(monitor.id, "90d", now)
    assert quarter.checks == 60


@pytest.mark.parametrize(("kind", "window"), [("latency", "24h"), ("latency", "7d"),
                                              ("uptime", "30d"), ("uptime", "90d")])  # fmt: skip
async def test_charts_are_png_of_the_expected_size(db, kind: str, window: str) -> None:
    monitor = await make_monitor("Shop <1>")
    now = datetime.now(UTC)
    await CheckLog.bulk_create([
        CheckLog(monitor=monitor, checked_at=now - timedelta(minutes=20 * i), ok=i % 9 != 0,
                 latency_ms=100 + i % 50)
        for i in range(1, 300)
    ])  # fmt: skip
    await Incident.create(monitor=monitor, started_at=now - timedelta(hours=3),
                          resolved_at=now - timedelta(hours=2), cause="dns")  # fmt: skip
    await roll_up(catch_up=True)
    png = await chart_png(monitor, kind, window, "ru")
    assert png_size(png) == (800, 400)


async def test_the_scheduler_carries_the_rollup_and_retention_jobs(db, settings, probe) -> None:
    """run.py's wiring: register_jobs with settings adds both jobs, and they work."""
    from scheduler.engine import Engine
    from scheduler.runner import create_scheduler, register_jobs

    scheduler = create_scheduler()
    register_jobs(scheduler, Engine(settings, probe), None, settings)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert {"engine.tick", "rollups", "retention"} <= set(jobs)
    monitor = await make_monitor()
    await history(monitor, days=2, every=timedelta(minutes=10))
    await jobs["rollups"].func()  # notes the ids
    await jobs["rollups"].func()  # rolls them up
    assert sum(r.checks for r in await DailyRollup.filter(monitor_id=monitor.id)) == 288
    await jobs["retention"].func()  # NOW is months ago: past RAW_RETENTION_DAYS
    assert await CheckLog.filter(monitor_id=monitor.id).count() == 0
    assert sum(r.checks for r in await DailyRollup.filter(monitor_id=monitor.id)) == 288
