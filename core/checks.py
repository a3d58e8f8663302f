"""Checking a monitor at once, outside its schedule (the bot's Check now, the API)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q

from core.kinds import kind_module, monitor_spec
from core.monitor_rules import RuleError
from core.recording import RecordedCheck, record_results
from core.runtime import Runtime
from db.models import Monitor

# Seconds between two checks of one monitor by hand (the bot's button, the API).
MANUAL_CHECK_GAP = 10.0


def refuse_unprobed(monitor: Monitor) -> None:
    if not getattr(kind_module(monitor.kind), "PROBED", True):
        raise RuleError("not_probed")


async def claim_check_by_hand(monitor: Monitor, min_gap: float) -> None:
    """Claim the one check by hand `min_gap` seconds allow, or raise
    RuleError("check_too_soon") with the seconds left.

    The claim is a conditional UPDATE of the monitor's row (hand_check_at, checked
    against the last check of any kind too), so of many requests at once (double
    taps, parallel API calls, several replicas) the database lets exactly one through:
    reading last_check_at first and probing after would let them all pass. A kind
    nobody probes (push) is refused: RuleError("not_probed")."""
    refuse_unprobed(monitor)
    now = datetime.now(UTC)
    cutoff = now - timedelta(seconds=min_gap)
    claimed = await Monitor.filter(
        Q(id=monitor.id),
        Q(hand_check_at=None) | Q(hand_check_at__lte=cutoff),
        Q(last_check_at=None) | Q(last_check_at__lte=cutoff),
    ).update(hand_check_at=now)
    if claimed:
        monitor.hand_check_at = now
        return
    row = await Monitor.filter(id=monitor.id).values_list("hand_check_at", "last_check_at")
    latest = max((moment for moment in (row[0] if row else ()) if moment), default=now)
    waited = (now - latest).total_seconds()
    raise RuleError("check_too_soon", {"seconds": max(1, round(min_gap - waited))})


async def check_now(runtime: Runtime, monitor: Monitor, min_gap: float = 0.0) -> RecordedCheck:
    """Probe `monitor` now, record the result and evaluate it like a scheduled check.

    The schedule is untouched: a check now does not postpone the next scheduled one.
    `min_gap` (seconds) refuses a check that follows the last one too closely, so a
    person pressing a button cannot turn the monitor into a load generator (callers
    that answer before probing claim it themselves with claim_check_by_hand). The
    probe runs in one of the owner's share of the check slots (core/check_slots.py).
    """
    refuse_unprobed(monitor)
    if min_gap:
        await claim_check_by_hand(monitor, min_gap)
    await monitor.fetch_related("owner")
    spec = monitor_spec(monitor, runtime.allow_private(monitor.owner.telegram_id))
    async with runtime.slots.by_hand(monitor.owner_id):  # one budget with the engine
        result = await runtime.probe.check(spec)
    (recorded,) = await record_results([(monitor.id, result)])
    return recorded
