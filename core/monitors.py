"""Creating, pausing and resuming monitors: the rules the bot and the API share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from core import runtime
from core.targets import check_target
from db.claims import first_check_at
from db.connection import current_connection
from db.models import Incident, Monitor, MonitorState, User


async def create_monitor(owner: User, url: str, name: str | None = None, **options: Any) -> Monitor:
    """Create a monitor after the target check (raises TargetError); first check soon,
    with jitter so that many monitors created together do not fire together."""
    target = await check_target(url, runtime.current().allow_private(owner.telegram_id))
    interval = int(
        options.get("interval_seconds", Monitor._meta.fields_map["interval_seconds"].default)
    )
    return await Monitor.create(
        owner=owner,
        url=target.url,
        name=(name or target.host)[:128],
        next_check_at=first_check_at(datetime.now(UTC), interval),
        **options,
    )


async def pause_monitor(monitor: Monitor) -> None:
    """Stop checking. An open incident is closed at this moment, silently: nobody knows
    the state any more, and a resumed monitor starts from unknown."""
    now = datetime.now(UTC)
    async with in_transaction(current_connection().connection_name):
        await Incident.filter(monitor_id=monitor.id, resolved_at=None).update(resolved_at=now)
        monitor.paused = True
        monitor.state = MonitorState.PAUSED
        monitor.state_since = now
        monitor.next_check_at = None
        monitor.consecutive_failures = monitor.consecutive_successes = 0
        monitor.failing_since = monitor.failing_first_error = None
        await monitor.save()


async def resume_monitor(monitor: Monitor) -> None:
    now = datetime.now(UTC)
    monitor.paused = False
    monitor.state = MonitorState.UNKNOWN
    monitor.state_since = now
    monitor.next_check_at = first_check_at(now, monitor.interval_seconds, max_jitter_s=5)
    await monitor.save()
