"""Statistics on constructed data, both databases: exact figures from raw rows, from
rollups, and from any mix of the two; the rollup job's idempotence; retention."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import get_args
from zoneinfo import ZoneInfo

import pytest

from bot.callbacks import StatsCb
from core import charts, histogram, series
from core import stats as core_stats
from core.aggregates import Aggregate
from core.charts import chart_png
from core.settings import Settings
from core.stats import WINDOWS, Window, last_incident, monitor_stats, window_stats
from db.models import (
    CheckLog,
    DailyRollup,
    HourlyRollup,
    Incident,
    MaintenanceWindow,
    Monitor,
    Ping,
    RollupState,
    User,
)
from scheduler import retention
from scheduler.retention import apply_retention
from scheduler.rollups import roll_up, roll_up_chunk
from tests.support.bot_harness import tr
from tests.support.exact import nearest_rank
from tests.support.fake_telegram import FakeTelegram
from tests.support.png import pixels, png_size

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
    values = [
        r.latency_ms for r in rows
        if r.checked_at >= since and r.ok and not r.in_maintenance and r.latency_ms is not None
    ]  # fmt: skip
    return nearest_rank(values, "0.95")


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
    assert deleted == {"check_logs": 30, "rollups_hourly": 1, "pings": 0}
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


@pytest.mark.parametrize(("kind", "window"), [("latency", "24h"), ("uptime", "90d")])
async def test_a_monitor_without_checks_gets_no_data_yet_and_no_axes(db, kind, window) -> None:
    monitor = await make_monitor()
    image = pixels(await chart_png(monitor, kind, window, "de"))
    assert image.size == (800, 400)
    lines = [
        y for y in range(60, image.height)  # under the title
        if sum(sum(image.getpixel((x, y))) < 300 for x in range(image.width)) > 100
    ]  # fmt: skip
    assert not lines  # no axis: nothing to suggest a scale or a time


async def test_a_new_monitors_first_checks_show_on_its_latency_chart(db) -> None:
    """Checks in the last ten minutes only: the newest bin must be visible, not a line
    of one point pinned against the right edge (which draws nothing)."""
    monitor = await make_monitor()
    now = datetime.now(UTC)
    await CheckLog.bulk_create([
        CheckLog(monitor=monitor, checked_at=now - timedelta(minutes=m), ok=True, latency_ms=180)
        for m in (1, 2, 3)
    ])  # fmt: skip
    image = pixels(await chart_png(monitor, "latency", "24h", "en"))
    right = [
        image.getpixel((x, y)) for x in range(700, 800) for y in range(90, 340)
    ]  # fmt: skip
    assert any(abs(r - 47) < 50 and abs(g - 111) < 50 and b > 180 for r, g, b in right)


async def test_chart_png_draws_in_the_zone_it_is_given(db, drawn_charts) -> None:
    monitor = await make_monitor()
    await CheckLog.create(monitor=monitor, checked_at=datetime.now(UTC) - timedelta(hours=2),
                          ok=True, latency_ms=120)  # fmt: skip
    drawn = drawn_charts
    png = await chart_png(monitor, "latency", "24h", "es", tz=ZoneInfo("America/New_York"))
    assert drawn[0].png == png and drawn[0].x_label == "Hora (America/New York)"
    await chart_png(monitor, "uptime", "24h", "en")
    assert drawn[1].x_label == "Time (UTC)" and len(drawn[1].bars) == 1


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


async def test_retention_walks_the_ids_past_new_rows_and_gaps(db, settings, monkeypatch) -> None:
    """Old rows over many id ranges, new ones in between and a gap wider than a batch:
    every old row goes, every new one stays, rows above done_id too."""
    monkeypatch.setattr(retention, "BATCH", 10)
    monkeypatch.setattr(retention, "PAUSE", 0)
    monitor = await make_monitor()
    now = datetime.now(UTC)
    old_at, new_at = now - timedelta(days=40), now - timedelta(days=5)
    # 150 rows, every third one new (each range of 10 ids has both), then 40 new ones.
    ages = [new_at if i % 3 == 2 else old_at for i in range(150)] + [new_at] * 40
    await CheckLog.bulk_create(
        [CheckLog(monitor=monitor, checked_at=at, ok=True, latency_ms=10) for at in ages]
    )
    ids = await CheckLog.filter(monitor_id=monitor.id).order_by("id").values_list("id", flat=True)
    gap = ids[60:95]  # 35 ids without rows: the walk jumps over them
    await CheckLog.filter(id__in=gap).delete()
    await roll_up(catch_up=True)
    late = [CheckLog(monitor=monitor, checked_at=old_at, ok=True, latency_ms=10)
            for _ in range(5)]  # fmt: skip
    await CheckLog.bulk_create(late)  # old but above done_id: not rolled up, kept
    kept_old = len(late)
    doomed = sum(1 for i, at in enumerate(ages) if at == old_at and ids[i] not in gap)
    assert (await apply_retention(settings, now))["check_logs"] == doomed
    remaining = await CheckLog.filter(monitor_id=monitor.id).values_list("checked_at", flat=True)
    assert sum(1 for at in remaining if at == old_at) == kept_old
    assert sum(1 for at in remaining if at == new_at) == sum(
        1 for i, at in enumerate(ages) if at == new_at and ids[i] not in gap
    )
    assert (await apply_retention(settings, now))["check_logs"] == 0  # a rerun: nothing


async def push_monitor_with_pings(
    name: str, times: list[datetime], last_ping_at: datetime
) -> tuple[Monitor, list[int]]:
    """A push monitor with pings received at `times` (written in that order); their ids."""
    user, _created = await User.get_or_create(telegram_id=1)
    monitor = await Monitor.create(
        owner=user, name=name, url="every 1m", kind="push", push_last_ping_at=last_ping_at
    )
    await Ping.bulk_create([Ping(monitor=monitor, received_at=t, kind="success") for t in times])
    ids = await Ping.filter(monitor_id=monitor.id).order_by("id").values_list("id", flat=True)
    return monitor, list(ids)


async def test_retention_deletes_old_pings_and_keeps_the_newest_per_monitor(
    db, settings: Settings, monkeypatch
) -> None:
    """Pings older than RAW_RETENTION_DAYS go (nothing waits for a rollup); of each
    monitor pinged lately, only the newest PINGS_PER_MONITOR stay, in (time, id)
    order, ties at the cut included; another monitor's pings are untouched."""
    monkeypatch.setattr(retention, "BATCH", 100)
    monkeypatch.setattr(retention, "PAUSE", 0)
    now = datetime.now(UTC).replace(microsecond=0)
    keep = retention.PINGS_PER_MONITOR
    old = [now - timedelta(days=40, minutes=m) for m in range(30, 0, -1)]
    # 1,250 recent pings, three to a second: the cut falls inside a group of equals.
    recent = [now - timedelta(days=5) + timedelta(seconds=i // 3) for i in range(1250)]
    busy, busy_ids = await push_monitor_with_pings("busy", old + recent, now)
    calm, _calm_ids = await push_monitor_with_pings("calm", recent[:40], now)
    # Over the cap but silent for days: its pings only age out.
    quiet, _quiet_ids = await push_monitor_with_pings(
        "quiet", recent[:1100], now - timedelta(days=3)
    )
    deleted = await apply_retention(settings, now)
    assert deleted["pings"] == 30 + (1250 - keep)
    kept = await Ping.filter(monitor_id=busy.id).order_by("id").values_list("id", flat=True)
    newest = sorted(zip(recent, busy_ids[30:], strict=True), reverse=True)[:keep]
    assert sorted(kept) == sorted(ping_id for _at, ping_id in newest)
    assert await Ping.filter(monitor_id=calm.id).count() == 40
    assert await Ping.filter(monitor_id=quiet.id).count() == 1100
    assert (await apply_retention(settings, now))["pings"] == 0  # a rerun: nothing
    # Days later the quiet monitor's pings age out whole, by the walk.
    later = now + timedelta(days=settings.raw_retention_days)
    assert (await apply_retention(settings, later))["pings"] == 1100 + 40 + keep
    assert await Ping.all().count() == 0


async def test_the_retention_job_trims_pings_written_through_the_intake(db, settings) -> None:
    """End to end: pings written by the ping intake, the job as the scheduler runs it."""
    from core.ping_intake import IncomingPing, write_pings
    from core.push_tokens import token_hash
    from db.models import PingKind

    user, _created = await User.get_or_create(telegram_id=1)
    monitor = await Monitor.create(
        owner=user,
        name="job",
        url="every 1m",
        kind="push",
        params={"period": 60, "grace": 60},
        push_token_hash=token_hash("t" * 32),
    )
    start = datetime.now(UTC) - timedelta(days=settings.raw_retention_days + 1)
    old = [IncomingPing(token_hash("t" * 32), PingKind.SUCCESS, start + timedelta(seconds=i))
           for i in range(5)]  # fmt: skip
    fresh = [IncomingPing(token_hash("t" * 32), PingKind.START, datetime.now(UTC))]
    assert await write_pings(old) == [True] * 5
    assert await write_pings(fresh) == [True]
    await retention.retention_job(settings)()
    (left,) = await Ping.filter(monitor_id=monitor.id)
    assert left.kind == "start"


@pytest.mark.parametrize("commit", ["before", "after"])
async def test_a_rollup_committing_during_the_reads_is_neither_lost_nor_counted_twice(
    db, monkeypatch, commit: str
) -> None:
    """The job commits just before or just after statistics first read done_id. Before:
    a done_id read after the rollups (as it once was) would skip the rows just rolled
    up. After: the rollups read hold rows that the raw rows above the old done_id hold
    too, until the reads are made again."""
    monitor = await make_monitor()
    rows = await history(monitor, days=3, every=timedelta(minutes=10))
    real_done_id = series.done_id
    calls = 0

    async def done_id_and_the_job_commits() -> int:
        nonlocal calls
        calls += 1
        if calls == 1 and commit == "before":
            await roll_up(catch_up=True)
        value = await real_done_id()
        if calls == 1 and commit == "after":
            await roll_up(catch_up=True)
        return value

    monkeypatch.setattr(series, "done_id", done_id_and_the_job_commits)
    since = NOW - timedelta(days=2)
    figures = await series.span(monitor.id, since, NOW)
    truth = expected(rows, since, NOW)
    assert (figures.checks, figures.failures, figures.latency_sum) == (
        truth.checks, truth.failures, truth.latency_sum)  # fmt: skip
    assert calls == (3 if commit == "after" else 2)  # "after": read again once

    await RollupState.filter(name="checks").delete()  # the rows not rolled up again
    await HourlyRollup.all().delete()
    await DailyRollup.all().delete()
    calls = 0
    bins = await series.binned(monitor.id, since, NOW, series.HOUR)
    for start, figures in bins.items():
        truth = expected(rows, start, start + series.HOUR)
        assert (figures.checks, figures.latency_sum) == (truth.checks, truth.latency_sum), start
    assert sum(b.checks for b in bins.values()) == len(
        [r for r in rows if series.floor_hour(since) <= r.checked_at < NOW]
    )


async def test_an_incident_resolved_after_now_lasts_until_now(db) -> None:
    """Figures for a past `now`: an incident resolved later counts until `now` only,
    and is not resolved yet for MTTR; charts shade the same spans."""
    monitor = await make_monitor()
    await Incident.create(  # resolved an hour after NOW
        monitor=monitor, started_at=NOW - timedelta(hours=1),
        resolved_at=NOW + timedelta(hours=1), cause="timeout",
    )  # fmt: skip
    await Incident.create(  # resolved exactly when the 24 h window starts: not in it
        monitor=monitor, started_at=NOW - timedelta(hours=30),
        resolved_at=NOW - timedelta(hours=24), cause="dns",
    )  # fmt: skip
    day = await window_stats(monitor.id, "24h", NOW)
    assert day.incidents == 1 and day.downtime_seconds == 3600
    assert day.longest_incident_seconds == 3600 and day.mttr_seconds is None
    week = await window_stats(monitor.id, "7d", NOW)
    assert week.incidents == 2 and week.downtime_seconds == 3600 + 6 * 3600
    assert week.longest_incident_seconds == 6 * 3600 and week.mttr_seconds == 6 * 3600
    assert await charts._downtime(monitor.id, NOW - timedelta(hours=24), NOW) == [
        (NOW - timedelta(hours=1), NOW)
    ]
    assert await monitor_stats(monitor.id, NOW) == [
        await window_stats(monitor.id, window, NOW) for window in WINDOWS
    ]


async def test_monitor_stats_reads_incidents_once_and_equals_window_stats(db, monkeypatch) -> None:
    monitor = await make_monitor()
    await history(monitor, days=100, every=timedelta(hours=1))
    for days_ago, hours in ((100, 5), (60, 2), (20, 1), (3, 3), (0.5, 24)):  # last one open
        start = NOW - timedelta(days=days_ago)
        resolved = start + timedelta(hours=hours)
        await Incident.create(monitor=monitor, started_at=start, cause="dns",
                              resolved_at=resolved if resolved < NOW else None)  # fmt: skip
    await roll_up(catch_up=True)
    each = [await window_stats(monitor.id, window, NOW) for window in WINDOWS]
    reads = []
    real = core_stats.incidents_overlapping

    async def counted(*args):
        reads.append(args)
        return await real(*args)

    monkeypatch.setattr(core_stats, "incidents_overlapping", counted)
    assert await monitor_stats(monitor.id, NOW) == each
    assert len(reads) == 1


def test_period_buttons_carry_only_known_windows() -> None:
    assert get_args(Window) == tuple(WINDOWS)
    assert StatsCb.unpack(StatsCb(id=3, window="30d").pack()).window == "30d"
    with pytest.raises(ValueError):
        StatsCb.unpack("st:3:1y")


async def test_an_unknown_period_is_a_stale_button(telegram: FakeTelegram) -> None:
    user = await User.create(telegram_id=21)
    monitor = await Monitor.create(owner=user, name="m", url="https://x.test/")
    me = telegram.user(21, language_code="en")
    await me.send("/start")
    await me.next_reply()
    await me.press_data(f"st:{monitor.id}:1y")
    answer = await me.next_answer()
    assert answer["text"] == tr("en", "This button is no longer valid.")


def test_histogram_add_takes_one_value_and_quantiles_stay_in_range() -> None:
    counts: dict[str, int] = {}
    for value in (0.5, 10, 100, 1000, 100_000):
        histogram.add(counts, value)
    assert sum(counts.values()) == 5 and counts[str(histogram.BUCKETS - 1)] == 1
    assert histogram.quantile(counts, 0.0, 0.5, 100_000) == 1
    assert histogram.quantile(counts, 1.0, 0.5, 60_000) == 60_000
    assert histogram.quantile({}, 0.5) is None
