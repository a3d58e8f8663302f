"""The engine: claims, precise starts, fixed rate, retries, back-pressure, batches,
shutdown without loss, database outages and restarts. Real scheduler, real targets."""

from __future__ import annotations

import asyncio
import logging
import statistics
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from tortoise.context import TortoiseContext

from core.clock import ManualClock
from core.kinds.http import Spec as ProbeSpec
from core.probe import Probe
from core.settings import Settings
from db.claims import claim_due
from db.config import tortoise_config
from db.models import CheckLog, Monitor, MonitorState, User
from scheduler.engine import Engine
from scheduler.runner import create_scheduler, register_jobs
from tests.support.targets import GATE, GATED, HITS, STATS, Site, TargetServers
from tests.support.tcp_proxy import TcpProxy
from tests.support.wait import until


@pytest.fixture
async def http(targets: TargetServers) -> Site:
    return await targets.http()


@asynccontextmanager
async def running(engine: Engine) -> AsyncIterator[Engine]:
    """The engine as run.py runs it: started, with its APScheduler jobs."""
    await engine.start()
    scheduler = create_scheduler()
    register_jobs(scheduler, engine)
    scheduler.start()
    try:
        yield engine
    finally:
        scheduler.shutdown(wait=False)
        await engine.stop(timeout=3)


async def add_monitors(
    count: int, url: str, *, interval: int = 60, first_in: float = 0.0, **kw
) -> list[Monitor]:
    user = await User.get_or_create(telegram_id=1)
    now = datetime.now(UTC)
    return [
        await Monitor.create(
            owner=user[0],
            name=f"m{i}",
            url=url,
            interval_seconds=interval,
            next_check_at=now + timedelta(seconds=first_in * i / max(count, 1)),
            **kw,
        )
        for i in range(count)
    ]


async def test_checks_run_on_schedule_and_are_recorded(db, settings, probe, http) -> None:
    """The one real-time run of the engine as run.py runs it (APScheduler, the system
    clock, real checks): bounds are generous, the precise timing is tested below on a
    manual clock."""
    monitors = await add_monitors(20, http.url("/ok"), interval=1, first_in=0.5)
    async with running(Engine(settings, probe)) as engine:
        await asyncio.sleep(3.0)
    counts = [await CheckLog.filter(monitor_id=m.id).count() for m in monitors]
    assert min(counts) >= 2, (counts, sorted(engine.lags)[-10:])
    assert engine.recorded_checks == engine.started_checks == sum(counts)
    for m in monitors:
        await m.refresh_from_db()
        assert m.state == MonitorState.UP and m.last_check_at is not None
    assert statistics.median(engine.lags) < 1.0
    assert min(engine.lags) > -0.01  # never early


class ClockedProbe(Probe):
    """The real probe on a manual clock. `hold` makes each check take that long on the
    clock after the target answered (a slow target, in clock time); `quiet()` waits
    (in real time) until no request is on the wire."""

    def __init__(self, clock: ManualClock, hold: float = 0.0, **kw) -> None:
        super().__init__(clock=clock, **kw)
        self.hold = hold
        self._on_wire = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def check(self, spec: ProbeSpec):
        self._on_wire += 1
        self._idle.clear()
        try:
            result = await super().check(spec)
        finally:
            self._on_wire -= 1
            if not self._on_wire:
                self._idle.set()
        await self.clock.sleep(self.hold)
        return result

    async def quiet(self) -> None:
        await self._idle.wait()


@asynccontextmanager
async def on_manual_clock(
    settings: Settings,
    targets: TargetServers,
    *,
    hold: float = 0.0,
    stop_timeout: float = 2.0,
    **kw,
) -> AsyncIterator[tuple[Engine, ManualClock]]:
    """An engine on a manual clock that starts at the real time (rows made with the
    real time are then due as usual), with a real probe dating checks on that clock."""
    clock = ManualClock()
    probe = ClockedProbe(clock, hold, ssl_context=targets.probe_ssl_context())
    engine = Engine(settings, probe, clock=clock, **kw)
    await engine.start()
    try:
        yield engine, clock
    finally:
        await engine.stop(timeout=stop_timeout)
        await probe.close()


async def run_for(engine: Engine, clock: ManualClock, seconds: float, tick: float = 0.5) -> None:
    """run.py's schedule on the manual clock: a tick every `tick` seconds (claim, then
    write what is buffered), the clock moving from one timer to the next and waiting at
    each for the checks it started to get their answers."""
    probe: ClockedProbe = engine.probe  # type: ignore[assignment]
    end = clock.now() + timedelta(seconds=seconds)
    next_tick = clock.now()
    while next_tick <= end:
        await clock.advance_to(next_tick)
        await engine.tick()
        if engine._flush_task is not None:
            await engine._flush_task
        next_tick += timedelta(seconds=tick)
        while (due := clock.next_due()) is not None and due < min(next_tick, end):
            await clock.advance_to(due)
            await probe.quiet()
    await clock.advance_to(end)
    await engine.flush()


async def add_monitors_at(clock: ManualClock, offsets: list[float], url: str, **kw) -> list:
    """Monitors first due `offsets` seconds after the clock's now."""
    user, _ = await User.get_or_create(telegram_id=1)
    return [
        await Monitor.create(
            owner=user,
            name=f"m{i}",
            url=url,
            next_check_at=clock.now() + timedelta(seconds=offset),
            **kw,
        )
        for i, offset in enumerate(offsets)
    ]


async def check_times(monitor: Monitor, since: datetime) -> list[float]:
    logs = await CheckLog.filter(monitor_id=monitor.id).order_by("checked_at")
    return [round((log.checked_at - since).total_seconds(), 6) for log in logs]


async def test_each_check_starts_at_its_due_time_not_at_a_tick(db, settings, targets, http) -> None:
    """Claims come every half second, yet each check starts at its own due time: a
    check due between two ticks does not wait for the next one."""
    async with on_manual_clock(settings, targets) as (engine, clock):
        start = clock.now()
        offsets = [0.1 + i / 40 for i in range(30)]  # due within [0.1, 0.85)
        monitors = await add_monitors_at(clock, offsets, http.url("/ok"), interval_seconds=1)
        await run_for(engine, clock, 3.0)
        for monitor, first in zip(monitors, offsets, strict=True):
            times = await check_times(monitor, start)
            assert times == [round(first + k, 6) for k in range(len(times))]
            assert len(times) == 3
            await monitor.refresh_from_db()
            assert monitor.state == MonitorState.UP
        assert engine.recorded_checks == engine.started_checks == 90
        assert set(engine.lags) == {0.0}


async def test_fixed_rate_does_not_drift(db, settings, targets, http) -> None:
    """Each check takes 0.3 s (of the clock): the next one still comes one interval
    after the previous due time, not after the previous check ended."""
    async with on_manual_clock(settings, targets, hold=0.3) as (engine, clock):
        start = clock.now()
        (monitor,) = await add_monitors_at(clock, [0.2], http.url("/ok"), interval_seconds=1)
        await run_for(engine, clock, 5.0)
        assert await check_times(monitor, start) == [0.2, 1.2, 2.2, 3.2, 4.2]


async def test_retry_interval_while_failing(db, settings, targets, http) -> None:
    async with on_manual_clock(settings, targets) as (engine, clock):
        start = clock.now()
        (monitor,) = await add_monitors_at(
            clock, [0.1], http.url("/status/500"), interval_seconds=3600, retry_interval_seconds=1
        )
        await run_for(engine, clock, 3.6)
        # Checked every retry interval from the first failure on, not once an hour.
        assert await check_times(monitor, start) == [0.1, 1.1, 2.1, 3.1]
        await monitor.refresh_from_db()
        assert monitor.state == MonitorState.DOWN
        assert monitor.next_check_at == start + timedelta(seconds=4.1)


async def test_back_pressure_never_claims_more_than_can_start(
    db, settings: Settings, targets, http
) -> None:
    small = settings.model_copy(update={"check_concurrency": 5})
    async with on_manual_clock(small, targets, stop_timeout=0.5) as (engine, clock):
        await add_monitors_at(clock, [0.0] * 40, http.url("/slow?delay=2"), interval_seconds=60)
        await engine.tick()
        assert engine.in_flight == 5
        await clock.advance(0)
        assert len(engine._running) == 5
        await engine.tick()  # every slot busy: nothing more is claimed
        assert engine.in_flight == 5
        due = await Monitor.filter(next_check_at__lte=clock.now()).count()
        assert due == 35  # the rest wait in the database, not in memory


async def test_checks_by_hand_share_the_engines_concurrency_limit(
    db, settings: Settings, probe, http
) -> None:
    """CHECK_CONCURRENCY bounds scheduled checks and checks by hand together: a check by
    hand waits for a slot the schedule holds, and the engine claims nothing while checks
    by hand hold every slot."""
    from core.checks import check_now
    from core.runtime import Runtime

    two = settings.model_copy(update={"check_concurrency": 2})
    rt = Runtime(settings=two, probe=probe)
    engine = Engine(two, probe, slots=rt.slots)
    await engine.start()
    try:
        await add_monitors(2, http.url("/slow?delay=1"), interval=60)
        (by_hand,) = await add_monitors(1, http.url("/ok"), first_in=0, interval=3600)
        await Monitor.filter(id=by_hand.id).update(
            next_check_at=datetime.now(UTC) + timedelta(hours=1)
        )
        await engine.tick()
        await asyncio.sleep(0.2)
        assert len(engine._running) == 2 and rt.slots.in_use == 2
        started = asyncio.get_running_loop().time()
        hand = asyncio.create_task(check_now(rt, by_hand))
        await asyncio.sleep(0.4)
        assert not hand.done()  # waiting for a slot, not a third probe in flight
        recorded = await asyncio.wait_for(hand, 5)
        assert recorded.result.ok
        assert asyncio.get_running_loop().time() - started > 0.6  # after a slow one ended

        # Two checks by hand (of two owners: one owner's may hold only their share)
        # hold both slots: the engine claims nothing meanwhile.
        slow = await add_monitors(2, http.url("/slow?delay=1"), interval=3600)
        other = await User.create(telegram_id=2)
        await Monitor.filter(id=slow[1].id).update(owner_id=other.id)
        slow[1].owner_id = other.id
        await Monitor.filter(id__in=[m.id for m in slow]).update(
            next_check_at=datetime.now(UTC) + timedelta(hours=1)
        )
        await asyncio.sleep(1.2)  # the schedule's slow checks are over
        await engine.flush()
        hands = [asyncio.create_task(check_now(rt, m)) for m in slow]
        await asyncio.sleep(0.2)
        assert rt.slots.in_use == 2 and engine.claim_limit() == 0
        await add_monitors(3, http.url("/ok"), interval=60)
        await engine.tick()
        assert engine.in_flight == 0
        await asyncio.gather(*hands)
        assert rt.slots.in_use == 0 and engine.claim_limit() > 0
    finally:
        await engine.stop(timeout=2)


async def test_one_owners_checks_by_hand_hold_at_most_a_quarter_of_the_slots(
    db, settings: Settings, probe, targets: TargetServers
) -> None:
    """Checks by hand jump the engine's queue, so one owner's may hold only their share
    (CHECK_CONCURRENCY 4: one slot); more wait behind it. Another owner's hand check
    and the schedule still get slots. The target answers when the test says so."""
    from core.checks import check_now
    from core.runtime import Runtime

    site = await targets.http()
    gated = targets.app[GATED]
    four = settings.model_copy(update={"check_concurrency": 4})
    rt = Runtime(settings=four, probe=probe)
    engine = Engine(four, probe, slots=rt.slots)
    await engine.start()
    later = datetime.now(UTC) + timedelta(hours=1)
    ann, bob, sched = [(await User.create(telegram_id=n)) for n in (11, 12, 13)]

    async def monitor(owner: User, name: str, due: datetime) -> Monitor:
        url = site.url(f"/gate/{name}")
        return await Monitor.create(owner=owner, name=name, url=url, next_check_at=due)

    hands = []
    try:
        for i in range(3):  # ann presses Check now on three slow monitors
            hands.append(asyncio.create_task(check_now(rt, await monitor(ann, f"a{i}", later))))
        await until(lambda: gated["waiting"] >= 1)
        await asyncio.sleep(0.1)  # time for more to start, were they allowed to
        assert gated["waiting"] == 1 and rt.slots.in_use == 1
        assert rt.slots.per_owner == 1 and rt.slots.held_by_hand(ann.id) == 1
        hands.append(asyncio.create_task(check_now(rt, await monitor(bob, "b", later))))
        await until(lambda: gated["waiting"] == 2)  # bob is not queued behind ann
        assert rt.slots.held_by_hand(bob.id) == 1 and rt.slots.in_use == 2

        for i in range(3):
            await monitor(sched, f"s{i}", datetime.now(UTC))
        await engine.tick()
        await until(lambda: gated["waiting"] == 4)  # the schedule takes the other two
        assert len(engine._running) == 2 and rt.slots.in_use == 4
        assert rt.slots.held_by_hand(ann.id) == 1

        targets.app[GATE].set()
        recorded = await asyncio.wait_for(asyncio.gather(*hands), 10)
        assert all(r.result.ok for r in recorded)
        await until(lambda: not engine._running and not engine._waiting)
        assert rt.slots.in_use == 0 and rt.slots.held_by_hand(ann.id) == 0
    finally:
        targets.app[GATE].set()
        await engine.stop(timeout=2)
    assert await CheckLog.filter(monitor__owner_id=sched.id).count() == 3


async def test_stop_releases_unstarted_claims_and_flushes_every_result(
    db, settings, probe, http
) -> None:
    fast = await add_monitors(10, http.url("/ok"), interval=60)
    later = await add_monitors(5, http.url("/ok"), interval=60, first_in=0)
    for m in later:  # due in 4 s: claimed by the tick (horizon 5 s), not started at stop
        m.next_check_at = datetime.now(UTC) + timedelta(seconds=4)
        await m.save()
    engine = Engine(settings, probe, horizon=timedelta(seconds=5))
    await engine.start()
    await engine.tick()
    assert engine.in_flight == 15
    # Wait for the ten due checks (a loaded machine may need more than a few hundred ms).
    for _ in range(150):
        if engine.buffered >= 10:
            break
        await asyncio.sleep(0.02)
    assert engine.buffered == 10  # done, not yet written (no tick has flushed them)
    assert engine.started_checks == 10
    await engine.stop(timeout=2)
    assert await CheckLog.filter(monitor_id__in=[m.id for m in fast]).count() == 10
    for m in later:
        await m.refresh_from_db()
        assert m.next_check_at <= datetime.now(UTC) + timedelta(seconds=4)
        assert m.last_check_at is None


async def test_stop_waits_for_running_checks(db, settings, targets, http) -> None:
    async with on_manual_clock(settings, targets) as (engine, clock):
        (monitor,) = await add_monitors_at(clock, [0.0], http.url("/slow?delay=0.3"))
        await engine.tick()
        await clock.advance(0)
        assert len(engine._running) == 1  # on the wire when stop() comes
        await engine.stop(timeout=3)
        assert await CheckLog.filter(monitor_id=monitor.id).count() == 1


class ExplodingProbe(Probe):
    """Stands for a bug in the probe: the engine must survive it."""

    async def check(self, spec: ProbeSpec):
        raise RuntimeError("boom")


async def test_unexpected_probe_exception_is_an_internal_failure(db, settings) -> None:
    clock = ManualClock()
    (monitor,) = await add_monitors_at(clock, [0.5], "http://127.0.0.1:9/")
    engine = Engine(settings, ExplodingProbe(), clock=clock)
    await engine.start()
    await engine.tick()
    await clock.advance(0.5)
    await engine.stop()
    log = await CheckLog.get(monitor_id=monitor.id)
    assert not log.ok and log.error_kind == "internal" and "boom" in log.error_message
    assert log.checked_at == clock.now()


def per_second(offsets: list[float], seconds: int) -> list[int]:
    """How many of `offsets` (seconds from some moment) fall in each whole second."""
    buckets = [0] * seconds
    for offset in offsets:
        buckets[int(offset)] += 1
    return buckets


async def backlog_after(dialect: str, count: int, interval: int, behind: float) -> tuple:
    """`count` monitors with phases spread evenly over their interval, left unclaimed
    for `behind` seconds (an outage, a pause, a restart), then claimed as the engine
    does: for each, the moment of its next check, in seconds from the claim, and
    its phase (its original due times modulo the interval)."""
    user = await User.create(telegram_id=1)
    start = datetime.now(UTC).replace(microsecond=0)
    await Monitor.bulk_create(
        [
            Monitor(
                owner=user,
                name=f"m{i}",
                url="http://127.0.0.1:9/",
                interval_seconds=interval,
                next_check_at=start + timedelta(seconds=interval * i / count),
            )
            for i in range(count)
        ]
    )
    now = start + timedelta(seconds=behind)
    claims = await claim_due(now + timedelta(seconds=1.5), now, 10_000)
    runs = {c.monitor_id: c.due_at for c in claims}
    assert len(runs) == len(claims)  # each monitor claimed once
    for m in await Monitor.all():
        runs.setdefault(m.id, m.next_check_at)  # moved to its run, not claimed yet
    phases = {
        m.id: round((interval * i / count) % interval, 6)
        for i, m in enumerate(await Monitor.all().order_by("id"))
    }
    return now, runs, phases


async def test_claim_after_a_long_outage_keeps_each_monitors_phase(db, dialect) -> None:
    """Unclaimed for 35 s (interval 10 s): each monitor runs at its next point on its
    own grid (due + k * interval), not all at once; per-second starts stay flat."""
    now, runs, phases = await backlog_after(dialect, 100, 10, 35.0)
    offsets = {m: (at - now).total_seconds() for m, at in runs.items()}
    assert min(offsets.values()) >= 0 and max(offsets.values()) < 10
    for monitor_id, at in runs.items():
        phase = round((at - (now - timedelta(seconds=35))).total_seconds() % 10, 6)
        assert phase == phases[monitor_id] or abs(phase - phases[monitor_id]) in (0, 10)
    assert per_second(list(offsets.values()), 10) == [10] * 10  # flat, as before


async def test_claim_after_a_short_outage_skips_only_the_missed_runs(db, dialect) -> None:
    """Unclaimed for 10 s (interval 60 s): monitors less than LATE_GRACE late run at
    once; the rest wait for their next grid point, within one interval."""
    now, runs, _ = await backlog_after(dialect, 120, 60, 10.0)
    offsets = sorted((at - now).total_seconds() for at in runs.values())
    assert min(offsets) >= -2 and max(offsets) < 60
    at_once = [o for o in offsets if o <= 0]
    assert len(at_once) == 4  # due less than 2 s ago (two a second), and now
    assert max(per_second(offsets[len(at_once) :], 60)) == 2  # as spread as before


async def test_claim_defers_a_long_step_at_most_max_defer(db, dialect) -> None:
    """A daily monitor a few seconds behind waits at most a minute, not a day."""
    user = await User.create(telegram_id=1)
    due = datetime.now(UTC).replace(microsecond=0)
    m = await Monitor.create(
        owner=user, name="d", url="http://127.0.0.1:9/", interval_seconds=86400, next_check_at=due
    )
    now = due + timedelta(seconds=5)
    assert await claim_due(now + timedelta(seconds=1.5), now, 10) == []
    await m.refresh_from_db()
    assert now < m.next_check_at <= now + timedelta(seconds=60)


async def test_claims_on_postgres_are_disjoint_between_concurrent_claimers(
    db, dialect, settings
) -> None:
    if dialect != "postgres":
        pytest.skip("SKIP LOCKED is a PostgreSQL matter")
    await add_monitors(300, "http://127.0.0.1:9/", interval=60)
    now = datetime.now(UTC)
    batches = await asyncio.gather(*(claim_due(now, now, 50) for _ in range(8)))
    ids = [c.monitor_id for batch in batches for c in batch]
    assert len(ids) == len(set(ids)) == 300


@asynccontextmanager
async def postgres_through_proxy(dialect: str, fresh_db_url: str) -> AsyncIterator[tuple]:
    """A fresh PostgreSQL database that the app reaches through a TCP proxy the test
    cuts and restores (an outage of the database); yields (proxy, url via the proxy)."""
    if dialect != "postgres":
        pytest.skip("cuts the network path to a PostgreSQL server")
    from db.migrate import upgrade

    await upgrade(fresh_db_url)
    target = fresh_db_url.split("@", 1)[1].split("/", 1)[0]
    host, _, port = target.partition(":")
    proxy = TcpProxy(host, int(port or 5432))
    await proxy.start()
    url = fresh_db_url.replace(f"@{target}/", f"@127.0.0.1:{proxy.port}/")
    try:
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(url))
            yield proxy, url
    finally:
        await proxy.cut()


async def test_database_outage_logs_one_line_per_component_and_a_summary(
    dialect, fresh_db_url, settings, probe, http, caplog
) -> None:
    """The one real-time outage: the engine, the outbox's leadership check and the
    rollups each log one line when the database goes and one when it is back (the
    engine's says what it wrote), however many times they fail meanwhile; asyncpg's
    pool says nothing at the level run.py sets."""
    from core.logs import configure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level, logging.getLogger("asyncpg").level
    configure_logging("INFO", [])
    root.addHandler(caplog.handler)
    try:
        await outage_with_every_component(dialect, fresh_db_url, settings, probe, http, caplog)
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        logging.getLogger("asyncpg").setLevel(saved[2])


async def outage_with_every_component(dialect, fresh_db_url, settings, probe, http, caplog):
    from db.leader import Leadership
    from scheduler.rollups import roll_up_job

    async with postgres_through_proxy(dialect, fresh_db_url) as (proxy, url):
        monitors = await add_monitors(5, http.url("/ok"), interval=1)
        leadership = Leadership(url)
        engine = Engine(settings, probe)
        await engine.start()
        await engine.tick()
        assert await leadership.check()
        await asyncio.sleep(0.3)
        await proxy.cut()
        caplog.clear()
        for _ in range(6):  # ticks, flushes and jobs while the database is gone
            await engine.tick()
            await asyncio.sleep(0.3)
            await engine.flush()
            assert not await leadership.check()
            await roll_up_job()
        kept = engine.buffered
        assert kept >= 5
        during = [r for r in caplog.records if r.levelno >= logging.WARNING]
        await proxy.start()
        await engine.tick()  # writes what waited, then claims
        assert engine.buffered == 0
        assert await leadership.check()
        await roll_up_job()
        await asyncio.sleep(1.2)
        await engine.stop()
        await leadership.close()
        assert await CheckLog.filter(monitor_id__in=[m.id for m in monitors]).count() >= kept
    lines = [f"{r.levelname} {r.getMessage()}" for r in caplog.records]
    assert [line.split(":")[0] for line in map(str, (r.getMessage() for r in during))] == [
        "engine",
        "outbox leadership",
        "rollups",
    ], lines
    back = [line for line in lines if "database back after" in line]
    assert len(back) == 3, lines
    assert any(
        line.startswith("INFO engine: database back after") and f"{kept:,} results written" in line
        for line in back
    ), lines


async def test_checks_go_on_from_memory_while_the_database_is_away(
    dialect, fresh_db_url, settings, targets
) -> None:
    """The database goes for 10 s (interval 2 s): the engine keeps checking the monitors
    it held, at their own times; the target goes down meanwhile. When the database is
    back, every result is written in order with the incident and its alert, each
    (monitor, due) checked once, and the claim takes over on the same grid."""
    from db.models import Incident, Notification, NotificationKind

    async with postgres_through_proxy(dialect, fresh_db_url) as (proxy, _url):
        site = await targets.http()
        async with on_manual_clock(settings, targets) as (engine, clock):
            start = clock.now()
            offsets = [0.05 + 0.1 * i for i in range(20)]  # phases spread over 2 s
            monitors = await add_monitors_at(
                clock, offsets, site.url("/switch"), interval_seconds=2, retry_interval_seconds=2
            )
            await run_for(engine, clock, 4.0)
            await proxy.cut()
            targets.app[STATS]["switch_ok"] = False
            hits = targets.app[HITS].get("/switch", 0)
            await run_for(engine, clock, 10.0)
            assert targets.app[HITS]["/switch"] - hits == 100  # 20 monitors, 5 times each
            assert engine.buffered == 100
            await proxy.start()
            await run_for(engine, clock, 4.0)
        for monitor, first in zip(monitors, offsets, strict=True):
            times = await check_times(monitor, start)
            assert times == [round(first + 2 * k, 6) for k in range(9)]  # no gap, none twice
            await monitor.refresh_from_db()
            assert monitor.state == MonitorState.DOWN
            incident = await Incident.get(monitor_id=monitor.id)
            assert incident.started_at == start + timedelta(seconds=first + 4)
            down = await Notification.filter(monitor_id=monitor.id, kind=NotificationKind.DOWN)
            assert [n.incident_id for n in down] == [incident.id]


def test_a_full_buffer_thins_uneventful_results_and_keeps_state_changes() -> None:
    from core.probe import ProbeResult
    from scheduler.result_buffer import thin

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    outcomes = [True] * 50 + [False] * 50 + [True] * 50  # one monitor: up, down, up
    buffer = [
        (1, ProbeResult(checked_at=t0 + timedelta(seconds=i), ok=ok))
        for i, ok in enumerate(outcomes)
    ]
    buffer += [(2, ProbeResult(checked_at=t0 + timedelta(seconds=i), ok=True)) for i in range(4)]
    kept = thin(buffer, 100, keep_run=3)
    assert len(kept) == 100
    ones = [r.ok for m, r in kept if m == 1]
    # Every run starts with its first three results, so each threshold crossing and
    # state change is kept; monitor 2's few results are untouched.
    assert ones[:3] == [True] * 3 and [False] * 3 in [ones[i : i + 3] for i in range(len(ones))]
    assert buffer[49] in kept and buffer[50] in kept and buffer[99] in kept and buffer[100] in kept
    assert buffer[149] in kept  # the latest
    assert [r for m, r in kept if m == 2] == [r for m, r in buffer if m == 2]
    # The oldest uneventful ones went first.
    assert buffer[3] not in kept and buffer[148] in kept
    # Past what thinning can do, the oldest go regardless: the buffer stays bounded.
    assert len(thin(buffer, 5, keep_run=3)) == 5
