"""A monitor's checks summed over time spans, from rollups and raw rows together.

The rollup job (scheduler/rollups.py) keeps hourly and daily aggregates of every row
of check_logs up to `done_id`. So any span's figures are exact as the sum of:
- raw rows for the part of the span that does not fill a whole hour at its start;
- daily rows for the whole days inside, hourly rows for the whole hours around them;
- raw rows above done_id (written since the last rollup run) in the rest.
Each part is one indexed query; no span, whatever its length, reads more than the
raw rows of one hour plus the rows added since the last rollup.

Raw rows are deleted after RAW_RETENTION_DAYS (rolled-up ones only); a span that
starts before that starts at the hour instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from core import runtime
from core.aggregates import Aggregate
from db.models import CheckLog, DailyRollup, HourlyRollup
from db.rollups import done_id

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
DEFAULT_RAW_RETENTION_DAYS = 30


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    floor = floor_hour(moment)
    return floor if floor == moment else floor + HOUR


def floor_day(moment: datetime) -> datetime:
    return floor_hour(moment).replace(hour=0)


def ceil_day(moment: datetime) -> datetime:
    floor = floor_day(moment)
    return floor if floor == moment else floor + DAY


def raw_kept_since(now: datetime) -> datetime:
    """The oldest moment raw rows are still kept for."""
    rt = runtime.current_or_none()
    days = rt.settings.raw_retention_days if rt else DEFAULT_RAW_RETENTION_DAYS
    return now - timedelta(days=days)


async def _raw(monitor_id: int, since: datetime, until: datetime, above_id: int | None = None):
    """Raw rows in [since, until), only those with an id above `above_id` if given."""
    rows = CheckLog.filter(monitor_id=monitor_id, checked_at__gte=since, checked_at__lt=until)
    if above_id is not None:
        rows = rows.filter(id__gt=above_id)
    return await rows.values_list("checked_at", "ok", "latency_ms", "in_maintenance")


def _add_raw(into: Aggregate, rows) -> Aggregate:
    for _at, ok, latency, maintenance in rows:
        into.add_check(bool(ok), latency, bool(maintenance))
    return into


async def span(monitor_id: int, since: datetime, until: datetime) -> Aggregate:
    """The figures of the monitor's checks in [since, until) (see the module doc)."""
    total = Aggregate()
    first_hour = ceil_hour(since)
    if since < raw_kept_since(until):
        first_hour = floor_hour(since)  # raw rows are gone: the whole hour counts
    elif first_hour > since:
        _add_raw(total, await _raw(monitor_id, since, min(first_hour, until)))
    if first_hour >= until:
        return total
    first_day, last_day = ceil_day(first_hour), floor_day(until)
    if first_day < last_day:
        hourly = [(first_hour, first_day), (last_day, until)]
        for row in await DailyRollup.filter(
            monitor_id=monitor_id, period_start__gte=first_day, period_start__lt=last_day
        ):
            total.merge(Aggregate.of_row(row))
    else:
        hourly = [(first_hour, until)]
    for start, end in hourly:
        if start < end:
            for row in await HourlyRollup.filter(
                monitor_id=monitor_id, period_start__gte=start, period_start__lt=end
            ):
                total.merge(Aggregate.of_row(row))
    _add_raw(total, await _raw(monitor_id, first_hour, until, above_id=await done_id()))
    return total


async def binned(
    monitor_id: int, since: datetime, until: datetime, step: timedelta
) -> dict[datetime, Aggregate]:
    """Figures per `step` (15 minutes, an hour or a day) in [since, until), keyed by the
    start of each bin, every bin present (empty ones too). Bins of an hour or a day
    come from the rollups plus the raw rows above done_id; shorter ones from raw rows."""
    start_of: Callable[[datetime], datetime]
    if step >= DAY:
        start_of, model = floor_day, DailyRollup
    elif step >= HOUR:
        start_of, model = floor_hour, HourlyRollup
    else:
        epoch = floor_day(since)

        def start_of(moment: datetime) -> datetime:
            return epoch + step * ((moment - epoch) // step)

        model = None
    bins: dict[datetime, Aggregate] = {}
    moment = start_of(since)
    while moment < until:
        bins[moment] = Aggregate()
        moment += step
    above = None
    if model is not None:
        for row in await model.filter(
            monitor_id=monitor_id, period_start__gte=start_of(since), period_start__lt=until
        ):
            if row.period_start in bins:
                bins[row.period_start].merge(Aggregate.of_row(row))
        above = await done_id()
    for at, ok, latency, maintenance in await _raw(monitor_id, start_of(since), until, above):
        key = start_of(at)
        if key in bins:
            bins[key].add_check(bool(ok), latency, bool(maintenance))
    return bins
