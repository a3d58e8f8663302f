"""Monitor statistics, the one source of the figures the bot and the API show.

For a window (24 h, 7 d, 30 d, 90 d ending now):
- uptime: successful checks over checks, maintenance left out, from core/series.py
  (rollups plus raw rows, exact at the window's edges);
- average and 95th-percentile latency of successful checks (the percentile from the
  mergeable histogram, within about 7%);
- incidents overlapping the window, the downtime inside it (an incident straddling
  the start counts from the start; an open one, or one resolved after `now`, until
  `now`), MTTR (the mean length of the incidents resolved inside the window) and the
  longest incident;
- the last check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from tortoise.expressions import Q

from core.aggregates import Aggregate
from core.series import DEFAULT_RAW_RETENTION_DAYS, HOUR, floor_day, floor_hour, span, spans
from db.models import DailyRollup, HourlyRollup, Incident, Monitor

# The names of WINDOWS, for callback data to reject any other (bot.callbacks.StatsCb).
Window = Literal["24h", "7d", "30d", "90d"]
WINDOWS: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
}


def rollup_window_start(
    window: str, now: datetime
) -> tuple[type[HourlyRollup | DailyRollup], datetime]:
    """Which rollups a window of WINDOWS sums when read from the rollups alone (public
    pages and badges), and the first period it takes: 24h is the current hour and the
    23 before it, the others today (UTC) and the days before it. The current hour and
    day count with what they hold so far, so an outage shows within a rollup run or
    two, at the price of a window reaching between N - 1 and N periods back."""
    length = WINDOWS[window]
    if length <= timedelta(days=1):
        return HourlyRollup, floor_hour(now) - (length - HOUR)
    return DailyRollup, floor_day(now) - (length - timedelta(days=1))


@dataclass
class WindowStats:
    window: str
    checks: int  # checks outside maintenance
    uptime: float | None  # None without checks
    incidents: int
    downtime_seconds: float
    mttr_seconds: float | None  # None without an incident resolved in the window
    longest_incident_seconds: float | None
    avg_latency_ms: float | None
    p95_latency_ms: int | None
    last_check_at: datetime | None


@dataclass
class LastIncident:
    started_at: datetime
    resolved_at: datetime | None
    cause: str
    error: str


async def uptime_since(monitor_id: int, since: datetime) -> float | None:
    """Share of successful checks since `since`, maintenance left out; None without checks."""
    return (await span(monitor_id, since, datetime.now(UTC))).uptime


async def incidents_overlapping(monitor_id: int, since: datetime, now: datetime) -> list[Incident]:
    """The monitor's incidents with a moment in [since, now): started before `now`, and
    open or resolved after `since` (one resolved exactly at `since` has none inside)."""
    return await Incident.filter(
        Q(resolved_at=None) | Q(resolved_at__gt=since), monitor_id=monitor_id, started_at__lt=now
    ).order_by("started_at")


def ended(incident: Incident, now: datetime) -> datetime:
    """Where the incident ends as seen at `now`: its resolution, but never after `now`
    (an open one, or one resolved after a past `now`, lasts until `now`)."""
    return min(incident.resolved_at or now, now)


async def _last_check_at(monitor_id: int) -> datetime | None:
    last_check = await Monitor.filter(id=monitor_id).values_list("last_check_at", flat=True)
    return last_check[0] if last_check else None


def _figures(
    window: str,
    since: datetime,
    now: datetime,
    figures: Aggregate,
    incidents: list[Incident],
    last_check_at: datetime | None,
) -> WindowStats:
    """A window's figures from its checks and the incidents overlapping it."""
    downtime = sum((ended(i, now) - max(i.started_at, since)).total_seconds() for i in incidents)
    resolved = [
        (i.resolved_at - i.started_at).total_seconds()
        for i in incidents
        if i.resolved_at is not None and i.resolved_at <= now
    ]
    lengths = [(ended(i, now) - i.started_at).total_seconds() for i in incidents]
    return WindowStats(
        window=window,
        checks=figures.counted,
        uptime=figures.uptime,
        incidents=len(incidents),
        downtime_seconds=max(0.0, downtime),
        mttr_seconds=sum(resolved) / len(resolved) if resolved else None,
        longest_incident_seconds=max(lengths) if lengths else None,
        avg_latency_ms=figures.avg_latency_ms,
        p95_latency_ms=figures.latency_quantile(0.95),
        last_check_at=last_check_at,
    )


async def window_stats(
    monitor_id: int,
    window: str,
    now: datetime | None = None,
    raw_retention_days: int = DEFAULT_RAW_RETENTION_DAYS,
) -> WindowStats:
    now = now or datetime.now(UTC)
    since = now - WINDOWS[window]
    figures = await span(monitor_id, since, now, raw_retention_days)
    incidents = await incidents_overlapping(monitor_id, since, now)
    return _figures(window, since, now, figures, incidents, await _last_check_at(monitor_id))


async def last_incident(monitor_id: int) -> LastIncident | None:
    incident = await Incident.filter(monitor_id=monitor_id).order_by("-started_at").first()
    if incident is None:
        return None
    return LastIncident(
        incident.started_at, incident.resolved_at, incident.cause, incident.last_error
    )


async def monitor_stats(
    monitor_id: int,
    now: datetime | None = None,
    raw_retention_days: int = DEFAULT_RAW_RETENTION_DAYS,
) -> list[WindowStats]:
    """Figures for every window, as window_stats gives them, from one read of the
    incidents (those of the widest window, filtered per window) and of the last check,
    and the checks of every window against one rollup watermark (core.series.spans)."""
    now = now or datetime.now(UTC)
    starts = {window: now - length for window, length in WINDOWS.items()}
    incidents = await incidents_overlapping(monitor_id, min(starts.values()), now)
    last_check_at = await _last_check_at(monitor_id)
    checks = await spans(
        monitor_id, [(since, now) for since in starts.values()], raw_retention_days
    )
    result = []
    for (window, since), figures in zip(starts.items(), checks, strict=True):
        inside = [i for i in incidents if i.resolved_at is None or i.resolved_at > since]
        result.append(_figures(window, since, now, figures, inside, last_check_at))
    return result
