"""Hostile values in every slot the OpenAPI document names, on both databases.

Every path parameter, query parameter and body field of every operation (taken from
the document, so a new route or field is covered without editing this file), the
whole body, X-API-KEY and /metrics' Authorization get each value of a list of
values that break naive parsers: digits that are not ASCII, integers past 32 and 64
bits, times at the ends of the calendar, NUL and unpaired surrogates, JSON nested
5,000 deep, NaN, bytes that are not UTF-8. The other slots hold valid values, so the
hostile one is what the server has to judge. Every answer must be below 500, in the
JSON error shape when it is an error (a public badge's: a plain-text reason), and an
error must change nothing.

Requests are written byte for byte (tests/support/api.py raw_request), so nothing is
quoted or normalised on the way. Deterministic: a fixed list, not random draws.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from pydantic import SecretStr

from api.openapi import document, variants
from api.params import encode_cursor
from core.badges import badge_token_of
from core.maintenance import create_window
from db.models import (
    Channel,
    Incident,
    MaintenanceWindow,
    Monitor,
    StatusPage,
    StatusPageMonitor,
    User,
)
from tests.support.api import ADMIN_KEY, Reply, raw_request, serving
from tests.support.bot_harness import PUBLIC_URL

METRICS_TOKEN = "fuzz-metrics-token"
TOO_LATE = "9999-12-31T23:59:59-14:00"
TOO_EARLY = "0001-01-01T00:00:00+14:00"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Path and query values, as they go on the request line (already percent-encoded).
HOSTILE_URL_VALUES = [
    quote(text, safe="")
    for text in (
        "²", "١", "１", "-1", "1.5", "1e3", " 1", "+1", "0x1", str(2**31), str(2**63),
        str(2**64), "9" * 40, "\x00", "1\x00", "", TOO_LATE, TOO_EARLY,
        "2026-01-01T00:00:00", "1969-12-31T23:59:59Z", "٢٠٢٦-01-01T00:00:00Z",
        encode_cursor(2**31), encode_cursor(2**63), encode_cursor(-1), encode_cursor(True),
        encode_cursor(1.5), encode_cursor("1"), encode_cursor(TOO_LATE, 1),
        encode_cursor("2026-01-01T00:00:00Z", 2**63), encode_cursor("2026-01-01T00:00:00Z"),
        _b64(b"[" * 1500 + b"]" * 1500), _b64(b"\xff\xfe"), _b64(b"[NaN]"),
        _b64(b'["\\u0000", 1]'), _b64(b"[1e400]"), "AAAA", "!!!",
    )
] + ["%ED%A0%80", "%FF", "%C0%80", "%00"]  # fmt: skip

# Body field values, as JSON text.
HOSTILE_JSON_VALUES = [
    "2147483648", "9223372036854775808", "18446744073709551616", "-9223372036854775809",
    "1" + "0" * 400, "1e400", "-1e400", "NaN", "-Infinity", "25168.0", "0.5", "-1", "true",
    "null", '"a\\ud800b"', '"\\udfff"', '"a\\u0000b"', '"²"', '"١"', json.dumps(TOO_LATE),
    json.dumps(TOO_EARLY), '"1969-12-31T23:59:59Z"', "[" * 5000 + "]" * 5000, "[]", "{}",
    "[2147483648]", '["\\u0000"]', '{"a": "\\ud800"}', '""',
]  # fmt: skip

HOSTILE_BODIES = [
    b"[" * 5000 + b"]" * 5000, b'{"a":' * 5000 + b"1" + b"}" * 5000, b"\xff\xfe",
    b'{"url": NaN}', b"", b"null", b'{"\\u0000": 1}', b'{"\\ud800": 1}',
]  # fmt: skip

HOSTILE_KEYS = [b"\xff", b"caf\xc3\xa9", ADMIN_KEY.encode() + b"\x80", b"\xc3("]


@pytest.fixture
async def fuzzed(db, settings, probe):
    strict = settings.model_copy(
        update={
            "allow_private_targets": False,
            "api_access_token": SecretStr(ADMIN_KEY),
            "metrics_token": SecretStr(METRICS_TOKEN),
        }
    )
    async with serving(strict, probe) as client:
        yield client, strict


async def _state() -> tuple:
    """What a refused request must leave as it was."""
    return (
        await Monitor.all().order_by("id").values_list(
            "id", "name", "url", "paused", "interval_seconds", "keyword", "timeout_seconds"
        ),
        await MaintenanceWindow.all().order_by("id").values_list("id", "reason", "ends_at"),
        await User.all().order_by("id").values_list("id", "monitor_quota"),
        await Channel.all().order_by("id").values_list("id", "name", "enabled", "is_default"),
        await StatusPage.all().order_by("id").values_list(
            "id", "slug", "title", "description", "logo_url", "note"
        ),
        await StatusPageMonitor.all().order_by("id").values_list("id", "group_id", "show_url"),
    )  # fmt: skip


def _valid_body(schema_name: str, monitor_id: int) -> dict:
    ends_at = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    return {
        "MonitorCreate": {"url": PUBLIC_URL, "owner_telegram_id": 1},
        "MonitorPatch": {"name": "renamed"},
        "WindowCreate": {"monitor_id": monitor_id, "ends_at": ends_at},
        "UserPatch": {"monitor_quota": 1000},
        "ChannelCreate": {"kind": "webhook", "target": PUBLIC_URL, "owner_telegram_id": 1},
        "ChannelPatch": {"name": "renamed"},
        "PageCreate": {"title": "Fuzz", "owner_telegram_id": 1},
        "PagePatch": {"title": "renamed"},
    }[schema_name]


def _id_of(path: str, name: str) -> str:
    """Which seeded row (or token) a path parameter names."""
    for prefix, row in (("/api/v1/maintenance/", "window"), ("/api/v1/channels/", "channel"),
                        ("/api/v1/pages/", "page"), ("/badge/", "badge_token")):  # fmt: skip
        if path.startswith(prefix):
            return row
    return name


def _cases(doc: dict, ids: dict[str, int]):
    """(label, method, target, headers, body) for every hostile value in every slot."""
    schemas = doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        if path.endswith("openapi.json"):
            continue
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method == "parameters":
                continue
            params = shared + operation.get("parameters", [])
            path_values = {
                p["name"]: str(ids[_id_of(path, p["name"])]) for p in params if p["in"] == "path"
            }
            ref = operation.get("requestBody", {}).get("content", {}).get("application/json")
            schema_name = ref["schema"]["$ref"].rsplit("/", 1)[-1] if ref else ""
            body = json.dumps(_valid_body(schema_name, ids["id"])).encode() if ref else b""
            key = {"X-API-KEY": ADMIN_KEY.encode()}

            def target(values: dict, query: str = "", path: str = path) -> str:
                return path.format(**values) + (f"?{query}" if query else "")

            verb = method.upper()
            for p in params:
                for value in HOSTILE_URL_VALUES:
                    label = f"{verb} {path} {p['in']} {p['name']}={value[:60]}"
                    if p["in"] == "path":
                        yield label, verb, target({**path_values, p["name"]: value}), key, body
                    else:
                        yield label, verb, target(path_values, f"{p['name']}={value}"), key, body
            if ref:
                valid = _valid_body(schema_name, ids["id"])
                for field in sorted(
                    {f for v in variants(schemas[schema_name]) for f in v["properties"]}
                ):
                    for value in HOSTILE_JSON_VALUES:
                        others = json.dumps({k: v for k, v in valid.items() if k != field})
                        raw = others[:-1] + (", " if len(others) > 2 else "")
                        raw += f"{json.dumps(field)}: {value}}}"
                        label = f"{verb} {path} body {field}={value[:40]}"
                        yield label, verb, target(path_values), key, raw.encode()
                for raw_body in HOSTILE_BODIES:
                    label = f"{verb} {path} body {raw_body[:40]!r}"
                    yield label, verb, target(path_values), key, raw_body
            for bad_key in HOSTILE_KEYS:
                label = f"{verb} {path} X-API-KEY {bad_key!r}"
                yield label, verb, target(path_values), {"X-API-KEY": bad_key}, body
    bearer = b"Bearer " + METRICS_TOKEN.encode()
    for token in [*HOSTILE_KEYS, b"Bearer \xff", bearer + b"\xc3\xa9", bearer + b"\x80"]:
        label = f"GET /metrics Authorization {token!r}"
        yield label, "GET", "/metrics", {"Authorization": token}, b""


def _problem(reply: Reply, target: str = "/api/") -> str | None:
    if reply.status >= 500:
        return f"{reply.status}: {str(reply.body)[:200]}"
    if reply.status >= 400 and target.startswith("/badge/"):  # a badge: a plain-text reason
        if not (isinstance(reply.body, str) and reply.body.strip()):
            return f"{reply.status} without a reason: {reply.body!r}"
    elif target.startswith("/status/") and reply.headers.get("Content-Type", "").startswith(
        "text/html"
    ):  # a status page's error is a page
        return None
    elif reply.status >= 400:
        error = reply.body.get("error") if isinstance(reply.body, dict) else None
        if not (isinstance(error, dict) and error.get("code") and error.get("message")):
            return f"{reply.status} without the JSON error shape: {str(reply.body)[:200]}"
    return None


async def test_hostile_values_in_every_slot_are_4xx_that_change_nothing(fuzzed) -> None:
    client, settings = fuzzed
    owner = await User.create(telegram_id=1, monitor_quota=1000)
    monitor = await Monitor.create(owner=owner, name="seed", url=PUBLIC_URL)
    now = datetime.now(UTC)
    await Incident.create(monitor=monitor, started_at=now - timedelta(hours=1), cause="dns")
    window = await create_window(owner, now, now + timedelta(hours=1), monitor=monitor)
    channel = await Channel.create(owner=owner, kind="webhook", target=PUBLIC_URL)
    page = await StatusPage.create(owner=owner, slug="seed", title="Seed")
    ids = {"id": monitor.id, "telegram_id": 1, "window": window.id, "channel": channel.id,
           "page": page.id, "badge_token": await badge_token_of(monitor),
           "slug": page.slug}  # fmt: skip
    doc = document(settings.min_interval_seconds)

    problems, count = [], 0
    state = await _state()
    for label, method, target, headers, body in _cases(doc, ids):
        count += 1
        reply = await raw_request(client.base, method, target, headers, body)
        if (problem := _problem(reply, target)) is not None:
            problems.append(f"{label}: {problem}")
        if method != "GET":  # reads change nothing whatever they answer
            after = await _state()
            if reply.status >= 400 and after != state:
                problems.append(f"{label}: refused with {reply.status} but changed the data")
            state = after
    assert count > 2000  # the document really was walked
    assert not problems, f"{len(problems)} of {count}:\n" + "\n".join(problems[:60])
