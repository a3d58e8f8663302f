"""Benchmark of the real scheduler against PostgreSQL and a local target server.

    python -m bench.scheduler --monitors 30000 --interval 60 --duration 120 \
        [--kind http|tcp|dns] [--https-share 0.2] [--concurrency 100] [--restart] [--uvloop]

Creates a throw-away database on the server of DATABASE_URL (default: the local
test server), fills it with N monitors of one kind spread evenly over one interval,
runs the engine with its APScheduler jobs exactly as run.py does for D seconds, then
measures a plain loop of the same requests (fresh connections, same concurrency, same
target, no database) for comparison. The kinds' targets are the local target process's:
http GETs its HTTP/HTTPS ports (--https-share of them HTTPS), tcp opens and closes a
connection to its plain port, dns asks its DNS server for an A record and expects the
address. Prints one JSON line:

  kind                              the monitors' kind

  checks_per_s / demanded_per_s     achieved and asked-for check rates
  lag_p50_s / lag_p99_s             actual start minus due time
  cpu_ms_per_1000_checks            CPU of this (the app) process, in ms per 1,000
  cpu_s_per_1000_checks             checks started (the same figure in seconds)
  db_cpu_s_per_1000_checks          CPU of the PostgreSQL server processes, same window
  failed_checks                     checks recorded as down in the window (0 expected:
                                    the CPU figures are those of successful checks)
  rss_peak_mb                       peak resident memory of this process
  raw_checks_per_s                  the plain loop's rate (the same kind of request)
  ratio_to_raw                      checks_per_s / min(raw_checks_per_s, demanded_per_s):
                                    the share of what a plain loop could deliver for
                                    this demand (1.0 = no overhead visible)
  ratio_to_raw_max                  checks_per_s / raw_checks_per_s
  raw_cpu_ms_per_req                the plain loop's CPU per request, in ms
  cpu_ratio_to_raw                  (app + database CPU per check) / raw_cpu_ms_per_req:
                                    what a check costs over a bare request, on any machine
  resume_s (with --restart)         from the restart (half-way, after --downtime seconds
                                    down) until the last monitor was checked again
  resume_peak_per_s                 the busiest second after the restart (a thundering
                                    herd would show here)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import dns.asyncresolver

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AERICH_NO_TORTOISE_V1_WARNING", "1")

from bench._database import (  # noqa: E402
    DEFAULT_URL,
    bench_settings,
    connect,
    create_database,
    drop_database,
    percentile,
    use_uvloop,
)
from bench._target_server import (  # noqa: E402
    DNS_ADDRESS,
    DNS_NAME,
    TargetProcess,
    start_target_process,
)
from core.kinds import KINDS  # noqa: E402

BENCH_KINDS = ("http", "tcp", "dns")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--monitors", type=int, default=30000)
    parser.add_argument("--interval", type=int, default=60)
    parser.add_argument("--kind", choices=BENCH_KINDS, default="http")
    parser.add_argument("--duration", type=float, default=120)
    parser.add_argument("--https-share", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--raw-seconds", type=float, default=15)
    parser.add_argument("--restart", action="store_true")
    parser.add_argument("--downtime", type=float, default=0.0, help="seconds down at restart")
    parser.add_argument("--uvloop", action="store_true")
    return parser.parse_args(argv)


def postgres_cpu_seconds(pids: Collection[int] | None = None) -> float:
    """CPU seconds of the PostgreSQL server: every live postgres process, plus what the
    postmaster has collected from backends that already exited (cutime + cstime). With
    `pids`, only those processes' own CPU (one database's backends on a shared server)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    entries = Path("/proc").iterdir() if pids is None else (Path(f"/proc/{p}") for p in pids)
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        if not name.startswith("postgres"):
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if pids is None and (fields[1] == "1" or not _is_postgres_child(fields[1])):
            total += int(fields[13]) + int(fields[14])  # the postmaster's cutime, cstime
    return total / ticks


def _is_postgres_child(parent_pid: str) -> bool:
    try:
        stat = Path(f"/proc/{parent_pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.index("(") + 1 : stat.rindex(")")].startswith("postgres")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def kind_params(kind: str, target: TargetProcess) -> dict | None:
    """The `params` of a benchmark monitor of `kind` (None for http: its URL says it all)."""
    if kind == "tcp":
        return {"host": "127.0.0.1", "port": target.http_port, "tls": False}
    if kind == "dns":
        return {
            "host": DNS_NAME,
            "record_type": "A",
            "expected": [DNS_ADDRESS],
            "resolver": target.dns_resolver,
        }
    return None


async def fill(url: str, args: argparse.Namespace, target: TargetProcess) -> None:
    """N monitors spread evenly over one interval, starting a few seconds from now."""
    params = kind_params(args.kind, target)
    if params is None:  # http: a path per monitor, --https-share of them HTTPS
        https_url = f"https://127.0.0.1:{target.https_port}"
        http_url = f"http://127.0.0.1:{target.http_port}"
        https_every = round(1 / args.https_share) if args.https_share > 0 else 0
    else:  # every monitor of another kind has the same target
        https_url = http_url = KINDS[args.kind].target(params)
        https_every = 0
    conn = await connect(url)
    try:
        owner = await conn.fetchval(
            "INSERT INTO users (telegram_id, display_name, email_verified, email_code_attempts,"
            " blocked_bot, reminder_interval_minutes, created_at)"
            " VALUES (1, 'bench', false, 0, false, 0, now()) RETURNING id"
        )
        await conn.execute(
            """
            INSERT INTO monitors (owner_id, kind, params, name, url, method, headers,
                interval_seconds, retry_interval_seconds, timeout_seconds,
                accepted_status_codes, keyword_mode,
                cert_warning_days, failure_threshold, success_threshold, paused, state,
                consecutive_failures, consecutive_successes, next_check_at, created_at,
                updated_at)
            SELECT $1, $7::text, $8::jsonb, 'm' || g,
                CASE WHEN $6 > 0 AND g % $6 = 0 THEN $4 ELSE $5 END
                    || CASE WHEN $7::text = 'http' THEN '/m/' || g ELSE '' END,
                'GET', '{}', $2, $2, 10, '200-399', 'present', '[14, 7, 3, 1]', 3, 2,
                false, 'unknown', 0, 0,
                now() + interval '3 seconds' + make_interval(secs => g::float8 * $2::int / $3::int),
                now(), now()
            FROM generate_series(0, $3 - 1) AS g
            """,
            owner,
            args.interval,
            args.monitors,
            https_url,
            http_url,
            https_every,
            args.kind,
            None if params is None else json.dumps(params),
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def first_checks_after(moment: datetime) -> tuple[int, datetime]:
    """How many monitors were checked after `moment`, and when the last of them was
    first checked: the time by which every monitor was back on schedule."""
    from db.connection import current_connection

    _, rows = await current_connection().execute_query(
        "SELECT count(*) AS n, max(first) AS last_first FROM ("
        " SELECT min(checked_at) AS first FROM check_logs WHERE checked_at >= $1"
        " GROUP BY monitor_id) AS firsts",
        [moment],
    )
    return rows[0]["n"], rows[0]["last_first"]


async def failed_checks_after(moment: datetime) -> int:
    """Checks recorded as down since `moment`: a benchmark of failing checks would
    measure error paths, not the kind's check."""
    from db.connection import current_connection

    _, rows = await current_connection().execute_query(
        "SELECT count(*) AS n FROM check_logs WHERE checked_at >= $1 AND NOT ok", [moment]
    )
    return rows[0]["n"]


async def busiest_second(moment: datetime, interval: int) -> int:
    """The most checks started in one second during the interval after `moment`: near
    the demanded rate without a thundering herd, far above it with one."""
    from db.connection import current_connection

    _, rows = await current_connection().execute_query(
        "SELECT count(*) AS n, floor(EXTRACT(EPOCH FROM checked_at - $1::timestamptz)) AS s"
        " FROM check_logs WHERE checked_at >= $1"
        " AND checked_at < $1 + make_interval(secs => $2::int)"
        " GROUP BY s ORDER BY n DESC LIMIT 5",
        [moment, interval],
    )
    return rows[0]["n"] if rows else 0


async def run_engine(args: argparse.Namespace, url: str, ca_file: str) -> dict:
    from core import runtime
    from core.probe import Probe, make_ssl_context
    from db.connection import close_database, open_database
    from scheduler.engine import Engine
    from scheduler.runner import create_scheduler, register_jobs

    settings = bench_settings(url, args.concurrency)
    await open_database(url)
    probe = Probe(ssl_context=make_ssl_context(cafile=ca_file))

    async def start() -> tuple[Engine, object]:
        engine = Engine(settings, probe)
        await engine.start()
        scheduler = create_scheduler()
        register_jobs(scheduler, engine)
        scheduler.start()
        return engine, scheduler

    async def stop(engine: Engine, scheduler) -> None:
        scheduler.shutdown(wait=False)
        await engine.stop(timeout=5)

    figures: dict = {}
    engine, scheduler = await start()
    runtime.freeze_startup_objects()  # as run.py does once started
    await asyncio.sleep(3)  # the first monitors come due three seconds after filling
    cpu0, db0, t0 = own_cpu_seconds(), postgres_cpu_seconds(), time.monotonic()
    window_start = datetime.now(UTC)
    started0 = engine.started_checks
    lags: list[float] = []
    engine.lags.clear()
    started = engine.started_checks - started0
    if args.restart:
        await asyncio.sleep(args.duration / 2)
        lags.extend(engine.lags)
        started = engine.started_checks - started0
        await stop(engine, scheduler)
        await asyncio.sleep(args.downtime)
        restart_at = datetime.now(UTC)
        engine, scheduler = await start()
        remaining = args.duration - (time.monotonic() - t0)
        # Long enough after the restart for every monitor to come round once.
        await asyncio.sleep(max(remaining, args.interval + 5.0))
        checked, last_first = await first_checks_after(restart_at)
        figures["resume_s"] = (
            round((last_first - restart_at).total_seconds(), 2)
            if checked == args.monitors
            else None
        )
        figures["resumed_monitors"] = checked
        figures["resume_peak_per_s"] = await busiest_second(restart_at, args.interval)
    else:
        await asyncio.sleep(args.duration)
    lags.extend(engine.lags)
    started += engine.started_checks - (0 if args.restart else started0)
    elapsed = time.monotonic() - t0 - (args.downtime if args.restart else 0.0)
    cpu = own_cpu_seconds() - cpu0
    db_cpu = postgres_cpu_seconds() - db0
    await stop(engine, scheduler)
    figures["failed_checks"] = await failed_checks_after(window_start)
    await probe.close()
    await close_database()
    per_1000 = 1000 / max(started, 1)
    figures.update(
        checks_per_s=round(started / elapsed, 1),
        # Timers may fire up to the clock's resolution early; an early start counts as 0.
        lag_p50_s=round(max(0.0, statistics.median(lags)), 4) if lags else None,
        lag_p99_s=round(max(0.0, percentile(lags, 0.99)), 4),
        cpu_ms_per_1000_checks=round(cpu * per_1000 * 1000, 1),
        cpu_s_per_1000_checks=round(cpu * per_1000, 3),
        db_cpu_s_per_1000_checks=round(db_cpu * per_1000, 3),
        checks=started,
        window_s=round(elapsed, 1),
    )
    return figures


async def raw_loop(args: argparse.Namespace, target: TargetProcess) -> tuple[float, float]:
    """A plain loop of the kind's request: fresh connections, same concurrency, same
    targets (for http the same URL mix), no scheduler, no database. Returns its rate
    (requests/s) and its CPU per request (ms, this process's)."""
    from core.probe import make_ssl_context

    https_every = round(1 / args.https_share) if args.https_share > 0 else 0
    connector = aiohttp.TCPConnector(
        limit=0, force_close=True, ssl=make_ssl_context(target.ca_file)
    )
    loop = asyncio.get_running_loop()
    resolver = dns.asyncresolver.Resolver(configure=False)
    host, port = target.dns_resolver.rsplit(":", 1)
    resolver.nameservers, resolver.port = [host], int(port)

    async with aiohttp.ClientSession(connector=connector) as session:

        async def http_request(g: int) -> None:
            scheme, port = (
                ("https", target.https_port)
                if https_every and g % https_every == 0
                else ("http", target.http_port)
            )
            async with session.get(f"{scheme}://127.0.0.1:{port}/m/{g}") as resp:
                await resp.read()

        async def tcp_request(g: int) -> None:
            transport, _ = await loop.create_connection(
                asyncio.Protocol, host="127.0.0.1", port=target.http_port
            )
            transport.abort()

        async def dns_request(g: int) -> None:
            await resolver.resolve(DNS_NAME, "A", search=False)

        request = {"http": http_request, "tcp": tcp_request, "dns": dns_request}[args.kind]
        done = 0
        deadline = time.monotonic() + args.raw_seconds

        async def worker(offset: int) -> None:
            nonlocal done
            g = offset
            while time.monotonic() < deadline:
                await request(g)
                done += 1
                g += args.concurrency

        started, cpu_before = time.monotonic(), own_cpu_seconds()
        await asyncio.gather(*(worker(i) for i in range(args.concurrency)))
        cpu_ms = (own_cpu_seconds() - cpu_before) * 1000
        return done / (time.monotonic() - started), cpu_ms / max(done, 1)


async def main_async(args: argparse.Namespace) -> dict:
    server_url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    from db.urls import normalize_database_url

    server_url = normalize_database_url(server_url)
    if not server_url.startswith("postgres://"):
        raise SystemExit("bench.scheduler needs PostgreSQL: set DATABASE_URL=postgres://...")
    target = start_target_process()
    url = await create_database(server_url)
    try:
        from db.migrate import upgrade

        await upgrade(url)
        await fill(url, args, target)
        figures = await run_engine(args, url, target.ca_file)
        raw, raw_cpu_ms = await raw_loop(args, target)
    finally:
        target.stop()
        await drop_database(server_url, url)
    demanded = args.monitors / args.interval
    figures.update(
        kind=args.kind,
        demanded_per_s=round(demanded, 1),
        raw_checks_per_s=round(raw, 1),
        ratio_to_raw=round(figures["checks_per_s"] / min(raw, demanded), 3),
        ratio_to_raw_max=round(figures["checks_per_s"] / raw, 3),
        raw_cpu_ms_per_req=round(raw_cpu_ms, 3),
        # app + database CPU per check (s per 1,000 = ms per check) over the loop's
        cpu_ratio_to_raw=round(
            (figures["cpu_s_per_1000_checks"] + figures["db_cpu_s_per_1000_checks"]) / raw_cpu_ms,
            2,
        ),
        rss_peak_mb=round(peak_rss_mb(), 1),
        monitors=args.monitors,
        interval_s=args.interval,
        https_share=args.https_share if args.kind == "http" else None,
        concurrency=args.concurrency,
        loop="uvloop" if args.uvloop else "asyncio",
        cpus=os.cpu_count(),
    )
    return figures


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    use_uvloop(args.uvloop)
    print(json.dumps(asyncio.run(main_async(args))))


if __name__ == "__main__":
    main()
