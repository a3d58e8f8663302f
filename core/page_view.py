"""What a public status page shows, assembled from the page's rows, the monitor rows
and the rollups: never from check_logs, so a page of 500 monitors with 90 days behind
each costs the same handful of indexed reads as a page of one.

One function, `page_view(slug, now)`, reads (the page's monitors as one IN list):
1. the page; 2. its monitors with their groups and monitor rows (through the page's
index on status_page_monitors); 3. the daily rollups of the last DAYS days; 4. the
hourly rollups of the last HOURS hours; 5. the incidents overlapping those days; 6. the
maintenance windows current or starting within UPCOMING that cover any of them.

What it shows, and why:
- A monitor's state is its row's (up, down, unknown), "paused", or "maintenance" while
  a window covers it now. The rollups trail the newest checks by up to one rollup run
  (a minute or two): fine for bars and percentages, while the state is current.
- Days are UTC days, today included (partial). A day is its daily rollup's uptime
  (maintenance left out, as everywhere), or "no data" (None) without a counted check;
  and the incidents that overlapped it, counted, with the downtime inside that day.
- Uptime over 24 h is the hourly rollups of the last HOURS hours (the current one
  included); 30 d and 90 d are the daily rollups of the last 30 and 90 days (today
  included). Response time over 24 h is the average per hour of the same hourly rows,
  and the last check's latency. A push monitor has no response time (its "latency" is
  a job's run time), so none is shown for it.
- The overall state: a major outage when more than half of the monitors whose state is
  known (up or down: paused ones, those in maintenance and new ones left out) are
  down; a partial outage when fewer are; maintenance when none is down and one is in
  maintenance; operational otherwise (an empty page too).
- A monitor costs about half a millisecond of CPU to assemble (90 days, 24 hours), and
  a rollup row a few microseconds to read, so the event loop gets a turn every
  YIELD_EVERY monitors and YIELD_ROWS rows: a page of 500 monitors does not hold up
  the requests and checks around it.
- Nothing private: no owner, no error text or cause, no window's reason, no monitor
  ids; a monitor's address only when its owner chose to show it (`show_url`), and
  never a push monitor's (it has none: its `url` is its schedule).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from tortoise.backends.base.client import BaseDBAsyncClient

from core.aggregates import Aggregate
from core.series import DAY, HOUR, floor_day
from core.stats import WINDOWS, rollup_window_start
from db.bulk import id_list, is_postgres
from db.claims import db_time, sqlite_time
from db.connection import current_connection
from db.models import MonitorState, StatusPage

BARS_WINDOW = "90d"  # a daily bar for each day of it, and the 90 d uptime
DAYS = WINDOWS[BARS_WINDOW].days
HOURS = 24  # hourly response times, and the 24 h uptime
UPCOMING = timedelta(days=7)  # maintenance shown this far ahead
YIELD_EVERY = 10  # monitors assembled between two turns of the event loop
YIELD_ROWS = 1000  # rollup rows read between two turns
PUSH_KIND = "push"
MAINTENANCE = "maintenance"  # a monitor's state while a window covers it


class PageState(StrEnum):
    OPERATIONAL = "operational"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    MAINTENANCE = "maintenance"


# Every state a monitor shows on a page.
MONITOR_STATES = (*(s.value for s in MonitorState), MAINTENANCE)


@dataclass(frozen=True)
class Day:
    date: date
    uptime: float | None  # None: no data that day
    incidents: int  # incidents that overlapped the day
    downtime_seconds: int  # of those incidents, inside the day


@dataclass
class MonitorView:
    name: str
    state: str  # one of MONITOR_STATES
    url: str | None  # only when shown
    days: list[Day]
    uptime_24h: float | None
    uptime_30d: float | None
    uptime_90d: float | None
    latency_ms: int | None  # the last check's
    latency_avg_24h_ms: float | None
    latency_hours: list[float | None]  # average per hour, oldest first; None: no data


@dataclass
class GroupView:
    name: str  # "" for the page's unnamed group
    monitors: list[MonitorView]


@dataclass(frozen=True, order=True)
class OpenIncident:
    started_at: datetime  # first: the list is in this order
    monitor: str


@dataclass
class Maintenance:
    starts_at: datetime
    ends_at: datetime
    active: bool  # running now, else scheduled
    monitors: list[str]  # the page's monitors it covers, in page order
    all_monitors: bool  # it covers every monitor on the page


@dataclass
class PageView:
    slug: str
    title: str
    description: str
    logo_url: str | None
    note: str
    state: PageState
    updated_at: datetime
    first_hour: datetime  # of latency_hours
    groups: list[GroupView] = field(default_factory=list)
    incidents: list[OpenIncident] = field(default_factory=list)
    maintenance: list[Maintenance] = field(default_factory=list)

    @property
    def monitor_count(self) -> int:
        return sum(len(group.monitors) for group in self.groups)


def overall_state(states: list[str]) -> PageState:
    """The banner (module doc): by the share of known monitors that are down."""
    down = states.count(MonitorState.DOWN)
    known = down + states.count(MonitorState.UP)
    if down:
        return PageState.MAJOR_OUTAGE if 2 * down > known else PageState.PARTIAL_OUTAGE
    if MAINTENANCE in states:
        return PageState.MAINTENANCE
    return PageState.OPERATIONAL


def _mark(conn: BaseDBAsyncClient, number: int) -> str:
    return f"${number}" if is_postgres(conn) else "?"


def _param(conn: BaseDBAsyncClient, moment: datetime) -> Any:
    return moment if is_postgres(conn) else sqlite_time(moment)


async def _rows_of(
    conn: BaseDBAsyncClient, sql: str, times: list[datetime], ids: list[int]
) -> list:
    """`sql` with its time parameters first ($1.. in order) and `{ids}` the IN list."""
    condition, listed = id_list(conn, ids, start=len(times) + 1)
    params = [_param(conn, moment) for moment in times] + listed
    _, rows = await conn.execute_query(sql.format(ids=condition), params)
    return rows


async def page_view(slug: str, now: datetime | None = None) -> PageView | None:
    """The public view of the page `slug` at `now`; None when there is no such page."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    page = await StatusPage.get_or_none(slug=slug)
    if page is None:
        return None
    conn = current_connection()
    _, items = await conn.execute_query(
        "SELECT i.group_id, g.name AS group_name, i.show_url, m.id, m.owner_id, m.name, "
        "m.kind, m.url, m.state, m.paused, m.last_latency_ms FROM status_page_monitors AS i "
        "JOIN status_page_groups AS g ON g.id = i.group_id "
        "JOIN monitors AS m ON m.id = i.monitor_id "
        f"WHERE i.page_id = {_mark(conn, 1)} ORDER BY g.position, g.id, i.position, i.id",
        [page.id],
    )
    items = [dict(item) for item in items]
    ids = [item["id"] for item in items]
    first_day = rollup_window_start(BARS_WINDOW, now)[1]
    first_hour = rollup_window_start("24h", now)[1]
    history = await _history(conn, ids, first_day, first_hour, now)
    windows = await _windows(conn, items, now)
    active = [w for w in windows if w.starts_at <= now]
    in_maintenance = {item["id"] for item in items if any(_covers(w, item) for w in active)}
    groups: dict[int, GroupView] = {}  # in the page's order: the rows come in it
    names: dict[int, str] = {}
    for index, item in enumerate(items):
        names[item["id"]] = item["name"]
        group = groups.setdefault(item["group_id"], GroupView(item["group_name"], []))
        group.monitors.append(
            _monitor(item, item["id"] in in_maintenance, history, first_day, first_hour, now)
        )
        if index % YIELD_EVERY == YIELD_EVERY - 1:
            await asyncio.sleep(0)  # let requests and checks through (module doc)
    view = PageView(
        slug=page.slug,
        title=page.title,
        description=page.description,
        logo_url=page.logo_url,
        note=page.note,
        state=PageState.OPERATIONAL,
        updated_at=now,
        first_hour=first_hour,
        groups=list(groups.values()),  # a group without monitors is not shown
        incidents=sorted(
            OpenIncident(started_at=i["started_at"], monitor=names[monitor_id])
            for monitor_id, listed in history.incidents.items()
            for i in listed
            if i["resolved_at"] is None
        ),
        maintenance=[_maintenance(w, items, now) for w in sorted(windows, key=_window_order)],
    )
    view.state = overall_state([m.state for g in view.groups for m in g.monitors])
    return view


class _Figures(NamedTuple):
    """The columns of a rollup row the page uses (no histogram: nothing to decode)."""

    checks: int
    failures: int
    maintenance: int
    latency_count: int
    latency_sum: int


def _total(rows: Iterable[_Figures]) -> Aggregate:
    """The rows summed, as an Aggregate (so uptime and averages are its arithmetic)."""
    sums = [sum(column) for column in zip(*rows, strict=True)] or [0] * len(_Figures._fields)
    return Aggregate(**dict(zip(_Figures._fields, sums, strict=True)))


def _uptime(figures: _Figures | None) -> float | None:
    if figures is None:
        return None
    return Aggregate(
        checks=figures.checks, failures=figures.failures, maintenance=figures.maintenance
    ).uptime


@dataclass
class _History:
    daily: dict[int, dict[datetime, _Figures]]  # by monitor, then period start
    hourly: dict[int, dict[datetime, _Figures]]
    incidents: dict[int, list[dict]]  # by monitor


async def _history(
    conn: BaseDBAsyncClient, ids: list[int], first_day: datetime, first_hour: datetime,
    now: datetime,
) -> _History:  # fmt: skip
    """The rollups and incidents of the monitors `ids` (module doc, reads 3-5)."""
    history = _History(defaultdict(dict), defaultdict(dict), defaultdict(list))
    if not ids:
        return history
    for table, since, into in (
        ("rollups_daily", first_day, history.daily),
        ("rollups_hourly", first_hour, history.hourly),
    ):
        rows = await _rows_of(
            conn,
            f"SELECT monitor_id, period_start, {', '.join(_Figures._fields)} FROM {table} "
            f"WHERE period_start >= {_mark(conn, 1)} AND monitor_id {{ids}}",
            [since],
            ids,
        )
        for index, row in enumerate(rows):
            into[row["monitor_id"]][db_time(row["period_start"])] = _Figures(
                row["checks"], row["failures"], row["maintenance"], row["latency_count"],
                int(row["latency_sum"]),
            )  # fmt: skip
            if index % YIELD_ROWS == YIELD_ROWS - 1:
                await asyncio.sleep(0)
    incidents = await _rows_of(
        conn,
        "SELECT monitor_id, started_at, resolved_at FROM incidents WHERE started_at < "
        f"{_mark(conn, 1)} AND (resolved_at IS NULL OR resolved_at > {_mark(conn, 2)}) "
        "AND monitor_id {ids}",
        [now, first_day],
        ids,
    )
    for row in incidents:
        resolved = row["resolved_at"]
        history.incidents[row["monitor_id"]].append({
            "started_at": db_time(row["started_at"]),
            "resolved_at": None if resolved is None else db_time(resolved),
        })  # fmt: skip
    return history


class _Window(NamedTuple):
    id: int
    owner_id: int
    monitor_id: int | None
    starts_at: datetime
    ends_at: datetime


async def _windows(conn: BaseDBAsyncClient, items: list[dict], now: datetime) -> list[_Window]:
    """The maintenance windows running at `now` or starting within UPCOMING that cover
    any of `items` (module doc, read 6). A window belongs to the owner of the monitors
    it covers, so the owners' windows are read (their index on (owner_id, ends_at)) and
    kept when they cover one; the private `reason` is not even read."""
    owners = sorted({item["owner_id"] for item in items})
    if not owners:
        return []
    rows = await _rows_of(
        conn,
        "SELECT id, owner_id, monitor_id, starts_at, ends_at FROM maintenance_windows "
        f"WHERE ends_at > {_mark(conn, 1)} AND starts_at <= {_mark(conn, 2)} "
        "AND owner_id {ids}",
        [now, now + UPCOMING],
        owners,
    )
    windows = [
        _Window(row["id"], row["owner_id"], row["monitor_id"], db_time(row["starts_at"]),
                db_time(row["ends_at"]))
        for row in rows
    ]  # fmt: skip
    return [w for w in windows if any(_covers(w, item) for item in items)]


def _covers(window: _Window, item: dict) -> bool:
    """A window covers its monitor, or (without one) every monitor of its owner."""
    if window.monitor_id is None:
        return window.owner_id == item["owner_id"]
    return window.monitor_id == item["id"]


def _window_order(window: _Window) -> tuple:
    return (window.starts_at, window.ends_at, window.id)


def _maintenance(window: _Window, items: list[dict], now: datetime) -> Maintenance:
    covered = [item["name"] for item in items if _covers(window, item)]
    return Maintenance(
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        active=window.starts_at <= now,
        monitors=covered,
        all_monitors=len(covered) == len(items),
    )


def _since(bins: dict[datetime, _Figures], start: datetime) -> Aggregate:
    return _total(figures for period, figures in bins.items() if period >= start)


def _monitor(
    item: dict, in_maintenance: bool, history: _History, first_day: datetime,
    first_hour: datetime, now: datetime,
) -> MonitorView:  # fmt: skip
    monitor_id = item["id"]
    daily, hourly = history.daily.get(monitor_id, {}), history.hourly.get(monitor_id, {})
    state = str(item["state"])
    if item["paused"]:
        state = MonitorState.PAUSED.value
    elif in_maintenance:
        state = MAINTENANCE
    push = item["kind"] == PUSH_KIND
    hours = [hourly.get(first_hour + n * HOUR) for n in range(HOURS)]
    last_24h = _total(h for h in hours if h is not None)
    return MonitorView(
        name=item["name"],
        state=state,
        url=item["url"] if item["show_url"] and not push else None,
        days=_days(daily, history.incidents.get(monitor_id, []), first_day, now),
        uptime_24h=last_24h.uptime,
        uptime_30d=_since(daily, rollup_window_start("30d", now)[1]).uptime,
        uptime_90d=_since(daily, first_day).uptime,
        latency_ms=None if push else item["last_latency_ms"],
        latency_avg_24h_ms=None if push else last_24h.avg_latency_ms,
        latency_hours=[
            None if push or h is None or not h.latency_count else h.latency_sum / h.latency_count
            for h in hours
        ],
    )


def _days(
    daily: dict[datetime, _Figures], incidents: list[dict], first_day: datetime, now: datetime
) -> list[Day]:
    """DAYS bars, oldest first: each day's uptime and the monitor's incidents inside it."""
    counts = [0] * DAYS
    downtime = [0.0] * DAYS
    for incident in incidents:
        start = max(incident["started_at"], first_day)
        end = min(incident["resolved_at"] or now, now)
        index = int((floor_day(start) - first_day) / DAY)
        while index < DAYS and first_day + index * DAY < end:
            day_start = first_day + index * DAY
            counts[index] += 1
            inside = min(end, day_start + DAY) - max(start, day_start)
            downtime[index] += max(0.0, inside.total_seconds())
            index += 1
    days = []
    for index in range(DAYS):
        start = first_day + index * DAY
        figures = daily.get(start)
        days.append(
            Day(
                date=start.date(),
                uptime=_uptime(figures),
                incidents=counts[index],
                downtime_seconds=round(downtime[index]),
            )
        )
    return days


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


async def view_json(view: PageView) -> dict:
    """The page as GET /status/<slug>.json answers it (the StatusPage schema in
    api/openapi.py): times ISO 8601 in UTC, uptime as a fraction (0-1), nothing
    translated (states are codes). Built with a turn of the event loop every
    YIELD_EVERY monitors, like the page itself."""
    hours = [_when(view.first_hour + n * HOUR) for n in range(HOURS)]
    days = view.groups[0].monitors[0].days if view.groups else []  # every monitor's
    dates = [day.date.isoformat() for day in days]
    groups = []
    done = 0
    for group in view.groups:
        monitors = []
        for monitor in group.monitors:
            monitors.append(_monitor_json(monitor, hours, dates))
            done += 1
            if done % YIELD_EVERY == 0:
                await asyncio.sleep(0)
        groups.append({"name": group.name, "monitors": monitors})
    return {
        "slug": view.slug,
        "title": view.title,
        "description": view.description,
        "logo_url": view.logo_url,
        "note": view.note,
        "state": view.state.value,
        "updated_at": _when(view.updated_at),
        "groups": groups,
        "incidents": [
            {"monitor": i.monitor, "started_at": _when(i.started_at)} for i in view.incidents
        ],
        "maintenance": [
            {
                "starts_at": _when(w.starts_at),
                "ends_at": _when(w.ends_at),
                "active": w.active,
                "monitors": w.monitors,
            }
            for w in view.maintenance
        ],
    }


def _monitor_json(monitor: MonitorView, hours: list[str], dates: list[str]) -> dict:
    return {
        "name": monitor.name,
        "state": monitor.state,
        "url": monitor.url,
        "uptime": {
            "24h": _rounded(monitor.uptime_24h, 6),
            "30d": _rounded(monitor.uptime_30d, 6),
            "90d": _rounded(monitor.uptime_90d, 6),
        },
        "latency_ms": monitor.latency_ms,
        "latency_avg_24h_ms": _rounded(monitor.latency_avg_24h_ms, 1),
        "latency_24h": [
            {"hour": hour, "avg_ms": _rounded(avg, 1)}
            for hour, avg in zip(hours, monitor.latency_hours, strict=True)
        ],
        "days": [
            {
                "date": date,
                "uptime": _rounded(day.uptime, 6),
                "incidents": day.incidents,
                "downtime_seconds": day.downtime_seconds,
            }
            for date, day in zip(dates, monitor.days, strict=True)
        ],
    }
