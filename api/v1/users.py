"""Users: the admin lists them and sets quotas; a user key sees itself and sets its
time zone."""

from __future__ import annotations

from aiohttp import web

from api.app_keys import SETTINGS_KEY
from api.auth import caller_of
from api.errors import ApiError
from api.params import (
    cursor_id,
    encode_cursor,
    integer,
    json_body,
    limit_of,
    nullable,
    page,
    path_id,
    require,
    string,
)
from api.serialize import user_json
from api.v1.lookup import user_for
from core.i18n import _
from core.monitor_rules import MAX_QUOTA, RuleError
from core.timezones import parse_zone
from db.models import User

routes = web.RouteTableDef()


@routes.get("/api/v1/users")
async def list_users(request: web.Request) -> web.Response:
    caller_of(request).require_admin()
    settings = request.app[SETTINGS_KEY]
    limit = limit_of(request)
    rows = User.all().order_by("id")
    if (after := cursor_id(request)) is not None:
        rows = rows.filter(id__gt=after)
    found = await rows.limit(limit + 1)
    return web.json_response(
        page(found, limit, lambda u: user_json(u, settings), lambda u: encode_cursor(u.id))
    )


@routes.get("/api/v1/users/{telegram_id}")
async def get_user(request: web.Request) -> web.Response:
    user = await user_for(caller_of(request), path_id(request, "telegram_id"))
    return web.json_response(user_json(user, request.app[SETTINGS_KEY]))


@routes.patch("/api/v1/users/{telegram_id}")
async def patch_user(request: web.Request) -> web.Response:
    """`monitor_quota` (admin key) and `timezone` (the user itself or the admin key), all
    or nothing: a refused field changes neither."""
    caller = caller_of(request)
    user = await user_for(caller, path_id(request, "telegram_id"))
    body = await json_body(request, {"monitor_quota": nullable(integer), "timezone": string})
    if not body:
        require(body, "monitor_quota", "timezone")
    if "monitor_quota" in body:
        caller.require_admin()
        quota = body["monitor_quota"]
        if quota is not None and not 0 <= quota <= MAX_QUOTA:
            message = _("Send a number between {min} and {max}.").format(min=0, max=MAX_QUOTA)
            raise ApiError(422, "quota_range", message, {"monitor_quota": message})
        user.monitor_quota = quota
    if "timezone" in body:
        try:
            user.timezone = parse_zone(body["timezone"])
        except RuleError as error:
            error.field = "timezone"
            raise
    await user.save(update_fields=list(body))
    return web.json_response(user_json(user, request.app[SETTINGS_KEY]))
