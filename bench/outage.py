"""Benchmark of a PostgreSQL outage: what the scheduler does before, during and after.

    python -m bench.outage --monitors 1000 --interval 10 --outage 30 [--before 30] [--after 60]

Creates a throw-away database on the server of DATABASE_URL (default: the local test
server), fills it with N monitors spread evenly over one interval, and runs the engine
with its APScheduler jobs as run.py does, plus the outbox's leadership check every
second and the rollups every 10 s, all reaching PostgreSQL through a TCP proxy. After
`--before` seconds the proxy is cut for `--outage` seconds, then restored; the run goes
on for `--after` seconds. Logging is set up as run.py sets it (INFO). Prints one JSON
line:

  starts_per_s_before / _during / _after / _later
        [min, max] checks started per second in the `--before` window's last 20 s,
        during the outage, in the 20 s after it, and in the last 20 s of the run
  longest_gap_s     the longest time a monitor went unchecked from the outage's start
                    to the end (one interval on schedule)
  log_lines_outage  WARNING and above written from the cut until 5 s after the restore,
  log_lines_by_logger  and by logger
  recorded_checks   results written by the end
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AERICH_NO_TORTOISE_V1_WARNING", "1")

from bench._database import bench_settings, migrated_database  # noqa: E402
from bench._target_server import start_target_process  # noqa: E402
from bench.scheduler import fill  # noqa: E402


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument("--interval", type=int, default=10)
    parser.add_argument("--outage", type=float, default=30)
    parser.add_argument("--before", type=float, default=30)
    parser.add_argument("--after", type=float, default=60)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args(argv)
    args.https_share, args.kind = 0.0, "http"
    return args


class Lines(logging.Handler):
    """Every record written, with the time it was written."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[float, logging.LogRecord]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((time.time(), record))


def span(starts: list[float], since: float, until: float) -> list[int]:
    """[min, max] starts per whole second in [since, until)."""
    buckets = Counter(int(t - since) for t in starts if since <= t < until)
    counts = [buckets.get(s, 0) for s in range(int(until - since))]
    return [min(counts), max(counts)] if counts else [0, 0]


async def run(args: argparse.Namespace, url: str, target) -> dict:
    from core.kinds.http import Spec as ProbeSpec
    from core.logs import configure_logging
    from core.probe import Probe, make_ssl_context
    from db.connection import close_database, open_database
    from db.leader import Leadership
    from scheduler.engine import Engine
    from scheduler.rollups import roll_up_job
    from scheduler.runner import create_scheduler, register_jobs
    from tests.support.tcp_proxy import TcpProxy

    host_port = url.split("@", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    proxy = TcpProxy(host, int(port or 5432))
    await proxy.start()
    app_url = url.replace(f"@{host_port}/", f"@127.0.0.1:{proxy.port}/")

    configure_logging("INFO", [])
    lines = Lines()
    logging.getLogger().addHandler(lines)
    starts: dict[str, list[float]] = defaultdict(list)

    class TimedProbe(Probe):
        async def check(self, spec: ProbeSpec):
            starts[spec.url].append(time.time())
            return await super().check(spec)

    settings = bench_settings(app_url, args.concurrency)
    await open_database(app_url)
    probe = TimedProbe(ssl_context=make_ssl_context(cafile=target.ca_file))
    engine = Engine(settings, probe)
    await engine.start()
    leadership = Leadership(app_url)
    scheduler = create_scheduler()
    register_jobs(scheduler, engine)
    scheduler.add_job(leadership.check, "interval", seconds=1, id="leadership")
    scheduler.add_job(roll_up_job, "interval", seconds=10, id="rollups")
    scheduler.start()

    await asyncio.sleep(3 + args.before)
    cut_at = time.time()
    await proxy.cut()
    await asyncio.sleep(args.outage)
    await proxy.start()
    back_at = time.time()
    await asyncio.sleep(args.after)
    end_at = time.time()
    scheduler.shutdown(wait=False)
    await engine.stop(timeout=5)
    await leadership.close()
    await probe.close()
    await close_database()
    await proxy.cut()
    logging.getLogger().removeHandler(lines)

    every = [t for times in starts.values() for t in times]
    gaps = []
    for times in starts.values():
        seen = [cut_at - args.interval] + [t for t in times if t >= cut_at - args.interval]
        seen.append(end_at)
        gaps.append(max(b - a for a, b in itertools.pairwise(seen)))
    outage_lines = [
        r for t, r in lines.records if cut_at <= t < back_at + 5 and r.levelno >= logging.WARNING
    ]
    return {
        "starts_per_s_before": span(every, cut_at - 20, cut_at),
        "starts_per_s_during": span(every, cut_at, back_at),
        "starts_per_s_after": span(every, back_at, back_at + 20),
        "starts_per_s_later": span(every, end_at - 20, end_at),
        "longest_gap_s": round(max(gaps), 1),
        "log_lines_outage": len(outage_lines),
        "log_lines_by_logger": dict(Counter(r.name for r in outage_lines)),
        "log_lines_outage_all_levels": sum(
            1 for t, _ in lines.records if cut_at <= t < back_at + 5
        ),
        "recorded_checks": engine.recorded_checks,
        "monitors": args.monitors,
        "interval_s": args.interval,
        "outage_s": args.outage,
    }


async def main_async(args: argparse.Namespace) -> dict:
    target = start_target_process()
    try:
        async with migrated_database("bench.outage") as url:
            await fill(url, args, target)
            return await run(args, url, target)
    finally:
        target.stop()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    print(json.dumps(asyncio.run(main_async(args))))


if __name__ == "__main__":
    main()
