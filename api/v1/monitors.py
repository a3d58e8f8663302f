"""Monitors: list, create, get, patch, delete, check now, pause, resume; a push
monitor's token rotation and pings; the badge links (made, and made anew)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from tortoise.expressions import Q

from api.app_keys import RUNTIME_KEY, SETTINGS_KEY
from api.auth import caller_of
from api.params import (
    BIGINT_MAX,
    Kind,
    big_integer,
    boolean,
    cursor_id,
    cursor_time_id,
    encode_cursor,
    field_errors,
    integer,
    integers,
    json_body,
    limit_of,
    nullable,
    number,
    page,
    path_id,
    query_choice,
    query_int,
    require,
    string,
    string_map,
    strings,
)
from api.serialize import check_json, monitor_json, ping_json, when
from api.v1.lookup import monitor_for, owner_for, scoped
from core import kinds
from core.badges import badge_token_of, rotate_badge_token
from core.channels import channel_ids_of
from core.checks import MANUAL_CHECK_GAP, check_now
from core.i18n import _
from core.monitor_rules import RuleError
from core.monitors import (
    apply_changes,
    create_monitor,
    pause_monitor,
    refuse_without_pings,
    resume_monitor,
    rotate_push_token,
)
from db.models import Monitor, MonitorState, Ping, User

routes = web.RouteTableDef()

# Writable fields every kind has: their JSON types (a kind's own come from its
# declaration, core/kinds), and the core field behind each API name.
COMMON_FIELDS = {
    "name": string,
    "interval": integer,
    "retry_interval": integer,
    "timeout": number,
    "cert_warning_days": integers,
    "failure_threshold": integer,
    "success_threshold": integer,
    "paused": boolean,
    "channel_ids": nullable(integers),
}
CORE_NAMES = {
    "interval": "interval_seconds",
    "retry_interval": "retry_interval_seconds",
    "timeout": "timeout_seconds",
}
API_NAMES = {core: api for api, core in CORE_NAMES.items()}
STATES = tuple(state.value for state in MonitorState)
_JSON_TYPES = {
    "string": string,
    "integer": integer,
    "number": number,
    "boolean": boolean,
    "object": string_map,
}


def json_type(declared: kinds.Field) -> Kind:
    """The JSON type check of a declared field, read from its schema."""
    schema = declared.schema
    if schema.get("type") == "array":
        checker = integers if schema.get("items", {}).get("type") == "integer" else strings
    else:
        checker = _JSON_TYPES.get(schema.get("type", "string"), string)
    return nullable(checker) if declared.optional else checker


def kind_fields(kind: str) -> dict[str, Kind]:
    return {f.name: json_type(f) for f in kinds.fields_of(kind) if f.writable}


# Every field any kind takes: json_body's first pass; then the kind's own are checked.
MONITOR_FIELDS = {
    **COMMON_FIELDS,
    "kind": string,
    **{name: t for kind in kinds.KINDS for name, t in kind_fields(kind).items()},
}


def unused_fields(kind: str) -> tuple[str, ...]:
    """The API names of the shared fields a kind does not use (a push monitor's
    interval: nobody probes it)."""
    unused = getattr(kinds.kind_module(kind), "UNUSED_SHARED_FIELDS", ())
    return tuple(API_NAMES.get(name, name) for name in unused)


def _only_the_kinds(body: dict, kind: str) -> None:
    """422 for fields of other kinds (an http monitor has no port), then for shared
    fields the kind does not use."""
    allowed = {*COMMON_FIELDS, "kind", "owner_telegram_id", *kind_fields(kind)}
    foreign = sorted(set(body) - allowed)
    if foreign:
        raise field_errors("unknown_field", _("Unknown fields: {names}."), foreign,
                           _("Unknown field."))  # fmt: skip
    unused = sorted(set(body) & set(unused_fields(kind)))
    if unused:
        raise field_errors(
            "field_unused", _("Not used by this kind of monitor: {names}."), unused,
            _("This kind of monitor does not use this setting."),
        )  # fmt: skip


async def _shown(request: web.Request, monitors: list[Monitor]) -> Callable[[Monitor], dict]:
    """The JSON renderer of `monitors`, for this app's settings (the ping URL's base),
    with the channels each alerts (one query for all of them)."""
    settings = request.app[SETTINGS_KEY]
    channels = await channel_ids_of([monitor.id for monitor in monitors])
    return lambda monitor: monitor_json(monitor, settings, channels.get(monitor.id, []))


async def _one(request: web.Request, monitor: Monitor) -> dict:
    return (await _shown(request, [monitor]))(monitor)


def _core_changes(body: dict) -> dict:
    return {
        CORE_NAMES.get(name, name): value
        for name, value in body.items()
        if name not in ("paused", "name", "owner_telegram_id", "kind", "channel_ids")
    }


async def _renamed(awaitable):
    """Errors name the API's field, not the core's."""
    try:
        return await awaitable
    except Exception as error:
        field = getattr(error, "field", None)
        if field in API_NAMES:
            error.field = API_NAMES[field]
        raise


@routes.get("/api/v1/monitors")
async def list_monitors(request: web.Request) -> web.Response:
    caller = caller_of(request)
    limit = limit_of(request)
    after = cursor_id(request)
    state = query_choice(request, "state", STATES)
    owner = query_int(request, "owner", BIGINT_MAX)
    rows = scoped(Monitor.all().select_related("owner"), caller, owner).order_by("id")
    if state is not None:
        rows = rows.filter(state=state)
    if after is not None:
        rows = rows.filter(id__gt=after)
    found = await rows.limit(limit + 1)
    shown = await _shown(request, found[:limit])
    return web.json_response(page(found, limit, shown, lambda m: encode_cursor(m.id)))


@routes.post("/api/v1/monitors")
async def create(request: web.Request) -> web.Response:
    caller = caller_of(request)
    body = await json_body(request, {**MONITOR_FIELDS, "owner_telegram_id": big_integer})
    kind = body.get("kind", kinds.DEFAULT_KIND)
    kinds.kind_module(kind)  # RuleError: no such kind
    _only_the_kinds(body, kind)
    require(body, *(f.name for f in kinds.fields_of(kind) if f.writable and f.required))
    owner: User = await owner_for(caller, body.get("owner_telegram_id"))
    monitor = await _renamed(
        create_monitor(
            request.app[RUNTIME_KEY],
            owner,
            name=body.get("name"),
            kind=kind,
            paused=body.get("paused", False),
            channel_ids=body.get("channel_ids"),
            **_core_changes(body),
        )
    )
    return web.json_response(await _one(request, monitor), status=201)


@routes.get("/api/v1/monitors/{id}")
async def get_monitor(request: web.Request) -> web.Response:
    monitor = await monitor_for(caller_of(request), path_id(request))
    return web.json_response(await _one(request, monitor))


@routes.patch("/api/v1/monitors/{id}")
async def patch_monitor(request: web.Request) -> web.Response:
    monitor = await monitor_for(caller_of(request), path_id(request))
    body = await json_body(request, MONITOR_FIELDS)
    if body.get("kind", monitor.kind) != monitor.kind:
        raise RuleError("kind_immutable", field="kind")
    _only_the_kinds(body, monitor.kind)
    changes = _core_changes(body)
    if "name" in body:
        changes["name"] = body["name"]
    channels = {"channel_ids": body["channel_ids"]} if "channel_ids" in body else {}
    await _renamed(apply_changes(request.app[RUNTIME_KEY], monitor, changes, **channels))
    if "paused" in body and body["paused"] != monitor.paused:
        await (pause_monitor(monitor) if body["paused"] else resume_monitor(monitor))
    return web.json_response(await _one(request, monitor))


@routes.delete("/api/v1/monitors/{id}")
async def delete_monitor(request: web.Request) -> web.Response:
    monitor = await monitor_for(caller_of(request), path_id(request))
    await monitor.delete()
    return web.Response(status=204)


@routes.post("/api/v1/monitors/{id}/check")
async def check(request: web.Request) -> web.Response:
    monitor = await monitor_for(caller_of(request), path_id(request))
    recorded = await check_now(request.app[RUNTIME_KEY], monitor, MANUAL_CHECK_GAP)
    await monitor.refresh_from_db()  # the owner stays loaded
    return web.json_response(
        {
            "check": check_json(recorded.result, recorded.in_maintenance),
            "monitor": await _one(request, monitor),
        }
    )


@routes.post("/api/v1/monitors/{id}/pause")
async def pause(request: web.Request) -> web.Response:
    monitor = await monitor_for(caller_of(request), path_id(request))
    if not monitor.paused:
        await pause_monitor(monitor)
    return web.json_response(await _one(request, monitor))


@routes.post("/api/v1/monitors/{id}/resume")
async def resume(request: web.Request) -> web.Response:
    monitor = await monitor_for(caller_of(request), path_id(request))
    if monitor.paused:
        await resume_monitor(monitor)
    return web.json_response(await _one(request, monitor))


@routes.post("/api/v1/monitors/{id}/rotate-token")
async def rotate_token(request: web.Request) -> web.Response:
    """A new ping URL for a push monitor: the old one stops at once (404)."""
    monitor = await monitor_for(caller_of(request), path_id(request))
    await rotate_push_token(monitor)
    return web.json_response(await _one(request, monitor))


@routes.post("/api/v1/monitors/{id}/badge-token")
async def badge_token(request: web.Request) -> web.Response:
    """The monitor with its badges' URLs, made now if it had none (the same ones again
    if it had: asking twice breaks no embedded badge)."""
    monitor = await monitor_for(caller_of(request), path_id(request))
    await badge_token_of(monitor)
    return web.json_response(await _one(request, monitor))


@routes.post("/api/v1/monitors/{id}/rotate-badge-token")
async def rotate_badges(request: web.Request) -> web.Response:
    """New badge URLs: the old ones answer 404 at once."""
    monitor = await monitor_for(caller_of(request), path_id(request))
    await rotate_badge_token(monitor)
    return web.json_response(await _one(request, monitor))


DEFAULT_PINGS = 20
MAX_PINGS = 100


@routes.get("/api/v1/monitors/{id}/pings")
async def list_pings(request: web.Request) -> web.Response:
    """A push monitor's pings, newest first, paged by a (time, id) cursor."""
    monitor = await monitor_for(caller_of(request), path_id(request))
    limit = limit_of(request, DEFAULT_PINGS, MAX_PINGS)
    cursor = cursor_time_id(request)
    refuse_without_pings(monitor)
    rows = Ping.filter(monitor_id=monitor.id)
    if cursor is not None:
        moment, before = cursor
        rows = rows.filter(Q(received_at__lt=moment) | Q(received_at=moment, id__lt=before))
    found = await rows.order_by("-received_at", "-id").limit(limit + 1)
    return web.json_response(
        page(found, limit, ping_json, lambda p: encode_cursor(when(p.received_at), p.id))
    )
