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
from core.probe import Probe, ProbeSpec
from core.settings import Settings
from db.claims import claim_due
from db.config import tortoise_config
from db.models import CheckLog, Monitor, MonitorState, User
from scheduler.engine import Engine
from scheduler.runner import create_scheduler, register_jobs
from tests.support.targets import GATE, GATED, Site, TargetServers
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


async def spread_after(clock: ManualClock, settings, probe, behind: list[float]) -> list[float]:
    """Monitors `behind` seconds overdue (interval 60) at a start-up on `clock`: where
    start() puts them, in seconds from now."""
    now = clock.now()
    user = await User.create(telegram_id=1)
    await Monitor.bulk_create(
        [
            Monitor(
                owner=user,
                name=f"m{i}",
                url="http://127.0.0.1:9/",
                interval_seconds=60,
                next_check_at=now - timedelta(seconds=seconds),
            )
            for i, seconds in enumerate(behind)
        ]
    )
    engine = Engine(settings, probe, clock=clock)
    await engine.start()
    await engine.stop()
    return [(m.next_check_at - now).total_seconds() for m in await Monitor.all()]


async def test_restart_spreads_overdue_monitors_over_one_interval(db, settings, probe) -> None:
    offsets = await spread_after(ManualClock(), settings, probe, [7200] * 600)
    assert min(offsets) >= 0 and max(offsets) <= 60
    buckets = [0] * 61
    for offset in offsets:
        buckets[int(offset)] += 1
    assert max(buckets) <= 40  # ~10 a second on average; no herd


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


async def test_database_outage_logs_one_line_and_the_engine_recovers(
    dialect, fresh_db_url, settings, probe, http, caplog
) -> None:
    if dialect != "postgres":
        pytest.skip("cuts the network path to a PostgreSQL server")
    from db.migrate import upgrade

    await upgrade(fresh_db_url)
    target = fresh_db_url.split("@", 1)[1].split("/", 1)[0]
    host, _, port = target.partition(":")
    proxy = TcpProxy(host, int(port or 5432))
    await proxy.start()
    url = fresh_db_url.replace(f"@{target}/", f"@127.0.0.1:{proxy.port}/")
    caplog.set_level(logging.INFO, logger="scheduler.engine")
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(url))
        monitors = await add_monitors(5, http.url("/ok"), interval=1)
        engine = Engine(settings, probe)
        await engine.start()
        await engine.tick()
        await asyncio.sleep(0.3)
        await proxy.cut()
        for _ in range(4):  # ticks and flushes while the database is gone
            await engine.tick()
            await asyncio.sleep(0.3)
            await engine.flush()
        kept = engine.buffered
        assert kept >= 5
        await proxy.start()
        await engine.flush()
        assert engine.buffered == 0
        await engine.tick()
        await asyncio.sleep(1.2)
        await engine.stop()
        assert await CheckLog.filter(monitor_id__in=[m.id for m in monitors]).count() >= kept
    await proxy.cut()
    lines = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(lines) == 1, [r.getMessage() for r in caplog.records]
    assert any("available again" in r.getMessage() for r in caplog.records)


async def test_short_outage_backlog_drains_within_the_outage_length(db, settings, probe) -> None:
    """Down for 10 s: the backlog is spread over the next 20 s, not a whole interval."""
    behind = [10 * i / 200 for i in range(200)]
    offsets = await spread_after(ManualClock(), settings, probe, behind)
    assert min(offsets) >= 0 and max(offsets) <= 20
    assert max(offsets) > 10  # spread, not replayed at once
