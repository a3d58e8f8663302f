"""Status pages as HTML: a PageView (core/page_view.py) in a visitor's language.

Jinja2 with autoescape on: everything a page's owner wrote (title, description, note,
group and monitor names, a shown URL, the logo's URL) reaches the HTML as text, never
as markup; links are made only of http(s) URLs, the logo only of an https one.

The per-day texts (90 a monitor: date, uptime, incidents) are built here rather than
in the template, each distinct date and percentage formatted once per page: Babel
costs tens of microseconds a call, and a page of 100 monitors has 9,000 bars.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_percent
from babel.units import format_unit
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from core.charts import FAIR, GOOD
from core.i18n import _, ngettext, use_locale
from core.page_view import (
    DAYS,
    MAINTENANCE,
    YIELD_EVERY,
    Day,
    MonitorView,
    PageState,
    PageView,
)
from core.render import fmt_datetime, fmt_duration
from db.models import MonitorState
from web.assets import asset_url

TEMPLATES = Path(__file__).resolve().parent / "templates"
REFRESH_SECONDS = 60  # how often the page's script fetches it again
SPARK_WIDTH, SPARK_HEIGHT = 120, 32  # the response-time sparkline's viewBox
YIELD_PIECES = 500  # pieces of the template's output between two turns of the event loop


def _text(message: str, **fields: object) -> str:
    """A translated message with its {fields} filled in (the catalogs' style): the
    templates' `_`."""
    translated = _(message)
    return translated.format(**fields) if fields else translated


def _counted(singular: str, plural: str, count: int, **fields: object) -> str:
    """The templates' `ngettext`, {count} and the other {fields} filled in."""
    return ngettext(singular, plural, count).format(count=count, **fields)


ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=StrictUndefined,
)
ENV.globals.update(_=_text, ngettext=_counted, asset=asset_url, refresh=REFRESH_SECONDS)


def _banner(state: PageState) -> str:
    return {
        PageState.OPERATIONAL: _("All systems operational"),
        PageState.PARTIAL_OUTAGE: _("Partial outage"),
        PageState.MAJOR_OUTAGE: _("Major outage"),
        PageState.MAINTENANCE: _("Maintenance in progress"),
    }[state]


def _state(state: str) -> str:
    return {
        MonitorState.UP: _("Operational"),
        MonitorState.DOWN: _("Down"),
        MonitorState.PAUSED: _("Paused"),
        MonitorState.UNKNOWN: _("No data yet"),
        MAINTENANCE: _("Maintenance"),
    }[state]


def day_class(uptime: float | None) -> str:
    """A day's colour: the charts' thresholds (green from 99.9%, amber from 99%)."""
    if uptime is None:
        return "none"
    return "good" if uptime >= GOOD else "fair" if uptime >= FAIR else "poor"


def percent(fraction: float | None, lang: str) -> str:
    """Uptime with up to two decimals, cut rather than rounded: 99.996% is "99.99%",
    so only a day without a failure reads 100%."""
    if fraction is None:
        return "—"
    return format_percent(math.floor(fraction * 10000) / 10000, "#,##0.##%", locale=lang)


def milliseconds(value: float | None, lang: str) -> str:
    if value is None:
        return "—"
    return format_unit(round(value), "duration-millisecond", length="short", locale=lang)


@dataclass
class _Monitor:
    name: str
    state: str
    state_text: str
    url: str | None
    link: bool  # the URL is http(s): shown as a link
    bars: Markup  # the day bars (_bars), oldest first
    uptime: list[tuple[str, str]]  # (window, figure)
    latency: str  # the 24 h average
    latency_last: str
    spark: str  # the sparkline's path ("" without data)
    spark_text: str


def _escaped(text: str) -> str:
    return str(escape(text))


class _Formats:
    """What several bars and monitors share, translated, formatted and HTML-escaped
    once per page (module doc)."""

    def __init__(self, lang: str, days: list[Day]) -> None:
        self.lang = lang
        self.dates = [_escaped(format_date(day.date, "medium", locale=lang)) for day in days]
        self.up = _escaped(_("{date}: {uptime} uptime"))
        self.no_data = _escaped(_("{date}: no data"))
        self.no_incidents = _escaped(", " + _("no incidents"))
        self._percent: dict[float | None, tuple[str, str]] = {}

    def _percents(self, fraction: float | None) -> tuple[str, str]:
        texts = self._percent.get(fraction)
        if texts is None:
            text = percent(fraction, self.lang)
            texts = self._percent[fraction] = (text, _escaped(text))
        return texts

    def percent(self, fraction: float | None) -> str:
        return self._percents(fraction)[0]

    def percent_html(self, fraction: float | None) -> str:
        return self._percents(fraction)[1]

    def incidents(self, count: int, downtime_seconds: int) -> str:
        text = ngettext(
            "{count} incident, down {duration}", "{count} incidents, down {duration}", count
        )
        return _escaped(
            ", " + text.format(count=count, duration=fmt_duration(downtime_seconds, self.lang))
        )


def _bars(monitor: MonitorView, formats: _Formats) -> Markup:
    """The monitor's day bars as HTML: the page's hot loop (9,000 bars for 100
    monitors), so written here from parts escaped once (_Formats), not in the template.
    Each bar is focusable and carries its day's text, which CSS shows on hover and
    focus and screen readers read."""
    bars = []
    for day, when in zip(monitor.days, formats.dates, strict=True):
        if day.uptime is None:
            text = formats.no_data.format(date=when)
        else:
            text = formats.up.format(date=when, uptime=formats.percent_html(day.uptime))
        if day.incidents:
            text += formats.incidents(day.incidents, day.downtime_seconds)
        elif day.uptime is not None:
            text += formats.no_incidents
        bars.append(
            f'<li class="bar {day_class(day.uptime)}" tabindex="0" role="img" '
            f'aria-label="{text}"></li>'
        )
    return Markup("".join(bars))


def sparkline(points: list[float | None]) -> str:
    """An SVG path of the hourly averages on a scale from 0 to the highest, in the
    SPARK viewBox; hours without data break the line."""
    known = [p for p in points if p is not None]
    if not known:
        return ""
    top = max(known) or 1.0
    step = SPARK_WIDTH / max(1, len(points) - 1)
    path, drawing = [], False
    for index, value in enumerate(points):
        if value is None:
            drawing = False
            continue
        x = index * step
        y = SPARK_HEIGHT - 2 - (value / top) * (SPARK_HEIGHT - 4)
        path.append(f"{'L' if drawing else 'M'}{x:.1f} {y:.1f}")
        if not drawing and (index + 1 >= len(points) or points[index + 1] is None):
            path.append("h0.1")  # a lone hour: a dot (round caps)
        drawing = True
    return "".join(path)


def _monitor(monitor: MonitorView, formats: _Formats) -> _Monitor:
    lang = formats.lang
    url = monitor.url
    average = milliseconds(monitor.latency_avg_24h_ms, lang)
    last = milliseconds(monitor.latency_ms, lang)
    return _Monitor(
        name=monitor.name,
        state=monitor.state,
        state_text=_state(monitor.state),
        url=url,
        link=url is not None and url.lower().startswith(("http://", "https://")),
        bars=_bars(monitor, formats),
        uptime=[
            (_("24 h"), formats.percent(monitor.uptime_24h)),
            (_("30 d"), formats.percent(monitor.uptime_30d)),
            (_("90 d"), formats.percent(monitor.uptime_90d)),
        ],
        latency=average,
        latency_last=last,
        spark=sparkline(monitor.latency_hours),
        spark_text=_("Response time over 24 hours: average {average}, last check {last}").format(
            average=average, last=last
        ),
    )


def _when(moment: datetime, lang: str) -> dict:
    """A moment for a <time> element: ISO in UTC for the script, text in UTC for
    everyone else (the script rewrites it in the visitor's zone)."""
    return {"iso": moment.astimezone(UTC).isoformat(), "text": fmt_datetime(moment, lang, UTC)}


async def render_page(view: PageView, lang: str) -> str:
    """The page as HTML in `lang`. A monitor's part costs about half a millisecond, so
    the event loop gets a turn every YIELD_EVERY monitors, and every YIELD_PIECES pieces
    of the template's output (a thread would not help: the work holds the interpreter,
    and the loop would wait for it all the same)."""
    with use_locale(lang):
        days = view.groups[0].monitors[0].days if view.groups else []  # every monitor's
        formats = _Formats(lang, days)
        groups = []
        done = 0
        for group in view.groups:
            monitors = []
            for monitor in group.monitors:
                monitors.append(_monitor(monitor, formats))
                done += 1
                if done % YIELD_EVERY == 0:
                    await asyncio.sleep(0)
            groups.append((group.name, monitors))
        pieces = ENV.get_template("status_page.html").generate(
            lang=lang,
            view=view,
            banner=_banner(view.state),
            groups=groups,
            logo=view.logo_url if (view.logo_url or "").startswith("https://") else None,
            incidents=[(i.monitor, _when(i.started_at, lang)) for i in view.incidents],
            maintenance=[
                (w, _when(w.starts_at, lang), _when(w.ends_at, lang)) for w in view.maintenance
            ],
            updated=_when(view.updated_at, lang),
            legend=[
                ("good", f"≥ {percent(GOOD, lang)}"),
                ("fair", f"≥ {percent(FAIR, lang)}"),
                ("poor", f"< {percent(FAIR, lang)}"),
                ("none", _("No data")),
            ],
            days=DAYS,
        )
        html = []
        for count, piece in enumerate(pieces, 1):  # the template runs as it is read
            html.append(piece)
            if count % YIELD_PIECES == 0:
                await asyncio.sleep(0)
        return "".join(html)


def render_message(lang: str, title: Callable[[], str], text: Callable[[], str]) -> str:
    """A page with one message (no such page, unavailable), in `lang`."""
    with use_locale(lang):
        return ENV.get_template("message.html").render(lang=lang, title=title(), text=text())
