"""Incidents, newest first: all the caller may see, or one monitor's."""

from __future__ import annotations

from aiohttp import web

from api.auth import caller_of
from api.params import cursor_id, encode_cursor, limit_of, page, path_id, query_choice
from api.serialize import incident_json
from api.v1.lookup import monitor_for, scoped
from db.models import Incident

routes = web.RouteTableDef()


async def _page(request: web.Request, rows) -> web.Response:
    limit = limit_of(request)
    state = query_choice(request, "state", ("open", "resolved"))
    if state is not None:
        rows = rows.filter(resolved_at__isnull=state == "open")
    if (before := cursor_id(request)) is not None:
        rows = rows.filter(id__lt=before)
    found = await rows.order_by("-id").limit(limit + 1)
    return web.json_response(page(found, limit, incident_json, lambda i: encode_cursor(i.id)))


@routes.get("/api/v1/incidents")
async def list_incidents(request: web.Request) -> web.Response:
    rows = scoped(Incident.all(), caller_of(request), path="monitor__owner")
    return await _page(request, rows)


@routes.get("/api/v1/monitors/{id}/incidents")
async def monitor_incidents(request: web.Request) -> web.Response:
    monitor = await monitor_for(caller_of(request), path_id(request))
    return await _page(request, Incident.filter(monitor_id=monitor.id))
