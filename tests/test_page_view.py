"""core.page_view on both databases: bars and figures from known rollups (and from the
real rollup job), incidents per day, the banner in each state, maintenance current and
scheduled, what stays private, the page's order, and the same six statements whatever
the number of monitors."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta

import pytest

from core.page_view import (
    DAYS,
    HOURS,
    MAINTENANCE,
    PageState,
    overall_state,
    page_view,
    view_json,
)
from db.models import CheckLog, Incident, MaintenanceWindow, User
from scheduler.rollups import roll_up_chunk
from tests.support.status_pages import figures, make_monitor, make_page, write_rollups

NOW = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)
TODAY = datetime(2026, 12, 2, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
FIRST_HOUR = datetime(2026, 12, 1, 11, tzinfo=UTC)  # the 24th hour back, the current one first


def by_name(view) -> dict:
    return {m.name: m for group in view.groups for m in group.monitors}


async def test_bars_and_figures_come_from_the_rollups(db) -> None:
    owner = await User.create(telegram_id=1)
    site = await make_monitor(owner, "Site", state="up", last_latency_ms=123)
    await make_page(owner, "acme", [("", [(site, False)])])
    await write_rollups("rollups_daily", {
        (site, TODAY): figures(100, failures=1),
        (site, TODAY - DAY): figures(1000),
        (site, TODAY - 10 * DAY): figures(10, maintenance=10),  # all in maintenance
        (site, TODAY - 40 * DAY): figures(100, failures=50),  # in 90 d, not in 30 d
        (site, TODAY - 90 * DAY): figures(100, failures=100),  # before the first bar
    })  # fmt: skip
    await write_rollups("rollups_hourly", {
        (site, FIRST_HOUR): figures(60, failures=6, latency_ms=200),
        (site, FIRST_HOUR + 23 * HOUR): figures(30, latency_ms=100),  # the current hour
        (site, FIRST_HOUR - HOUR): figures(60, failures=60),  # 25 hours back: not counted
    })  # fmt: skip

    view = await page_view("acme", NOW)
    monitor = by_name(view)["Site"]
    days = monitor.days
    assert len(days) == DAYS
    assert days[0].date == date(2026, 9, 4) and days[-1].date == date(2026, 12, 2)
    assert days[-1].uptime == pytest.approx(0.99)
    assert days[-2].uptime == 1.0
    assert days[-6].uptime is None  # no row: no data, not 100%
    assert days[-11].uptime is None  # only checks in maintenance
    assert days[-41].uptime == 0.5
    assert sum(day.uptime is not None for day in days) == 3
    assert monitor.uptime_30d == pytest.approx(1099 / 1100)
    assert monitor.uptime_90d == pytest.approx(1149 / 1200)
    assert monitor.uptime_24h == pytest.approx(84 / 90)
    assert len(monitor.latency_hours) == HOURS
    assert monitor.latency_hours[0] == 200 and monitor.latency_hours[-1] == 100
    assert monitor.latency_hours[1:-1] == [None] * (HOURS - 2)
    assert monitor.latency_avg_24h_ms == pytest.approx((54 * 200 + 30 * 100) / 84)
    assert monitor.latency_ms == 123
    assert monitor.state == "up" and view.state == PageState.OPERATIONAL

    answer = (await view_json(view))["groups"][0]["monitors"][0]
    assert answer["uptime"] == {"24h": round(84 / 90, 6), "30d": round(1099 / 1100, 6),
                                "90d": round(1149 / 1200, 6)}  # fmt: skip
    assert answer["days"][-1] == {"date": "2026-12-02", "uptime": 0.99, "incidents": 0,
                                  "downtime_seconds": 0}  # fmt: skip
    assert answer["days"][-6]["uptime"] is None
    assert answer["latency_24h"][0] == {"hour": "2026-12-01T11:00:00+00:00", "avg_ms": 200.0}


async def test_rollups_written_by_the_rollup_job(db) -> None:
    owner = await User.create(telegram_id=1)
    site = await make_monitor(owner, "Site", state="up")
    await make_page(owner, "acme", [("", [(site, False)])])
    for minutes, ok in ((100, True), (90, True), (80, False), (70, True)):
        await CheckLog.create(
            monitor=site, checked_at=NOW - timedelta(minutes=minutes), ok=ok, latency_ms=50
        )
    await roll_up_chunk(catch_up=True)

    monitor = by_name(await page_view("acme", NOW))["Site"]
    assert monitor.days[-1].uptime == 0.75
    assert monitor.uptime_24h == monitor.uptime_30d == monitor.uptime_90d == 0.75
    assert monitor.latency_avg_24h_ms == 50


async def test_incidents_are_counted_on_each_day_they_touch(db) -> None:
    owner = await User.create(telegram_id=1)
    site = await make_monitor(owner, "Site", state="down")
    other = await make_monitor(owner, "Other", state="up")
    await make_page(owner, "acme", [("", [(site, False), (other, False)])])
    for started, resolved in (
        (TODAY - DAY - HOUR, TODAY - DAY + HOUR),  # across midnight: an hour each side
        (TODAY - DAY + 2 * HOUR, TODAY - DAY + 3 * HOUR),
        (TODAY - 89 * DAY - DAY, TODAY - 88 * DAY + 12 * HOUR),  # from before the first bar
        (TODAY - 120 * DAY, TODAY - 119 * DAY),  # long before: not read
        (NOW - HOUR, None),  # open
    ):
        await Incident.create(
            monitor=site, started_at=started, resolved_at=resolved, cause="timeout",
            last_error="connection refused by 10.0.0.7",
        )  # fmt: skip

    view = await page_view("acme", NOW)
    days = by_name(view)["Site"].days
    assert (days[-3].incidents, days[-3].downtime_seconds) == (1, 3600)
    assert (days[-2].incidents, days[-2].downtime_seconds) == (2, 2 * 3600)
    assert (days[-1].incidents, days[-1].downtime_seconds) == (1, 3600)  # open: until now
    assert (days[0].incidents, days[0].downtime_seconds) == (1, 86400)
    assert (days[1].incidents, days[1].downtime_seconds) == (1, 43200)
    assert sum(day.incidents for day in days) == 6
    assert all(day.incidents == 0 for day in by_name(view)["Other"].days)
    assert [(i.monitor, i.started_at) for i in view.incidents] == [("Site", NOW - HOUR)]
    assert view.state == PageState.PARTIAL_OUTAGE  # one of two down
    text = json.dumps(await view_json(view))
    assert "10.0.0.7" not in text and "timeout" not in text  # no error details


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ([], PageState.OPERATIONAL),
        (["up", "up", "paused", "unknown"], PageState.OPERATIONAL),
        (["up", "up", "down"], PageState.PARTIAL_OUTAGE),
        (["up", "down"], PageState.PARTIAL_OUTAGE),  # half: not most
        (["up", "down", "down"], PageState.MAJOR_OUTAGE),
        (["down"], PageState.MAJOR_OUTAGE),
        (["down", "paused", "unknown", MAINTENANCE], PageState.MAJOR_OUTAGE),
        (["up", MAINTENANCE], PageState.MAINTENANCE),
        (["down", "up", "up", MAINTENANCE], PageState.PARTIAL_OUTAGE),
        (["paused", "paused"], PageState.OPERATIONAL),
    ],
)
def test_the_banner_is_the_share_of_known_monitors_down(states, expected) -> None:
    assert overall_state(states) == expected


async def test_banner_states_from_monitor_rows(db) -> None:
    owner = await User.create(telegram_id=1)
    monitors = [await make_monitor(owner, f"M{i}", state="up") for i in range(3)]
    await make_page(owner, "acme", [("", [(m, False) for m in monitors])])

    async def banner() -> str:
        return (await page_view("acme", NOW)).state

    assert await banner() == PageState.OPERATIONAL
    monitors[0].state = "down"
    await monitors[0].save()
    assert await banner() == PageState.PARTIAL_OUTAGE
    monitors[1].state = "down"
    await monitors[1].save()
    assert await banner() == PageState.MAJOR_OUTAGE
    for monitor in monitors[:2]:
        monitor.state = "up"
        await monitor.save()
    await MaintenanceWindow.create(owner=owner, monitor=monitors[2], starts_at=NOW - HOUR,
                                   ends_at=NOW + HOUR)  # fmt: skip
    assert await banner() == PageState.MAINTENANCE
    monitors[0].paused = True
    monitors[0].state = "paused"
    await monitors[0].save()
    view = await page_view("acme", NOW)
    assert [m.state for m in view.groups[0].monitors] == ["paused", "up", MAINTENANCE]


async def test_maintenance_current_and_scheduled(db) -> None:
    owner = await User.create(telegram_id=1)
    stranger = await User.create(telegram_id=2)
    api = await make_monitor(owner, "API", state="down")
    web = await make_monitor(owner, "Web", state="up")
    elsewhere = await make_monitor(owner, "Elsewhere", state="up")  # not on the page
    await make_page(owner, "acme", [("", [(api, False), (web, False)])])
    for who, monitor, starts, ends in (
        (owner, api, NOW - HOUR, NOW + HOUR),  # current, one monitor
        (owner, None, NOW + 2 * DAY, NOW + 2 * DAY + HOUR),  # scheduled, all of them
        (owner, None, NOW + 8 * DAY, NOW + 9 * DAY),  # beyond a week: not shown
        (owner, web, NOW - 2 * HOUR, NOW - HOUR),  # over
        (owner, elsewhere, NOW - HOUR, NOW + HOUR),  # a monitor not on the page
        (stranger, None, NOW - HOUR, NOW + HOUR),  # someone else's monitors
    ):
        await MaintenanceWindow.create(
            owner=who, monitor=monitor, starts_at=starts, ends_at=ends,
            reason="db migration, password hunter2",
        )  # fmt: skip

    view = await page_view("acme", NOW)
    assert [(w.active, w.monitors, w.all_monitors, w.starts_at) for w in view.maintenance] == [
        (True, ["API"], False, NOW - HOUR),
        (False, ["API", "Web"], True, NOW + 2 * DAY),
    ]
    # In maintenance a down monitor shows maintenance, and the page is not in an outage.
    assert {name: m.state for name, m in by_name(view).items()} == {
        "API": MAINTENANCE, "Web": "up"
    }  # fmt: skip
    assert view.state == PageState.MAINTENANCE
    answer = await view_json(view)
    assert answer["maintenance"][1] == {
        "starts_at": (NOW + 2 * DAY).isoformat(), "ends_at": (NOW + 2 * DAY + HOUR).isoformat(),
        "active": False, "monitors": ["API", "Web"],
    }  # fmt: skip
    assert "hunter2" not in json.dumps(answer)


async def test_only_the_page_s_monitors_and_only_what_is_public(db) -> None:
    owner = await User.create(telegram_id=987654321, username="owner_name")
    shown = await make_monitor(owner, "Shown", url="https://shown.example.com/health")
    hidden = await make_monitor(owner, "Hidden", url="https://hidden.example.com/secret")
    tcp = await make_monitor(owner, "Database", kind="tcp", url="db.internal.example:5432")
    push = await make_monitor(owner, "Backup", kind="push", url="every 1d")
    await make_monitor(owner, "Not on the page", url="https://private.example.com/")
    await make_page(owner, "acme", [("", [(shown, True), (hidden, False), (tcp, True),
                                          (push, True)])])  # fmt: skip
    other = await make_monitor(owner, "On another page")
    await make_page(owner, "other", [("", [(other, True)])])

    view = await page_view("acme", NOW)
    assert {name: m.url for name, m in by_name(view).items()} == {
        "Shown": "https://shown.example.com/health",
        "Hidden": None,
        "Database": "db.internal.example:5432",  # its target, shown as its owner chose
        "Backup": None,  # a push monitor has no address
    }
    text = json.dumps(await view_json(view))
    for private in ("hidden.example.com", "Not on the page", "On another page", "987654321",
                    "owner_name", "every 1d", "private.example.com"):  # fmt: skip
        assert private not in text, private
    assert by_name(view)["Backup"].latency_hours == [None] * HOURS  # no response time
    assert await page_view("missing", NOW) is None


async def test_groups_and_monitors_in_the_page_s_order(db) -> None:
    owner = await User.create(telegram_id=1)
    a, b, c, d = [await make_monitor(owner, name, state="up") for name in "ABCD"]
    await make_page(owner, "acme", [("Second", [(c, False), (a, False)]), ("Empty", []),
                                    ("", [(d, False), (b, False)])])  # fmt: skip
    view = await page_view("acme", NOW)
    assert [(g.name, [m.name for m in g.monitors]) for g in view.groups] == [
        ("Second", ["C", "A"]),
        ("", ["D", "B"]),  # an empty group is not shown
    ]


@pytest.mark.parametrize("size", [2, 25])
async def test_the_same_few_statements_whatever_the_size(db, size, caplog) -> None:
    owner = await User.create(telegram_id=1)
    monitors = [await make_monitor(owner, f"M{i}", state="up") for i in range(size)]
    await make_page(owner, "acme", [("", [(m, False) for m in monitors])])
    await write_rollups("rollups_daily", {(m, TODAY - n * DAY): figures(10) for m in monitors
                                          for n in range(DAYS)})  # fmt: skip
    for monitor in monitors:
        await Incident.create(monitor=monitor, started_at=NOW - HOUR, cause="timeout")
    with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
        view = await page_view("acme", NOW)
    statements = [r for r in caplog.records if r.name == "tortoise.db_client"]
    assert view.monitor_count == size and len(view.incidents) == size
    assert len(statements) == 6, [r.getMessage()[:80] for r in statements]
