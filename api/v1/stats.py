"""A monitor's figures for a window: the numbers the bot shows, from the same function."""

from __future__ import annotations

from aiohttp import web

from api.auth import caller_of
from api.params import path_id, query_choice
from api.serialize import stats_json
from api.v1.lookup import monitor_for
from core.stats import WINDOWS, window_stats

routes = web.RouteTableDef()


@routes.get("/api/v1/monitors/{id}/stats")
async def stats(request: web.Request) -> web.Response:
    monitor = await monitor_for(caller_of(request), path_id(request))
    window = query_choice(request, "window", tuple(WINDOWS)) or "24h"
    return web.json_response(stats_json(await window_stats(monitor.id, window)))
