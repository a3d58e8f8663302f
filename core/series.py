"""A monitor's checks summed over time spans, from rollups and raw rows together.

The rollup job (scheduler/rollups.py) keeps hourly and daily aggregates of every row
of check_logs up to `done_id`. So any span's figures are exact as the sum of:
- raw rows for the part of the span that does not fill a whole hour at its start;
- daily rows for the whole days inside, hourly rows for the whole hours around them;
- raw rows above done_id (written since the last rollup run) in the rest.
Each part is one indexed query; no span, whatever its length, reads more than the
raw rows of one hour plus the rows added since the last rollup. done_id is read
before and after the reads, which are made again if a rollup run committed meanwhile
(`consistent`), so no row is missed or counted twice.

Raw rows are deleted after RAW_RETENTION_DAYS (rolled-up ones only); a span that
starts before that starts at the hour instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from core.aggregates import Aggregate
from core.settings import Settings
from db.models import CheckLog, DailyRollup, HourlyRollup
from db.rollups import done_id

T = TypeVar("T")

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
READ_ATTEMPTS = 5  # reads of rollups and raw rows before one done_id stands
# RAW_RETENTION_DAYS when the caller names none (benchmarks, scripts).
DEFAULT_RAW_RETENTION_DAYS: int = Settings.model_fields["raw_retention_days"].default


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


def raw_kept_since(now: datetime, raw_retention_days: int) -> datetime:
    """The oldest moment raw rows are still kept for (RAW_RETENTION_DAYS)."""
    return now - timedelta(days=raw_retention_days)


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


async def consistent(read: Callable[[int], Awaitable[T]]) -> T:
    """`read(done)`: reads of rollups and of the raw rows above `done`, against one
    rollup watermark. The rollup job moves done_id in the same transaction as it adds
    rows to the rollups, so done_id is read before and after the reads: when it moved
    meanwhile, rows just rolled up could be in neither the rollups read nor the raw
    rows above the new done_id (or in both), and the reads are made again. After
    READ_ATTEMPTS such moves in a row (a long backlog caught up chunk after chunk) the
    last reads stand, off by at most the rows rolled up while they were made."""
    done = await done_id()
    for _attempt in range(READ_ATTEMPTS - 1):
        result = await read(done)
        after = await done_id()
        if after == done:
            return result
        done = after
    return await read(done)


async def span(
    monitor_id: int,
    since: datetime,
    until: datetime,
    raw_retention_days: int = DEFAULT_RAW_RETENTION_DAYS,
) -> Aggregate:
    """The figures of the monitor's checks in [since, until) (see the module doc)."""
    return (await spans(monitor_id, [(since, until)], raw_retention_days))[0]


async def spans(
    monitor_id: int,
    ranges: Sequence[tuple[datetime, datetime]],
    raw_retention_days: int = DEFAULT_RAW_RETENTION_DAYS,
) -> list[Aggregate]:
    """span() of each of `ranges` (since, until), against one rollup watermark. Spans
    reaching further back than `raw_retention_days` start at the hour (module doc)."""
    parts: list[tuple[Aggregate, datetime, datetime]] = []  # (raw head, first hour, until)
    for since, until in ranges:
        head = Aggregate()
        first_hour = ceil_hour(since)
        if since < raw_kept_since(until, raw_retention_days):
            first_hour = floor_hour(since)  # raw rows are gone: the whole hour counts
        elif first_hour > since:
            _add_raw(head, await _raw(monitor_id, since, min(first_hour, until)))
        parts.append((head, first_hour, until))

    async def read(done: int) -> list[Aggregate]:
        figures = []
        for head, first_hour, until in parts:
            figures.append(await _rolled_up(monitor_id, head, first_hour, until, done))
        return figures

    return await consistent(read)


async def _rolled_up(
    monitor_id: int, head: Aggregate, first_hour: datetime, until: datetime, done: int
) -> Aggregate:
    """`head` plus the figures of [first_hour, until) (first_hour on the hour): rollups
    for the whole days and hours, raw rows above `done` in the rest."""
    total = Aggregate().merge(head)  # a copy: the reads may be made again
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
    _add_raw(total, await _raw(monitor_id, first_hour, until, above_id=done))
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
    first = start_of(since)

    async def read(above: int | None) -> dict[datetime, Aggregate]:
        bins: dict[datetime, Aggregate] = {}
        moment = first
        while moment < until:
            bins[moment] = Aggregate()
            moment += step
        if model is not None:
            for row in await model.filter(
                monitor_id=monitor_id, period_start__gte=first, period_start__lt=until
            ):
                if row.period_start in bins:
                    bins[row.period_start].merge(Aggregate.of_row(row))
        for at, ok, latency, maintenance in await _raw(monitor_id, first, until, above):
            key = start_of(at)
            if key in bins:
                bins[key].add_check(bool(ok), latency, bool(maintenance))
        return bins

    if model is None:
        return await read(None)  # raw rows only: no watermark involved
    return await consistent(read)
