"""Charts as PNG (matplotlib, Agg): latency over time and uptime per day.

`chart_png(monitor, kind, window, lang)` loads the figures (core/series.py), picks the
translated labels in `lang`, and draws in a worker thread (one: matplotlib's state is
not meant for threads drawing at once, and one is enough at under 300 ms a chart), so
the event loop never waits on drawing. The drawing functions are pure: data and
labels in, PNG bytes out.

- latency: the average per bin as a line, the band up to the 95th percentile, the
  incidents shaded, uptime over the window in the title (24 h: 15-minute bins; 7 d:
  hours; 30 and 90 d: days);
- uptime: one bar per bin (hours for 24 h, days otherwise) in the colours of a status
  page: green from 99.9%, amber from 99%, red below; grey without checks.
"""

from __future__ import annotations

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.i18n import _, use_locale
from core.render import cut, fmt_percent
from core.series import DAY, DEFAULT_RAW_RETENTION_DAYS, HOUR, binned, span
from core.stats import WINDOWS, WindowStats, ended, incidents_overlapping
from db.models import Monitor

KINDS = ("latency", "uptime")
WIDTH, HEIGHT, DPI = 800, 400, 100
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="charts")

LATENCY_STEPS = {"24h": timedelta(minutes=15), "7d": HOUR, "30d": DAY, "90d": DAY}
UPTIME_STEPS = {"24h": HOUR, "7d": DAY, "30d": DAY, "90d": DAY}
GREEN, AMBER, RED, GREY, BLUE = "#2e9e5b", "#e6a700", "#d64545", "#c8ccd2", "#2f6fde"


@dataclass
class Labels:
    title: str
    locale: str = "en"  # for the dates on the time axis
    latency: str = ""
    average: str = ""
    p95: str = ""
    down: str = ""
    uptime: str = ""
    no_data: str = ""


def _figure():
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    axes = figure.add_subplot()
    axes.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure, axes


def _time_axis(axes, labels: Labels, span: timedelta) -> None:
    """Dates on the x axis in the reader's language (Babel): hours within two days,
    day and month beyond."""
    import matplotlib.dates as mdates
    from babel.dates import format_datetime
    from matplotlib.ticker import FuncFormatter

    pattern = "HH:mm" if span <= timedelta(days=2) else "d MMM"

    def label(value: float, _position: int) -> str:
        return format_datetime(mdates.num2date(value), pattern, tzinfo=UTC, locale=labels.locale)

    axes.xaxis.set_major_formatter(FuncFormatter(label))


def _png(figure) -> bytes:
    # Fixed margins rather than tight_layout(), which draws the figure twice; light
    # PNG compression: a chart is sent once, and time counts more than bytes here.
    figure.subplots_adjust(left=0.09, right=0.98, top=0.9, bottom=0.13)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return out.getvalue()


def draw_latency(
    times: list[datetime],
    average: list[float | None],
    p95: list[float | None],
    downtime: list[tuple[datetime, datetime]],
    labels: Labels,
) -> bytes:

    figure, axes = _figure()
    axes.set_title(labels.title, fontsize=11)
    axes.set_ylabel(labels.latency)
    nan = float("nan")
    low = [a if a is not None else nan for a in average]
    high = [p if p is not None else nan for p in p95]
    axes.fill_between(times, low, high, color=BLUE, alpha=0.18, label=labels.p95, step="mid")
    axes.plot(times, low, color=BLUE, linewidth=1.4, label=labels.average)
    for number, (start, end) in enumerate(downtime):
        axes.axvspan(start, end, color=RED, alpha=0.2, label=labels.down if number == 0 else None)
    if times:
        axes.set_xlim(times[0], times[-1])
    axes.set_ylim(bottom=0)
    if all(a is None for a in average):
        axes.text(0.5, 0.5, labels.no_data, transform=axes.transAxes, ha="center", color="grey")
    if times:
        _time_axis(axes, labels, times[-1] - times[0])
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="upper left", fontsize=8, frameon=False)
    return _png(figure)


def draw_uptime(
    starts: list[datetime], uptime: list[float | None], step: timedelta, labels: Labels
) -> bytes:

    figure, axes = _figure()
    axes.set_title(labels.title, fontsize=11)
    axes.set_ylabel(labels.uptime)
    colours = [
        GREY if u is None else GREEN if u >= 0.999 else AMBER if u >= 0.99 else RED for u in uptime
    ]
    heights = [100 if u is None else 100 * u for u in uptime]
    lowest = min([h for h, u in zip(heights, uptime, strict=True) if u is not None] or [100])
    bottom = max(0, min(95, lowest - 1))
    # One line collection, not a patch per bar: 90 Rectangles cost more than the rest
    # of the chart together. Each line is as thick as 70% of a bin.
    middles = [start + step / 2 for start in starts]
    points_per_bin = WIDTH * 0.89 * 72 / DPI / max(1, len(starts))
    axes.vlines(middles, bottom, heights, colors=colours, linewidth=points_per_bin * 0.7)
    if starts:
        axes.set_xlim(starts[0], starts[-1] + step)
    axes.set_ylim(bottom, 100.5)
    if starts:
        _time_axis(axes, labels, starts[-1] - starts[0] + step)
    return _png(figure)


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
    raw_retention_days: int = DEFAULT_RAW_RETENTION_DAYS,
) -> bytes:
    """The chart of `kind` (latency | uptime) over `window` (core.stats.WINDOWS), with
    labels in `lang`, as PNG bytes of WIDTH x HEIGHT pixels. `figures` of the same
    window, when the caller has them, save computing the uptime for the title again."""
    now = datetime.now(UTC)
    since = now - WINDOWS[window]
    uptime = (
        figures.uptime
        if figures
        else (await span(monitor.id, since, now, raw_retention_days)).uptime
    )
    with use_locale(lang):
        window_name = {
            "24h": _("24 hours"), "7d": _("7 days"), "30d": _("30 days"), "90d": _("90 days"),
        }[window]  # fmt: skip
        title = _("{name}: uptime {uptime} over {window}").format(
            name=cut(monitor.name, 60), uptime=fmt_percent(uptime, lang), window=window_name
        )
        labels = Labels(
            title=title,
            locale=lang,
            latency=_("Latency, ms"),
            average=_("average"),
            p95=_("up to the 95th percentile"),
            down=_("down"),
            uptime=_("Uptime, %"),
            no_data=_("No successful checks in this period"),
        )
    loop = asyncio.get_running_loop()
    if kind == "latency":
        bins = await binned(monitor.id, since, now, LATENCY_STEPS[window])
        times = list(bins)
        average = [b.avg_latency_ms for b in bins.values()]
        p95 = [b.latency_quantile(0.95) for b in bins.values()]
        downtime = await _downtime(monitor.id, since, now)
        return await loop.run_in_executor(
            _executor, draw_latency, times, average, p95, downtime, labels
        )
    step = UPTIME_STEPS[window]
    bins = await binned(monitor.id, since, now, step)
    uptimes = [b.uptime for b in bins.values()]
    return await loop.run_in_executor(_executor, draw_uptime, list(bins), uptimes, step, labels)
