"""Status pages: list, create, get, patch, delete. The rules are core/status_pages.py's
(the bot's); a page's monitors are sent and read as its `groups`, and a PATCH that
carries `groups` replaces the whole layout with them."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from api.app_keys import RUNTIME_KEY
from api.auth import caller_of
from api.params import (
    BIGINT_MAX,
    Refused,
    big_integer,
    boolean,
    cursor_id,
    encode_cursor,
    integer,
    json_body,
    limit_of,
    nullable,
    page,
    path_id,
    query_int,
    require,
    string,
)
from api.serialize import page_json
from api.v1.lookup import owner_for, page_for, scoped
from core.status_pages import GroupSpec, create_page, delete_page, layouts_of, update_page
from db.models import StatusPage, User

routes = web.RouteTableDef()

GROUP_KEYS = frozenset({"name", "monitors"})
MONITOR_KEYS = frozenset({"id", "show_url"})


def _closed_object(value: Any, keys: frozenset[str], required: frozenset[str]) -> dict:
    if not isinstance(value, dict) or not required <= set(value) <= keys:
        raise Refused("field_type")
    return value


def groups_of(value: Any) -> list[GroupSpec]:
    """`groups` as sent: [{"name": "...", "monitors": [{"id": 7, "show_url": true}]}],
    `name` ("" by default), `monitors` ([] by default) and `show_url` (false by
    default) optional; anything else in them is the wrong type."""
    if not isinstance(value, list):
        raise Refused("field_type")
    specs = []
    for raw_group in value:
        group = _closed_object(raw_group, GROUP_KEYS, frozenset())
        monitors = group.get("monitors", [])
        if not isinstance(monitors, list):
            raise Refused("field_type")
        shown = []
        for raw_monitor in monitors:
            monitor = _closed_object(raw_monitor, MONITOR_KEYS, frozenset({"id"}))
            shown.append((integer(monitor["id"]), boolean(monitor.get("show_url", False))))
        specs.append(GroupSpec(string(group.get("name", "")), shown))
    return specs


PAGE_FIELDS = {
    "title": string,
    "slug": string,
    "description": string,
    "logo_url": nullable(string),
    "note": string,
    "groups": groups_of,
}
CREATE_FIELDS = {**PAGE_FIELDS, "slug": nullable(string), "owner_telegram_id": big_integer}


def _owner_rules(request: web.Request, owner: User) -> dict:
    """What the logo URL's check needs: the owner's private-address rule, and DNS."""
    runtime = request.app[RUNTIME_KEY]
    return {"allow_private": runtime.allow_private(owner.telegram_id), "resolver": runtime.resolve}


async def _shown(request: web.Request, found: StatusPage, status: int = 200) -> web.Response:
    layout = (await layouts_of([found.id]))[found.id]
    public_url = request.app[RUNTIME_KEY].settings.public_base_url
    return web.json_response(page_json(found, layout, public_url), status=status)


@routes.get("/api/v1/pages")
async def list_pages(request: web.Request) -> web.Response:
    """In id order; the admin key's all, or one owner's (`owner`, a Telegram id)."""
    caller = caller_of(request)
    limit = limit_of(request)
    after = cursor_id(request)
    owner = query_int(request, "owner", BIGINT_MAX)
    rows = scoped(StatusPage.all().select_related("owner"), caller, owner)
    if after is not None:
        rows = rows.filter(id__gt=after)
    found = await rows.order_by("id").limit(limit + 1)
    layouts = await layouts_of([p.id for p in found[:limit]])
    public_url = request.app[RUNTIME_KEY].settings.public_base_url
    return web.json_response(
        page(
            found,
            limit,
            lambda p: page_json(p, layouts[p.id], public_url),
            lambda p: encode_cursor(p.id),
        )
    )


@routes.post("/api/v1/pages")
async def create(request: web.Request) -> web.Response:
    caller = caller_of(request)
    body = await json_body(request, CREATE_FIELDS)
    require(body, "title")
    owner = await owner_for(caller, body.pop("owner_telegram_id", None))
    made = await create_page(
        owner,
        body.pop("title"),
        body.pop("slug", None),
        description=body.get("description", ""),
        note=body.get("note", ""),
        logo_url=body.get("logo_url"),
        groups=body.get("groups"),
        **_owner_rules(request, owner),
    )
    made.owner = owner
    return await _shown(request, made, status=201)


@routes.get("/api/v1/pages/{id}")
async def get_page(request: web.Request) -> web.Response:
    return await _shown(request, await page_for(caller_of(request), path_id(request)))


@routes.patch("/api/v1/pages/{id}")
async def patch_page(request: web.Request) -> web.Response:
    found = await page_for(caller_of(request), path_id(request))
    body = await json_body(request, PAGE_FIELDS)
    await update_page(found, **body, **_owner_rules(request, found.owner))
    return await _shown(request, found)


@routes.delete("/api/v1/pages/{id}")
async def delete(request: web.Request) -> web.Response:
    await delete_page(await page_for(caller_of(request), path_id(request)))
    return web.Response(status=204)
