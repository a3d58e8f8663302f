"""Charts as PNG (matplotlib, Agg): latency over time and uptime per bin.

`chart_png(monitor, kind, window, lang, tz=UTC)` loads the figures (core/series.py),
picks the translated labels in `lang`, and draws in a worker thread (one: matplotlib's
state is not meant for threads drawing at once, and one is enough at under 300 ms a
chart), so the event loop never waits on drawing. The drawing functions are pure:
bins and labels in, a `Chart` out (the PNG and what was drawn, for tests).

- latency: the average per bin as a line, the band from it up to the 95th percentile,
  incidents shaded red, bins without checks hatched as "no data" (24 h: 15-minute
  bins; 7 d: hours; 30 and 90 d: days);
- uptime: one bar per bin (hours for 24 h, days otherwise) in the colours of a status
  page (green from 99.9%, amber from 99%, red below) on an axis from 0 to 100%, so a
  bad day is as tall as it really is; bins without checks hatched as "no data";
- a window without a single check: its title and "No data yet", no axes.

Made to be read on a phone, where the 800 px image is shown about 390 px wide: the
figure is 4 x 2 inches at 200 dpi, so that fonts in points come out twice as large
in pixels as at the usual 100 dpi; the legend sits above the plot, never over the
lines; the time axis is drawn in the reader's zone `tz` and says which zone that is.
Daily bins are days in UTC (the daily rollups), so their axis says UTC whatever `tz`.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from core.aggregates import Aggregate
from core.i18n import _, use_locale
from core.render import cut, fmt_percent
from core.series import DAY, DEFAULT_RAW_RETENTION_DAYS, HOUR, binned, span
from core.stats import WINDOWS, WindowStats, ended, incidents_overlapping
from db.models import Monitor

KINDS = ("latency", "uptime")
WIDTH, HEIGHT, DPI = 800, 400, 200
UTC_ZONE = ZoneInfo("UTC")
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="charts")

LATENCY_STEPS = {"24h": timedelta(minutes=15), "7d": HOUR, "30d": DAY, "90d": DAY}
UPTIME_STEPS = {"24h": HOUR, "7d": DAY, "30d": DAY, "90d": DAY}
GREEN, AMBER, RED, GREY, BLUE = "#2e9e5b", "#e6a700", "#d64545", "#9aa0a8", "#2f6fde"
GOOD, FAIR = 0.999, 0.99  # uptime from which a bar is green, amber

TITLE_PT, TEXT_PT = 9.5, 8  # at DPI 200: 26 and 22 px, 13 and 11 px on a phone
TITLE_CHARS = 26  # of the monitor's name: the title must fit one line 390 px wide
LEFT, RIGHT, TOP, BOTTOM = 0.13, 0.955, 0.76, 0.165  # the plot's box in the figure
RIGHT_MARGIN = 0.03  # of the window, after the newest bin: it must not touch the edge


@dataclass
class Labels:
    title: str
    locale: str = "en"  # for the dates on the time axis
    latency: str = ""
    average: str = ""
    p95: str = ""
    down: str = ""
    uptime: str = ""
    no_data: str = ""  # a bin without checks
    no_latency: str = ""  # checks, but none successful
    no_data_yet: str = ""  # not a single check in the window
    time: str = "{zone}"  # the time axis, {zone} its time zone's name
    good: str = ""
    fair: str = ""
    poor: str = ""


@dataclass
class Chart:
    """A drawn chart: the PNG and what is on it."""

    png: bytes
    kind: str  # latency | uptime | empty
    x_range: tuple[datetime, datetime] | None = None
    y_range: tuple[float, float] | None = None
    plot_box: tuple[int, int, int, int] | None = None  # pixels: left, top, right, bottom
    bars: list[int] = field(default_factory=list)  # indices of the bins drawn as bars
    no_data: list[int] = field(default_factory=list)  # indices of the bins without checks
    ticks: list[datetime] = field(default_factory=list)
    tick_labels: list[str] = field(default_factory=list)
    x_label: str = ""
    legend: list[str] = field(default_factory=list)
    legend_box: tuple[int, int, int, int] | None = None
    title_box: tuple[int, int, int, int] | None = None
    smallest_text_px: float = 0  # the height of the smallest text's font, in pixels

    def x_pixel(self, moment: datetime) -> float:
        """The pixel column of `moment` in the PNG."""
        assert self.x_range is not None and self.plot_box is not None
        (start, end), (left, _top, right, _bottom) = self.x_range, self.plot_box
        return left + (right - left) * ((moment - start) / (end - start))


def zone_name(tz: tzinfo) -> str:
    return getattr(tz, "key", None) or tz.tzname(None) or "UTC"


def chart_labels(lang: str, title: str) -> Labels:
    """The labels in `lang` (call inside use_locale(lang))."""
    return Labels(
        title=title,
        locale=lang,
        latency=_("Latency, ms"),
        average=_("average"),
        p95=_("95th percentile"),
        down=_("incident"),
        uptime=_("Uptime, %"),
        no_data=_("no data"),
        no_latency=_("No successful checks in this period"),
        no_data_yet=_("No data yet"),
        time=_("Time ({zone})"),
        good=_("from {percent}").format(percent=_percent(GOOD, lang)),
        fair=_("from {percent}").format(percent=_percent(FAIR, lang)),
        poor=_("below {percent}").format(percent=_percent(FAIR, lang)),
    )


def _percent(fraction: float, lang: str) -> str:
    from babel.numbers import format_percent

    return format_percent(fraction, "#,##0.#%", locale=lang)


def _figure(labels: Labels):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(figure)  # a renderer to measure texts with (_fit)
    title = figure.text(0.015, 0.975, labels.title, fontsize=TITLE_PT, va="top", weight="bold")
    _fit(figure, title)
    return figure


def _fit(figure, artist, smallest: float = TEXT_PT - 1.5) -> None:
    """Make `artist` (a text or a legend) smaller until it fits the image's width:
    German and Russian labels run longer than English ones, and a legend or title cut
    off at the edge reads worse than one a point smaller."""
    renderer = figure.canvas.get_renderer()
    texts = artist.get_texts() if hasattr(artist, "get_texts") else [artist]
    size = texts[0].get_fontsize()
    while artist.get_window_extent(renderer).x1 > WIDTH - 4 and size > smallest:
        size -= 0.5
        for text in texts:
            text.set_fontsize(size)


def _axes(figure):
    axes = figure.add_axes((LEFT, BOTTOM, RIGHT - LEFT, TOP - BOTTOM))
    axes.grid(axis="y", alpha=0.3, linewidth=0.5)
    axes.tick_params(labelsize=TEXT_PT, length=2, pad=1.5, width=0.5)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_linewidth(0.5)
    return axes


def _no_data_spans(axes, starts: list[datetime], step: timedelta, empty: list[int], label: str):
    """Hatched grey spans over the runs of bins without checks (one patch a run)."""
    runs: list[tuple[int, int]] = []
    for index in empty:
        if runs and runs[-1][1] == index - 1:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    for number, (first, last) in enumerate(runs):
        axes.axvspan(
            starts[first], starts[last] + step, facecolor="none", edgecolor=GREY, hatch="////",
            linewidth=0, alpha=0.45, label=label if number == 0 else None,
        )  # fmt: skip


def _time_axis(
    axes,
    labels: Labels,
    positions: list[datetime],
    moments: list[datetime],
    pattern: str,
    tz: tzinfo,
) -> list[str]:
    """Ticks at `positions` labelled with `moments` in `tz` (the Babel `pattern`, in
    the reader's language); the axis named after the zone. Returns the tick labels."""
    from babel.dates import format_datetime

    texts = [format_datetime(m, pattern, tzinfo=tz, locale=labels.locale) for m in moments]
    axes.set_xticks(positions, texts)
    zone = zone_name(tz).replace("_", " ")
    axes.set_xlabel(labels.time.replace("{zone}", zone), fontsize=TEXT_PT, labelpad=1)
    return texts


def _latency_ticks(start: datetime, end: datetime, tz: tzinfo) -> tuple[list[datetime], str]:
    """Whole hours in `tz`: every 6 hours within two days (HH:mm), midnights beyond
    (d MMM). Walked in quarter hours, so zones half or three quarters of an hour off
    UTC get their whole hours too, and a DST change moves nothing."""
    days = end - start > timedelta(days=2)
    moment = start.replace(minute=start.minute - start.minute % 15, second=0, microsecond=0)
    ticks = []
    while moment <= end:
        local = moment.astimezone(tz)
        if moment >= start and local.minute == 0 and local.hour % (24 if days else 6) == 0:
            ticks.append(moment)
        moment += timedelta(minutes=15)
    return ticks, "d MMM" if days else "HH:mm"


def _bar_ticks(starts: list[datetime], step: timedelta, tz: tzinfo) -> list[int]:
    """The bars to label (indices): hours starting on a whole 6 hours in `tz`; else
    (days, or a zone a half hour off UTC) every n-th bar back from the newest, at most
    six labels, which is what fits 390 px."""
    if step < DAY:
        chosen = [
            i for i, start in enumerate(starts)
            if (local := start.astimezone(tz)).minute == 0 and local.hour % 6 == 0
        ]  # fmt: skip
        if chosen:
            return chosen
    every = max(1, -(-len(starts) // 6))
    return list(range(len(starts) - 1, -1, -every))[::-1]


def _legend(axes, keys: list | None = None) -> list[str]:
    """The legend in one row above the plot, out of the way of the data: `keys`
    (patches drawn only there) first, then what the plot labelled."""
    handles, texts = axes.get_legend_handles_labels()
    handles, texts = (keys or []) + handles, [k.get_label() for k in keys or []] + texts
    if handles:
        legend = axes.legend(
            handles, texts, loc="lower left", bbox_to_anchor=(-0.01, 1.0), ncols=len(handles),
            frameon=False, fontsize=TEXT_PT, handlelength=1.2, handletextpad=0.4,
            columnspacing=0.9, borderaxespad=0.2,
        )  # fmt: skip
        _fit(axes.figure, legend)
    return texts


def _png(figure) -> bytes:
    # Fixed margins rather than tight_layout(), which draws the figure twice; light
    # PNG compression: a chart is sent once, and time counts more than bytes here.
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return out.getvalue()


def _pixels(box) -> tuple[int, int, int, int]:
    """A matplotlib box (origin at the bottom) as the PNG's left, top, right, bottom."""
    return round(box.x0), round(HEIGHT - box.y1), round(box.x1), round(HEIGHT - box.y0)


def _chart(figure, kind: str, axes=None, **facts) -> Chart:
    """The Chart of `figure`, drawn: the PNG, and where its parts came out."""
    from matplotlib.text import Text

    png = _png(figure)
    texts = [t for t in figure.findobj(Text) if t.get_visible() and t.get_text()]
    legend = axes.get_legend() if axes is not None else None
    return Chart(
        png=png, kind=kind,
        plot_box=_pixels(axes.get_window_extent()) if axes is not None else None,
        legend_box=_pixels(legend.get_window_extent()) if legend is not None else None,
        title_box=_pixels(figure.texts[0].get_window_extent()),
        smallest_text_px=min(t.get_fontsize() for t in texts) * DPI / 72, **facts,
    )  # fmt: skip


def draw_empty(labels: Labels) -> Chart:
    """The title and "No data yet": no axes to suggest a scale or a time."""
    figure = _figure(labels)
    figure.text(0.5, 0.45, labels.no_data_yet, fontsize=TITLE_PT + 2, color=GREY,
                ha="center", va="center")  # fmt: skip
    return _chart(figure, "empty")


def draw_latency(
    bins: Mapping[datetime, Aggregate],
    step: timedelta,
    downtime: list[tuple[datetime, datetime]],
    labels: Labels,
    tz: tzinfo = UTC_ZONE,
    until: datetime | None = None,
) -> Chart:
    """The average latency per bin at the bin's middle, the band up to the p95 over
    the whole bin (so a lone bin, a new monitor's first, shows as a dot and a box,
    not as a line of one point, which draws nothing)."""
    starts = list(bins)
    figure = _figure(labels)
    axes = _axes(figure)
    axes.set_ylabel(labels.latency, fontsize=TEXT_PT, labelpad=2)
    nan = float("nan")
    average = [b.avg_latency_ms for b in bins.values()]
    edges, low, high = [], [], []
    for start, aggregate, mean in zip(starts, bins.values(), average, strict=True):
        p95 = aggregate.latency_quantile(0.95)
        edges += [start, start + step]
        low += [nan if mean is None else mean] * 2
        high += [nan if p95 is None else p95] * 2
    axes.fill_between(edges, low, high, color=BLUE, alpha=0.2, linewidth=0, label=labels.p95)
    middles = [start + step / 2 for start in starts]
    points = [nan if a is None else a for a in average]
    axes.plot(middles, points, color=BLUE, linewidth=1, label=labels.average)
    lone = [
        i for i, a in enumerate(average)
        if a is not None and (i == 0 or average[i - 1] is None)
        and (i == len(average) - 1 or average[i + 1] is None)
    ]  # fmt: skip
    axes.plot([middles[i] for i in lone], [points[i] for i in lone], "o", color=BLUE, ms=2.5)
    for number, (start, end) in enumerate(downtime):
        axes.axvspan(start, end, color=RED, alpha=0.25, linewidth=0,
                     label=labels.down if number == 0 else None)  # fmt: skip
    empty = [i for i, b in enumerate(bins.values()) if b.counted == 0]
    _no_data_spans(axes, starts, step, empty, labels.no_data)
    end = until or (starts[-1] + step)
    x_range = (starts[0], end + (end - starts[0]) * RIGHT_MARGIN)
    axes.set_xlim(*x_range)
    seen = [v for v in high + low if v == v]  # not NaN
    axes.set_ylim(0, max(seen) * 1.15 if seen else 100)  # headroom: no dot on the top edge
    if all(a is None for a in average):
        axes.text(0.5, 0.5, labels.no_latency, transform=axes.transAxes, ha="center",
                  fontsize=TEXT_PT, color="#555555", backgroundcolor="white")  # fmt: skip
    ticks, pattern = _latency_ticks(starts[0], end, tz)
    texts = _time_axis(axes, labels, ticks, ticks, pattern, tz)
    legend = _legend(axes)
    return _chart(
        figure, "latency", axes, x_range=x_range, y_range=axes.get_ylim(), no_data=empty,
        ticks=ticks, tick_labels=texts, x_label=axes.get_xlabel(), legend=legend,
    )  # fmt: skip


def draw_uptime(
    bins: Mapping[datetime, Aggregate], step: timedelta, labels: Labels, tz: tzinfo = UTC_ZONE
) -> Chart:
    """A bar per bin with checks, from 0 to its uptime; ticks on the middles of bars."""
    from matplotlib.patches import Patch

    starts = list(bins)
    uptime = [b.uptime for b in bins.values()]
    figure = _figure(labels)
    axes = _axes(figure)
    axes.set_ylabel(labels.uptime, fontsize=TEXT_PT, labelpad=2)
    bars = [i for i, u in enumerate(uptime) if u is not None]
    colours = [GREEN if u >= GOOD else AMBER if u >= FAIR else RED for u in uptime if u is not None]
    middles = [start + step / 2 for start in starts]
    # One line collection, not a patch per bar: 90 Rectangles cost more than the rest
    # of the chart together. Each line is as thick as 70% of a bin.
    points_per_bin = (RIGHT - LEFT) * WIDTH * 72 / DPI / max(1, len(starts))
    axes.vlines(
        [middles[i] for i in bars], 0, [100 * uptime[i] for i in bars], colors=colours,
        linewidth=points_per_bin * 0.7,
    )  # fmt: skip
    keys = [
        Patch(color=colour, label=text)
        for colour, text in ((GREEN, labels.good), (AMBER, labels.fair), (RED, labels.poor))
        if colour in colours
    ]
    empty = [i for i, u in enumerate(uptime) if u is None]
    _no_data_spans(axes, starts, step, empty, labels.no_data)
    x_range = (starts[0], starts[-1] + step + (len(starts) * step) * RIGHT_MARGIN)
    axes.set_xlim(*x_range)
    axes.set_ylim(0, 100)
    axes.set_yticks([0, 50, 100])
    daily = step >= DAY
    chosen = _bar_ticks(starts, step, UTC_ZONE if daily else tz)
    ticks = [middles[i] for i in chosen]
    texts = _time_axis(axes, labels, ticks, [starts[i] for i in chosen],
                       "d MMM" if daily else "HH:mm", UTC_ZONE if daily else tz)  # fmt: skip
    legend = _legend(axes, keys)
    return _chart(
        figure, "uptime", axes, x_range=x_range, y_range=axes.get_ylim(), bars=bars,
        no_data=empty, ticks=ticks, tick_labels=texts, x_label=axes.get_xlabel(), legend=legend,
    )  # fmt: skip


def draw(
    kind: str,
    bins: Mapping[datetime, Aggregate],
    step: timedelta,
    downtime: list[tuple[datetime, datetime]],
    labels: Labels,
    tz: tzinfo = UTC_ZONE,
    until: datetime | None = None,
) -> Chart:
    """The chart of `kind`, or the empty one when no bin has a check that counts."""
    if not any(b.counted for b in bins.values()):
        return draw_empty(labels)
    if kind == "latency":
        return draw_latency(bins, step, downtime, labels, tz, until)
    return draw_uptime(bins, step, labels, tz)


async def _downtime(monitor_id: int, since: datetime, now: datetime):
    """(start, end) of each incident within [since, now), as core.stats counts them."""
    incidents = await incidents_overlapping(monitor_id, since, now)
    return [(max(i.started_at, since), ended(i, now)) for i in incidents]


async def chart_png(
    monitor: Monitor,
    kind: str,
    window: str,
    lang: str,
    figures: WindowStats | None = None,
    tz: tzinfo = UTC_ZONE,
    raw_retention_days: int = DEFAULT_RAW_RETENTION_DAYS,
) -> bytes:
    """The chart of `kind` (latency | uptime) over `window` (core.stats.WINDOWS), with
    labels in `lang` and times in `tz`, as PNG bytes of WIDTH x HEIGHT pixels.
    `figures` of the same window, when the caller has them, save computing the uptime
    for the title again."""
    now = datetime.now(UTC)
    since = now - WINDOWS[window]
    uptime = (
        figures.uptime
        if figures
        else (await span(monitor.id, since, now, raw_retention_days)).uptime
    )
    step = (LATENCY_STEPS if kind == "latency" else UPTIME_STEPS)[window]
    bins = await binned(monitor.id, since, now, step)
    downtime = await _downtime(monitor.id, since, now) if kind == "latency" else []
    with use_locale(lang):
        labels = chart_labels(lang, title(monitor.name, window, uptime, lang))
    chart = await asyncio.get_running_loop().run_in_executor(
        _executor, draw, kind, bins, step, downtime, labels, tz, now
    )
    return chart.png


def title(name: str, window: str, uptime: float | None, lang: str) -> str:
    """The chart's title in `lang` (call inside use_locale(lang))."""
    window_name = {
        "24h": _("24 hours"), "7d": _("7 days"), "30d": _("30 days"), "90d": _("90 days"),
    }[window]  # fmt: skip
    if uptime is None:
        return _("{name}: {window}").format(name=cut(name, TITLE_CHARS), window=window_name)
    return _("{name}: uptime {uptime} over {window}").format(
        name=cut(name, TITLE_CHARS), uptime=fmt_percent(uptime, lang), window=window_name
    )
