"""Checking a monitor at once, outside its schedule (the bot's Check now, the API)."""

from __future__ import annotations

from core import runtime
from core.probe import ProbeSpec
from core.recording import RecordedCheck, record_results
from db.models import Monitor


async def check_now(monitor: Monitor) -> RecordedCheck:
    """Probe `monitor` now, record the result and evaluate it like a scheduled check.

    The schedule is untouched: a check now does not postpone the next scheduled one.
    """
    rt = runtime.current()
    await monitor.fetch_related("owner")
    spec = ProbeSpec.of(monitor, rt.allow_private(monitor.owner.telegram_id))
    result = await rt.probe.check(spec)
    (recorded,) = await record_results([(monitor.id, result)])
    return recorded
