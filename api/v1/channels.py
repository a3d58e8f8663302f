"""Alert channels: list, create (webhook, Slack, Discord), get, patch, delete, send a
test. Telegram chats and email addresses become channels in the bot (a chat linked, an
address confirmed), not here. A webhook's signing secret is in its creation's answer
only."""

from __future__ import annotations

from aiohttp import web

from api.app_keys import RUNTIME_KEY
from api.auth import caller_of
from api.params import (
    big_integer,
    boolean,
    cursor_id,
    encode_cursor,
    json_body,
    limit_of,
    page,
    path_id,
    query_int,
    require,
    string,
)
from api.serialize import channel_json
from api.v1.lookup import channel_for, owner_for, scoped
from core.channels import change_channel, create_url_channel, delete_channel, queue_test
from db.models import Channel

routes = web.RouteTableDef()

CREATE_FIELDS = {
    "kind": string,
    "target": string,
    "name": string,
    "is_default": boolean,
    "owner_telegram_id": big_integer,
}
PATCH_FIELDS = {"name": string, "enabled": boolean, "is_default": boolean}


@routes.get("/api/v1/channels")
async def list_channels(request: web.Request) -> web.Response:
    """In id order; the admin key's all, or one owner's (`owner_id`, as channels show)."""
    caller = caller_of(request)
    limit = limit_of(request)
    after = cursor_id(request)
    owner = query_int(request, "owner_id")
    rows = scoped(Channel.all().select_related("owner"), caller, owner, owner_key="id")
    if after is not None:
        rows = rows.filter(id__gt=after)
    found = await rows.order_by("id").limit(limit + 1)
    return web.json_response(page(found, limit, channel_json, lambda c: encode_cursor(c.id)))


@routes.post("/api/v1/channels")
async def create(request: web.Request) -> web.Response:
    caller = caller_of(request)
    body = await json_body(request, CREATE_FIELDS)
    require(body, "kind", "target")
    owner = await owner_for(caller, body.get("owner_telegram_id"))
    runtime = request.app[RUNTIME_KEY]
    channel, secret = await create_url_channel(
        owner,
        body["kind"],
        body["target"],
        name=body.get("name", ""),
        is_default=body.get("is_default", False),
        allow_private=runtime.allow_private(owner.telegram_id),
        resolver=runtime.resolve,
    )
    await channel.fetch_related("owner")
    shown = channel_json(channel)
    if secret is not None:
        shown["secret"] = secret  # this once
    return web.json_response(shown, status=201)


@routes.get("/api/v1/channels/{id}")
async def get_channel(request: web.Request) -> web.Response:
    channel = await channel_for(caller_of(request), path_id(request))
    return web.json_response(channel_json(channel))


@routes.patch("/api/v1/channels/{id}")
async def patch_channel(request: web.Request) -> web.Response:
    channel = await channel_for(caller_of(request), path_id(request))
    body = await json_body(request, PATCH_FIELDS)
    await change_channel(channel, **body)
    return web.json_response(channel_json(channel))


@routes.delete("/api/v1/channels/{id}")
async def delete(request: web.Request) -> web.Response:
    channel = await channel_for(caller_of(request), path_id(request))
    await delete_channel(channel.owner, channel)
    return web.Response(status=204)


@routes.post("/api/v1/channels/{id}/test")
async def test(request: web.Request) -> web.Response:
    """A test alert, queued in the outbox like any alert: 202 with its id."""
    channel = await channel_for(caller_of(request), path_id(request))
    notification = await queue_test(channel)
    return web.json_response({"notification_id": notification.id}, status=202)
