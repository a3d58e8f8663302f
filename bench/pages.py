"""Benchmark of a public status page: the real web app serving one page of many
monitors to clients in another process, while the scheduler keeps checking.

    python -m bench.pages [--what page|json|badge] [--monitors 100] [--rate 200] \
        [--duration 10] [--connections 32] [--checks-per-s 200] [--sqlite] [--uvloop]

Creates a throw-away database (PostgreSQL on the server of DATABASE_URL, by default
the local test server; SQLite with --sqlite, or when DATABASE_URL is unset and that
server does not answer; bench/pings.py's bench_database), checks_per_s x --interval
HTTP monitors spread over one interval against the local target process, and a status
page of the first --monitors of them in groups of 20, each with 90 days of daily and
24 hours of hourly rollups (written with the rollup job's statement), some incidents
and a scheduled maintenance window. This process runs the web app (api.app.create_app)
and the engine with its APScheduler jobs, as run.py does; after --baseline seconds of
the scheduler alone, a client in a separate process sends --rate requests a second for
--duration seconds, open loop, through --connections keep-alive connections, as
browsers do (Accept-Encoding: gzip, no conditional requests: every answer is a full
body). With --what badge the requests go round the page's monitors' badges instead
(status, uptime over 30 days and latency of each: 3 x --monitors URLs, api/badges.py).
Prints one JSON line:

  what / path                 page (HTML), json or badge, and the URL asked for (the
                              first of the round for badges)
  answered_per_s              200 answers per second of the client's window
  sent / statuses             requests sent, and every answer by status
  latency_p50_ms / _p99_ms / _max_ms  from the request's start to its body read
  client_late_p99_ms          how late the client started requests against its plan
  body_kb                     one answer's size as sent (gzip), and unzipped
  app_cpu_s_per_1000 (_net)   CPU of the app's process in the window per 1,000
                              answers, and the same less the scheduler's own rate
  db_cpu_s_per_1000 (_net)    PostgreSQL's (this database's backends and the server's
                              background processes; null on SQLite)
  page_reads / renders        how often the page's data was read and a body rendered
                              in the window (core/page_cache.py: once per PAGE_TTL)
  read_ms / render_ms         one read of the page's data (core/page_view.py) and one
                              rendering of it, measured apart after the window (null
                              for badges)
  checks_per_s / lag_p50_s / lag_p99_s / lag_max_s  the engine's checks started per
                              second in the window and how late they started
  baseline_checks_per_s / baseline_lag_p99_s  the same before the clients
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AERICH_NO_TORTOISE_V1_WARNING", "1")

from bench._database import bench_settings, percentile, print_report, use_uvloop  # noqa: E402
from bench._target_server import TargetProcess  # noqa: E402
from bench.pings import (  # noqa: E402
    PACE_S,
    START_LEAD_S,
    ChildChecker,
    LocalChecker,
    Meter,
    _copies,
    _received,
    against_target,
    spread_checks,
)
from bench.scheduler import own_cpu_seconds, peak_rss_mb  # noqa: E402

SLUG = "bench"
GROUP_SIZE = 20
INCIDENT_SHARE = 0.1  # of the page's monitors, each with a few incidents in the 90 days


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--what", choices=("page", "json", "badge"), default="page")
    parser.add_argument("--monitors", type=int, default=100, help="on the page")
    parser.add_argument("--rate", type=float, default=200, help="requests per second")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32, help="the clients' pool")
    parser.add_argument("--checks-per-s", type=int, default=200, help="the HTTP load")
    parser.add_argument("--interval", type=int, default=60, help="of the HTTP monitors")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--baseline", type=float, default=3, help="seconds, scheduler alone")
    parser.add_argument(
        "--checker-process",
        action="store_true",
        help="the checks in a process of their own (as CHECKER_PROCESSES runs them)",
    )
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


# The client (a separate process) ------------------------------------------------------


def client_process(conn, urls: list[str], args: argparse.Namespace) -> None:
    """The client's process: open the pool, say "ready", wait for "go", send, report."""
    use_uvloop(args.uvloop)
    conn.send(asyncio.run(_client(conn, urls, args)))


async def _client(conn, urls: list[str], args: argparse.Namespace) -> dict:
    """Requests at the rate, going round `urls` (one, or the badges)."""
    total = int(args.rate * args.duration)
    clock = time.perf_counter
    latencies: list[float] = []
    late: list[float] = []
    statuses: Counter[str] = Counter()
    sizes: list[int] = []
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=args.connections),
        timeout=aiohttp.ClientTimeout(total=None),
        headers={"Accept-Encoding": "gzip", "Accept-Language": "en"},
        auto_decompress=False,  # a browser's work, not the server's
    ) as session:

        async def get(at: float, url: str) -> None:
            started = clock()
            late.append(started - at)
            try:
                async with session.get(url) as reply:
                    body = await reply.read()
                    status: int | str = reply.status
            except Exception as exc:  # counted by kind
                status, body = type(exc).__name__, b""
            latencies.append(clock() - started)
            statuses[str(status)] += 1
            sizes.append(len(body))

        await asyncio.gather(*(get(clock(), url) for url in urls))  # warm up: fill the caches
        await asyncio.gather(*(get(clock(), urls[0]) for _ in range(args.connections)))
        latencies.clear(), late.clear(), statuses.clear(), sizes.clear()
        conn.send("ready")
        conn.recv()  # "go"
        cpu0 = own_cpu_seconds()
        pending: set[asyncio.Task] = set()
        t0 = clock()
        sent = 0
        while sent < total:
            due = min(total, int((clock() - t0) * args.rate) + 1)
            while sent < due:
                task = asyncio.create_task(get(t0 + sent / args.rate, urls[sent % len(urls)]))
                pending.add(task)
                task.add_done_callback(pending.discard)
                sent += 1
            await asyncio.sleep(PACE_S)
        if pending:
            await asyncio.wait(pending, timeout=60)
        for task in pending:
            task.cancel()
            statuses["no answer in 60 s"] += 1
        window = clock() - t0
    return {
        "sent": total,
        "statuses": dict(statuses),
        "latencies": latencies,
        "late": late,
        "size": max(sizes, default=0),
        "window_s": window,
        "cpu_s": own_cpu_seconds() - cpu0,
    }


# The app's process ---------------------------------------------------------------------


async def fill(runtime, args: argparse.Namespace, target: TargetProcess) -> list[str]:
    """The HTTP monitors, the page of the first --monitors, and their history (module
    doc): rows as the app stores them. Returns the paths to ask for."""
    from datetime import UTC, datetime, timedelta

    from tortoise.transactions import in_transaction

    from core.aggregates import Aggregate
    from core.badges import badge_token_of
    from core.i18n import use_locale
    from core.monitors import create_monitor
    from core.series import DAY, HOUR, floor_day, floor_hour
    from db import rollups
    from db.bulk import is_postgres
    from db.connection import current_connection
    from db.models import (
        Incident,
        MaintenanceWindow,
        Monitor,
        StatusPage,
        StatusPageGroup,
        StatusPageMonitor,
        User,
    )

    rng = random.Random(args.seed)
    owner = await User.create(telegram_id=1, display_name="bench")
    with use_locale("en"):
        site = await create_monitor(
            runtime, owner, f"http://127.0.0.1:{target.http_port}/m/0", "m0",
            interval_seconds=args.interval,
        )  # fmt: skip

    def numbered(i: int, copy) -> None:
        copy.url = copy.url.replace("/m/0", f"/m/{i + 1}")
        copy.name = f"m{i + 1}"

    count = max(args.checks_per_s * args.interval, args.monitors)
    await Monitor.bulk_create(_copies(site, count - 1, numbered), batch_size=1000)
    ids = await Monitor.all().order_by("id").limit(args.monitors).values_list("id", flat=True)
    await Monitor.filter(id__in=ids).update(state="up", last_latency_ms=42)

    page = await StatusPage.create(owner=owner, slug=SLUG, title="Bench status",
                                   description="A page of many monitors.")  # fmt: skip
    items = []
    for start in range(0, len(ids), GROUP_SIZE):
        group = await StatusPageGroup.create(page=page, name=f"Group {start // GROUP_SIZE + 1}",
                                             position=start)  # fmt: skip
        items += [
            StatusPageMonitor(page=page, group=group, monitor_id=monitor_id, position=n,
                              show_url=n % 2 == 0)
            for n, monitor_id in enumerate(ids[start : start + GROUP_SIZE])
        ]  # fmt: skip
    await StatusPageMonitor.bulk_create(items, batch_size=1000)

    now = datetime.now(UTC)
    today, hour = floor_day(now), floor_hour(now)

    def figures(checks: int) -> Aggregate:
        failures = rng.choice((0, 0, 0, 0, 1, 2, checks // 50))
        ok = checks - failures
        latency = rng.randrange(30, 300)
        return Aggregate(
            checks=checks, failures=failures, latency_count=ok, latency_sum=ok * latency,
            latency_min=latency // 2, latency_max=latency * 3,
            buckets={str(b): ok // 5 for b in range(20, 25)},
        )  # fmt: skip

    daily = {(m, today - d * DAY): figures(2880) for m in ids for d in range(90)}
    hourly = {(m, hour - h * HOUR): figures(120) for m in ids for h in range(24)}
    async with in_transaction(current_connection().connection_name) as conn:
        await rollups.upsert(conn, "rollups_daily", daily)
        await rollups.upsert(conn, "rollups_hourly", hourly)
    incidents = []
    for monitor_id in rng.sample(list(ids), max(1, int(len(ids) * INCIDENT_SHARE))):
        for _ in range(3):
            started = now - timedelta(minutes=rng.randrange(60, 89 * 24 * 60))
            incidents.append(Incident(monitor_id=monitor_id, started_at=started,
                                      resolved_at=started + timedelta(minutes=rng.randrange(2, 90)),
                                      cause="timeout"))  # fmt: skip
    await Incident.bulk_create(incidents)
    await MaintenanceWindow.create(owner=owner, starts_at=now + timedelta(days=2),
                                   ends_at=now + timedelta(days=2, hours=1))  # fmt: skip
    conn = current_connection()
    await conn.execute_script("ANALYZE" if is_postgres(conn) else "ANALYZE;")
    if args.what == "json":
        return [f"/status/{SLUG}.json"]
    if args.what == "page":
        return [f"/status/{SLUG}"]
    paths = []
    for monitor in await Monitor.filter(id__in=ids).order_by("id"):
        token = await badge_token_of(monitor)
        paths += [f"/badge/{token}/status.svg", f"/badge/{token}/uptime.svg?window=30d",
                  f"/badge/{token}/latency.svg"]  # fmt: skip
    return paths


async def timed_builds(app, what: str) -> tuple[float, float]:
    """One read of the page's data and one rendering of it, in ms, measured apart."""
    from api.status_page import STATUS_PAGES_KEY
    from core.page_view import page_view, view_json
    from web.pages import render_page

    started = time.perf_counter()
    view = await page_view(SLUG, app[STATUS_PAGES_KEY].clock.now())
    read = time.perf_counter()
    if what == "json":
        json.dumps(await view_json(view), ensure_ascii=False)
    elif what == "page":
        await render_page(view, "en")
    return (read - started) * 1000, (time.perf_counter() - read) * 1000


async def measure(args: argparse.Namespace, runtime, paths: list[str], ca_file: str) -> dict:
    """Serve the app and run the engine as run.py does; the baseline, then the clients."""
    from aiohttp import web

    from api.app import create_app
    from api.app_keys import PING_INTAKE_KEY
    from api.status_page import STATUS_PAGES_KEY
    from core.runtime import freeze_startup_objects

    app = create_app(runtime)
    runner = web.AppRunner(app, shutdown_timeout=1.0, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    parent, child = mp.Pipe()
    base = f"http://127.0.0.1:{port}"
    client = mp.get_context("spawn").Process(
        target=client_process, args=(child, [base + path for path in paths], args)
    )
    client.start()
    checker = (
        ChildChecker(runtime.settings.database_url, ca_file, args)
        if args.checker_process
        else LocalChecker(runtime)
    )
    pages = app[STATUS_PAGES_KEY]
    try:
        await _received(parent, 120)  # "ready": its pool is open, the page built once
        await checker.launch()  # a process takes seconds to start: before the lead
        await spread_checks(args.interval)
        await checker.start()
        freeze_startup_objects()
        meter = Meter(checker, app[PING_INTAKE_KEY])
        await asyncio.sleep(START_LEAD_S)
        await checker.clear_lags()
        before = await meter.read()
        await asyncio.sleep(args.baseline)
        baseline = await meter.since(before)
        baseline_lags = await checker.lags()
        await checker.clear_lags()
        builds = (pages.views.builds, pages.bodies.builds)
        before = await meter.read()
        parent.send("go")
        seen = await _received(parent, args.duration + 120)
        window = await meter.since(before)
        lags = await checker.lags()
        builds = (pages.views.builds - builds[0], pages.bodies.builds - builds[1])
        timings = await timed_builds(app, args.what) if args.what != "badge" else (None, None)
    finally:
        client.join(10)
        if client.is_alive():
            client.terminate()
        await checker.stop()
        await runner.cleanup()
    return figures(args, paths[0], seen, window, baseline, lags, baseline_lags, builds,
                   timings)  # fmt: skip


def figures(
    args: argparse.Namespace, path: str, seen: dict, window: dict, baseline: dict,
    lags: list[float], baseline_lags: list[float], builds: tuple[int, int],
    timings: tuple[float | None, float | None],
) -> dict:  # fmt: skip
    answered = seen["statuses"].get("200", 0)
    per_1000 = 1000 / max(answered, 1)

    def cost(key: str) -> tuple[float | None, float | None]:
        if window[key] is None:
            return None, None
        net = window[key] - baseline[key] / baseline["t"] * window["t"]
        return round(window[key] * per_1000, 3), round(net * per_1000, 3)

    app, app_net = cost("app")
    db, db_net = cost("db")
    latencies = [s * 1000 for s in seen["latencies"]]
    return {
        "what": args.what,
        "path": path,
        "database": "sqlite" if args.sqlite else "postgres",
        "monitors": args.monitors,
        "answered_per_s": round(answered / seen["window_s"], 1),
        "asked_per_s": args.rate,
        "sent": seen["sent"],
        "statuses": seen["statuses"],
        "latency_p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "latency_p99_ms": round(percentile(latencies, 0.99), 2) if latencies else None,
        "latency_max_ms": round(max(latencies), 2) if latencies else None,
        "client_late_p99_ms": round(percentile(seen["late"], 0.99) * 1000, 2),
        "body_kb": round(seen["size"] / 1024, 1),
        "app_cpu_s_per_1000": app,
        "app_cpu_s_per_1000_net": app_net,
        "db_cpu_s_per_1000": db,
        "db_cpu_s_per_1000_net": db_net,
        "page_reads": builds[0],
        "renders": builds[1],
        "read_ms": None if timings[0] is None else round(timings[0], 1),
        "render_ms": None if timings[1] is None else round(timings[1], 1),
        "checks_per_s": round(window["checks"] / window["t"], 1),
        "baseline_checks_per_s": round(baseline["checks"] / baseline["t"], 1),
        "lag_p50_s": round(max(0.0, statistics.median(lags)), 4) if lags else None,
        "lag_p99_s": round(max(0.0, percentile(lags, 0.99)), 4) if lags else None,
        "lag_max_s": round(max(lags), 4) if lags else None,
        "baseline_lag_p99_s": (
            round(max(0.0, percentile(baseline_lags, 0.99)), 4) if baseline_lags else None
        ),
        "client_cpu_s": round(seen["cpu_s"], 2),
        "window_s": round(seen["window_s"], 1),
        "rss_peak_mb": round(peak_rss_mb(), 1),
        "connections": args.connections,
        "loop": "uvloop" if args.uvloop else "asyncio",
        "app_processes": 2 if args.checker_process else 1,
        "cpus": os.cpu_count(),
    }


async def run(args: argparse.Namespace, url: str, target: TargetProcess) -> dict:
    from core.probe import Probe, make_ssl_context
    from core.runtime import Runtime
    from db.connection import close_database, open_database

    await open_database(url)
    probe = Probe(ssl_context=make_ssl_context(cafile=target.ca_file))
    try:
        runtime = Runtime(settings=bench_settings(url, args.concurrency), probe=probe)
        paths = await fill(runtime, args, target)
        return await measure(args, runtime, paths, target.ca_file)
    finally:
        await probe.close()
        await close_database()


async def main_async(args: argparse.Namespace) -> dict:
    return await against_target(args, run)


def main(argv: list[str] | None = None) -> None:
    print_report(parse_args, main_async, argv)


if __name__ == "__main__":
    main()
