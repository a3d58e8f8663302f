"""A monitor's check log, newest first, paged by a (time, id) cursor."""

from __future__ import annotations

from aiohttp import web
from tortoise.expressions import Q

from api.auth import caller_of
from api.params import cursor_time_id, encode_cursor, limit_of, page, path_id, query_time
from api.serialize import check_json, when
from api.v1.lookup import monitor_for
from db.models import CheckLog

routes = web.RouteTableDef()


def _after(request: web.Request) -> Q | None:
    """Rows older than the cursor's (checked_at, id): keyset paging on the index."""
    cursor = cursor_time_id(request)
    if cursor is None:
        return None
    moment, before = cursor
    return Q(checked_at__lt=moment) | Q(checked_at=moment, id__lt=before)


@routes.get("/api/v1/monitors/{id}/checks")
async def list_checks(request: web.Request) -> web.Response:
    monitor = await monitor_for(caller_of(request), path_id(request))
    limit = limit_of(request)
    since, until = query_time(request, "from"), query_time(request, "to")
    rows = CheckLog.filter(monitor_id=monitor.id)
    if since is not None:
        rows = rows.filter(checked_at__gte=since)
    if until is not None:
        rows = rows.filter(checked_at__lt=until)
    if (after := _after(request)) is not None:
        rows = rows.filter(after)
    found = await rows.order_by("-checked_at", "-id").limit(limit + 1)
    return web.json_response(
        page(found, limit, check_json, lambda c: encode_cursor(when(c.checked_at), c.id))
    )
