"""A public status page in a real browser (headless Chromium through tests/support/cdp.py),
served by the real app on loopback on both databases, a page of four monitors in two
groups with 90 days of rollups behind them, one down with an open incident, a
maintenance window ahead and a note.

In a phone-sized and a desktop-sized window, light and dark: no console errors or
exceptions, nothing loaded from elsewhere, the banner and 90 day bars per monitor (the
last 30 visible on a phone), no sideways scrolling, the day's text shown on focus,
readable contrast, and screenshots of the expected size, kept in artifacts/screenshots/
(CI keeps that folder). Without JavaScript the page says the same, with times in UTC;
with it, times are in the visitor's zone and the page fetches itself again every minute.
HTML in every field the owner writes stays text in the browser too.
"""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from api.status_page import PAGE_TTL
from core.aggregates import Aggregate
from core.clock import ManualClock
from core.probe import Probe
from core.settings import PROJECT_ROOT
from db.models import Incident, MaintenanceWindow, Monitor, MonitorState, User
from tests.support import cdp
from tests.support.api import serving
from tests.support.png import png_size
from tests.support.status_pages import figures, make_monitor, make_page, write_rollups

NOW = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)
TODAY = datetime(2026, 12, 2, tzinfo=UTC)
DAYS = 90
SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
PHONE = (390, 844)
DESKTOP = (1280, 900)

# Per monitor on the page: its name, the day bars the browser lays out and shows.
BARS = """[...document.querySelectorAll("li.monitor")].map(monitor => [
  monitor.querySelector(".name").textContent,
  monitor.querySelectorAll("ol.bars > li.bar").length,
  [...monitor.querySelectorAll("ol.bars > li.bar")].filter(bar => bar.checkVisibility()).length,
])"""


@asynccontextmanager
async def served(settings) -> AsyncIterator[tuple[str, ManualClock]]:
    """The app run.py serves, on loopback, on a clock standing at NOW."""
    clock = ManualClock(NOW)
    async with serving(settings, Probe(clock=clock)) as api:
        yield api.base, clock


def past_day(rng: random.Random, shaky: bool) -> Aggregate:
    """A whole day's figures (a check a minute): mostly clean, now and then a bad day,
    more often for a shaky service."""
    bad = [1, 3, 30] if shaky else [3]  # good, fair and poor days (99.9%, 99%)
    return figures(1440, rng.choice([0] * 15 + bad), latency_ms=rng.randint(80, 240))


async def acme_page(slug: str = "acme") -> tuple[User, dict[str, Monitor]]:
    """The page the screenshots show: two groups, four monitors, one of them down."""
    owner = await User.create(telegram_id=1)
    since = NOW - timedelta(minutes=17)
    monitors = {
        "Website": await make_monitor(owner, "Website", state="up", last_latency_ms=112),
        "Checkout": await make_monitor(owner, "Checkout", state="down", state_since=since),
        "Public API": await make_monitor(owner, "Public API", state="up", last_latency_ms=87),
        "Webhooks": await make_monitor(owner, "Webhooks", state="up", last_latency_ms=143),
    }
    await Incident.create(monitor=monitors["Checkout"], started_at=since, cause="timeout")
    await MaintenanceWindow.create(
        owner=owner, monitor=None, starts_at=TODAY + timedelta(days=3, hours=6),
        ends_at=TODAY + timedelta(days=3, hours=6, minutes=30), reason="database upgrade",
    )  # fmt: skip
    rng = random.Random(15)
    this_hour = NOW.replace(minute=0)
    daily, hourly = {}, {}
    for name, monitor in monitors.items():
        for back in range(1, 60 if name == "Webhooks" else DAYS):  # Webhooks is newer
            daily[monitor, TODAY - timedelta(days=back)] = past_day(rng, name == "Checkout")
        for back in range(1, 24):
            hour = this_hour - timedelta(hours=back)
            hourly[monitor, hour] = figures(60, latency_ms=rng.randint(80, 240))
        # Today until 10:30; Checkout failed every check since 10:13.
        down = 17 if name == "Checkout" else 0
        daily[monitor, TODAY] = figures(630, down, latency_ms=rng.randint(80, 240))
        hourly[monitor, this_hour] = figures(30, down, latency_ms=rng.randint(80, 240))
    await write_rollups("rollups_daily", daily)
    await write_rollups("rollups_hourly", hourly)
    await make_page(
        owner, slug,
        [("Public", [(monitors["Website"], True), (monitors["Checkout"], False)]),
         ("Platform", [(monitors["Public API"], False), (monitors["Webhooks"], False)])],
        title="Acme", description="Live status of Acme's public services.",
        note="Checkout answers slowly for some customers; we are on it.",
    )  # fmt: skip
    return owner, monitors


async def open_page(
    browser: cdp.Browser, url: str, size: tuple[int, int], scheme: str = "light"
) -> cdp.Page:
    page = await browser.new_page()
    await page.set_viewport(*size, mobile=size == PHONE)
    await page.set_color_scheme(scheme)
    await page.goto(url)
    return page


def save(name: str, png: bytes) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / name).write_bytes(png)


def luminance(css_colour: str) -> float:
    """The relative luminance (WCAG) of a computed `rgb(r, g, b)` colour."""
    channels = [int(c) / 255 for c in re.findall(r"\d+", css_colour)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


async def colours(page: cdp.Page, selector: str) -> tuple[str, str]:
    """(text colour, background colour) of the first element `selector` matches; its
    background is its nearest ancestor's that is not transparent."""
    return tuple(
        await page.evaluate(
            f"""(element => {{
              let node = element, background = "rgb(255, 255, 255)";
              for (; node; node = node.parentElement) {{
                const colour = getComputedStyle(node).backgroundColor;
                if (colour !== "rgba(0, 0, 0, 0)") {{ background = colour; break; }}
              }}
              return [getComputedStyle(element).color, background];
            }})(document.querySelector({selector!r}))"""
        )
    )


# Where a focused bar's tooltip (its ::after box) starts and ends, for the first and the
# last bar shown in the first monitor's row, and the window's width.
TOOLTIP_EDGES = """(() => {
  const shown = [...document.querySelector('ol.bars').children]
    .filter(bar => getComputedStyle(bar).display !== 'none');
  const tips = [shown[0], shown.at(-1)].map(bar => {
    bar.focus();
    const box = bar.getBoundingClientRect(), tip = getComputedStyle(bar, '::after');
    const width = parseFloat(tip.width);
    const left = tip.left === 'auto'
      ? box.right - parseFloat(tip.right) - width
      : box.left + parseFloat(tip.left) - (tip.transform === 'none' ? 0 : width / 2);
    return [left, left + width];
  });
  return {tips, width: innerWidth};
})()"""


async def assert_page_shows_everything(page: cdp.Page, base: str, visible_bars: int) -> None:
    assert page.errors == []
    assert await page.evaluate("document.getElementById('banner').dataset.state") == (
        "partial_outage"
    )
    assert await page.evaluate(BARS) == [
        ["Website", DAYS, visible_bars],
        ["Checkout", DAYS, visible_bars],
        ["Public API", DAYS, visible_bars],
        ["Webhooks", DAYS, visible_bars],
    ]
    # Every day bar says what it shows, for screen readers and the hover/tap text.
    labels = await page.evaluate(
        "[...document.querySelectorAll('ol.bars > li.bar')].map(b => b.getAttribute('aria-label'))"
    )
    assert all(re.search(r"\d{4}: (\d.*% uptime|no data)", label) for label in labels), labels[:3]
    # Landmarks, and nothing fetched from anywhere but the app.
    assert await page.evaluate(
        "['header', 'main', 'footer'].map(tag => document.getElementsByTagName(tag).length)"
    ) == [1, 1, 1]
    loaded = await page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(url.startswith(base + "/") for url in loaded), loaded
    # Not wider than the window: nothing to scroll sideways.
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= await page.evaluate("innerWidth")


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_phone_and_desktop(db, settings, dialect, browser, scheme: str) -> None:
    await acme_page()
    async with served(settings) as (base, _clock):
        url = f"{base}/status/acme?lang=en"
        for name, size, visible in (("phone", PHONE, 30), ("desktop", DESKTOP, DAYS)):
            page = await open_page(browser, url, size, scheme)
            await assert_page_shows_everything(page, base, visible)
            png = await page.screenshot()
            assert png_size(png) == size
            save(f"status-page-{name}-{scheme}-{dialect}.png", png)

            # The scheme: a dark page under prefers-color-scheme: dark, a light one
            # otherwise; text readable on the page, the cards and the banner (WCAG AA).
            text, background = await colours(page, "body")
            if scheme == "dark":
                assert luminance(background) < 0.05, background
            else:
                assert luminance(background) > 0.8, background
            for selector in ("body", ".monitor .name", ".banner h2", ".state[data-state=down]",
                             ".url", ".axis", "footer p"):  # fmt: skip
                text, background = await colours(page, selector)
                assert contrast(text, background) >= 4.5, (selector, text, background)

            # A day's text shows on focus (what a tap does), from the bar's own label.
            tip = await page.evaluate(
                "(bar => { bar.focus();"
                " return [getComputedStyle(bar, '::after').content, bar.getAttribute('aria-label')]"
                "})([...document.querySelectorAll('ol.bars > li.bar')].at(-1))"
            )
            assert tip[0] == f'"{tip[1]}"' and "2026" in tip[1], tip
            # The tooltips of the first and last bars shown stay inside the window.
            edges = await page.evaluate(TOOLTIP_EDGES)
            assert all(left >= 0 and right <= edges["width"] for left, right in edges["tips"]), (
                edges
            )
            await page.close()


async def test_without_javascript_the_page_says_the_same_in_utc(
    db, settings, browser, dialect
) -> None:
    await acme_page()
    async with served(settings) as (base, _clock):
        url = f"{base}/status/acme?lang=en"
        page = await browser.new_page()
        await page.set_timezone("Asia/Tokyo")
        await page.set_javascript(False)
        await page.set_viewport(*DESKTOP)
        await page.goto(url)
        await assert_page_shows_everything(page, base, DAYS)
        updated = await page.evaluate("document.getElementById('updated').textContent")
        assert "10:30" in updated and updated.endswith("UTC"), updated
        save(f"status-page-desktop-no-javascript-{dialect}.png", await page.screenshot())

        # With JavaScript the same time reads in the visitor's zone (19:30 in Tokyo).
        await page.set_javascript(True)
        await page.goto(url)
        updated = await page.evaluate("document.getElementById('updated').textContent")
        assert "07:30" in updated and "GMT+9" in updated, updated
        assert page.errors == []


async def test_the_page_fetches_itself_again_every_minute(db, settings, browser) -> None:
    """The page's minute timer, caught as the page sets it (no waiting a minute): run
    once after Checkout recovered, it swaps in the fresh banner, monitors and time."""
    _owner, monitors = await acme_page()
    async with served(settings) as (base, clock):
        page = await browser.new_page()
        await page.add_init_script(
            "window.timers = [];"
            "window.setInterval = (callback, delay) => window.timers.push({callback, delay});"
        )
        await page.goto(f"{base}/status/acme?lang=en")
        assert await page.evaluate("window.timers.map(t => t.delay)") == [60_000]

        checkout = monitors["Checkout"]
        checkout.state = MonitorState.UP
        checkout.state_since = NOW + timedelta(minutes=1)
        await checkout.save()
        await Incident.filter(monitor_id=checkout.id).update(resolved_at=NOW + timedelta(minutes=1))
        await clock.advance(PAGE_TTL + 60)
        before = await page.evaluate("document.getElementById('updated').dateTime")
        await page.evaluate("window.timers[0].callback()")  # awaits the fetch and the swap

        assert await page.evaluate("document.getElementById('banner').dataset.state") == (
            "operational"
        )
        assert await page.evaluate(
            "[...document.querySelectorAll('.monitor .state')].map(s => s.dataset.state)"
        ) == ["up", "up", "up", "up"]
        after = await page.evaluate("document.getElementById('updated').dateTime")
        assert datetime.fromisoformat(after) - datetime.fromisoformat(before) == timedelta(
            seconds=PAGE_TTL + 60
        )
        assert page.errors == []


HOSTILE = "<script>pwned=1</script><img src=x onerror=pwned=2>"  # fits a group's 64


async def test_html_in_every_field_stays_text_in_the_browser(db, settings, browser) -> None:
    owner = await User.create(telegram_id=1)
    monitor = await make_monitor(owner, f"name {HOSTILE}", state="down",
                                 url=f"https://example.com/{HOSTILE}")  # fmt: skip
    await Incident.create(monitor=monitor, started_at=NOW, cause="timeout")
    await MaintenanceWindow.create(
        owner=owner, monitor=monitor, starts_at=NOW, ends_at=NOW + timedelta(hours=1),
        reason=HOSTILE,
    )  # fmt: skip
    await make_page(
        owner, "evil", [(f"group {HOSTILE}", [(monitor, True)])], title=f"title {HOSTILE}",
        description=f"description {HOSTILE}", note=f"note {HOSTILE}",
        logo_url=f"https://logo.invalid/{HOSTILE}",
    )  # fmt: skip
    async with served(settings) as (base, _clock):
        page = await browser.new_page()
        await page.goto(f"{base}/status/evil?lang=en")
        assert await page.evaluate("window.pwned") is None
        assert await page.evaluate("document.querySelectorAll('img[src=x]').length") == 0
        scripts = await page.evaluate("[...document.scripts].map(s => s.src)")
        assert len(scripts) == 1 and scripts[0].startswith(base + "/"), scripts
        shown = await page.evaluate("document.body.innerText")
        for field in ("title", "description", "note", "group", "name"):
            assert f"{field} {HOSTILE}" in shown, field
        assert f"https://example.com/{HOSTILE}" in shown  # the URL its owner chose to show
