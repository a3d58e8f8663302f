"""The OpenAPI 3.1 document of /api/v1 and of the public badges (/badge/...), served at
GET /api/v1/openapi.json.

Written next to the handlers and kept honest by tests: every route the app serves is
described here and nothing else is (tests/test_api_openapi.py), and schemathesis
checks that every response of the running service conforms to it.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from aiohttp import web

from api.app_keys import SETTINGS_KEY
from api.params import BIGINT_MAX, DEFAULT_LIMIT, INT_MAX, MAX_JSON_DEPTH, MAX_LIMIT, MAX_TIME
from api.v1.monitors import DEFAULT_PINGS, MAX_PINGS, unused_fields
from core import kinds as monitor_kinds
from core.badges import DEFAULT_WINDOW, MAX_LABEL_LENGTH, TOKEN_LENGTH
from core.badges import KINDS as BADGE_KINDS
from core.channels import MAX_CHANNELS, url_forms
from core.charts import HEIGHT, KINDS, WIDTH
from core.checks import MANUAL_CHECK_GAP
from core.i18n import LANGUAGES
from core.maintenance import MAX_REASON_LENGTH, MAX_WINDOW, MIN_WINDOW
from core.monitor_rules import (
    MAX_CERT_DAY,
    MAX_CERT_THRESHOLDS,
    MAX_INTERVAL_SECONDS,
    MAX_NAME_LENGTH,
    MAX_QUOTA,
    MAX_THRESHOLD,
    MAX_TIMEOUT_SECONDS,
    MIN_TIMEOUT_SECONDS,
)
from core.page_view import DAYS, HOURS, MONITOR_STATES, PageState
from core.settings import Settings
from core.stats import WINDOWS
from core.status_pages import (
    MAX_DESCRIPTION,
    MAX_GROUP_NAME,
    MAX_GROUPS,
    MAX_LOGO_URL,
    MAX_NOTE,
    MAX_PAGE_MONITORS,
    MAX_PAGES,
    MAX_SLUG,
    MAX_TITLE,
    MIN_SLUG,
    RESERVED_SLUGS,
)
from db.models import MonitorState, PingKind
from scheduler.transports import TRANSPORTS
from scheduler.transports.base import EVENT_NAMES
from scheduler.transports.webhook import VERSION as WEBHOOK_VERSION

routes = web.RouteTableDef()

JSON = "application/json"


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def null(schema: dict) -> dict:
    """`schema` or null (JSON Schema 2020-12, as OpenAPI 3.1 uses)."""
    return {"anyOf": [schema, {"type": "null"}]}


TIME = {"type": "string", "format": "date-time"}
INT = {"type": "integer"}
STR = {"type": "string"}
ZONE = {"type": "string", "maxLength": 64, "examples": ["Europe/Berlin", "UTC+05:30"],
        "description": "The zone the bot shows and reads times in: an IANA name, or a fixed "
        "offset (accepted as +3, UTC-05:30 or -08:00, stored as UTC+05:30). Times in the API "
        "are always ISO 8601 with an explicit zone, whatever this says."}  # fmt: skip
# What the server takes: ids within their column (INT or BIGINT), times it can store.
ROW_ID = {"type": "integer", "minimum": 0, "maximum": INT_MAX}
TELEGRAM_USER_ID = {"type": "integer", "minimum": 0, "maximum": BIGINT_MAX}
TIME_IN = {**TIME, "description": f"ISO 8601 with a time zone, before {MAX_TIME.year} in UTC "
           "(from 1970)."}  # fmt: skip
# The shortest check interval is a setting (MIN_INTERVAL_SECONDS): document() puts the
# server's own into the schemas; DOCUMENT has the default.
DEFAULT_MIN_INTERVAL = Settings.model_fields["min_interval_seconds"].default


def obj(properties: dict, required: list[str] | None = None, *, closed: bool = True) -> dict:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    if closed:
        schema["additionalProperties"] = False
    return schema


def listing(item: str) -> dict:
    return obj({"items": {"type": "array", "items": ref(item)}, "next_cursor": null(STR)},
               ["items", "next_cursor"])  # fmt: skip


def answer(description: str, schema: dict | None = None) -> dict:
    if schema is None:
        return {"description": description}
    return {"description": description, "content": {JSON: {"schema": schema}}}


ERROR = answer("An error", ref("Error"))


def errors(*statuses: int) -> dict:
    return {str(status): ERROR for status in (401, *statuses)}


def body(schema: str) -> dict:
    return {"required": True, "content": {JSON: {"schema": ref(schema)}}}


def param(name: str, where: str, schema: dict, description: str = "") -> dict:
    p = {"name": name, "in": where, "schema": schema, "required": where == "path"}
    if description:
        p["description"] = description
    return p


ID = param("id", "path", ROW_ID)
TELEGRAM_ID = param("telegram_id", "path", TELEGRAM_USER_ID)
LIMIT = param("limit", "query", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
              f"Items per page (default {DEFAULT_LIMIT}).")  # fmt: skip
CURSOR = param("cursor", "query", {"type": "string", "minLength": 1},
               "The next_cursor of the previous page.")  # fmt: skip
OWNER = param("owner", "query", TELEGRAM_USER_ID,
              "Only this Telegram user's (admin key only).")  # fmt: skip

# Writable fields every kind has; each kind adds its own (core/kinds declarations).
MONITOR_WRITABLE = {
    "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH},
    "interval": {"type": "integer", "description": "Seconds between checks.",
                 "minimum": DEFAULT_MIN_INTERVAL, "maximum": MAX_INTERVAL_SECONDS},
    "retry_interval": {"type": "integer", "description": "Seconds between checks while failing.",
                       "minimum": DEFAULT_MIN_INTERVAL, "maximum": MAX_INTERVAL_SECONDS},
    "timeout": {"type": "number", "minimum": MIN_TIMEOUT_SECONDS,
                "maximum": MAX_TIMEOUT_SECONDS},
    "cert_warning_days": {"type": "array", "items": {"type": "integer", "minimum": 1,
                                                     "maximum": MAX_CERT_DAY},
                          "minItems": 1, "maxItems": MAX_CERT_THRESHOLDS},
    "failure_threshold": {"type": "integer", "minimum": 1, "maximum": MAX_THRESHOLD},
    "success_threshold": {"type": "integer", "minimum": 1, "maximum": MAX_THRESHOLD},
    "paused": {"type": "boolean"},
    "channel_ids": null({"type": "array", "items": ROW_ID, "description": "The channels it "
                         "alerts, exactly these (each the owner's and enabled, at most "
                         f"{MAX_CHANNELS}; otherwise 422 naming channel_ids and the id); "
                         "null: its owner's default channels."}),
}  # fmt: skip
MONITOR_READ = {
    "id": INT, "owner_telegram_id": INT, "name": STR, "url": STR, "interval": INT,
    "retry_interval": INT, "timeout": {"type": "number"},
    "cert_warning_days": {"type": "array", "items": INT},
    "failure_threshold": INT, "success_threshold": INT, "paused": {"type": "boolean"},
    "channel_ids": {"type": "array", "items": INT, "description": "The enabled channels "
                    "it alerts now, in id order."},
    "custom_channels": {"type": "boolean", "description": "True: it has a list of its own "
                        "(channel_ids); false: it alerts its owner's default channels."},
    "state": {"enum": [s.value for s in MonitorState]}, "state_since": null(TIME),
    "last_check_at": null(TIME), "last_status_code": null(INT),
    "last_latency_ms": null(INT), "cert_expires_at": null(TIME), "created_at": TIME,
    "badges": null({**obj({kind: {**STR, "format": "uri"} for kind in BADGE_KINDS},
                          list(BADGE_KINDS)),
                    "description": "The public badges' URLs (PUBLIC_URL/badge/<token>/...; "
                    f"uptime over {DEFAULT_WINDOW} unless ?window= names another); null "
                    "until made by POST .../badge-token (reading a monitor makes none)."}),
}  # fmt: skip
MONITOR_READ_REQUIRED = [
    "id", "owner_telegram_id", "name", "url", "interval", "retry_interval", "timeout",
    "failure_threshold", "success_threshold", "paused", "channel_ids", "custom_channels",
    "state", "state_since", "last_check_at", "badges",
]  # fmt: skip
CREATE_OWNER = {**TELEGRAM_USER_ID, "description": "The owner (admin key only; a user key "
                "creates for itself)."}  # fmt: skip


def kind_fields(kind: str) -> dict:
    """The API schema of a kind's writable fields, from its declaration."""
    return {f.name: f.api_schema() for f in monitor_kinds.KINDS[kind].FIELDS if f.writable}


def _kind_tag(kind: str) -> dict:
    return {
        "const": kind,
        "description": monitor_kinds.KINDS[kind].__doc__.strip().split("\n\n")[0],
    }


def monitor_schemas() -> dict:
    """Monitor, MonitorCreate and MonitorPatch: one variant per kind, told apart by
    `kind` (absent on create: http). The kind cannot change, so a patch may repeat it."""
    read, create, patch = [], [], []
    for kind, module in monitor_kinds.KINDS.items():
        own = kind_fields(kind)
        readable = {
            (f"{f.name}_set" if f.secret else f.name): ({"type": "boolean"} if f.secret
                                                        else f.api_schema())
            for f in module.FIELDS if f.writable and f.name != "url"
        }  # fmt: skip
        # What the kind shows read-only; `ping_url` only when its token was just issued.
        extra = getattr(module, "READ_ONLY_JSON", {})
        always = [name for name in extra if name != "ping_url"]
        read.append(obj({**MONITOR_READ, "kind": _kind_tag(kind), **readable, **extra},
                        [*MONITOR_READ_REQUIRED, "kind", *readable, *always]))  # fmt: skip
        required = [f.name for f in module.FIELDS if f.writable and f.required]
        if kind != monitor_kinds.DEFAULT_KIND:
            required.insert(0, "kind")
        unused = unused_fields(kind)
        shared = {name: schema for name, schema in MONITOR_WRITABLE.items() if name not in unused}
        create.append(obj({**shared, "owner_telegram_id": CREATE_OWNER,
                           "kind": _kind_tag(kind), **own}, required))  # fmt: skip
        patch.append(obj({**shared, "kind": _kind_tag(kind), **own}))
    discriminator = {"propertyName": "kind"}
    return {
        "Monitor": {"oneOf": read, "discriminator": discriminator},
        "MonitorCreate": {"oneOf": create},
        # {} and {"name": ...} fit every kind: any one variant must match.
        "MonitorPatch": {"anyOf": patch},
    }


CHANNEL_READ = {
    "id": INT,
    "owner_id": {**INT, "description": "The owner's row id (the list's owner_id filter)."},
    "owner_telegram_id": INT,
    "kind": {"enum": list(TRANSPORTS)},
    "target": {**STR, "description": "The chat id (telegram), the address (email) or the "
               "URL (the kinds made from a URL: webhook, slack, discord, ntfy)."},
    "thread_id": null({**INT, "description": "A forum topic of a Telegram group."}),
    "name": STR,
    "enabled": {"type": "boolean"},
    "is_default": {"type": "boolean", "description": "Alerted by every monitor without a "
                   "list of its own (custom_channels false)."},
    "verified": {"type": "boolean"},
    "disabled_reason": null({**STR, "description": "Why it was turned off after failing "
                             "for good; turning it on clears it."}),
    "has_secret": {"type": "boolean", "description": "A webhook's signing secret is set "
                   "(write-only: shown once, in the answer that created it)."},
    "created_at": TIME,
    "last_used_at": null(TIME),
    "last_error": null(STR),
    "last_error_at": null(TIME),
}  # fmt: skip
CHANNEL_NAME = {"type": "string", "maxLength": MAX_NAME_LENGTH,
                "description": "Empty: no name."}  # fmt: skip


def every(properties: dict) -> dict:
    """A closed object with all of `properties` present (null when unknown)."""
    return obj(properties, list(properties))


SLUG = {"type": "string", "minLength": MIN_SLUG, "maxLength": MAX_SLUG,
        "description": f"The page's address, /status/<slug>: {MIN_SLUG}-{MAX_SLUG} characters of "
        "a-z, 0-9 and -, not starting or ending with -, unique (409 slug_taken); upper case is "
        "lowered; reserved words are refused (422 slug_reserved): "
        f"{', '.join(sorted(RESERVED_SLUGS))}."}  # fmt: skip
PAGE_TEXT = {
    "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE,
              "description": "One line (spaces collapsed)."},
    "description": {"type": "string", "maxLength": MAX_DESCRIPTION},
    "logo_url": null({"type": "string", "maxLength": MAX_LOGO_URL, "description": "https only, "
                      "on a public host (the SSRF rule of monitors: 422 logo_https, "
                      "logo_private); null or empty: no logo."}),
    "note": {"type": "string", "maxLength": MAX_NOTE,
             "description": "The owner's public note, shown above the incidents."},
}  # fmt: skip
PAGE_GROUPS_IN = {
    "type": "array", "maxItems": MAX_GROUPS,
    "description": f"The whole layout, in order: at most {MAX_GROUPS} groups and "
    f"{MAX_PAGE_MONITORS} monitors in all (422 page_monitors_max), each one of the owner's "
    "monitors (422 page_monitor_unknown) and on the page once (422 page_monitor_twice).",
    "items": obj({
        "name": {"type": "string", "maxLength": MAX_GROUP_NAME,
                 "description": "Default and empty: the unnamed group."},
        "monitors": {"type": "array", "items": obj({
            "id": ROW_ID,
            "show_url": {"type": "boolean", "description": "Whether the public page shows "
                         "the monitor's URL. Default: false."},
        }, ["id"])},
    }),
}  # fmt: skip
PAGE_READ = {
    "id": INT, "owner_telegram_id": INT, "slug": STR, "title": STR, "description": STR,
    "logo_url": null(STR), "note": STR,
    "url": {**STR, "description": "The public page: PUBLIC_URL/status/<slug>."},
    "json_url": {**STR, "description": "The same data as JSON: PUBLIC_URL/status/<slug>.json."},
    "groups": {"type": "array", "items": every({
        "name": {**STR, "description": "Empty: the unnamed group."},
        "monitors": {"type": "array", "items": every({
            "id": INT, "name": STR, "show_url": {"type": "boolean"}})},
    })},
    "created_at": TIME, "updated_at": TIME,
}  # fmt: skip


def webhook_event_schema() -> dict:
    """What a webhook channel receives (scheduler/transports/webhook.py): not served by
    this API, documented here so receivers have one schema to validate against."""
    return every({
        "version": {"const": WEBHOOK_VERSION},
        "event": {"enum": list(dict.fromkeys(EVENT_NAMES.values()))},
        "id": {**INT, "description": "The notification's id, as in X-Uptime-Delivery: the "
               "same on every retry, for a receiver to drop copies."},
        "time": {**TIME, "description": "When the alert was raised, in UTC."},
        "monitor": null(every({"id": INT, "name": null(STR), "url": null(STR),
                               "kind": null(STR)})),
        "incident": null(every({
            "id": null(INT), "started_at": null(TIME), "resolved_at": null(TIME),
            "cause": null(STR), "failed_checks": null(INT),
            "downtime_seconds": null({**INT, "description": "For up: how long it was down; "
                                      "for a reminder: how long it has been down."}),
        })),
        "check": null(every({
            "cause": null(STR), "error": null(STR), "message": null(STR),
            "status_code": null(INT), "details": null({"type": "object"}),
        })),
        "certificate": null(every({"expires_at": null(TIME), "days_left": null(INT),
                                   "threshold_days": null(INT)})),
    }) | {"description": "The JSON body a webhook channel receives, signed in "
          "X-Uptime-Signature (sha256=<hex HMAC-SHA256 of the raw body with the channel's "
          "secret>). A fact the alert does not hold is null."}  # fmt: skip


UPTIME = null({"type": "number", "minimum": 0, "maximum": 1,
               "description": "A fraction of the counted checks that succeeded (maintenance "
               "left out); null without a check."})  # fmt: skip


def status_page_schema() -> dict:
    """GET /status/{slug}.json (core/page_view.py): what the public page shows."""
    day = every(
        {
            "date": {"type": "string", "format": "date", "description": "A UTC day."},
            "uptime": UPTIME,
            "incidents": {**INT, "minimum": 0, "description": "Incidents that overlapped the day."},
            "downtime_seconds": {**INT, "minimum": 0, "description": "Their time inside the day."},
        }
    )
    monitor = every(
        {
            "name": STR,
            "state": {
                "enum": list(MONITOR_STATES),
                "description": "maintenance: a window covers it now (paused comes first).",
            },
            "url": null(
                {
                    **STR,
                    "description": "Its address, only when its owner shows it (never "
                    "for a push monitor).",
                }
            ),
            "uptime": every({"24h": UPTIME, "30d": UPTIME, "90d": UPTIME}),
            "latency_ms": null({**INT, "description": "The last check's response time."}),
            "latency_avg_24h_ms": null({"type": "number"}),
            "latency_24h": {
                "type": "array",
                "minItems": HOURS,
                "maxItems": HOURS,
                "description": "The average response time per hour, oldest first, "
                "the current hour last; null: no data.",
                "items": every({"hour": TIME, "avg_ms": null({"type": "number"})}),
            },
            "days": {
                "type": "array",
                "minItems": DAYS,
                "maxItems": DAYS,
                "items": day,
                "description": f"{DAYS} UTC days, oldest first, today (so far) last.",
            },
        }
    )
    return every({
        "slug": STR, "title": STR, "description": STR, "logo_url": null(STR), "note": STR,
        "state": {"enum": [s.value for s in PageState], "description": "major_outage: more "
                  "than half of the monitors up or down are down; partial_outage: fewer; "
                  "maintenance: none down, one in maintenance."},
        "updated_at": {**TIME, "description": "When the data was read (it is reused for a few "
                       "seconds)."},
        "groups": {"type": "array", "items": every({
            "name": {**STR, "description": "Empty: the page's unnamed group."},
            "monitors": {"type": "array", "items": monitor}})},
        "incidents": {"type": "array", "description": "Open incidents, oldest first.",
                      "items": every({"monitor": STR, "started_at": TIME})},
        "maintenance": {"type": "array", "description": "Windows running now or starting "
                        "within 7 days that cover monitors of the page.",
                        "items": every({"starts_at": TIME, "ends_at": TIME,
                                        "active": {"type": "boolean"},
                                        "monitors": {"type": "array", "items": STR}})},
    }) | {"description": "A public status page, as /status/{slug} shows it. Nothing private: "
          "no owner, ids, error texts or maintenance reasons."}  # fmt: skip


SCHEMAS = {
    "Error": obj({"error": obj({"code": STR, "message": STR,
                                "fields": {"type": "object", "additionalProperties": STR}},
                               ["code", "message", "fields"])}, ["error"]),
    **monitor_schemas(),
    "Check": obj({
        "checked_at": TIME, "ok": {"type": "boolean"}, "status_code": null(INT),
        "latency_ms": null(INT), "dns_ms": null(INT), "connect_ms": null(INT),
        "tls_ms": null(INT), "ttfb_ms": null(INT), "error_kind": null(STR),
        "error_message": null(STR), "cert_expires_at": null(TIME),
        "in_maintenance": {"type": "boolean"},
    }, ["checked_at", "ok", "status_code", "latency_ms", "error_kind", "error_message"]),
    "Ping": obj({
        "received_at": TIME, "kind": {"enum": [k.value for k in PingKind]},
        "exit_status": null({"type": "integer", "minimum": 0, "maximum": 255}),
        "run_ms": null({**INT, "description": "Since the /start before it."}),
        "body": null({**STR, "description": "The first 10 KB of a POST body, as text."}),
        "user_agent": null(STR), "source": null({**STR, "description": "The client's address."}),
    }, ["received_at", "kind", "exit_status", "run_ms", "body", "user_agent", "source"]),
    "CheckNow": obj({"check": ref("Check"), "monitor": ref("Monitor")}, ["check", "monitor"]),
    "Incident": obj({
        "id": INT, "monitor_id": INT, "started_at": TIME, "resolved_at": null(TIME),
        "duration_seconds": INT, "cause": STR, "first_error": STR, "last_error": STR,
        "failed_checks": INT,
    }, ["id", "monitor_id", "started_at", "resolved_at", "duration_seconds", "cause"]),
    "Window": obj({
        "id": INT, "owner_telegram_id": INT, "monitor_id": null(INT), "starts_at": TIME,
        "ends_at": TIME, "reason": STR, "active": {"type": "boolean"},
    }, ["id", "owner_telegram_id", "monitor_id", "starts_at", "ends_at", "reason", "active"]),
    "WindowCreate": obj({
        "monitor_id": null({**ROW_ID, "description": "Null or absent: every monitor "
                            "of the owner."}),
        "owner_telegram_id": {**TELEGRAM_USER_ID, "description": "The owner of a window over "
                              "all monitors (admin key only)."},
        "starts_at": {**TIME_IN, "description": f"{TIME_IN['description']} Default: now."},
        "ends_at": {**TIME_IN, "description": f"{TIME_IN['description']} In the future, "
                    f"{MIN_WINDOW.total_seconds():g} s to {MAX_WINDOW.days} days after "
                    "starts_at."},
        "reason": {"type": "string", "maxLength": MAX_REASON_LENGTH},
    }, ["ends_at"]),
    "User": obj({
        "telegram_id": INT, "username": null(STR), "display_name": STR, "language": null(STR),
        "timezone": ZONE, "email_verified": {"type": "boolean"}, "blocked_bot": {"type": "boolean"},
        "monitor_quota": null(INT), "effective_quota": INT, "created_at": TIME,
        "last_seen_at": null(TIME),
    }, ["telegram_id", "monitor_quota", "effective_quota"]),
    "UserPatch": obj({"monitor_quota": null({"type": "integer", "minimum": 0,
                                             "maximum": MAX_QUOTA, "description":
                                             "Admin key only; null: the default."}),
                      "timezone": ZONE}, []) | {"minProperties": 1},
    "Stats": obj({
        "window": {"enum": list(WINDOWS)}, "checks": INT, "uptime": null({"type": "number"}),
        "incidents": INT, "downtime_seconds": {"type": "number"},
        "mttr_seconds": null({"type": "number"}),
        "longest_incident_seconds": null({"type": "number"}),
        "avg_latency_ms": null({"type": "number"}), "p95_latency_ms": null(INT),
        "last_check_at": null(TIME),
    }, ["window", "checks", "uptime", "incidents", "downtime_seconds", "mttr_seconds",
        "longest_incident_seconds", "avg_latency_ms", "p95_latency_ms", "last_check_at"]),
    "Channel": every(CHANNEL_READ),
    "ChannelCreated": every({**CHANNEL_READ, "secret": {
        **STR, "description": "The webhook's signing secret (X-Uptime-Signature), shown this "
        "once; a webhook's only."}}) | {"required": list(CHANNEL_READ)},
    "ChannelCreate": obj({
        "kind": {"enum": list(url_forms()), "description": "telegram and email channels are "
                 "made in the bot (422 channel_kind)."},
        "target": {"type": "string", "maxLength": 2048, "description": "The URL: http(s), a "
                   "public host (the SSRF rule); Slack: https://hooks.slack.com/services/..., "
                   "Discord: https://discord.com/api/webhooks/..."},
        "name": CHANNEL_NAME,
        "is_default": {"type": "boolean", "description": "Default: false."},
        "owner_telegram_id": {**TELEGRAM_USER_ID, "description": "The owner (admin key only; "
                              "a user key creates for itself)."},
    }, ["kind", "target"]),
    "ChannelPatch": obj({
        "name": CHANNEL_NAME,
        "enabled": {"type": "boolean", "description": "Turning it on clears disabled_reason."},
        "is_default": {"type": "boolean"},
    }),
    "Page": every(PAGE_READ),
    "PageCreate": obj({
        **PAGE_TEXT,
        "slug": null({**SLUG, "description": SLUG["description"] + " Null or absent: one made "
                      "from the title (a free one: -2, -3... appended)."}),
        "groups": PAGE_GROUPS_IN,
        "owner_telegram_id": {**TELEGRAM_USER_ID, "description": "The owner (admin key only; "
                              "a user key creates for itself)."},
    }, ["title"]),
    "PagePatch": obj({**PAGE_TEXT, "slug": SLUG,
                      "groups": {**PAGE_GROUPS_IN, "description": "Replaces the layout. "
                                 + PAGE_GROUPS_IN["description"]}}),
    "PageList": listing("Page"),
    "TestQueued": obj({"notification_id": {**INT, "description": "The queued notification."}},
                      ["notification_id"]),
    "ChannelList": listing("Channel"),
    "MonitorList": listing("Monitor"),
    "CheckList": listing("Check"),
    "PingList": listing("Ping"),
    "IncidentList": listing("Incident"),
    "WindowList": listing("Window"),
    "UserList": listing("User"),
    "WebhookEvent": webhook_event_schema(),
    "StatusPage": status_page_schema(),
}  # fmt: skip


def op(summary: str, ok: dict, *more: int, params: list | None = None, **extra) -> dict:
    """An operation: its success answers (`ok`) and the error statuses it can give."""
    return {"summary": summary, "parameters": params or [], "responses": {**ok, **errors(*more)},
            **extra}  # fmt: skip


def listed(name: str) -> dict:
    return {"200": answer("A page", ref(name))}


INCIDENT_STATE = param("state", "query", {"enum": ["open", "resolved"]})
SLUG_PARAM = param("slug", "path", {"type": "string", "minLength": MIN_SLUG,
                                    "maxLength": MAX_SLUG, "pattern": "^[a-z0-9-]+$"},
                   "The page's slug.")  # fmt: skip
LANG = param("lang", "query", {"enum": list(LANGUAGES)}, "The language of the page (and of "
             "errors); default: the best of Accept-Language, else en.")  # fmt: skip


def html_answer(description: str) -> dict:
    return {"description": description,
            "content": {"text/html": {"schema": {"type": "string"}}}}  # fmt: skip


def text_answer(description: str) -> dict:
    return {"description": description, "content": {"text/plain": {"schema": STR}}}


def badge_path(kind: str) -> dict:
    """A public badge (api/badges.py): no key; an SVG image, cacheable."""
    params = [
        param(
            "token",
            "path",
            {"type": "string", "pattern": f"^[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}$"},
            "The monitor's badge token (its badges' URLs name it).",
        ),
        param(
            "label",
            "query",
            {"type": "string", "minLength": 1, "maxLength": MAX_LABEL_LENGTH},
            "Another label (no control or invisible characters; longer: 400).",
        ),
        param(
            "lang",
            "query",
            {"enum": sorted(LANGUAGES)},
            "The language of the words (default: Accept-Language, else English).",
        ),
    ]
    if kind == "uptime":
        params.insert(
            1, param("window", "query", {"enum": list(WINDOWS)}, f"Default: {DEFAULT_WINDOW}.")
        )
    summary = {
        "status": "A monitor's state as a badge: up, down, paused, maintenance, unknown",
        "uptime": "A monitor's uptime over a window as a badge, coloured by threshold",
        "latency": "A monitor's average latency over 24 h as a badge, coloured by threshold",
    }[kind]
    return {"get": {
        "summary": f"{summary} (public: no key)", "security": [], "parameters": params,
        "responses": {
            "200": {"description": "The badge, with an ETag; Cache-Control: public, "
                    "max-age=30",
                    "content": {"image/svg+xml": {"schema": STR}}},
            "304": {"description": "Not modified (If-None-Match holds the ETag)"},
            "400": text_answer("A bad parameter, and why"),
            "404": text_answer("No monitor has this token"),
        },
    }}  # fmt: skip


PATHS = {
    "/api/v1/users": {
        "get": op("List users (admin key)", listed("UserList"), 400, 403,
                  params=[LIMIT, CURSOR]),
    },
    "/api/v1/users/{telegram_id}": {
        "parameters": [TELEGRAM_ID],
        "get": op("One user (a user key: only itself)", {"200": answer("The user", ref("User"))},
                  404),
        "patch": op("Set a user's monitor quota (admin key) or time zone (the user's own key "
                    "or the admin key)",
                    {"200": answer("The user", ref("User"))}, 400, 403, 404, 413, 422,
                    requestBody=body("UserPatch")),
    },
    "/api/v1/monitors": {
        "get": op("List monitors, in id order", listed("MonitorList"), 400, 403,
                  params=[LIMIT, CURSOR, OWNER,
                          param("state", "query", {"enum": [s.value for s in MonitorState]})]),
        "post": op("Create a monitor, with the bot's rules (URL, interval bounds, SSRF, quota)",
                   {"201": answer("Created", ref("Monitor"))}, 400, 409, 413, 422,
                   requestBody=body("MonitorCreate")),
    },
    "/api/v1/monitors/{id}": {
        "parameters": [ID],
        "get": op("One monitor", {"200": answer("The monitor", ref("Monitor"))}, 404),
        "patch": op("Change any subset of the writable fields (all or nothing)",
                    {"200": answer("The monitor", ref("Monitor"))}, 400, 404, 413, 422,
                    requestBody=body("MonitorPatch")),
        "delete": op("Delete a monitor and its history", {"204": answer("Deleted")}, 404),
    },
    "/api/v1/monitors/{id}/check": {
        "parameters": [ID],
        "post": op(f"Check now (at most once every {MANUAL_CHECK_GAP:g} s per monitor; "
                   "a push monitor is not probed: 422 not_probed)",
                   {"200": answer("The result", ref("CheckNow"))}, 404, 422, 429),
    },
    "/api/v1/monitors/{id}/rotate-token": {
        "parameters": [ID],
        "post": op("A push monitor's new ping URL (its ping_url, shown this once); the old "
                   "one stops at once. Another kind: 422 not_push",
                   {"200": answer("The monitor, with ping_url", ref("Monitor"))}, 404, 422),
    },
    "/api/v1/monitors/{id}/badge-token": {
        "parameters": [ID],
        "post": op("Make the monitor's badge URLs if it has none (the same ones again if it "
                   "has: embedded badges keep working)",
                   {"200": answer("The monitor, with badges", ref("Monitor"))}, 404),
    },
    "/api/v1/monitors/{id}/rotate-badge-token": {
        "parameters": [ID],
        "post": op("New badge URLs in place of the old ones, which answer 404 at once",
                   {"200": answer("The monitor, with its new badges", ref("Monitor"))}, 404),
    },
    "/api/v1/monitors/{id}/pings": {
        "parameters": [ID],
        "get": op("A push monitor's pings, newest first (another kind: 422 not_push)",
                  listed("PingList"), 400, 404, 422,
                  params=[param("limit", "query",
                                {"type": "integer", "minimum": 1, "maximum": MAX_PINGS},
                                f"Pings per page (default {DEFAULT_PINGS})."), CURSOR]),
    },
    "/api/v1/monitors/{id}/pause": {
        "parameters": [ID],
        "post": op("Pause checks", {"200": answer("The monitor", ref("Monitor"))}, 404),
    },
    "/api/v1/monitors/{id}/resume": {
        "parameters": [ID],
        "post": op("Resume checks", {"200": answer("The monitor", ref("Monitor"))}, 404),
    },
    "/api/v1/monitors/{id}/checks": {
        "parameters": [ID],
        "get": op("The check log, newest first", listed("CheckList"), 400, 404,
                  params=[LIMIT, CURSOR,
                          param("from", "query", TIME_IN, "From this time (inclusive)."),
                          param("to", "query", TIME_IN, "Before this time.")]),
    },
    "/api/v1/monitors/{id}/incidents": {
        "parameters": [ID],
        "get": op("A monitor's incidents, newest first", listed("IncidentList"), 400, 404,
                  params=[LIMIT, CURSOR, INCIDENT_STATE]),
    },
    "/api/v1/monitors/{id}/stats": {
        "parameters": [ID],
        "get": op("Figures for a window (the bot's numbers)",
                  {"200": answer("The figures", ref("Stats"))}, 400, 404,
                  params=[param("window", "query", {"enum": list(WINDOWS)}, "Default: 24h.")]),
    },
    "/api/v1/monitors/{id}/chart.png": {
        "parameters": [ID],
        "get": op(f"A chart as PNG ({WIDTH} x {HEIGHT}): latency (average and 95th percentile, "
                  "incidents shaded) or uptime bars; labels in the Accept-Language",
                  {"200": {"description": "The chart",
                           "content": {"image/png": {"schema": {"type": "string",
                                                                "format": "binary"}}}}},
                  400, 404,
                  params=[param("kind", "query", {"enum": list(KINDS)}, "Default: latency."),
                          param("window", "query", {"enum": list(WINDOWS)}, "Default: 24h."),
                          param("tz", "query", ZONE, "The time axis's zone. Default: UTC.")]),
    },
    "/api/v1/incidents": {
        "get": op("Incidents of every monitor the key may see, newest first",
                  listed("IncidentList"), 400, params=[LIMIT, CURSOR, INCIDENT_STATE]),
    },
    "/api/v1/maintenance": {
        "get": op("Maintenance windows, newest first (default: running and coming)",
                  listed("WindowList"), 400, 403,
                  params=[LIMIT, CURSOR, OWNER,
                          param("state", "query", {"enum": ["current", "ended", "all"]})]),
        "post": op("Open a window", {"201": answer("Created", ref("Window"))}, 400, 404, 413,
                   422, requestBody=body("WindowCreate")),
    },
    "/api/v1/maintenance/{id}/end": {
        "parameters": [ID],
        "post": op("End a window now (one not started yet is dropped: 204)",
                   {"200": answer("The window", ref("Window")), "204": answer("Dropped")}, 404),
    },
    "/api/v1/maintenance/{id}": {
        "parameters": [ID],
        "delete": op("Delete a window", {"204": answer("Deleted")}, 404),
    },
    "/api/v1/channels": {
        "get": op("List alert channels, in id order", listed("ChannelList"), 400, 403,
                  params=[LIMIT, CURSOR,
                          param("owner_id", "query", ROW_ID,
                                "Only this owner's (their row id; admin key only).")]),
        "post": op("Add a channel made from a URL (webhook, Slack, Discord, ntfy; at most "
                   f"{MAX_CHANNELS} channels per user: 409 channel_quota)",
                   {"201": answer("Created; a webhook's answer alone carries its secret",
                                  ref("ChannelCreated"))}, 400, 409, 413, 422,
                   requestBody=body("ChannelCreate")),
    },
    "/api/v1/channels/{id}": {
        "parameters": [ID],
        "get": op("One channel", {"200": answer("The channel", ref("Channel"))}, 404),
        "patch": op("Rename it, turn it on or off, make it a default one (all or nothing)",
                    {"200": answer("The channel", ref("Channel"))}, 400, 404, 413, 422,
                    requestBody=body("ChannelPatch")),
        "delete": op("Delete a channel and what is queued for it (the owner's private chat "
                     "cannot be deleted: 409 channel_private_chat)",
                     {"204": answer("Deleted")}, 404, 409),
    },
    "/api/v1/channels/{id}/test": {
        "parameters": [ID],
        "post": op("Queue a test alert to it, sent through the outbox like any alert (a "
                   "channel turned off: 422 channel_disabled)",
                   {"202": answer("Queued", ref("TestQueued"))}, 404, 422),
    },
    "/api/v1/pages": {
        "get": op("List status pages, in id order", listed("PageList"), 400, 403,
                  params=[LIMIT, CURSOR, OWNER]),
        "post": op(f"Create a status page (at most {MAX_PAGES} per user: 409 page_quota; a "
                   "slug taken: 409 slug_taken)",
                   {"201": answer("Created", ref("Page"))}, 400, 409, 413, 422,
                   requestBody=body("PageCreate")),
    },
    "/api/v1/pages/{id}": {
        "parameters": [ID],
        "get": op("One status page", {"200": answer("The page", ref("Page"))}, 404),
        "patch": op("Change any of its fields, all or nothing; groups replaces the layout",
                    {"200": answer("The page", ref("Page"))}, 400, 404, 409, 413, 422,
                    requestBody=body("PagePatch")),
        "delete": op("Delete a status page (its monitors stay)", {"204": answer("Deleted")}, 404),
    },
    **{f"/badge/{{token}}/{kind}.svg": badge_path(kind) for kind in BADGE_KINDS},
    "/status/{slug}": {
        "parameters": [SLUG_PARAM, LANG],
        "get": {"summary": "A public status page as HTML (no key; cached: ETag, If-None-Match "
                "gives 304, Cache-Control: public, max-age=30)", "security": [],
                "responses": {"200": html_answer("The page"),
                              "304": answer("Not modified (If-None-Match)"),
                              "404": html_answer("No such page (the same for every slug)"),
                              "503": html_answer("The data cannot be read now")}},
    },
    "/status/{slug}.json": {
        "parameters": [SLUG_PARAM, LANG],
        "get": {"summary": "A public status page's data (no key; cached like the page)",
                "security": [],
                "responses": {"200": answer("The page's data", ref("StatusPage")),
                              "304": answer("Not modified (If-None-Match)"),
                              "404": answer("No such page (the same for every slug)",
                                            ref("Error")),
                              "503": answer("The data cannot be read now", ref("Error"))}},
    },
    "/api/v1/openapi.json": {
        "get": {"summary": "This document", "security": [], "responses": {
            "200": answer("OpenAPI 3.1", {"type": "object"})}},
    },
}  # fmt: skip

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Uptime monitor API",
        "version": "1.0.0",
        "description": "Everything the bot does, as JSON. Authenticate with X-API-KEY: "
        "API_ACCESS_TOKEN (admin, all data) or a token created in the bot (/settings), "
        'which sees only its user\'s data. Errors: {"error": {"code", "message", '
        '"fields"}}. Lists: {"items", "next_cursor"}. Times: ISO 8601 with a zone. '
        "Integers may be sent as integral numbers (60.0). Text may not contain NUL or "
        f"unpaired surrogates; JSON may nest at most {MAX_JSON_DEPTH} levels; a method a "
        "path does not serve is a 405 whose Allow header names those it does.",
    },
    "servers": [{"url": "/"}],
    "security": [{"ApiKey": []}],
    "components": {
        "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-KEY"}},
        "schemas": SCHEMAS,
    },
    "paths": PATHS,
}


def variants(schema: dict) -> list[dict]:
    """The alternatives of a schema told apart by kind (or the schema itself)."""
    return schema.get("oneOf") or schema.get("anyOf") or [schema]


@cache
def document(min_interval: int) -> dict:
    """The document for a server whose shortest check interval is `min_interval`."""
    served = copy.deepcopy(DOCUMENT)
    for schema in ("MonitorCreate", "MonitorPatch"):
        for variant in variants(served["components"]["schemas"][schema]):
            for name in ("interval", "retry_interval"):
                if name in variant["properties"]:  # not for a kind nobody probes
                    variant["properties"][name]["minimum"] = min_interval
    return served


@routes.get("/api/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document(request.app[SETTINGS_KEY].min_interval_seconds))
