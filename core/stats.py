"""Monitor statistics, the one source of the figures the bot and the API show.

Uptime is the share of successful checks in the window, checks in maintenance left
out. Downtime adds up the incidents' time inside the window (an incident straddling
the window's start counts from the start; an open one counts until now).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q
from tortoise.functions import Avg

from db.models import CheckLog, Incident

WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}


@dataclass
class WindowStats:
    window: str
    checks: int
    uptime: float | None  # None without checks
    incidents: int
    downtime_seconds: float
    avg_latency_ms: float | None
    p95_latency_ms: int | None


@dataclass
class LastIncident:
    started_at: datetime
    resolved_at: datetime | None
    cause: str
    error: str


async def uptime_since(monitor_id: int, since: datetime) -> float | None:
    """Share of successful checks since `since`, maintenance left out; None without checks."""
    checks = CheckLog.filter(monitor_id=monitor_id, checked_at__gte=since, in_maintenance=False)
    total = await checks.count()
    if not total:
        return None
    return await checks.filter(ok=True).count() / total


async def _latency(monitor_id: int, since: datetime) -> tuple[float | None, int | None]:
    """Average and 95th percentile of the latency of successful checks since `since`.

    The percentile is read with ORDER BY ... OFFSET on the (monitor, time) index's rows,
    which both dialects can do without loading the values.
    """
    rows = CheckLog.filter(
        monitor_id=monitor_id,
        checked_at__gte=since,
        ok=True,
        in_maintenance=False,
        latency_ms__isnull=False,
    )
    count = await rows.count()
    if not count:
        return None, None
    average = (await rows.annotate(avg=Avg("latency_ms")).values_list("avg", flat=True))[0]
    offset = int(0.95 * (count - 1))
    p95 = (
        await rows.order_by("latency_ms")
        .offset(offset)
        .limit(1)
        .values_list("latency_ms", flat=True)
    )
    return (float(average) if average is not None else None), p95[0]


async def window_stats(monitor_id: int, window: str, now: datetime | None = None) -> WindowStats:
    now = now or datetime.now(UTC)
    since = now - WINDOWS[window]
    checks = await CheckLog.filter(
        monitor_id=monitor_id, checked_at__gte=since, in_maintenance=False
    ).count()
    incidents = await Incident.filter(
        Q(resolved_at=None) | Q(resolved_at__gte=since), monitor_id=monitor_id, started_at__lt=now
    )
    downtime = sum(
        ((i.resolved_at or now) - max(i.started_at, since)).total_seconds() for i in incidents
    )
    average, p95 = await _latency(monitor_id, since)
    return WindowStats(
        window=window,
        checks=checks,
        uptime=await uptime_since(monitor_id, since),
        incidents=len(incidents),
        downtime_seconds=max(0.0, downtime),
        avg_latency_ms=average,
        p95_latency_ms=p95,
    )


async def last_incident(monitor_id: int) -> LastIncident | None:
    incident = await Incident.filter(monitor_id=monitor_id).order_by("-started_at").first()
    if incident is None:
        return None
    return LastIncident(
        incident.started_at, incident.resolved_at, incident.cause, incident.last_error
    )


async def monitor_stats(monitor_id: int, now: datetime | None = None) -> list[WindowStats]:
    """Figures for 24 h, 7 d and 30 d."""
    return [await window_stats(monitor_id, window, now) for window in WINDOWS]
