"""Checking a monitor at once, outside its schedule (the bot's Check now, the API)."""

from __future__ import annotations

from datetime import UTC, datetime

from core.monitor_rules import RuleError
from core.probe import ProbeSpec
from core.recording import RecordedCheck, record_results
from core.runtime import Runtime
from db.models import Monitor

# Seconds between two checks of one monitor by hand (the bot's button, the API).
MANUAL_CHECK_GAP = 10.0


def ensure_can_check(monitor: Monitor, min_gap: float) -> None:
    """RuleError("check_too_soon") when the last check was less than `min_gap` s ago."""
    if min_gap and monitor.last_check_at is not None:
        waited = (datetime.now(UTC) - monitor.last_check_at).total_seconds()
        if waited < min_gap:
            raise RuleError("check_too_soon", {"seconds": max(1, round(min_gap - waited))})


async def check_now(runtime: Runtime, monitor: Monitor, min_gap: float = 0.0) -> RecordedCheck:
    """Probe `monitor` now, record the result and evaluate it like a scheduled check.

    The schedule is untouched: a check now does not postpone the next scheduled one.
    `min_gap` (seconds) refuses a check that follows the last one too closely, so a
    person pressing a button cannot turn the monitor into a load generator.
    """
    ensure_can_check(monitor, min_gap)
    await monitor.fetch_related("owner")
    spec = ProbeSpec.of(monitor, runtime.allow_private(monitor.owner.telegram_id))
    await runtime.slots.take()  # one CHECK_CONCURRENCY budget with the engine
    try:
        result = await runtime.probe.check(spec)
    finally:
        runtime.slots.give_back()
    (recorded,) = await record_results([(monitor.id, result)])
    return recorded
