"""Hostile input against the API on both databases: every case is a clear 4xx in the
usual JSON shape and changes nothing (each was a 500, or was stored, before
api/params.py parsed it). tests/test_api_fuzz.py throws the same kinds of values at
every parameter of every operation."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from pydantic import SecretStr

from api.params import encode_cursor
from core.settings import Settings
from db.models import MaintenanceWindow, Monitor, User
from tests.support.api import ADMIN_KEY, app_of, serving
from tests.support.bot_harness import PUBLIC_URL
from tests.test_api import api, monitor_of, strict, user_with_key  # noqa: F401 (fixtures)

V1 = "/api/v1"
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
TOO_LATE = "9999-12-31T23:59:59-14:00"  # no UTC value a datetime can hold
TOO_EARLY = "0001-01-01T00:00:00+14:00"
DEEP = "[" * 5000 + "]" * 5000


async def _state() -> tuple:
    """What a refused request must leave as it was."""
    monitors = await Monitor.all().order_by("id").values_list("id", "name", "url", "paused")
    windows = await MaintenanceWindow.all().order_by("id").values_list("id", "reason")
    users = await User.all().order_by("id").values_list("id", "monitor_quota")
    return monitors, windows, users


@pytest.fixture
async def world(api):  # noqa: F811 (the fixture imported above)
    """The API, and Ann (Telegram id 1) with a key and a monitor; the monitor has id 1."""
    ann, key = await user_with_key(1)
    monitor = await monitor_of(ann)
    assert monitor.id == 1
    return api, key, monitor


@pytest.mark.parametrize("digits", ["²", "١", "１"])  # superscript, Arabic-Indic, full-width
@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/monitors/{d}", {}, 404),
        ("/monitors/{d}/checks", {}, 404),
        ("/users/{d}", {}, 404),
        ("/monitors", {"limit": "{d}"}, 400),
        ("/monitors", {"owner": "{d}"}, 400),
        ("/maintenance", {"owner": "{d}"}, 400),
        ("/incidents", {"limit": "{d}"}, 400),
    ],
)
async def test_digits_that_are_not_ascii_are_not_numbers(world, digits, path, params, status):
    client, _key, _monitor = world
    query = {name: value.format(d=digits) for name, value in params.items()}
    reply = await client.get(V1 + path.format(d=digits), **query)
    assert reply.status == status, reply.body
    assert reply.error["code"] == ("not_found" if status == 404 else "invalid_parameter")


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "status", "code"),
    [
        ("GET", "/monitors/2147483648", None, None, 404, "not_found"),
        ("GET", "/monitors/9223372036854775808", None, None, 404, "not_found"),
        ("POST", "/maintenance/2147483648/end", None, None, 404, "not_found"),
        ("GET", "/users/9223372036854775807", None, None, 404, "not_found"),
        ("GET", "/monitors", {"cursor": encode_cursor(2**31)}, None, 400, "invalid_parameter"),
        ("GET", "/monitors", {"cursor": encode_cursor(2**63)}, None, 400, "invalid_parameter"),
        ("GET", "/incidents", {"cursor": encode_cursor(2**63)}, None, 400, "invalid_parameter"),
        ("GET", "/maintenance", {"cursor": encode_cursor(2**31)}, None, 400,
         "invalid_parameter"),
        ("GET", "/users", {"cursor": encode_cursor(2**63)}, None, 400, "invalid_parameter"),
        ("GET", "/monitors/1/checks",
         {"cursor": encode_cursor("2026-11-01T00:00:00+00:00", 2**63)}, None, 400,
         "invalid_parameter"),
        ("GET", "/monitors", {"owner": "9223372036854775808"}, None, 400, "invalid_parameter"),
        ("POST", "/maintenance", None, {"monitor_id": 2**31, "ends_at": "2030-01-01T00:00:00Z"},
         422, "field_range"),
        ("POST", "/maintenance", None, {"monitor_id": 2**63, "ends_at": "2030-01-01T00:00:00Z"},
         422, "field_range"),
        ("POST", "/maintenance", None,
         {"owner_telegram_id": 2**63, "ends_at": "2030-01-01T00:00:00Z"}, 422, "field_range"),
        ("POST", "/monitors", None, {"url": PUBLIC_URL, "owner_telegram_id": 2**63}, 422,
         "field_range"),
        ("POST", "/monitors", None, {"url": PUBLIC_URL, "latency_threshold_ms": 2**63}, 422,
         "field_range"),
        ("PATCH", "/users/1", None, {"monitor_quota": 2**63}, 422, "field_range"),
    ],
)  # fmt: skip
async def test_ids_and_numbers_beyond_their_column_are_refused(
    world, method, path, params, body, status, code
):
    client, _key, _monitor = world
    before = await _state()
    reply = await client.call(method, V1 + path, json_body=body, params=params)
    assert reply.status == status, reply.body
    assert reply.error["code"] == code
    assert await _state() == before


@pytest.mark.parametrize("moment", [TOO_LATE, TOO_EARLY, "1969-12-31T23:59:59Z"])
@pytest.mark.parametrize(
    ("where", "status"),
    [("from", 400), ("to", 400), ("cursor", 400), ("starts_at", 422), ("ends_at", 422)],
)
async def test_times_out_of_the_calendar_are_refused(world, moment, where, status):
    client, _key, monitor = world
    before = await _state()
    if where in ("from", "to", "cursor"):
        value = encode_cursor(moment, 5) if where == "cursor" else moment
        reply = await client.get(f"{V1}/monitors/{monitor.id}/checks", **{where: value})
        assert reply.status == 400 and reply.error["code"] == "invalid_parameter", reply.body
    else:
        body = {"monitor_id": monitor.id, "ends_at": "2030-01-01T00:00:00Z", where: moment}
        reply = await client.call("POST", f"{V1}/maintenance", json_body=body)
        assert reply.status == 422 and reply.error["code"] == "time_invalid", reply.body
    assert where in reply.error["fields"]
    assert await _state() == before


@pytest.mark.parametrize("text", ["a\ud800b", "a\x00b", "\udfff"])
@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("POST", "/monitors", "name"),
        ("POST", "/monitors", "url"),
        ("POST", "/monitors", "keyword"),
        ("POST", "/monitors", "accepted_status_codes"),
        ("POST", "/monitors", "method"),
        ("PATCH", "/monitors/1", "name"),
        ("PATCH", "/monitors/1", "keyword"),
        ("POST", "/maintenance", "reason"),
        ("POST", "/maintenance", "ends_at"),
    ],
)
async def test_nul_and_unpaired_surrogates_in_text_are_refused(world, text, method, path, field):
    client, _key, monitor = world
    base = {"url": PUBLIC_URL, "owner_telegram_id": 1} if path == "/monitors" else {}
    if path == "/maintenance":
        base = {"monitor_id": monitor.id, "ends_at": "2030-01-01T00:00:00Z"}
    raw = json.dumps({**base, field: text}).encode()  # "\ud800" escaped, as JSON allows
    before = await _state()
    reply = await client.call(method, V1 + path, raw=raw)
    assert reply.status == 422, reply.body
    assert reply.error["code"] == "field_text" and field in reply.error["fields"]
    assert await _state() == before


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (DEEP.encode(), "invalid_json"),
        (b'{"name": ' + DEEP.encode() + b"}", "invalid_json"),
        (b'{"url": "' + PUBLIC_URL.encode() + b'", "timeout": NaN}', "invalid_json"),
        (b'{"url": "' + PUBLIC_URL.encode() + b'", "timeout": Infinity}', "invalid_json"),
        (b'{"url": "' + PUBLIC_URL.encode() + b'", "timeout": 1e400}', "invalid_json"),
    ],
)
async def test_json_too_deep_or_beyond_numbers_is_refused(world, raw, code):
    client, _key, _monitor = world
    before = await _state()
    reply = await client.call("POST", f"{V1}/monitors", raw=raw)
    assert reply.status == 400 and reply.error["code"] == code, reply.body
    assert await _state() == before


async def test_a_deeply_nested_cursor_is_refused(world):
    client, _key, _monitor = world
    deep = "[" * 1500 + "]" * 1500  # as deep as fits the 8 KiB request line
    cursor = base64.urlsafe_b64encode(deep.encode()).decode()
    reply = await client.get(f"{V1}/monitors", cursor=cursor)
    assert reply.status == 400 and reply.error["code"] == "invalid_parameter", reply.body


@pytest.mark.parametrize(
    "value", [b"\xff\xfe", b"caf\xc3\xa9", b"\xc3(", ADMIN_KEY.encode() + b"\x80"]
)
async def test_an_api_key_that_is_not_ascii_is_a_wrong_key(world, value):
    client, _key, monitor = world
    reply = await client.raw("GET", f"{V1}/monitors/{monitor.id}", {"X-API-KEY": value})
    assert reply.status == 401 and reply.error["code"] == "unauthorized", reply.body
    right = await client.raw(
        "GET", f"{V1}/monitors/{monitor.id}", {"X-API-KEY": ADMIN_KEY.encode()}
    )
    assert right.status == 200


@pytest.mark.parametrize("value", [b"Bearer \xff", b"Bearer scrape-me\xc3\xa9", b"\x80"])
async def test_a_metrics_token_that_is_not_ascii_is_a_wrong_token(db, settings, value):
    guarded = settings.model_copy(update={"metrics_token": SecretStr("scrape-me")})
    async with serving(guarded) as client:
        reply = await client.raw("GET", "/metrics", {"Authorization": value})
        assert reply.status == 401 and reply.error["code"] == "unauthorized", reply.body
        right = await client.raw("GET", "/metrics", {"Authorization": b"Bearer scrape-me"})
        assert right.status == 200


# --- what the OpenAPI document promises -------------------------------------------------


async def test_integral_floats_are_integers(world):
    """JSON Schema's "integer" includes 300.0, so the server takes it."""
    client, key, monitor = world
    created = await client.call(
        "POST", f"{V1}/monitors", key,
        {"url": PUBLIC_URL, "interval": 300.0, "failure_threshold": 4.0,
         "cert_warning_days": [7.0, 30]},
    )  # fmt: skip
    assert created.status == 201, created.body
    assert created.body["interval"] == 300 and created.body["failure_threshold"] == 4
    assert created.body["cert_warning_days"] == [30, 7]
    ends_at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    window = await client.call(
        "POST", f"{V1}/maintenance", key, {"monitor_id": float(monitor.id), "ends_at": ends_at}
    )
    assert window.status == 201 and window.body["monitor_id"] == monitor.id, window.body
    fraction = await client.call(
        "POST", f"{V1}/monitors", key, {"url": PUBLIC_URL, "interval": 60.5}
    )
    assert fraction.status == 422 and fraction.error["code"] == "field_type"


async def test_the_document_states_the_servers_minimum_interval(db, settings):
    async with serving(settings.model_copy(update={"min_interval_seconds": 45})) as client:
        reply = await client.get(f"{V1}/openapi.json", None)
    for variant in reply.body["components"]["schemas"]["MonitorPatch"]["anyOf"]:
        writable = variant["properties"]
        if variant["properties"]["kind"]["const"] == "push":  # nobody probes it: no interval
            assert "interval" not in writable and "retry_interval" not in writable
            continue
        assert writable["interval"]["minimum"] == writable["retry_interval"]["minimum"] == 45
    cursor = next(
        p for p in reply.body["paths"][f"{V1}/monitors"]["get"]["parameters"]
        if p["name"] == "cursor"
    )  # fmt: skip
    assert cursor["schema"]["minLength"] == 1


async def test_405_names_the_allowed_methods(world):
    client, _key, _monitor = world
    reply = await client.call("PUT", f"{V1}/monitors/1")
    assert reply.status == 405 and reply.error["code"] == "method_not_allowed"
    assert set(reply.headers["Allow"].split(", ")) == {"GET", "HEAD", "PATCH", "DELETE"}


def test_a_route_with_a_parameter_of_unknown_range_is_refused_at_start():
    settings = Settings(_env_file=None)
    app = app_of(settings)
    assert app  # the real routes all pass
    extra = web.RouteTableDef()

    @extra.get("/api/v1/things/{nickname}")
    async def thing(request: web.Request) -> web.Response:  # pragma: no cover
        return web.Response()

    from api import app as app_module

    probe_app = web.Application()
    probe_app.add_routes(extra)
    with pytest.raises(RuntimeError, match="nickname"):
        app_module._check_path_parameters(probe_app)
