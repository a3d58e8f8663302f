"""Benchmark of push monitors' pings: the real web app taking a stream of pings from
another process while the scheduler keeps checking HTTP monitors.

    python -m bench.pings --monitors 10000 --rate 2000 --duration 20 [--uvloop] \
        [--checks-per-s 200] [--connections 256] [--client aiohttp|raw] \
        [--fail-share 0.05] [--checker-process] [--sqlite]

Creates a throw-away database (PostgreSQL on the server of DATABASE_URL, by default the
local test server; SQLite in a temporary file with --sqlite, or when DATABASE_URL is
unset and the local server does not answer), N push monitors (period --period, grace
--grace; copies, each with its own token, of one made by core.monitors.create_monitor)
and checks_per_s x --interval HTTP monitors spread over one interval against the
local target process (bench/_target_server.py). This process runs what run.py runs
for them: the web app (api.app.create_app: the ping endpoints and their group-commit
intake) and the engine with its APScheduler jobs; with --checker-process the engine
runs in a process of its own instead, as `ROLES=checker` runs it beside a front process
of `ROLES=api,bot,outbox`. Once the checks run, the scheduler
alone is measured for --baseline seconds; then a client in a separate process (a pool
of --connections keep-alive connections) sends R pings a second for D seconds, open
loop (each on its schedule, whatever the earlier answers), over the N tokens in a
shuffled round (about R/N pings per token and second: keep it under the endpoint's 10/s
per token). The mix: of the non-failing share, GET 55%, HEAD 5%, POST with a body (up
to 12 KB) 15%, exit status 0 (POST, body) 10%, start 15%; --fail-share are /fail or a
non-zero exit status, with a body. The client is aiohttp's, or with --client raw plain
HTTP/1.1 on asyncio: a third of the CPU (about 70 against 180 us a request), which on a
small machine is CPU the measured processes get back. Prints one JSON line:

  database                          postgres | sqlite
  accepted_per_s                    pings answered 200 per second of the client's window
                                    (first send to last answer)
  sent / accepted / statuses        pings sent, answered 200, and every answer by status
  latency_p50_ms / _p99_ms / _max_ms  from the request's start to its answer read, as
                                    the client measures it (a wait for a free pooled
                                    connection included)
  latency_p99_ms_by_quarter         the p99 of the pings sent in each quarter of the
                                    window: a rise shows a cost that grows as the run
                                    goes on (dead row versions piling up, say)
  client_late_p99_ms                how late the client started requests against its
                                    schedule (a client short of CPU shows here)
  app_cpu_s_per_1000_pings          CPU of the app's processes (web app, intake, engine;
                                    the checker's too with --checker-process) in the
                                    window, per 1,000 accepted pings
  app_cpu_s_per_1000_pings_net      the same less the scheduler's own CPU rate (baseline)
  db_cpu_s_per_1000_pings (_net)    PostgreSQL's CPU, the same way: this database's
                                    backends and the server's background processes (WAL
                                    writer, checkpointer...), read from /proc (null on
                                    SQLite: it runs inside this process)
  db_server_cpu_s_per_1000_pings    every postgres process (other databases' sessions on
                                    a shared server included)
  recorded_pings / nothing_lost     rows in `pings` once stopped; whether they equal the
                                    accepted pings (a ping is durable before its 200)
  push_results / push_results_expected  check_logs rows of push monitors, and the
                                    accepted pings that end a run (all but starts): each
                                    success and failure is a result
  checks_per_s / lag_p50_s / lag_p99_s / lag_max_s  the engine's checks started per
                                    second in the window and their start lag
  baseline_checks_per_s             the same before the pings
  intake_batches / intake_avg_batch  transactions the intake committed, pings per one
  client_cpu_s                      CPU of the client process (it shares the machine)
  rss_peak_mb                       peak resident memory of this process
  app_processes                     1, or 2 with --checker-process
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from yarl import URL

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AERICH_NO_TORTOISE_V1_WARNING", "1")

from bench._database import (  # noqa: E402
    DEFAULT_URL,
    bench_settings,
    migrated_database,
    migrated_sqlite_database,
    percentile,
    postgres_answers,
    print_report,
    use_uvloop,
)
from bench._target_server import TargetProcess, start_target_process  # noqa: E402
from bench.scheduler import own_cpu_seconds, peak_rss_mb, postgres_cpu_seconds  # noqa: E402

USER_AGENT = "bench-job/1.0 (curl-like)"
START_LEAD_S = 3.0  # the first HTTP checks come due this long after filling
# The client wakes this often and sends every ping due by then: a sleep per ping (every
# 0.5 ms at 2,000/s) cost the client three times the CPU of its requests.
PACE_S = 0.002


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--monitors", type=int, default=10000, help="push monitors")
    parser.add_argument("--rate", type=float, default=2000, help="pings per second")
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--period", type=int, default=3600)
    parser.add_argument("--grace", type=int, default=600)
    parser.add_argument("--fail-share", type=float, default=0.05)
    parser.add_argument("--connections", type=int, default=256, help="the client's pool")
    parser.add_argument(
        "--client", choices=("aiohttp", "raw"), default="aiohttp", help="the client's HTTP"
    )
    parser.add_argument("--checks-per-s", type=int, default=200, help="the HTTP load")
    parser.add_argument("--interval", type=int, default=60, help="of the HTTP monitors")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--baseline", type=float, default=5, help="seconds, scheduler alone")
    parser.add_argument(
        "--checker-process",
        action="store_true",
        help="run the engine in a process of its own, as ROLES=checker does",
    )
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


# The client (a separate process) ------------------------------------------------------


def _body(rng: random.Random, failing: bool) -> bytes:
    """What a job might POST: a few log lines, now and then more than the 10 KB kept."""
    line = (
        f"error: disk full on /var/backups (run {rng.randrange(10**6)})\n"
        if failing
        else f"backup done: {rng.randrange(10**5)} files, {rng.randrange(10**4)} MB\n"
    )
    lines = 300 if rng.random() < 0.02 else rng.randrange(1, 40)
    return (line * lines).encode()


def plan(
    tokens: list[str], count: int, fail_share: float, seed: int
) -> list[tuple[str, str, bytes | None, bool]]:
    """`count` requests (method, path, body, ends a run) over the tokens in a shuffled
    round, in the mix of the module doc."""
    rng = random.Random(seed)
    order = list(tokens)
    rng.shuffle(order)
    requests = []
    for i in range(count):
        token = order[i % len(order)]
        draw = rng.random()
        if draw < fail_share:
            suffix = "/fail" if rng.random() < 0.5 else f"/{rng.randrange(1, 256)}"
            requests.append(("POST", f"/ping/{token}{suffix}", _body(rng, True), True))
            continue
        draw = (draw - fail_share) / (1 - fail_share)
        if draw < 0.55:
            requests.append(("GET", f"/ping/{token}", None, True))
        elif draw < 0.60:
            requests.append(("HEAD", f"/ping/{token}", None, True))
        elif draw < 0.75:
            requests.append(("POST", f"/ping/{token}", _body(rng, False), True))
        elif draw < 0.85:
            requests.append(("POST", f"/ping/{token}/0", _body(rng, False), True))
        else:
            requests.append(("GET", f"/ping/{token}/start", None, False))
    return requests


def client_process(conn, base: str, tokens: list[str], args: argparse.Namespace) -> None:
    """The client's process: warm the pool, say "ready", wait for "go", send, report."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    conn.send(asyncio.run(_client(conn, base, tokens, args)))


class _RawConnection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one answer at a time: a ping's answer needs
    no more than its status line and Content-Length."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.answer: asyncio.Future | None = None
        self.head = False

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.answer is None or self.answer.done():
            return
        lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length" and not self.head:
                length = int(value)
        if len(self.buffer) >= end + 4 + length:
            del self.buffer[: end + 4 + length]
            self.answer.set_result(int(lines[0][9:12]))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(ConnectionResetError("closed by the server"))

    async def request(self, data: bytes, head: bool) -> int:
        self.answer, self.head = asyncio.get_running_loop().create_future(), head
        self.transport.write(data)
        return await self.answer


@asynccontextmanager
async def raw_transport(base: str, connections: int) -> AsyncIterator:
    """send(method, path, body) -> status over a pool of _RawConnections."""
    loop = asyncio.get_running_loop()
    host, port = base.removeprefix("http://").split(":")
    pool: asyncio.Queue[_RawConnection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait((await loop.create_connection(_RawConnection, host, int(port)))[1])

    async def send(method: str, path: str, body: bytes | None) -> int:
        head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\n"
        if body is not None:
            head += f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
        data = (head + "\r\n").encode() + (body or b"")
        connection = await pool.get()
        try:
            return await connection.request(data, method == "HEAD")
        except ConnectionError:
            connection = (await loop.create_connection(_RawConnection, host, int(port)))[1]
            raise
        finally:
            pool.put_nowait(connection)

    try:
        yield send
    finally:
        while not pool.empty():
            pool.get_nowait().transport.close()


@asynccontextmanager
async def aiohttp_transport(base: str, connections: int) -> AsyncIterator:
    """send(method, path, body) -> status through an aiohttp session's pool. What
    costs the client CPU it would take from the app on a small machine is avoided:
    URLs are parsed once, the headers are the session's, no timer per request (the
    wait at the end has a deadline)."""
    urls: dict[str, URL] = {}
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=None),
        headers={"User-Agent": USER_AGENT},
    ) as session:

        async def send(method: str, path: str, body: bytes | None) -> int:
            url = urls.get(path) or urls.setdefault(path, URL(base + path))
            async with session.request(method, url, data=body) as reply:
                await reply.read()
                return reply.status

        yield send


async def _client(conn, base: str, tokens: list[str], args: argparse.Namespace) -> dict:
    total = int(args.rate * args.duration)
    requests = plan(tokens, total, args.fail_share, args.seed)
    transport = raw_transport if args.client == "raw" else aiohttp_transport
    clock = time.perf_counter  # uvloop's loop.time() counts whole milliseconds
    latencies: list[float] = []
    late: list[float] = []
    sent_at: list[float] = []  # beside latencies: when each was sent
    statuses: Counter[str] = Counter()
    ended_runs = 0
    async with transport(base, args.connections) as request:

        async def send(method: str, path: str, body: bytes | None, at: float) -> int | str:
            started = clock()
            late.append(started - at)
            try:
                status: int | str = await request(method, path, body)
            except Exception as exc:  # counted by kind: a reset...
                status = type(exc).__name__
            latencies.append(clock() - started)
            sent_at.append(started)
            statuses[str(status)] += 1
            return status

        async def ping(i: int, at: float) -> None:
            nonlocal ended_runs
            method, path, body, ends_run = requests[i]
            if await send(method, path, body, at) == 200 and ends_run:
                ended_runs += 1

        # Open the pool's connections (an unknown token: 404, nothing written).
        unknown = "/ping/" + "x" * 32
        await asyncio.gather(*(send("GET", unknown, None, 0.0) for _ in range(args.connections)))
        latencies.clear(), late.clear(), sent_at.clear(), statuses.clear()
        conn.send("ready")
        conn.recv()  # "go"
        cpu0 = own_cpu_seconds()
        pending: set[asyncio.Task] = set()
        t0 = clock()
        i = 0
        while i < total:
            due = min(total, int((clock() - t0) * args.rate) + 1)
            while i < due:
                task = asyncio.create_task(ping(i, t0 + i / args.rate))
                pending.add(task)
                task.add_done_callback(pending.discard)
                i += 1
            await asyncio.sleep(PACE_S)  # then send what fell due meanwhile
        if pending:
            await asyncio.wait(pending, timeout=60)
        for task in pending:  # no answer within a minute: counted as such
            task.cancel()
            statuses["no answer in 60 s"] += 1
        window = clock() - t0
    return {
        "sent": total,
        "statuses": dict(statuses),
        "ended_runs": ended_runs,
        "latencies": latencies,
        "quarters": [min(3, int(4 * (at - t0) / window)) for at in sent_at],
        "late": late,
        "window_s": window,
        "cpu_s": own_cpu_seconds() - cpu0,
    }


async def _received(conn, timeout: float) -> object:
    """The client's next message, without blocking this process's event loop."""
    deadline = time.monotonic() + timeout
    while not conn.poll():
        if time.monotonic() > deadline:
            raise RuntimeError("the client process did not answer")
        await asyncio.sleep(0.02)
    return conn.recv()


# The app's process ---------------------------------------------------------------------


@asynccontextmanager
async def bench_database(args: argparse.Namespace) -> AsyncIterator[str]:
    """PostgreSQL (module doc) unless --sqlite, or the default server does not answer."""
    from db.urls import normalize_database_url

    chosen = os.environ.get("DATABASE_URL")
    if not args.sqlite and (chosen or await postgres_answers(DEFAULT_URL)):
        if chosen and not normalize_database_url(chosen).startswith("postgres://"):
            args.sqlite = True  # DATABASE_URL=sqlite://... asks for SQLite
        else:
            async with migrated_database("bench.pings") as url:
                yield url
            return
    args.sqlite = True
    async with migrated_sqlite_database() as url:
        yield url


def _copies(template, count: int, change) -> list:
    """`count` unsaved copies of a Monitor row; change(i, copy) makes each its own."""
    from db.models import Monitor

    columns = {n: getattr(template, n) for n in Monitor._meta.fields_db_projection if n != "id"}
    copies = []
    for i in range(count):
        copy = Monitor(**columns)
        change(i, copy)
        copies.append(copy)
    return copies


async def fill(runtime, args: argparse.Namespace, target: TargetProcess) -> list[str]:
    """The monitors (module doc), each kind copied from one create_monitor made, so the
    rows are what the app stores; returns the push monitors' tokens."""
    from core.i18n import use_locale
    from core.kinds import push
    from core.monitors import create_monitor
    from db.bulk import is_postgres
    from db.connection import current_connection
    from db.models import Monitor, User

    owner = await User.create(telegram_id=1, display_name="bench")
    with use_locale("en"):
        heartbeat = await create_monitor(
            runtime, owner, kind="push", period=args.period, grace=args.grace
        )
        site = await create_monitor(
            runtime, owner, f"http://127.0.0.1:{target.http_port}/m/0", "m0",
            interval_seconds=args.interval,
        )  # fmt: skip
    tokens = [heartbeat.ping_token]

    def tokened(_i: int, copy) -> None:
        tokens.append(push.issue_token(copy))

    await Monitor.bulk_create(_copies(heartbeat, args.monitors - 1, tokened), batch_size=1000)

    def numbered(i: int, copy) -> None:
        copy.url = copy.url.replace("/m/0", f"/m/{i + 1}")
        copy.name = f"m{i + 1}"

    sites = args.checks_per_s * args.interval
    await Monitor.bulk_create(_copies(site, sites - 1, numbered), batch_size=1000)
    conn = current_connection()
    await conn.execute_script("ANALYZE" if is_postgres(conn) else "ANALYZE;")
    return tokens


async def spread_checks(interval: int) -> None:
    """The HTTP monitors' first checks spread evenly over one interval from a moment
    START_LEAD_S away: set just before the engine starts, since a check found more than
    a moment late would wait for its next grid point (db/claims.py)."""
    from datetime import UTC, datetime, timedelta

    from db.bulk import update_rows
    from db.connection import current_connection
    from db.models import Monitor

    ids = await Monitor.filter(kind="http").order_by("id").values_list("id", flat=True)
    first = datetime.now(UTC) + timedelta(seconds=START_LEAD_S)
    step = timedelta(seconds=interval / max(len(ids), 1))
    await update_rows(
        current_connection(),
        "monitors",
        (("next_check_at", "timestamptz"),),
        [(monitor_id, [first + i * step]) for i, monitor_id in enumerate(ids)],
    )


async def monitor_updates(since: dict | None = None) -> dict:
    """How many updates of monitor rows there were, and the share of them that were HOT
    (no new index entries, no dead row left for vacuum: db/due_queue.py), since an
    earlier reading. Empty on SQLite."""
    from db.bulk import is_postgres
    from db.connection import current_connection

    conn = current_connection()
    if not is_postgres(conn):
        return {}
    await conn.execute_query("SELECT pg_stat_force_next_flush()")
    await asyncio.sleep(1.2)  # other backends flush their counts at most once a second
    _, rows = await conn.execute_query(
        "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'monitors'"
    )
    now = {"monitor_updates": rows[0]["n_tup_upd"], "hot": rows[0]["n_tup_hot_upd"]}
    if since is None:
        return now
    total = now["monitor_updates"] - since["monitor_updates"]
    return {
        "monitor_updates": total,
        "monitor_updates_hot_share": round((now["hot"] - since["hot"]) / max(total, 1), 3),
    }


async def database_pids() -> list[int] | None:
    """This database's PostgreSQL backends and the server's background processes
    (None on SQLite)."""
    from db.bulk import is_postgres
    from db.connection import current_connection

    conn = current_connection()
    if not is_postgres(conn):
        return None
    _, rows = await conn.execute_query(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() OR datname IS NULL"
    )
    return [row["pid"] for row in rows]


class LocalChecker:
    """The engine in this process, as run.py runs it with every role."""

    def __init__(self, runtime) -> None:
        from scheduler.engine import Engine

        self.engine = Engine(runtime.settings, runtime.probe, slots=runtime.slots)
        self.scheduler = None

    async def launch(self) -> None:
        pass

    async def start(self) -> None:
        from scheduler.runner import create_scheduler, register_jobs

        await self.engine.start()
        self.scheduler = create_scheduler()
        register_jobs(self.scheduler, self.engine)
        self.scheduler.start()

    async def read(self) -> dict:
        return {"cpu": 0.0, "checks": self.engine.started_checks}  # its CPU is this process's

    async def clear_lags(self) -> None:
        self.engine.lags.clear()

    async def lags(self) -> list[float]:
        return list(self.engine.lags)

    async def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.engine.stop(timeout=5)


class ChildChecker:
    """The engine in a process of its own, as run.py runs it with ROLES=checker (the
    engine's tick, nothing else), driven over a pipe."""

    def __init__(self, url: str, ca_file: str, args: argparse.Namespace) -> None:
        self.conn, child = mp.Pipe()
        self.process = mp.get_context("spawn").Process(
            target=checker_process, args=(child, url, ca_file, args)
        )

    async def _ask(self, command: str) -> object:
        self.conn.send(command)
        return await _received(self.conn, 60)

    async def launch(self) -> None:
        self.process.start()
        await _received(self.conn, 120)  # "ready": its database is open

    async def start(self) -> None:
        await self._ask("start")

    async def read(self) -> dict:
        return await self._ask("read")

    async def clear_lags(self) -> None:
        await self._ask("clear")

    async def lags(self) -> list[float]:
        return await self._ask("lags")

    async def stop(self) -> None:
        try:
            await self._ask("stop")
        finally:
            self.process.join(10)
            if self.process.is_alive():
                self.process.terminate()


def checker_process(conn, url: str, ca_file: str, args: argparse.Namespace) -> None:
    """The checker's process (ChildChecker): start, then answer commands until "stop"."""
    use_uvloop(args.uvloop)
    asyncio.run(_checker(conn, url, ca_file, args))


async def _checker(conn, url: str, ca_file: str, args: argparse.Namespace) -> None:
    from core.probe import Probe, make_ssl_context
    from core.runtime import Runtime, freeze_startup_objects
    from db.connection import close_database, open_database

    await open_database(url)
    probe = Probe(ssl_context=make_ssl_context(cafile=ca_file))
    checker = LocalChecker(Runtime(settings=bench_settings(url, args.concurrency), probe=probe))
    conn.send("ready")
    try:
        while True:
            command = await _received(conn, 3600)
            if command == "start":
                await checker.start()
                freeze_startup_objects()
                conn.send(None)
            elif command == "read":
                conn.send({**await checker.read(), "cpu": own_cpu_seconds()})
            elif command == "clear":
                await checker.clear_lags()
                conn.send(None)
            elif command == "lags":
                conn.send(await checker.lags())
            else:
                await checker.stop()
                conn.send(None)
                return
    finally:
        await probe.close()
        await close_database()


class Meter:
    """CPU of the app's processes and of the database, and the engine's and intake's
    counts, between two readings."""

    KEYS = ("t", "app", "db", "server", "checks", "written", "batches")

    def __init__(self, checker, intake) -> None:
        self.checker, self.intake = checker, intake

    async def read(self) -> dict:
        pids = await database_pids()
        checker = await self.checker.read()
        return {
            "t": time.monotonic(),
            "app": own_cpu_seconds() + checker["cpu"],
            # per process: a backend that started meanwhile counts from zero
            "db": None if pids is None else {p: postgres_cpu_seconds([p]) for p in pids},
            "server": None if pids is None else postgres_cpu_seconds(),
            "checks": checker["checks"],
            "written": self.intake.written,
            "batches": self.intake.batches,
        }

    async def since(self, before: dict) -> dict:
        after = await self.read()
        if after["db"] is not None:
            earlier = sum(before["db"].get(pid, 0.0) for pid in after["db"])
            before = {**before, "db": earlier}
            after["db"] = sum(after["db"].values())
        return {key: None if after[key] is None else after[key] - before[key] for key in self.KEYS}


async def run(args: argparse.Namespace, url: str, target: TargetProcess) -> dict:
    from core.probe import Probe, make_ssl_context
    from core.runtime import Runtime
    from db.connection import close_database, open_database

    settings = bench_settings(url, args.concurrency)
    await open_database(url)
    probe = Probe(ssl_context=make_ssl_context(cafile=target.ca_file))
    try:
        runtime = Runtime(settings=settings, probe=probe)
        tokens = await fill(runtime, args, target)
        return await measure(args, runtime, tokens, target.ca_file)
    finally:
        await probe.close()
        await close_database()


async def measure(args: argparse.Namespace, runtime, tokens: list[str], ca_file: str) -> dict:
    """Serve the app and run the engine as run.py does (in this process, or with
    --checker-process in its own); the baseline, then the pings."""
    from aiohttp import web

    from api.app import create_app
    from api.app_keys import PING_INTAKE_KEY
    from core.runtime import freeze_startup_objects
    from db.connection import current_connection

    app = create_app(runtime)
    runner = web.AppRunner(app, shutdown_timeout=1.0, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    # The client first: its process takes seconds to start, which must not eat into the
    # lead the HTTP monitors' first checks are given.
    parent, child = mp.Pipe()
    client = mp.get_context("spawn").Process(
        target=client_process, args=(child, f"http://127.0.0.1:{port}", tokens, args)
    )
    client.start()
    checker = (
        ChildChecker(runtime.settings.database_url, ca_file, args)
        if args.checker_process
        else LocalChecker(runtime)
    )
    try:
        await _received(parent, 120)  # "ready": its pool is open
        await checker.launch()  # a process takes seconds to start: before the lead
        await spread_checks(args.interval)
        await checker.start()
        freeze_startup_objects()  # as run.py does once started
        meter = Meter(checker, app[PING_INTAKE_KEY])
        await asyncio.sleep(START_LEAD_S)  # the first checks are due
        before = await meter.read()
        await asyncio.sleep(args.baseline)
        baseline = await meter.since(before)
        updates_before = await monitor_updates()
        before = await meter.read()
        await checker.clear_lags()
        parent.send("go")
        seen = await _received(parent, args.duration + 120)
        window = await meter.since(before)
        updates = await monitor_updates(since=updates_before)
        lags = await checker.lags()  # the window's: not the shutdown's
    finally:
        client.join(10)
        if client.is_alive():
            client.terminate()
        await checker.stop()
        await runner.cleanup()  # the intake writes what waits
    _, rows = await current_connection().execute_query(
        "SELECT (SELECT count(*) FROM pings) AS pings, (SELECT count(*) FROM check_logs"
        " WHERE monitor_id IN (SELECT id FROM monitors WHERE kind = 'push')) AS results"
    )
    return {
        **figures(args, seen, window, baseline, lags, rows[0]["pings"], rows[0]["results"]),
        **updates,
    }


def figures(
    args: argparse.Namespace,
    seen: dict,
    window: dict,
    baseline: dict,
    lags: list[float],
    recorded: int,
    results: int,
) -> dict:
    accepted = seen["statuses"].get("200", 0)
    per_1000 = 1000 / max(accepted, 1)

    def cost(key: str) -> tuple[float | None, float | None]:
        if window[key] is None:
            return None, None
        net = window[key] - baseline[key] / baseline["t"] * window["t"]
        return round(window[key] * per_1000, 3), round(net * per_1000, 3)

    app, app_net = cost("app")
    db, db_net = cost("db")
    server, _ = cost("server")
    latencies = [s * 1000 for s in seen["latencies"]]
    by_quarter = list(zip(latencies, seen["quarters"], strict=True))
    return {
        "database": "sqlite" if args.sqlite else "postgres",
        "accepted_per_s": round(accepted / seen["window_s"], 1),
        "asked_per_s": args.rate,
        "sent": seen["sent"],
        "accepted": accepted,
        "statuses": seen["statuses"],
        "latency_p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "latency_p99_ms": round(percentile(latencies, 0.99), 2),
        "latency_max_ms": round(max(latencies), 2) if latencies else None,
        "latency_p99_ms_by_quarter": [
            round(percentile(quarter, 0.99), 2) if quarter else None  # JSON has no NaN
            for quarter in ([ms for ms, q in by_quarter if q == n] for n in range(4))
        ],
        "client_late_p99_ms": round(percentile(seen["late"], 0.99) * 1000, 2),
        "app_cpu_s_per_1000_pings": app,
        "app_cpu_s_per_1000_pings_net": app_net,
        "db_cpu_s_per_1000_pings": db,
        "db_cpu_s_per_1000_pings_net": db_net,
        "db_server_cpu_s_per_1000_pings": server,
        "recorded_pings": recorded,
        "nothing_lost": recorded == accepted,
        "push_results": results,
        "push_results_expected": seen["ended_runs"],
        "checks_per_s": round(window["checks"] / window["t"], 1),
        "baseline_checks_per_s": round(baseline["checks"] / baseline["t"], 1),
        "lag_p50_s": round(max(0.0, statistics.median(lags)), 4) if lags else None,
        "lag_p99_s": round(max(0.0, percentile(lags, 0.99)), 4),
        "lag_max_s": round(max(lags), 4) if lags else None,
        "intake_batches": window["batches"],
        "intake_avg_batch": round(window["written"] / max(window["batches"], 1), 1),
        "client_cpu_s": round(seen["cpu_s"], 2),
        "window_s": round(seen["window_s"], 1),
        "rss_peak_mb": round(peak_rss_mb(), 1),
        "monitors": args.monitors,
        "http_monitors": args.checks_per_s * args.interval,
        "connections": args.connections,
        "fail_share": args.fail_share,
        "loop": "uvloop" if args.uvloop else "asyncio",
        "app_processes": 2 if args.checker_process else 1,
        "cpus": os.cpu_count(),
    }


async def against_target(args: argparse.Namespace, run) -> dict:
    """`run(args, url, target)` with the target server process started and the
    benchmark's database open (bench_database), the target stopped whatever happens."""
    target = start_target_process()
    try:
        async with bench_database(args) as url:
            return await run(args, url, target)
    finally:
        target.stop()


async def main_async(args: argparse.Namespace) -> dict:
    return await against_target(args, run)


def main(argv: list[str] | None = None) -> None:
    print_report(parse_args, main_async, argv)


if __name__ == "__main__":
    main()
