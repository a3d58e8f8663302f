"""Benchmark of statistics at scale: figures, charts and the rollup job on PostgreSQL.

    python -m bench.stats [--days 90] [--every 30] [--runs 50] [--monitors 10000]

Creates a throw-away database on the server of DATABASE_URL (default: the local test
server) with one monitor checked every 30 s for 90 days (259,200 checks), rolls them
up, applies retention (30 days of raw rows, as in production), then measures:

  figures_p50_ms / figures_p95_ms   core.stats.window_stats per window (24h, 7d, 30d,
                                    90d), `runs` calls each (target: p95 under 50 ms)
  chart_p95_ms                      core.charts.chart_png per kind and window, data
                                    and drawing (target: under 300 ms)
  draw_p95_ms                       the drawing alone
  rollup_backlog_checks_per_s       the initial catch-up over all 259,200 checks
  rollup_steady_checks_per_s        one job run over a minute of 500 checks/s spread
                                    over `monitors` monitors (30,000 checks): the rate
                                    the job sustains (target: at least 500)
  rollup_steady_run_s               that run's duration (must stay under its 60 s period)
  retention_deleted_checks          raw rows past the 30 days that retention deleted
  retention_s                       and the time it took (pauses between batches included)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AERICH_NO_TORTOISE_V1_WARNING", "1")

from bench._database import connect, migrated_database, percentile  # noqa: E402


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--every", type=int, default=30, help="seconds between checks")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--monitors", type=int, default=10000)
    return parser.parse_args(argv)


def p(values: list[float], q: float) -> float:
    return round(percentile(values, q), 2)


async def fill(url: str, args: argparse.Namespace, now: datetime) -> None:
    """One user, `monitors` monitors; the first has `days` of history every `every` s:
    3% failures, latencies log-normal around 150 ms, an incident a week. Checks are
    inserted oldest first, so ids follow checked_at as the engine writes them (what
    retention's walk over the ids relies on)."""
    conn = await connect(url)
    try:
        await conn.execute(
            "INSERT INTO users (telegram_id, display_name, email_verified, email_code_attempts,"
            " blocked_bot, telegram_alerts, email_alerts, reminder_interval_minutes, created_at)"
            " VALUES (1, 'bench', false, 0, false, true, true, 0, $1)",
            now,
        )
        await conn.execute(
            "INSERT INTO monitors (owner_id, name, url, method, headers, interval_seconds,"
            " retry_interval_seconds, timeout_seconds, accepted_status_codes, keyword_mode,"
            " cert_warning_days, failure_threshold, success_threshold, paused, state,"
            " consecutive_failures, consecutive_successes, created_at, updated_at)"
            " SELECT 1, 'site ' || g, 'https://example.com/', 'GET', '{}', $2, 20, 10,"
            " '200-399', 'present', '[14,7,3,1]', 3, 2, false, 'up', 0, 0, $1, $1"
            " FROM generate_series(1, $3) AS g",
            now,
            args.every,
            args.monitors,
        )
        await conn.execute(
            "INSERT INTO check_logs (monitor_id, checked_at, ok, latency_ms, in_maintenance)"
            " SELECT 1, $1::timestamptz - make_interval(secs => ($3 + 1 - g) * $2), ok,"
            " CASE WHEN ok THEN (exp(5 + 0.5 * sqrt(-2 * ln(random())) * cos(2 * pi() *"
            " random())))::int END, false"
            " FROM (SELECT g, random() > 0.03 AS ok FROM generate_series(1, $3) AS g) AS s",
            now,
            args.every,
            args.days * 86400 // args.every,
        )
        await conn.execute(
            "INSERT INTO incidents (monitor_id, started_at, resolved_at, cause, first_error,"
            " last_error, failed_checks)"
            " SELECT 1, $1::timestamptz - make_interval(days => g * 7),"
            " $1::timestamptz - make_interval(days => g * 7) + interval '12 minutes',"
            " 'timeout', '', '', 5"
            " FROM generate_series(1, $2 / 7) AS g",
            now,
            args.days,
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def steady_minute(url: str, args: argparse.Namespace, now: datetime) -> int:
    """A minute of checks at 500/s over all monitors, as the engine would write them."""
    count = 500 * 60
    conn = await connect(url)
    try:
        await conn.execute(
            "INSERT INTO check_logs (monitor_id, checked_at, ok, latency_ms, in_maintenance)"
            " SELECT 1 + g % $3, $1::timestamptz + make_interval(secs => g * 60.0 / $2),"
            " random() > 0.01, 50 + (random() * 400)::int, false"
            " FROM generate_series(1, $2) AS g",
            now,
            count,
            args.monitors,
        )
    finally:
        await conn.close()
    return count


async def measure(url: str, args: argparse.Namespace) -> dict:
    from core import charts
    from core.aggregates import Aggregate
    from core.runtime import freeze_startup_objects
    from core.settings import Settings
    from core.stats import WINDOWS, window_stats
    from db.connection import close_database, open_database
    from db.models import Monitor
    from scheduler.retention import apply_retention
    from scheduler.rollups import roll_up

    now = datetime.now(UTC)
    await fill(url, args, now - timedelta(minutes=2))
    await open_database(url)
    figures: dict = {}
    try:
        started = time.perf_counter()
        rolled = await roll_up(catch_up=True, budget=3600)
        figures["rollup_backlog_checks_per_s"] = round(rolled / (time.perf_counter() - started))
        started = time.perf_counter()
        deleted = await apply_retention(Settings(_env_file=None, database_url=url), now)
        figures["retention_deleted_checks"] = deleted["check_logs"]
        figures["retention_s"] = round(time.perf_counter() - started, 3)

        monitor = await Monitor.get(id=1)
        await charts.chart_png(monitor, "latency", "24h", "en")  # import matplotlib once
        freeze_startup_objects()  # as run.py does once it has started
        for window in WINDOWS:
            times = []
            for _run in range(args.runs):
                started = time.perf_counter()
                await window_stats(monitor.id, window)
                times.append((time.perf_counter() - started) * 1000)
            figures[f"figures_{window}_p50_ms"] = p(times, 0.5)
            figures[f"figures_{window}_p95_ms"] = p(times, 0.95)
        for kind, window in (("latency", "24h"), ("latency", "7d"), ("uptime", "30d"),
                             ("uptime", "90d")):  # fmt: skip
            times = []
            for _run in range(max(5, args.runs // 5)):
                started = time.perf_counter()
                await charts.chart_png(monitor, kind, window, "en")
                times.append((time.perf_counter() - started) * 1000)
            figures[f"chart_{kind}_{window}_p95_ms"] = p(times, 0.95)
        draw = []
        for _run in range(10):
            started = time.perf_counter()
            steps = [now - timedelta(minutes=15 * i) for i in range(96)][::-1]
            bins = {step: Aggregate(checks=15, latency_count=15, latency_sum=2250, latency_min=90,
                                    latency_max=400, buckets={"35": 10, "40": 5})
                    for step in steps}  # fmt: skip
            charts.draw_latency(bins, timedelta(minutes=15), [], charts.Labels("x"))
            draw.append((time.perf_counter() - started) * 1000)
        figures["draw_p95_ms"] = p(draw, 0.95)

        written = await steady_minute(url, args, now)
        await roll_up()  # the run that notes the new rows' ids
        started = time.perf_counter()
        rolled = await roll_up()
        took = time.perf_counter() - started
        figures["rollup_steady_run_s"] = round(took, 3)
        figures["rollup_steady_checks_per_s"] = round(rolled / took)
        assert rolled == written, (rolled, written)
    finally:
        await close_database()
    figures["figures_p95_ms"] = max(v for k, v in figures.items() if k.startswith("figures_")
                                    and k.endswith("p95_ms"))  # fmt: skip
    figures["chart_p95_ms"] = max(v for k, v in figures.items() if k.startswith("chart_"))
    figures["checks"] = args.days * 86400 // args.every
    figures["monitors"] = args.monitors
    figures["median_of_p50s_ms"] = statistics.median(
        v for k, v in figures.items() if k.endswith("p50_ms")
    )
    return figures


async def main_async(args: argparse.Namespace) -> dict:
    async with migrated_database("bench.stats") as url:
        return await measure(url, args)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    print(json.dumps(asyncio.run(main_async(args))))


if __name__ == "__main__":
    main()
