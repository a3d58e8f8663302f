"""Creating, pausing and resuming monitors: the rules the bot and the API share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from core import monitor_rules as rules
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


# Fields a user may change after creation, and the rule that checks each one.
EDITABLE_FIELDS = (
    "name",
    "url",
    "interval_seconds",
    "accepted_status_codes",
    "latency_threshold_ms",
    "keyword",
    "keyword_mode",
    "cert_warning_days",
    "method",
    "failure_threshold",
    "success_threshold",
)


async def update_monitor(monitor: Monitor, field: str, raw: Any) -> None:
    """Validate one field with the same rules as creation and save it (RuleError or
    TargetError on bad input; nothing changes then). `None` clears an optional rule."""
    rt = runtime.current()
    if field not in EDITABLE_FIELDS:
        raise rules.RuleError("field_invalid")
    optional = ("latency_threshold_ms", "keyword")
    if raw is None and field in optional:
        value: Any = None
    elif field == "url":
        await monitor.fetch_related("owner")
        value = (await check_target(str(raw), rt.allow_private(monitor.owner.telegram_id))).url
    elif field == "interval_seconds":
        value = rules.parse_interval(raw, rt.settings)
    else:
        parsers = {
            "name": rules.parse_name,
            "accepted_status_codes": rules.parse_status_codes,
            "latency_threshold_ms": rules.parse_latency_threshold,
            "keyword": rules.parse_keyword,
            "keyword_mode": rules.parse_keyword_mode,
            "cert_warning_days": rules.parse_cert_days,
            "method": rules.parse_method,
            "failure_threshold": rules.parse_threshold,
            "success_threshold": rules.parse_threshold,
        }
        value = parsers[field](raw)
    setattr(monitor, field, value)
    changed = [field]
    if field == "interval_seconds":
        if monitor.timeout_seconds >= value:
            monitor.timeout_seconds = rules.default_timeout(value)
            changed.append("timeout_seconds")
        soon = datetime.now(UTC) + timedelta(seconds=value)
        if monitor.next_check_at is not None and monitor.next_check_at > soon:
            monitor.next_check_at = soon
            changed.append("next_check_at")
    await monitor.save(update_fields=[*changed, "updated_at"])
