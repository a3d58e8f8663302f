"""A monitor's public badges (core/badges.py): public, no key.

`GET /badge/<token>/status.svg`, `/badge/<token>/uptime.svg?window=24h|7d|30d|90d`
(default 24h) and `/badge/<token>/latency.svg`, each with an optional `?label=` (1 to
40 characters, no control or invisible characters: a longer one is refused rather than
cut, so a badge never says less than its owner wrote without them knowing) and `?lang=`
(de, en, es, ru; default: the first of Accept-Language that is one of them, else
English).

Answers: 200 with the SVG (`image/svg+xml`), an ETag, `Cache-Control: public,
max-age=30` and `Vary: Accept-Language`, or 304 when If-None-Match holds the ETag; 400
with a plain-text reason for a bad parameter; 404 "Not found" for a token no monitor
has, the same body and the same one database lookup whatever the token
(core.badges.monitor_by_token). The monitor row is read on every request, so a rotated
token stops at once and the state is always the row's; the figures behind it come from
the process's BadgeFigures (a few seconds old at most).
"""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web

from api.app_keys import BADGE_FIGURES_KEY
from api.errors import request_language
from api.http_cache import cacheable
from core.badge_svg import render
from core.badges import DEFAULT_WINDOW, MAX_LABEL_LENGTH, monitor_by_token
from core.i18n import LANGUAGES, _, use_locale
from core.monitor_rules import has_hidden_characters
from core.stats import WINDOWS

SVG = "image/svg+xml"
# An SVG opened on its own is a document: it may run nothing and load nothing.
HEADERS = {
    "Vary": "Accept-Language",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}

routes = web.RouteTableDef()


class _Refused(Exception):
    """A bad parameter: the reason, in the request's language."""


def _text(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, headers={"Cache-Control": "no-store"})


def _label(request: web.Request) -> str | None:
    label = request.query.get("label")
    if label is None:
        return None
    if len(label) > MAX_LABEL_LENGTH:
        raise _Refused(
            _("The label may have at most {max} characters.").format(max=MAX_LABEL_LENGTH)
        )
    if not label.strip() or has_hidden_characters(label):
        raise _Refused(
            _("The label must have a visible character and no control or invisible ones.")
        )
    return label


def _window(request: web.Request) -> str:
    window = request.query.get("window", DEFAULT_WINDOW)
    if window not in WINDOWS:
        raise _Refused(
            _("Unknown window: use one of {windows}.").format(windows=", ".join(WINDOWS))
        )
    return window


async def _badge(request: web.Request, kind: str) -> web.Response:
    """Every badge route: the parameters, the monitor, its figures, the SVG."""
    chosen = request.query.get("lang")
    with use_locale(chosen if chosen in LANGUAGES else request_language(request)):
        try:
            if chosen is not None and chosen not in LANGUAGES:
                raise _Refused(
                    _("Unknown language: use one of {languages}.").format(
                        languages=", ".join(sorted(LANGUAGES))
                    )
                )
            label = _label(request)
            window = _window(request) if kind == "uptime" else DEFAULT_WINDOW
        except _Refused as refusal:
            return _text(400, str(refusal))
        monitor = await monitor_by_token(request.match_info["token"])
        if monitor is None:
            return _text(404, _("Not found."))
        badge = await request.app[BADGE_FIGURES_KEY].badge(kind, monitor, window)
    if label is not None:
        badge = replace(badge, label=label)
    return cacheable(request, render(badge).encode(), SVG, headers=HEADERS)


@routes.get("/badge/{token}/status.svg")
async def status_svg(request: web.Request) -> web.Response:
    return await _badge(request, "status")


@routes.get("/badge/{token}/uptime.svg")
async def uptime_svg(request: web.Request) -> web.Response:
    return await _badge(request, "uptime")


@routes.get("/badge/{token}/latency.svg")
async def latency_svg(request: web.Request) -> web.Response:
    return await _badge(request, "latency")
