"""Maintenance windows: list, create, end, delete."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from api.auth import caller_of
from api.params import (
    BIGINT_MAX,
    big_integer,
    body_time,
    cursor_id,
    encode_cursor,
    integer,
    json_body,
    limit_of,
    nullable,
    page,
    path_id,
    query_choice,
    query_int,
    require,
    string,
)
from api.serialize import window_json
from api.v1.lookup import monitor_for, owner_for, scoped, window_for
from core.maintenance import create_window, end_window
from db.models import MaintenanceWindow

routes = web.RouteTableDef()

WINDOW_FIELDS = {
    "monitor_id": nullable(integer),
    "owner_telegram_id": big_integer,
    "starts_at": string,
    "ends_at": string,
    "reason": string,
}


@routes.get("/api/v1/maintenance")
async def list_windows(request: web.Request) -> web.Response:
    """Running and coming windows by default; `state=ended` or `all` for the others."""
    caller = caller_of(request)
    limit = limit_of(request)
    state = query_choice(request, "state", ("current", "ended", "all")) or "current"
    owner = query_int(request, "owner", BIGINT_MAX)
    rows = scoped(MaintenanceWindow.all().select_related("owner"), caller, owner).order_by("-id")
    now = datetime.now(UTC)
    if state == "current":
        rows = rows.filter(ends_at__gt=now)
    elif state == "ended":
        rows = rows.filter(ends_at__lte=now)
    if (before := cursor_id(request)) is not None:
        rows = rows.filter(id__lt=before)
    found = await rows.limit(limit + 1)
    return web.json_response(page(found, limit, window_json, lambda w: encode_cursor(w.id)))


@routes.post("/api/v1/maintenance")
async def create(request: web.Request) -> web.Response:
    """One monitor's window (`monitor_id`), or one over all of an owner's monitors."""
    caller = caller_of(request)
    body = await json_body(request, WINDOW_FIELDS)
    require(body, "ends_at")
    monitor = None
    if body.get("monitor_id") is not None:
        monitor = await monitor_for(caller, body["monitor_id"])
        owner = monitor.owner
    else:
        owner = await owner_for(caller, body.get("owner_telegram_id"))
    starts_at = body_time(body["starts_at"], "starts_at") if "starts_at" in body else None
    window = await create_window(
        owner,
        starts_at or datetime.now(UTC),
        body_time(body["ends_at"], "ends_at"),
        monitor=monitor,
        reason=body.get("reason", ""),
        created_by=caller.user,
    )
    return web.json_response(window_json(window), status=201)


@routes.post("/api/v1/maintenance/{id}/end")
async def end(request: web.Request) -> web.Response:
    """End a running window now; one that has not started is dropped (204)."""
    window = await window_for(caller_of(request), path_id(request))
    if window.ends_at <= datetime.now(UTC):
        return web.json_response(window_json(window))  # over already: nothing to do
    if await end_window(window):
        return web.Response(status=204)
    return web.json_response(window_json(window))


@routes.delete("/api/v1/maintenance/{id}")
async def delete(request: web.Request) -> web.Response:
    window = await window_for(caller_of(request), path_id(request))
    await window.delete()
    return web.Response(status=204)
