"""A monitor's figures for a window: the numbers the bot shows, from the same function."""

from __future__ import annotations

from aiohttp import web

from api.app_keys import SETTINGS_KEY
from api.auth import caller_of
from api.errors import request_language
from api.params import path_id, query_choice, query_zone
from api.serialize import stats_json
from api.v1.lookup import monitor_for
from core.charts import KINDS, chart_png
from core.stats import WINDOWS, window_stats

routes = web.RouteTableDef()


@routes.get("/api/v1/monitors/{id}/stats")
async def stats(request: web.Request) -> web.Response:
    monitor = await monitor_for(caller_of(request), path_id(request))
    window = query_choice(request, "window", tuple(WINDOWS)) or "24h"
    retention = request.app[SETTINGS_KEY].raw_retention_days
    figures = await window_stats(monitor.id, window, raw_retention_days=retention)
    return web.json_response(stats_json(figures))


@routes.get("/api/v1/monitors/{id}/chart.png")
async def chart(request: web.Request) -> web.Response:
    """A PNG chart: `kind` latency (default) or uptime, over `window` (default 24h);
    labels in the language of Accept-Language, times in `tz` (default UTC)."""
    monitor = await monitor_for(caller_of(request), path_id(request))
    kind = query_choice(request, "kind", KINDS) or "latency"
    window = query_choice(request, "window", tuple(WINDOWS)) or "24h"
    zone = query_zone(request)
    retention = request.app[SETTINGS_KEY].raw_retention_days
    png = await chart_png(
        monitor, kind, window, request_language(request), tz=zone, raw_retention_days=retention
    )
    return web.Response(body=png, content_type="image/png")
