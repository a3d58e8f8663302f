"""A monitor's public badges (/badge/<token>/status.svg, uptime.svg, latency.svg; the
routes are api/badges.py, the drawing core/badge_svg.py): their token and their figures.

The figures come from the monitor row and the rollups, never from check_logs, so a
badge costs the same two or three indexed reads however long the history is:
- status: "paused" (grey) for a paused monitor, else "maintenance" (blue) while a
  maintenance window covers it, else its state: "up" (green), "down" (red), "unknown"
  (grey: not checked yet).
- uptime over a window of WINDOWS: 24h sums the 24 hourly rollups up to and including
  the current hour; 7d, 30d and 90d sum the daily rollups of the last 7, 30 or 90 UTC
  days, today included. The current hour and day count with the checks they hold so
  far (the rollup job adds to them every minute): an outage shows on the badge within
  a minute or two rather than at midnight, at the price of a window reaching between
  N - 1 and N periods back. Checks in maintenance are left out, as everywhere. The
  figure is floored to hundredths of a percent ("99.95%"), so "100%" means not one
  failed check (99.999% is shown as 99.99%, never rounded up), and coloured by
  UPTIME_COLOURS: from 99.9% green, from 99% yellow-green, from 95% yellow, below red;
  a window without checks is "no data" (grey).
- latency: the average of the successful checks in the same 24 hourly rollups (a
  heartbeat's run time), or the last check's latency before any rollup has one,
  coloured by LATENCY_COLOURS: up to 200 ms green, 500 yellow-green, 1,000 yellow,
  2,000 orange, above red; "no data" (grey) without either.
The words are translated in the current locale; numbers follow it (core/i18n.py).

The token: 128 random bits (secrets.token_urlsafe(16): 22 URL-safe characters), made
the first time a monitor's badges are asked for and replaced on rotation, when the old
URLs stop at once (each request looks its monitor up by the token). It is stored in the
clear, unique: a badge shows only what a public status page would, and the unique
column makes a collision an error rather than two monitors sharing one URL.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from babel.numbers import format_decimal
from tortoise.functions import Sum

from core.aggregates import Aggregate
from core.badge_svg import BLUE, GREEN, GREY, ORANGE, RED, YELLOW, YELLOWGREEN, Badge
from core.clock import Clock
from core.i18n import _, i18n
from core.maintenance import under_maintenance
from core.page_cache import PageCache
from core.stats import rollup_window_start
from db.bulk import Row, select_monitor_rows
from db.connection import current_connection
from db.models import Monitor, MonitorState, User

TOKEN_BYTES = 16
TOKEN_LENGTH = 22  # characters of URL-safe base64 for TOKEN_BYTES
_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}")

KINDS = ("status", "uptime", "latency")
DEFAULT_WINDOW = "24h"
LATENCY_WINDOW = "24h"  # the hourly rollups the latency badge averages
MAX_LABEL_LENGTH = 40
NO_DATA = GREY

# (lowest figure, colour), best first; below the last: RED. Uptime in hundredths of a
# percent (as shown), latency in milliseconds (at most this much).
UPTIME_COLOURS = ((9990, GREEN), (9900, YELLOWGREEN), (9500, YELLOW))
LATENCY_COLOURS = ((200, GREEN), (500, YELLOWGREEN), (1000, YELLOW), (2000, ORANGE))

# How long a process reuses figures it read (rollups, maintenance), and for how many
# (monitor, figure) pairs at most: the rollups move once a minute, and a badge is
# cached by whoever shows it for Cache-Control's 30 s anyway.
FIGURES_TTL = 10.0
FIGURES_KEPT = 20_000
# How long past its time a figure may still be served while it is rebuilt, or while
# the database cannot be read.
FIGURES_STALE_FOR = 300.0

# The monitor columns a badge reads (everything else stays in the database).
BADGE_COLUMNS = ("id", "owner_id", "state", "paused", "last_latency_ms", "badge_token")


# --- the token ------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def well_formed(text: str) -> bool:
    """A string that could be a badge token (no other can match one)."""
    return _TOKEN.fullmatch(text) is not None


async def badge_token_of(monitor: Monitor) -> str:
    """The monitor's badge token, made now if it has none. Made with a conditional
    UPDATE, so two requests at once (two replicas) agree on one: the loser reads the
    winner's instead of handing out a link that is dead at once."""
    if monitor.badge_token:
        return monitor.badge_token
    token = new_token()
    if await Monitor.filter(id=monitor.id, badge_token=None).update(badge_token=token):
        monitor.badge_token = token
    else:
        await monitor.refresh_from_db(fields=["badge_token"])
    assert monitor.badge_token is not None
    return monitor.badge_token


async def rotate_badge_token(monitor: Monitor) -> str:
    """A new token in place of the old one (or the first): the old URLs stop at once."""
    monitor.badge_token = new_token()
    await monitor.save(update_fields=["badge_token", "updated_at"])
    return monitor.badge_token


async def monitor_by_token(token: str) -> Row | None:
    """The monitor whose badges `token` opens (a plain row of BADGE_COLUMNS), else None.
    One lookup of the unique column whatever the token: one that cannot be a token is
    looked up as "", which no monitor has, so a miss takes the same path every time;
    the token found is compared again, in constant time, with the one asked for. A
    plain row, not a model instance: building one cost more than the rest of a badge
    (bench.pages --what badge)."""
    wanted = token if well_formed(token) else ""
    rows = await select_monitor_rows(
        current_connection(), Monitor, User, BADGE_COLUMNS, (), "badge_token", [wanted], "varchar"
    )
    found = rows[0] if rows else None
    if found is None or not wanted or not secrets.compare_digest(found.badge_token or "", wanted):
        return None
    return found


def badge_urls(public_url: str, token: str) -> dict[str, str]:
    """The three badges' URLs (uptime over DEFAULT_WINDOW; ?window= picks another)."""
    base = f"{public_url.rstrip('/')}/badge/{token}"
    return {kind: f"{base}/{kind}.svg" for kind in KINDS}


# --- the words and colours --------------------------------------------------------------


def default_label(kind: str, window: str = DEFAULT_WINDOW) -> str:
    """A badge's label unless ?label= names another: "status", "uptime 24h", "latency"."""
    if kind == "uptime":
        return _("uptime {window}").format(window=window)
    return _("latency") if kind == "latency" else _("status")


def status_badge(monitor: Monitor | Row, maintenance: bool) -> Badge:
    label = default_label("status")
    if monitor.paused or monitor.state == MonitorState.PAUSED:
        return Badge(label, _("paused"), GREY)
    if maintenance:
        return Badge(label, _("maintenance"), BLUE)
    if monitor.state == MonitorState.UP:
        return Badge(label, _("up"), GREEN)
    if monitor.state == MonitorState.DOWN:
        return Badge(label, _("down"), RED)
    return Badge(label, _("unknown"), GREY)


def _colour(figure: float, scale: tuple[tuple[int, str], ...], higher_is_better: bool) -> str:
    for bound, colour in scale:
        if (figure >= bound) if higher_is_better else (figure <= bound):
            return colour
    return RED


def uptime_hundredths(sums: Aggregate) -> int | None:
    """The uptime in hundredths of a percent, floored (9995 is 99.95%); None without
    checks. Whole numbers throughout, so 99.9% is exactly 9990, never 9989.999."""
    if not sums.counted:
        return None
    return (sums.counted - sums.failures) * 10_000 // sums.counted


def uptime_badge(window: str, sums: Aggregate) -> Badge:
    label = default_label("uptime", window)
    hundredths = uptime_hundredths(sums)
    if hundredths is None:
        return Badge(label, _("no data"), NO_DATA)
    shown = format_decimal(Decimal(hundredths) / 100, "#,##0.##", locale=_locale())
    return Badge(label, f"{shown}%", _colour(hundredths, UPTIME_COLOURS, True))


def latency_badge(sums: Aggregate, last_latency_ms: int | None) -> Badge:
    label = default_label("latency")
    average = sums.avg_latency_ms
    latency = round(average) if average is not None else last_latency_ms
    if latency is None:
        return Badge(label, _("no data"), NO_DATA)
    shown = _("{latency} ms").format(latency=format_decimal(latency, "#,##0", locale=_locale()))
    return Badge(label, shown, _colour(latency, LATENCY_COLOURS, False))


def _locale() -> str:
    return i18n.current_locale


# --- the figures --------------------------------------------------------------------------


async def window_sums(monitor_id: int, window: str, now: datetime) -> Aggregate:
    """The monitor's checks over `window` up to `now`, summed by the database from the
    rollups (no latency histogram: a badge shows no percentile)."""
    model, first = rollup_window_start(window, now)
    rows = (
        await model.filter(monitor_id=monitor_id, period_start__gte=first)
        .annotate(
            total_checks=Sum("checks"),
            total_failures=Sum("failures"),
            total_maintenance=Sum("maintenance"),
            total_latency_count=Sum("latency_count"),
            total_latency_sum=Sum("latency_sum"),
        )
        .values(
            "total_checks",
            "total_failures",
            "total_maintenance",
            "total_latency_count",
            "total_latency_sum",
        )
    )
    sums = rows[0] if rows else {}
    return Aggregate(
        checks=int(sums.get("total_checks") or 0),  # PostgreSQL sums bigints as numeric
        failures=int(sums.get("total_failures") or 0),
        maintenance=int(sums.get("total_maintenance") or 0),
        latency_count=int(sums.get("total_latency_count") or 0),
        latency_sum=int(sums.get("total_latency_sum") or 0),
    )


@dataclass
class BadgeFigures:
    """The figures badges read, each kept FIGURES_TTL seconds per process on `clock`
    (which also says what time it is). An expired figure is rebuilt by one request
    while the others get the one before (core/page_cache.py), so badges that all
    expire at once do not all wait on the database at once."""

    clock: Clock
    ttl: float = FIGURES_TTL
    kept: int = FIGURES_KEPT

    def __post_init__(self) -> None:
        self._cache: PageCache[object] = PageCache(
            self.ttl, self.clock, stale_for=FIGURES_STALE_FOR, max_entries=self.kept
        )

    async def badge(self, kind: str, monitor: Row, window: str = DEFAULT_WINDOW) -> Badge:
        """The badge of KINDS `kind` (an uptime badge over `window`)."""
        if kind == "status":
            return await self.status(monitor)
        if kind == "uptime":
            return await self.uptime(monitor, window)
        return await self.latency(monitor)

    async def status(self, monitor: Row) -> Badge:
        now = self.clock.now()
        maintenance = await self._cache.get(
            (monitor.id, "maintenance"),
            lambda: under_maintenance(monitor.id, monitor.owner_id, now),
        )
        return status_badge(monitor, bool(maintenance))

    async def uptime(self, monitor: Row, window: str) -> Badge:
        return uptime_badge(window, await self._sums(monitor.id, window))

    async def latency(self, monitor: Row) -> Badge:
        return latency_badge(await self._sums(monitor.id, LATENCY_WINDOW), monitor.last_latency_ms)

    async def _sums(self, monitor_id: int, window: str) -> Aggregate:
        now = self.clock.now()
        sums = await self._cache.get(
            (monitor_id, window), lambda: window_sums(monitor_id, window, now)
        )
        assert isinstance(sums, Aggregate)
        return sums
