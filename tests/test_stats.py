"""core.stats on constructed data: exact figures the bot and the API both show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.stats import last_incident, monitor_stats, window_stats
from db.models import CheckLog, Incident, Monitor, User

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


async def make_monitor() -> Monitor:
    user = await User.create(telegram_id=1)
    return await Monitor.create(owner=user, name="m", url="https://x.test/")


async def test_empty_history(db) -> None:
    monitor = await make_monitor()
    for stats in await monitor_stats(monitor.id, NOW):
        assert (stats.checks, stats.uptime, stats.incidents) == (0, None, 0)
        assert stats.avg_latency_ms is None and stats.p95_latency_ms is None
    assert await last_incident(monitor.id) is None


async def test_uptime_latency_and_maintenance(db) -> None:
    monitor = await make_monitor()
    rows = []
    for i in range(100):  # one check a minute over the last 100 minutes
        at = NOW - timedelta(minutes=100 - i)
        ok = i % 10 != 0  # 10 failures
        rows.append(
            CheckLog(monitor=monitor, checked_at=at, ok=ok, latency_ms=i + 1 if ok else None)
        )
    rows.append(CheckLog(monitor=monitor, checked_at=NOW - timedelta(minutes=5), ok=False,
                         in_maintenance=True))  # fmt: skip
    rows.append(CheckLog(monitor=monitor, checked_at=NOW - timedelta(days=3), ok=False))
    await CheckLog.bulk_create(rows)
    day = await window_stats(monitor.id, "24h", NOW)
    assert day.checks == 100 and day.uptime == 0.9  # maintenance left out
    latencies = sorted(i + 1 for i in range(100) if i % 10 != 0)
    assert day.avg_latency_ms == sum(latencies) / len(latencies)
    assert day.p95_latency_ms == latencies[int(0.95 * (len(latencies) - 1))]
    week = await window_stats(monitor.id, "7d", NOW)
    assert week.checks == 101 and abs(week.uptime - 90 / 101) < 1e-9


async def test_incidents_straddling_the_window_edge_and_open_ones(db) -> None:
    monitor = await make_monitor()
    await Incident.create(  # began 25 h ago, lasted 2 h: 1 h inside the 24 h window
        monitor=monitor, started_at=NOW - timedelta(hours=25),
        resolved_at=NOW - timedelta(hours=23), cause="timeout",
    )  # fmt: skip
    await Incident.create(  # still open for the last 30 minutes
        monitor=monitor, started_at=NOW - timedelta(minutes=30), cause="http_status",
        last_error="HTTP 503",
    )  # fmt: skip
    await Incident.create(  # long ago
        monitor=monitor, started_at=NOW - timedelta(days=20),
        resolved_at=NOW - timedelta(days=20) + timedelta(minutes=10), cause="dns",
    )  # fmt: skip
    day, week, month = await monitor_stats(monitor.id, NOW)
    assert day.incidents == 2 and day.downtime_seconds == 3600 + 1800
    assert week.incidents == 2 and week.downtime_seconds == 7200 + 1800
    assert month.incidents == 3 and month.downtime_seconds == 7200 + 1800 + 600
    last = await last_incident(monitor.id)
    assert last.cause == "http_status" and last.resolved_at is None and last.error == "HTTP 503"
