"""The charts as a phone shows them: what is drawn where, read back from the drawing
functions' report and from the PNG's pixels (no database: bins are built here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime

from core.aggregates import Aggregate
from core.charts import DAY, HOUR, WIDTH, Chart, chart_labels, draw, title
from core.i18n import use_locale
from tests.support.png import pixels

NOW = datetime(2026, 5, 20, 16, 40, tzinfo=UTC)
QUARTER = timedelta(minutes=15)
PHONE = 390  # px: how wide Telegram shows the 800 px image on a phone
GREEN, AMBER, RED, BLUE = (46, 158, 91), (230, 167, 0), (214, 69, 69), (47, 111, 222)


def labels(lang: str = "en", window: str = "24h", uptime: float | None = 0.99):
    with use_locale(lang):
        return chart_labels(lang, title("shop.example.com", window, uptime, lang))


def bin_of(checks: int, failures: int = 0, latency: int = 150, maintenance: int = 0) -> Aggregate:
    figures = Aggregate()
    for number in range(checks):
        figures.add_check(number >= failures, latency + number % 7 * 10, False)
    for _ in range(maintenance):
        figures.add_check(True, latency, True)
    return figures


def bins(step: timedelta, count: int, make) -> dict[datetime, Aggregate]:
    """`count` bins of `step` ending at the one holding NOW; make(i) is bin i's figures."""
    last = NOW - (NOW - datetime(2026, 1, 1, tzinfo=UTC)) % step
    return {last - step * (count - 1 - i): make(i) for i in range(count)}


def column(chart: Chart, x: float) -> list[tuple[int, int, int]]:
    """The pixels of the plot's column at x (within the plot box)."""
    image = pixels(chart.png)
    _left, top, _right, bottom = chart.plot_box
    return [image.getpixel((round(x), y)) for y in range(top + 1, bottom - 1)]


def like(pixel: tuple[int, int, int], colour: tuple[int, int, int], within: int = 30) -> bool:
    return all(abs(a - b) <= within for a, b in zip(pixel, colour, strict=True))


def test_hours_without_checks_are_no_data_not_full_bars() -> None:
    empty = set(range(3, 9))
    hours = bins(HOUR, 25, lambda i: Aggregate() if i in empty else bin_of(60))
    chart = draw("uptime", hours, HOUR, [], labels())
    assert chart.no_data == sorted(empty) and not empty & set(chart.bars)
    assert labels().no_data in chart.legend
    starts = list(hours)
    gap = column(chart, chart.x_pixel(starts[5] + HOUR / 2))
    assert not any(like(p, c) for p in gap for c in (GREEN, AMBER, RED))
    assert sum(p != (255, 255, 255) for p in gap) < len(gap) / 2  # hatched, not a grey bar
    bar = column(chart, chart.x_pixel(starts[12] + HOUR / 2))
    assert sum(like(p, GREEN) for p in bar) >= len(bar) - 2  # 100%: the full height


def test_the_uptime_axis_starts_at_zero_so_a_bad_day_is_not_a_sliver() -> None:
    days = bins(DAY, 31, lambda i: bin_of(100, failures=8 if i == 20 else 0))
    chart = draw("uptime", days, DAY, [], labels(window="30d"))
    assert chart.y_range == (0, 100)
    bad = column(chart, chart.x_pixel(list(days)[20] + DAY / 2))
    red = sum(like(p, RED) for p in bad)
    assert red == pytest.approx(0.92 * len(bad), abs=3)  # 92% tall, not 1% of a cut axis


@pytest.mark.parametrize(("count", "window"), [(31, "30d"), (91, "90d"), (8, "7d")])
def test_day_ticks_sit_on_bar_centres(count: int, window: str) -> None:
    days = bins(DAY, count, lambda i: bin_of(10))
    chart = draw("uptime", days, DAY, [], labels(window=window), ZoneInfo("Europe/Berlin"))
    middles = {start + DAY / 2: start for start in days}
    assert set(chart.ticks) <= set(middles) and 3 <= len(chart.ticks) <= 6
    assert chart.ticks[-1] == list(middles)[-1]  # the newest day is labelled
    assert chart.tick_labels == [
        format_datetime(middles[t], "d MMM", tzinfo=UTC, locale="en") for t in chart.ticks
    ]
    assert chart.x_label == "Time (UTC)"  # daily bins are UTC days, whatever the reader's zone


def test_a_new_monitors_first_checks_are_drawn_away_from_the_right_edge() -> None:
    quarters = bins(QUARTER, 97, lambda i: bin_of(5, latency=200) if i == 96 else Aggregate())
    chart = draw("latency", quarters, QUARTER, [], labels(), until=NOW)
    newest = list(quarters)[-1]
    assert chart.x_range[1] > NOW and chart.no_data == list(range(96))
    x = chart.x_pixel(newest + QUARTER / 2)
    assert x <= chart.plot_box[2] - 8
    assert any(like(p, BLUE, 60) for p in column(chart, x))  # the lone bin is a dot


@pytest.mark.parametrize("kind", ["latency", "uptime"])
def test_a_window_without_checks_says_no_data_yet_without_axes(kind: str) -> None:
    for figures in (Aggregate, lambda: bin_of(0, maintenance=3)):  # maintenance does not count
        chart = draw(kind, bins(HOUR, 25, lambda i, f=figures: f()), HOUR, [], labels())
        assert chart.kind == "empty" and chart.plot_box is None and chart.ticks == []
        image = pixels(chart.png)
        below_title = range(chart.title_box[3] + 2, image.height)
        dark = [
            y for y in below_title
            if sum(sum(image.getpixel((x, y))) < 300 for x in range(image.width)) > 100
        ]  # fmt: skip
        assert not dark  # no axis line anywhere under the title
        middle = range(image.height // 2 - 20, image.height // 2 + 40)
        text = {image.getpixel((x, y)) for x in range(image.width) for y in middle}
        assert text - {(255, 255, 255)}  # "No data yet" in the middle


@pytest.mark.parametrize(
    ("zone", "name", "hour"),
    [("Europe/Berlin", "Europe/Berlin", 6), ("America/New_York", "America/New York", 6),
     ("Asia/Kolkata", "Asia/Kolkata", 6), ("UTC", "UTC", 6)],
)  # fmt: skip
def test_the_time_axis_is_in_the_readers_zone_and_names_it(zone: str, name: str, hour: int):
    tz = ZoneInfo(zone)
    quarters = bins(QUARTER, 97, lambda i: bin_of(15))
    chart = draw("latency", quarters, QUARTER, [], labels(), tz, NOW)
    assert chart.x_label == f"Time ({name})"
    local = [t.astimezone(tz) for t in chart.ticks]
    assert len(local) == 4 and all(t.minute == 0 and t.hour % hour == 0 for t in local)
    assert chart.tick_labels == [t.strftime("%H:%M") for t in local]
    week = draw("latency", bins(HOUR, 169, lambda i: bin_of(15)), HOUR, [], labels(), tz, NOW)
    assert all(t.astimezone(tz).hour == 0 for t in week.ticks) and len(week.ticks) == 7
    with use_locale("ru"):
        russian = draw("latency", quarters, QUARTER, [], labels("ru"), tz, NOW)
    assert russian.x_label == f"Время ({name})"


def test_the_zone_defaults_to_utc() -> None:
    chart = draw("latency", bins(QUARTER, 97, lambda i: bin_of(15)), QUARTER, [], labels())
    assert chart.x_label == "Time (UTC)"


@pytest.mark.parametrize("lang", ["en", "ru", "es", "de"])
def test_labels_and_legend_are_readable_at_phone_width(lang: str) -> None:
    """Every legend entry shown (incident, no data, all colours), in each language: the
    title and the legend fit the image, the legend stays above the plot, no text is
    smaller than 9 px once the image is shown 390 px wide."""
    quarters = bins(QUARTER, 97, lambda i: Aggregate() if 10 < i < 20 else bin_of(15))
    days = bins(
        DAY, 91, lambda i: [Aggregate(), bin_of(1000), bin_of(1000, 5), bin_of(100, 9)][i % 4]
    )
    drawn = [
        draw("latency", quarters, QUARTER, [(NOW - 5 * HOUR, NOW - 4 * HOUR)], labels(lang),
             until=NOW),
        draw("uptime", days, DAY, [], labels(lang, "90d")),
    ]  # fmt: skip
    for chart in drawn:
        assert len(chart.legend) == 4
        left, _top, right, bottom = chart.legend_box
        assert left >= 0 and right <= WIDTH and bottom <= chart.plot_box[1]
        assert chart.title_box[2] <= WIDTH
        assert chart.smallest_text_px * PHONE / WIDTH >= 9


def test_the_latency_scale_reaches_the_p95_of_three_checks() -> None:
    """A 15-minute bin of a 5-minute monitor: its p95 is its slowest check (nearest
    rank), 420 ms here, and the band must reach it, not stop at the median."""
    quarters = bins(QUARTER, 97, lambda i: bin_of(3, latency=400) if i == 50 else bin_of(3, 100))
    chart = draw("latency", quarters, QUARTER, [], labels(), until=NOW)
    assert chart.y_range[0] == 0 and chart.y_range[1] >= 420
