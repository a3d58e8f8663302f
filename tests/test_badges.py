"""Badges: the SVG renderer (widths, escaping), the token, the figures and colours from
known rollups and monitor rows on both databases, and the public routes of the real web
app on loopback (each badge, ?window=, ?label=, ?lang=, 404 for every unknown token,
ETag and 304, Cache-Control, rotation, the figures' cache on a manual clock)."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from core import badge_svg, badges
from core.aggregates import Aggregate
from core.badge_svg import BLUE, GREEN, GREY, ORANGE, RED, YELLOW, YELLOWGREEN, Badge
from core.clock import ManualClock
from core.i18n import use_locale
from core.probe import Probe
from core.stats import WINDOWS
from db.models import DailyRollup, HourlyRollup, MaintenanceWindow, Monitor, MonitorState, User
from tests.support.api import ApiClient, serving
from tests.support.bot_harness import tr

SVG_NS = "{http://www.w3.org/2000/svg}"
# A Wednesday, half past ten (UTC): the current hour and day are partly over.
NOW = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
HOSTILE = "<script>alert(\"x\")</script> & 'q'"


@dataclass
class Shown:
    """What a badge's SVG says: its label, its value and the value's colour."""

    label: str
    value: str
    colour: str
    width: int


def shown(svg: str) -> Shown:
    """The badge read back from its SVG, which must be well-formed XML: two texts (the
    shadow and the text) per part, the value's box coloured, every text's box as wide
    as the text plus its padding."""
    root = ET.fromstring(svg)
    texts = list(root.iter(f"{SVG_NS}text"))
    label, value = texts[0].text or "", texts[2].text or ""
    assert [t.text for t in texts] == [label, label, value, value]
    boxes = [rect for rect in root.iter(f"{SVG_NS}rect") if "fill" in rect.attrib]
    label_box, value_box = boxes[1], boxes[2]
    for text, box in ((texts[0], label_box), (texts[2], value_box)):
        assert int(text.attrib["textLength"]) + 2 * badge_svg.PADDING == int(box.attrib["width"])
    assert root.attrib["aria-label"] == f"{label}: {value}"
    return Shown(label, value, value_box.attrib["fill"], int(root.attrib["width"]))


# --- the renderer ---------------------------------------------------------------------------


def test_a_badge_is_as_wide_as_its_texts() -> None:
    narrow = shown(badge_svg.render(Badge("status", "up", GREEN)))
    wide = shown(badge_svg.render(Badge("status", "maintenance", BLUE)))
    assert (narrow.label, narrow.value, narrow.colour) == ("status", "up", GREEN)
    assert wide.width > narrow.width
    # The table: "i" is narrow and "W" wide, in Verdana as here; ten of each differ a lot.
    assert badge_svg.text_width("i" * 10) == 31
    assert badge_svg.text_width("W" * 10) == 109
    assert (
        shown(badge_svg.render(Badge("W" * 10, "up", GREEN))).width
        > shown(badge_svg.render(Badge("i" * 10, "up", GREEN))).width
    )
    # Widths of letters beyond the table are estimated; combining marks take none.
    assert badge_svg.text_width("статус") == 42  # six small letters of 6.9 px
    assert badge_svg.text_width("e\u0301") == badge_svg.text_width("e")
    assert badge_svg.text_width("状态") == 22


def test_everything_a_badge_says_is_escaped() -> None:
    svg = badge_svg.render(Badge(HOSTILE, "a&b<c>", RED))
    assert "<script" not in svg and "</script>" not in svg
    assert svg.count("&lt;script&gt;") == 4  # two texts, the title and aria-label
    back = shown(svg)  # well-formed, and the texts come back as they were
    assert (back.label, back.value) == (HOSTILE, "a&b<c>")
    root = ET.fromstring(svg)
    assert root.find(f"{SVG_NS}title").text == f"{HOSTILE}: a&b<c>"
    assert not list(root.iter(f"{SVG_NS}script"))


# --- the words and colours ------------------------------------------------------------------


def sums(counted: int, failures: int = 0, maintenance: int = 0, latency: float = 0) -> Aggregate:
    good = counted - failures
    return Aggregate(
        checks=counted + maintenance,
        failures=failures,
        maintenance=maintenance,
        latency_count=good if latency else 0,
        latency_sum=round(good * latency) if latency else 0,
    )


@pytest.mark.parametrize(
    ("counted", "failures", "value", "colour"),
    [
        (100, 0, "100%", GREEN),
        (100_000, 1, "99.99%", GREEN),  # 99.999%: floored, never a perfect 100%
        (10_000, 10, "99.9%", GREEN),
        (10_000, 11, "99.89%", YELLOWGREEN),
        (10_000, 5, "99.95%", GREEN),
        (100, 1, "99%", YELLOWGREEN),
        (1000, 11, "98.9%", YELLOW),
        (100, 5, "95%", YELLOW),
        (1000, 51, "94.9%", RED),
        (3, 3, "0%", RED),
    ],
)
def test_uptime_is_floored_and_coloured_by_threshold(counted, failures, value, colour) -> None:
    with use_locale("en"):
        badge = badges.uptime_badge("7d", sums(counted, failures, maintenance=7))
    assert (badge.label, badge.value, badge.colour) == ("uptime 7d", value, colour)


def test_latency_is_coloured_by_threshold_and_falls_back_to_the_last_check() -> None:
    cases = [(200, GREEN), (201, YELLOWGREEN), (500, YELLOWGREEN), (1000, YELLOW),
             (2000, ORANGE), (2001, RED)]  # fmt: skip
    with use_locale("en"):
        for latency, colour in cases:
            badge = badges.latency_badge(sums(10, latency=latency), last_latency_ms=5)
            assert (badge.value, badge.colour) == (f"{latency:,} ms", colour)
        assert badges.latency_badge(sums(10, latency=123.4), None).value == "123 ms"
        assert badges.latency_badge(sums(0), 812).value == "812 ms"
        no_data = badges.latency_badge(sums(0), None)
    assert (no_data.label, no_data.value, no_data.colour) == ("latency", "no data", GREY)
    with use_locale("de"):
        assert badges.latency_badge(sums(3, latency=1500), None).value == "1.500 ms"
        assert badges.uptime_badge("24h", sums(10_000, 5)).value == "99,95%"
        assert badges.uptime_badge("24h", sums(0)).value == tr("de", "no data")


# --- the token --------------------------------------------------------------------------------


async def owner_and_monitor(state: MonitorState = MonitorState.UP, **fields) -> Monitor:
    owner, _ = await User.get_or_create(telegram_id=7)
    return await Monitor.create(
        owner=owner, name="Site", url="https://93.184.216.34/", state=state, **fields
    )


async def test_a_token_is_made_once_and_rotation_replaces_it(db) -> None:
    monitor = await owner_and_monitor()
    assert monitor.badge_token is None
    # Two requests at once agree on one token.
    first, second = await asyncio.gather(
        badges.badge_token_of(await Monitor.get(id=monitor.id)),
        badges.badge_token_of(await Monitor.get(id=monitor.id)),
    )
    assert first == second and badges.well_formed(first) and len(first) == 22
    assert (await Monitor.get(id=monitor.id)).badge_token == first
    assert await badges.badge_token_of(await Monitor.get(id=monitor.id)) == first
    assert (await badges.monitor_by_token(first)).id == monitor.id

    rotated = await badges.rotate_badge_token(monitor)
    assert rotated != first and badges.well_formed(rotated)
    assert await badges.monitor_by_token(first) is None
    assert (await badges.monitor_by_token(rotated)).id == monitor.id
    for bad in ("", "x", rotated[:-1], rotated + "A", rotated[:21] + "!", "é" * 22):
        assert await badges.monitor_by_token(bad) is None


# --- the figures from the database ------------------------------------------------------------


async def hour(monitor: Monitor, start: datetime, checks: int, failures: int = 0,
               maintenance: int = 0, latency: int = 0) -> None:  # fmt: skip
    good = checks - failures - maintenance
    await HourlyRollup.create(
        monitor=monitor, period_start=start, checks=checks, failures=failures,
        maintenance=maintenance, latency_count=good if latency else 0,
        latency_sum=good * latency,
    )  # fmt: skip


async def day(monitor: Monitor, start: datetime, checks: int, failures: int = 0,
              maintenance: int = 0) -> None:  # fmt: skip
    await DailyRollup.create(
        monitor=monitor, period_start=start, checks=checks, failures=failures,
        maintenance=maintenance,
    )  # fmt: skip


THIS_HOUR = NOW.replace(minute=0)
TODAY = NOW.replace(hour=0, minute=0)


async def test_windows_sum_the_rollups_up_to_now(db) -> None:
    """24h: the hourly rows of the current hour and the 23 before it; 7d, 30d, 90d: the
    daily rows of today and the 6, 29 or 89 days before it. Another monitor's rows and
    rows before a window are not counted; maintenance is left out."""
    monitor = await owner_and_monitor()
    other = await owner_and_monitor()
    await hour(monitor, THIS_HOUR, 60, failures=1, latency=100)  # the hour so far
    await hour(monitor, THIS_HOUR - 23 * HOUR, 60, failures=2, maintenance=10, latency=300)
    await hour(monitor, THIS_HOUR - 24 * HOUR, 60, failures=60)  # before the window
    await hour(other, THIS_HOUR, 60, failures=60, latency=5000)
    await day(monitor, TODAY, 100, failures=1)
    await day(monitor, TODAY - 6 * DAY, 100, failures=2, maintenance=50)
    await day(monitor, TODAY - 7 * DAY, 100, failures=3)  # in 30d, not in 7d
    await day(monitor, TODAY - 89 * DAY, 100, failures=4)  # in 90d only
    await day(monitor, TODAY - 90 * DAY, 100, failures=100)  # before every window
    await day(other, TODAY, 100, failures=100)

    got = {w: await badges.window_sums(monitor.id, w, NOW) for w in WINDOWS}
    assert (got["24h"].counted, got["24h"].failures) == (110, 3)
    assert got["24h"].avg_latency_ms == (59 * 100 + 48 * 300) / (59 + 48)
    assert (got["7d"].counted, got["7d"].failures) == (150, 3)
    assert (got["30d"].counted, got["30d"].failures) == (250, 6)
    assert (got["90d"].counted, got["90d"].failures) == (350, 10)
    empty = await badges.window_sums(monitor.id + 100, "90d", NOW)
    assert (empty.checks, empty.uptime, empty.avg_latency_ms) == (0, None, None)


async def test_the_status_follows_the_row_and_maintenance(db) -> None:
    clock = ManualClock(NOW)
    figures = badges.BadgeFigures(clock)
    monitor = await owner_and_monitor()
    owner = await User.get(id=monitor.owner_id)
    other = await owner_and_monitor()

    async def status(of: Monitor) -> tuple[str, str]:
        fresh = await Monitor.get(id=of.id)
        with use_locale("en"):
            badge = await badges.BadgeFigures(clock).status(fresh)
        return badge.value, badge.colour

    assert await status(monitor) == ("up", GREEN)
    await Monitor.filter(id=monitor.id).update(state=MonitorState.DOWN)
    assert await status(monitor) == ("down", RED)
    await Monitor.filter(id=monitor.id).update(state=MonitorState.UNKNOWN)
    assert await status(monitor) == ("unknown", GREY)
    # Windows that cover it not: ended, to come, another monitor's, another owner's.
    stranger = await User.create(telegram_id=8)
    for starts, ends, covered, by in [
        (NOW - 2 * HOUR, NOW, None, owner),
        (NOW + HOUR, NOW + 2 * HOUR, None, owner),
        (NOW - HOUR, NOW + HOUR, other, owner),
        (NOW - HOUR, NOW + HOUR, None, stranger),
    ]:
        await MaintenanceWindow.create(owner=by, monitor=covered, starts_at=starts, ends_at=ends)
    assert await status(monitor) == ("unknown", GREY)
    assert await status(other) == ("maintenance", BLUE)
    # One over all of the owner's monitors covers it; paused comes before maintenance.
    await MaintenanceWindow.create(owner=owner, starts_at=NOW, ends_at=NOW + HOUR)
    assert await status(monitor) == ("maintenance", BLUE)
    await Monitor.filter(id=monitor.id).update(paused=True, state=MonitorState.PAUSED)
    assert await status(monitor) == ("paused", GREY)

    # The maintenance figure is kept FIGURES_TTL seconds on the clock; the state never.
    await Monitor.filter(id=monitor.id).update(paused=False, state=MonitorState.UP)
    fresh = await Monitor.get(id=monitor.id)
    with use_locale("en"):
        assert (await figures.status(fresh)).colour == BLUE
        await MaintenanceWindow.all().delete()
        assert (await figures.status(fresh)).colour == BLUE
        await clock.advance(badges.FIGURES_TTL)
        assert (await figures.status(fresh)).colour == GREEN


# --- the routes ----------------------------------------------------------------------------------


@dataclass
class Served:
    api: ApiClient
    clock: ManualClock

    async def get(self, path: str, **headers: str):
        return await self.api.call("GET", path, key=None, headers=headers)


@pytest.fixture
async def served(db, settings) -> AsyncIterator[Served]:
    """The web app on loopback, its figures' cache on a manual clock at NOW."""
    clock = ManualClock(NOW)
    async with serving(settings, Probe(clock=clock)) as api:
        yield Served(api, clock)


async def badge_monitor(**fields) -> tuple[Monitor, str]:
    monitor = await owner_and_monitor(**fields)
    return monitor, await badges.badge_token_of(monitor)


async def test_each_badge_over_http(served: Served) -> None:
    monitor, token = await badge_monitor(last_latency_ms=640)
    await hour(monitor, THIS_HOUR, 1000, failures=1, latency=180)
    await day(monitor, TODAY, 1000, failures=30)
    expected = {
        "status.svg": ("status", "up", GREEN),
        "uptime.svg": ("uptime 24h", "99.9%", GREEN),
        "uptime.svg?window=24h": ("uptime 24h", "99.9%", GREEN),
        "uptime.svg?window=7d": ("uptime 7d", "97%", YELLOW),
        "latency.svg": ("latency", "180 ms", GREEN),
    }
    for path, (label, value, colour) in expected.items():
        reply = await served.get(f"/badge/{token}/{path}")  # no X-API-KEY: public
        assert reply.status == 200, (path, reply.body)
        headers = {name.lower(): value for name, value in reply.headers.items()}
        assert headers["content-type"].startswith("image/svg+xml")
        assert headers["cache-control"] == "public, max-age=30"
        assert headers["vary"] == "Accept-Language"
        assert headers["etag"].startswith('"')
        got = shown(reply.body)
        assert (got.label, got.value, got.colour) == (label, value, colour), path
    # HEAD answers the same without the body.
    async with served.api.http.head(f"{served.api.base}/badge/{token}/status.svg") as head:
        assert head.status == 200 and head.headers["Content-Type"].startswith("image/svg+xml")
        assert await head.read() == b""


async def test_labels_languages_and_bad_parameters(served: Served) -> None:
    _monitor, token = await badge_monitor(state=MonitorState.DOWN)
    base = f"/badge/{token}"

    hostile = await served.api.call(
        "GET", f"{base}/status.svg", key=None, params={"label": HOSTILE}
    )
    assert hostile.status == 200 and "<script" not in hostile.body
    assert shown(hostile.body).label == HOSTILE
    longest = "L" * badges.MAX_LABEL_LENGTH
    ok = await served.api.call("GET", f"{base}/latency.svg", key=None, params={"label": longest})
    assert ok.status == 200 and shown(ok.body).label == longest

    def refusal(lang: str, text: str, **params: str) -> tuple[int, str]:
        return 400, tr(lang, text).format(**params)

    too_long = "The label may have at most {max} characters."
    invisible = "The label must have a visible character and no control or invisible ones."
    cases = [
        ({"label": longest + "L"}, "en", refusal("en", too_long, max="40")),
        ({"label": "up\u202egnp"}, "de", refusal("de", invisible)),
        ({"label": "a\nb"}, "en", refusal("en", invisible)),
        ({"label": "   "}, "ru", refusal("ru", invisible)),
        ({"label": ""}, "en", refusal("en", invisible)),
        ({"window": "1y"}, "es", refusal("es", "Unknown window: use one of {windows}.",
                                         windows="24h, 7d, 30d, 90d")),
        ({"lang": "fr"}, "de", refusal("de", "Unknown language: use one of {languages}.",
                                      languages="de, en, es, ru")),
    ]  # fmt: skip
    for params, lang, expected in cases:
        reply = await served.api.call(
            "GET", f"{base}/uptime.svg", key=None, params=params,
            headers={"Accept-Language": f"{lang};q=0.9"},
        )  # fmt: skip
        assert (reply.status, reply.body) == expected, params
        assert reply.headers["Cache-Control"] == "no-store"

    # The words follow ?lang=, else Accept-Language, else English.
    for headers, params, lang in [
        ({}, {}, "en"),
        ({"Accept-Language": "fr, ru;q=0.8"}, {}, "ru"),
        ({"Accept-Language": "ru"}, {"lang": "es"}, "es"),
    ]:
        reply = await served.api.call(
            "GET", f"{base}/status.svg", key=None, params=params, headers=headers
        )
        assert shown(reply.body).value == tr(lang, "down"), lang
        assert shown(reply.body).label == tr(lang, "status"), lang


async def test_every_unknown_token_gets_the_same_404(served: Served) -> None:
    _monitor, token = await badge_monitor()
    unknown = "A" * 22 if token != "A" * 22 else "B" * 22
    answers = set()
    for bad in (unknown, token[:-1], token + "x", "x" * 300, token[:21] + "!",
                token[:21] + "%C3%A9", "%00"):  # fmt: skip
        for badge in ("status.svg", "uptime.svg?window=7d", "latency.svg"):
            reply = await served.api.raw("GET", f"/badge/{bad}/{badge}")
            answers.add((reply.status, reply.body, reply.headers["Content-Type"],
                         reply.headers["Cache-Control"]))  # fmt: skip
    assert answers == {(404, "Not found.", "text/plain; charset=utf-8", "no-store")}
    assert (await served.get(f"/badge/{token}/status.svg")).status == 200


async def test_etag_and_304(served: Served) -> None:
    monitor, token = await badge_monitor()
    path = f"/badge/{token}/status.svg"
    first = await served.get(path)
    etag = first.headers["Etag"]
    for held in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = await served.get(path, **{"If-None-Match": held})
        assert (again.status, again.body) == (304, None), held
        assert again.headers["Etag"] == etag
        assert again.headers["Cache-Control"] == "public, max-age=30"
    assert (await served.get(path, **{"If-None-Match": '"other"'})).status == 200
    # Another body, another ETag: the one held is no longer current.
    await Monitor.filter(id=monitor.id).update(state=MonitorState.DOWN)
    changed = await served.get(path, **{"If-None-Match": etag})
    assert changed.status == 200 and shown(changed.body).value == "down"
    assert changed.headers["Etag"] != etag
    # Another language, another body and ETag.
    german = await served.get(path, **{"Accept-Language": "de"})
    assert german.headers["Etag"] not in (etag, changed.headers["Etag"])


async def test_rotation_stops_the_old_links_at_once(served: Served) -> None:
    monitor, old = await badge_monitor()
    for badge in ("status", "uptime", "latency"):
        assert (await served.get(f"/badge/{old}/{badge}.svg")).status == 200
    new = await badges.rotate_badge_token(monitor)
    for badge in ("status", "uptime", "latency"):
        assert (await served.get(f"/badge/{old}/{badge}.svg")).status == 404
        assert (await served.get(f"/badge/{new}/{badge}.svg")).status == 200
    await monitor.delete()
    assert (await served.get(f"/badge/{new}/status.svg")).status == 404


async def test_figures_are_kept_a_few_seconds_on_the_clock(served: Served) -> None:
    """The rollups are read again once FIGURES_TTL has passed on the app's clock; the
    monitor row (state, last latency) on every request."""
    monitor, token = await badge_monitor()
    path = f"/badge/{token}/uptime.svg?window=30d"
    assert shown((await served.get(path)).body).value == "no data"
    await day(monitor, TODAY, 200, failures=1)
    assert shown((await served.get(path)).body).value == "no data"
    await served.clock.advance(badges.FIGURES_TTL - 1)
    assert shown((await served.get(path)).body).value == "no data"
    await served.clock.advance(1)
    assert shown((await served.get(path)).body).value == "99.5%"

    latency = f"/badge/{token}/latency.svg"
    assert shown((await served.get(latency)).body).value == "no data"
    await Monitor.filter(id=monitor.id).update(last_latency_ms=77)
    assert shown((await served.get(latency)).body).value == "77 ms"
