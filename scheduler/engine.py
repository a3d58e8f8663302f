"""The monitoring engine: claim due monitors, start each check on time, persist in batches.

Each tick (an APScheduler job, about every second):
1. Works out how many checks this process can take on: the free concurrency slots
   (CHECK_CONCURRENCY, shared with checks by hand through core/check_slots.py, minus
   running and waiting checks) times how many checks one slot gets through within
   the claim horizon at the current average check duration. With
   no free slot it claims nothing, so slow targets or a slow database push back on the
   claim instead of piling up tasks; fast checks let one tick claim many.
2. Claims the monitors due before now + HORIZON in one statement (db/claims.py). A
   claim that took all it was allowed is followed by another as soon as a check
   ends, so a backlog (after a restart) is taken up without waiting for the tick.
3. Starts each claimed check at its due time with a loop timer, so a check starts within
   milliseconds of its due time although claims are batched once a second.
At its due time a check runs if a slot is free, else it waits (FIFO) for the next one.

Results go into a buffer that `flush()` writes with core/recording.py (check logs,
state, incidents and alerts in one transaction) after every tick, or at once when the
buffer reaches BATCH_SIZE. A database error keeps the buffer for the next flush.

While the database is away the engine keeps checking (memory mode). It remembers each
monitor it claimed (the claim, with its intervals, and whether its last result failed);
when a claim fails, each tick sets timers for the remembered monitors due within the
horizon, the step after their last due time (the retry interval while failing), keyed
(monitor, due) like claimed ones. Results pile up in the buffer, bounded by MAX_BUFFER:
beyond it the oldest uneventful results are thinned (scheduler/result_buffer.py),
counted and reported, never dropped silently. When the database is back the tick
writes the buffer first, in order (so state changes, incidents and alerts come out as
they happened), then claims; that claim ends memory mode and cancels the unstarted
memory timers. A (monitor, due) the memory ran is never run again for a claim, so a
replica does not double up. Monitors it should have claimed at its last good claim
but did not (another replica's, paused, deleted) are forgotten when memory mode
begins. The engine logs one line when the database goes away and one when it is back
with what it wrote meanwhile (db/outage_log.py), and never dies.

`stop()` (shutdown) hands unstarted claims back to the queue, lets running checks end
within the deadline, and flushes every result, so nothing is lost.

Time comes from a `Clock` (core/clock.py): due times, the claim's "now", the timers
and the lag are on it, so tests drive the engine on a manual clock. Two durations stay
on the real monotonic clock because they measure real I/O: how long checks take (the
claim's sizing) and stop()'s deadline for running checks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from core.check_slots import CheckSlots
from core.clock import SYSTEM_CLOCK, Clock, TimerHandle
from core.metrics import SCHEDULER_LAG
from core.probe import ErrorKind, Probe, ProbeResult
from core.recording import record_results
from core.settings import Settings
from core.targets import private_targets_allowed
from db.claims import LATE_GRACE, ClaimedCheck, claim_due, plan_run, release
from db.outage_log import OutageLog
from scheduler.result_buffer import thin

log = logging.getLogger(__name__)

HORIZON = timedelta(seconds=1.5)
BATCH_SIZE = 500
MAX_CLAIM = 5000
MAX_BUFFER = 100_000  # results waiting for the database; beyond, the oldest are thinned


class Engine:
    def __init__(
        self,
        settings: Settings,
        probe: Probe,
        *,
        horizon: timedelta = HORIZON,
        batch_size: int = BATCH_SIZE,
        max_claim: int = MAX_CLAIM,
        max_buffer: int = MAX_BUFFER,
        slots: CheckSlots | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.probe = probe
        # run.py passes the runtime's slots, which checks by hand use too.
        self.slots = slots or CheckSlots(settings.check_concurrency)
        self.slots.on_free(self._start_waiting)
        self.horizon = horizon
        self.batch_size = batch_size
        self.max_claim = max_claim
        self.max_buffer = max_buffer
        # Keyed by (monitor, due time): with an interval shorter than the horizon one
        # monitor can hold two claims at once.
        self._timers: dict[tuple[int, float], tuple[TimerHandle, ClaimedCheck]] = {}
        self._waiting: deque[ClaimedCheck] = deque()
        self._running: dict[int, asyncio.Task] = {}
        self._buffer: list[tuple[int, ProbeResult]] = []
        self._flush_lock = asyncio.Lock()
        self._flush_task: asyncio.Task | None = None
        # Seconds per check, an exponential moving average. It starts at the horizon
        # (one check per free slot: nothing claimed on trust) and follows what the
        # checks really take.
        self._avg_duration = horizon.total_seconds()
        # Set when a claim took all it was allowed: more may be due than was claimed,
        # so a finishing check claims again at once instead of waiting for the tick.
        self._claim_was_full = False
        self._refill_task: asyncio.Task | None = None
        self._stopping = False
        # The schedule from memory while the database is away (see the module doc).
        self._known: dict[int, _Remembered] = {}
        self._memory_since: datetime | None = None
        self._memory_keys: set[tuple[int, float]] = set()
        self._memory_ran: dict[int, datetime] = {}  # the last due run from memory
        self._last_claim_at: datetime | None = None
        self._recorded_at_outage = 0
        self._thinned = 0
        self.outage = OutageLog("engine", clock.monotonic)
        # Figures for /metrics and the benchmark.
        self.lags: deque[float] = deque(maxlen=500_000)
        self.started_checks = 0
        self.recorded_checks = 0
        self.skipped_in_flight = 0

    # --- life cycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Open the probe. Monitors that fell behind while nobody ran are spread by the
        claim itself (each runs at its next grid point, db/claims.py)."""
        await self.probe.start()

    async def stop(self, timeout: float = 3.0) -> None:
        """Give back unstarted claims, let running checks finish, flush every result."""
        self._stopping = True
        if self._refill_task is not None:
            await asyncio.gather(self._refill_task, return_exceptions=True)
        unstarted = [claim for handle, claim in self._timers.values()]
        for handle, _ in self._timers.values():
            handle.cancel()
        self._timers.clear()
        unstarted.extend(self._waiting)
        self._waiting.clear()
        deadline = time.monotonic() + timeout * 0.6
        running = list(self._running.values())
        if running:
            await asyncio.wait(running, timeout=max(0.0, deadline - time.monotonic()))
        cut_short = [task for task in self._running.values() if not task.done()]
        for task in cut_short:
            task.cancel()
        if cut_short:
            await asyncio.gather(*cut_short, return_exceptions=True)
            unstarted.extend(task.claim for task in cut_short)  # type: ignore[attr-defined]
        try:
            released = await release(unstarted)
            if released:
                log.info("gave %d unstarted checks back to the queue", released)
        except Exception as exc:
            self._database_failed("releasing claims", exc)
        await self.flush()
        if self._buffer:
            log.error("%d check results could not be written at shutdown", len(self._buffer))
        log.info(
            "engine stopped: %d checks started, %d recorded",
            self.started_checks,
            self.recorded_checks,
        )

    # --- claiming -------------------------------------------------------------------------

    def claim_limit(self) -> int:
        free = self.slots.free() - len(self._waiting)
        if free <= 0:
            return 0
        per_slot = max(1.0, self.horizon.total_seconds() / max(self._avg_duration, 0.001))
        return min(self.max_claim, int(free * per_slot))

    async def tick(self) -> None:
        """The APScheduler job: claim what is due soon, set a timer for each, then start
        writing buffered results. The write follows the claim rather than running on a
        timer of its own because it locks the rows it updates and the claim skips locked
        rows: run together, the claim would miss monitors that are due.

        While the database is away (memory mode) the tick first schedules from memory,
        so a claim that hangs cannot blind the engine, then writes what is buffered
        (results in time order, before any new claim), then claims: a claim that works
        ends memory mode."""
        if self._stopping:
            return
        if self._memory_since is not None:
            self._schedule_from_memory()
            await self.flush()
        try:
            await self._claim()
        finally:
            self._start_flush()

    def _start_flush(self) -> None:
        if self._buffer and (self._flush_task is None or self._flush_task.done()):
            self._flush_task = asyncio.create_task(self.flush())

    async def _claim(self) -> None:
        limit = self.claim_limit()
        if limit <= 0 or self._stopping:
            return
        now = self.clock.now()
        try:
            claims = await claim_due(now + self.horizon, now, limit)
        except Exception as exc:
            self._database_failed("claiming due monitors", exc)
            self._enter_memory_mode()
            return
        self._leave_memory_mode()
        self._database_back()
        if self._stopping:  # stop() began while this claim was in the database
            try:
                await release(claims)
            except Exception as exc:
                self._database_failed("releasing claims", exc)
            return
        self._claim_was_full = len(claims) >= limit
        for claim in claims:
            if claim.due_at <= self._memory_ran.get(claim.monitor_id, _NEVER):
                continue  # run from memory during the outage: never twice
            self._remember(claim)
            self._set_timer(claim)

    def _set_timer(self, claim: ClaimedCheck) -> bool:
        key = (claim.monitor_id, claim.due_at.timestamp())
        if key in self._timers:
            return False
        handle = self.clock.call_at(claim.due_at, self._due, claim)
        self._timers[key] = (handle, claim)
        return True

    def _due(self, claim: ClaimedCheck) -> None:
        key = (claim.monitor_id, claim.due_at.timestamp())
        self._timers.pop(key, None)
        if key in self._memory_keys:
            self._memory_keys.discard(key)
            self._memory_ran[claim.monitor_id] = claim.due_at
        if claim.monitor_id in self._running:
            # The previous check outlived the interval (a timeout longer than the
            # interval): never run two checks of one monitor at once.
            self.skipped_in_flight += 1
            return
        if self.slots.try_take():
            self._start(claim)
        else:
            self._waiting.append(claim)

    def _start(self, claim: ClaimedCheck) -> None:
        lag = (self.clock.now() - claim.due_at).total_seconds()
        self.lags.append(lag)
        SCHEDULER_LAG.observe(max(0.0, lag))
        self.started_checks += 1
        task = asyncio.create_task(self._run(claim), name=f"check-{claim.monitor_id}")
        task.claim = claim  # type: ignore[attr-defined]
        self._running[claim.monitor_id] = task

    async def _run(self, claim: ClaimedCheck) -> None:
        started = time.monotonic()
        allow = private_targets_allowed(
            self.settings.allow_private_targets, self.settings.admin_ids, claim.owner_telegram_id
        )
        try:
            result = await self.probe.check(claim.spec(allow))
        except asyncio.CancelledError:
            self._running.pop(claim.monitor_id, None)
            self.slots.give_back()
            raise
        except Exception as exc:  # Probe.check does not raise; this is the last guard
            log.exception("check of monitor %s failed unexpectedly", claim.monitor_id)
            result = ProbeResult(
                checked_at=self.clock.now(),
                ok=False,
                error_kind=ErrorKind.INTERNAL,
                error_message=f"{type(exc).__name__}: {exc}"[:500],
            )
        self._running.pop(claim.monitor_id, None)
        self._avg_duration = 0.9 * self._avg_duration + 0.1 * (time.monotonic() - started)
        if result is None:  # nothing to judge yet (a push monitor before its deadline)
            self.slots.give_back()
            return
        remembered = self._known.get(claim.monitor_id)
        if remembered is not None:
            remembered.failing = not result.ok
        self._buffer.append((claim.monitor_id, result))
        if len(self._buffer) > self.max_buffer:
            self._thin_buffer()
        if len(self._buffer) >= self.batch_size and self._memory_since is None:
            self._start_flush()
        if self._claim_was_full and (self._refill_task is None or self._refill_task.done()):
            self._claim_was_full = False
            self._refill_task = asyncio.create_task(self._claim())
        self.slots.give_back()  # starts what waits, through _start_waiting

    def _start_waiting(self) -> None:
        """A slot came free (on_free): start waiting checks while slots last."""
        while self._waiting and not self._stopping:
            if self._waiting[0].monitor_id in self._running:
                self._waiting.popleft()
                self.skipped_in_flight += 1
                continue
            if not self.slots.try_take():
                return
            self._start(self._waiting.popleft())

    # --- persisting -----------------------------------------------------------------------

    async def flush(self) -> None:
        """Write buffered results (after each tick, when the buffer is full, on stop)."""
        async with self._flush_lock:
            while self._buffer:
                batch, self._buffer = (
                    self._buffer[: self.batch_size],
                    self._buffer[self.batch_size :],
                )
                try:
                    await record_results(batch, self.clock.now())
                except Exception as exc:
                    self._buffer[:0] = batch  # keep them, in order, for the next flush
                    self._database_failed("writing check results", exc)
                    return
                self.recorded_checks += len(batch)
                if self._memory_since is None:  # in memory mode, the claim decides
                    self._database_back()

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    @property
    def in_flight(self) -> int:
        return len(self._running) + len(self._waiting) + len(self._timers)

    # --- database outages: the schedule from memory ------------------------------------

    def _remember(self, claim: ClaimedCheck) -> None:
        remembered = self._known.get(claim.monitor_id)
        if remembered is None:
            self._known[claim.monitor_id] = _Remembered(claim, claim.failing)
        elif claim.due_at >= remembered.claim.due_at:
            remembered.claim = claim
            remembered.failing = claim.failing

    def _enter_memory_mode(self) -> None:
        """The claim failed: from now on, until a claim works, the monitors this engine
        held are scheduled from memory. Those it should have claimed again at its last
        good claim but did not (another replica's now, paused, deleted) are forgotten."""
        if self._stopping:
            return
        if self._memory_since is not None:
            self._schedule_from_memory()
            return
        self._memory_since = self.clock.now()
        self._memory_ran = {}
        if self._last_claim_at is not None:
            cutoff = self._last_claim_at - LATE_GRACE
            self._known = {
                monitor_id: r
                for monitor_id, r in self._known.items()
                if r.claim.due_at + r.claim.step(r.failing) > cutoff
            }
        self._schedule_from_memory()

    def _schedule_from_memory(self) -> None:
        """Set timers for the remembered monitors due within the horizon: the step
        after each one's last due time (the retry interval while its last result
        failed), on its grid as a claim would (db/claims.py `plan_run`)."""
        now = self.clock.now()
        horizon = now + self.horizon
        for remembered in self._known.values():
            claim = remembered.claim
            step = claim.step(remembered.failing)
            run_at, _ = plan_run(claim.due_at + step, step, now)
            while run_at <= horizon:
                claim = replace(claim, due_at=run_at, failing=remembered.failing)
                remembered.claim = claim
                if self._set_timer(claim):
                    self._memory_keys.add((claim.monitor_id, run_at.timestamp()))
                run_at += step

    def _leave_memory_mode(self) -> None:
        """A claim worked: the database's schedule takes over. Unstarted timers set
        from memory are cancelled (the claim sets its own; a (monitor, due) the memory
        schedule already ran is never run again, see `_claim`)."""
        self._last_claim_at = self.clock.now()
        if self._memory_since is None:
            return
        for key in self._memory_keys:
            entry = self._timers.pop(key, None)
            if entry is not None:
                entry[0].cancel()
        self._memory_keys.clear()
        self._memory_since = None

    def _thin_buffer(self) -> None:
        before = len(self._buffer)
        self._buffer = thin(self._buffer, self.max_buffer * 3 // 4)
        if not self._thinned:
            log.warning(
                "more than %d check results wait for the database: thinning the oldest "
                "uneventful ones (state changes and alerts are kept)",
                self.max_buffer,
            )
        self._thinned += before - len(self._buffer)

    # --- database outages: the log ----------------------------------------------------------

    def _database_failed(self, doing: str, exc: Exception) -> None:
        if not self.outage.failing:  # the summary counts from here
            self._recorded_at_outage = self.recorded_checks
            self._thinned = 0
        self.outage.failed(doing, exc)

    def _database_back(self) -> None:
        if not self.outage.failing:
            return
        written = self.recorded_checks - self._recorded_at_outage
        summary = f"{written:,} results written"
        if self._thinned:
            summary += f", {self._thinned:,} uneventful ones thinned"
        self.outage.recovered(summary)
        self._recorded_at_outage = self.recorded_checks


_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass
class _Remembered:
    """What the engine knows of a monitor it claimed: the last claim (its due time is
    the last one scheduled) and whether its last result failed."""

    claim: ClaimedCheck
    failing: bool
