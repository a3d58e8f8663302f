"""Push (heartbeat) monitors through the REST API, served for real on loopback, on both
databases: creation with a period or a cron expression (the zone defaulting to the
owner's), refusals in the caller's language, the ping URL shown once and used, token
rotation, Check now refused, the pings listing, and schedule edits moving the deadline."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr

from core import push_schedule
from core.push_tokens import TOKEN_LENGTH, token_hash
from db.models import Monitor, Ping, User
from tests.support.api import ADMIN_KEY, ApiClient, Reply, conforms, serving
from tests.support.bot_harness import ADMIN, PUBLIC_URL, tr
from tests.test_api import user_with_key
from tests.test_api_fuzz import HOSTILE_JSON_VALUES, _problem

V1 = "/api/v1"
PUBLIC = "https://push.example"  # where jobs reach this server (PUBLIC_URL)
BOTH = "Give either a period or a cron expression, not both."
NOT_PUSH = "Only a heartbeat monitor has a ping URL."


@pytest.fixture
def public(settings):
    """tests/test_api.py's `strict` settings, with PUBLIC_URL set."""
    return settings.model_copy(
        update={
            "allow_private_targets": False,
            "admin_ids": frozenset({ADMIN}),
            "api_access_token": SecretStr(ADMIN_KEY),
            "default_monitor_quota": 3,
            "public_url": PUBLIC,
        }
    )


@pytest.fixture
async def api(db, public, probe):
    async with serving(public, probe) as client:
        yield client


def when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


async def create(api: ApiClient, key: str, **fields) -> Reply:
    return await api.call("POST", f"{V1}/monitors", key, {"kind": "push", **fields})


async def ping(api: ApiClient, ping_url: str, suffix: str = "", body: bytes | None = None):
    """Ping as a job would, at the server's loopback address (ping_url names PUBLIC)."""
    path = urlsplit(ping_url).path + suffix
    method = "POST" if body is not None else "GET"
    async with api.http.request(method, api.base + path, data=body) as reply:
        return reply.status, await reply.text()


# --- creation ---------------------------------------------------------------------------


async def test_a_push_monitor_is_created_with_its_ping_url_shown_once(api) -> None:
    _ann, key = await user_with_key(1)
    created = await create(api, key, period=3600, grace=600)
    assert created.status == 201, created.body
    m = created.body
    assert m["kind"] == "push" and m["name"] == "Heartbeat"
    assert (m["period"], m["cron"], m["tz"], m["grace"]) == (3600, None, "UTC", 600)
    token = m["ping_url"].removeprefix(f"{PUBLIC}/ping/")
    assert len(token) == TOKEN_LENGTH and m["ping_url"] == f"{PUBLIC}/ping/{token}"
    assert m["ping_url"].startswith(m["ping_url_prefix"])
    assert m["ping_url_prefix"] == f"{PUBLIC}/ping/{token[:6]}"
    assert m["masked_ping_url"] == f"{PUBLIC}/ping/{token[:6]}…"
    for name in ("last_ping_at", "last_success_at", "started_at", "next_due_at", "last_body"):
        assert m[name] is None, name
    conforms("Monitor", m)

    # Afterwards the token is never shown again, nor its hash, in any answer.
    got = await api.get(f"{V1}/monitors/{m['id']}", key)
    listed = await api.get(f"{V1}/monitors", key)
    assert "ping_url" not in got.body and got.body["ping_url_prefix"] == m["ping_url_prefix"]
    assert got.body == {k: v for k, v in m.items() if k != "ping_url"}
    for reply in (got, listed):
        text = json.dumps(reply.body)
        assert token not in text and token_hash(token) not in text
    conforms("Monitor", got.body)
    conforms("MonitorList", listed.body)

    # The URL works: a ping, then the monitor shows it.
    assert await ping(api, m["ping_url"]) == (200, "OK")
    got = (await api.get(f"{V1}/monitors/{m['id']}", key)).body
    pinged = when(got["last_ping_at"])
    assert pinged is not None and when(got["last_success_at"]) == pinged
    assert got["state"] == "up" and got["started_at"] is None
    assert when(got["next_due_at"]) == pinged + timedelta(seconds=3600 + 600)
    conforms("Monitor", got)


async def test_a_cron_schedule_in_a_zone_and_the_owners_zone_by_default(api) -> None:
    ann, key = await user_with_key(1)
    berlin = await create(api, key, cron="0 3 * * *", tz="europe/berlin")
    assert berlin.status == 201, berlin.body
    assert (berlin.body["cron"], berlin.body["tz"], berlin.body["period"]) == (
        "0 3 * * *",
        "Europe/Berlin",
        None,
    )
    assert berlin.body["url"] == "cron 0 3 * * * (Europe/Berlin)"
    conforms("Monitor", berlin.body)

    # No zone given: the owner's (as /settings set it), an IANA name or an offset.
    for zone in ("Asia/Tokyo", "UTC+05:30"):
        await User.filter(id=ann.id).update(timezone=zone)
        own = await create(api, key, cron="@daily")
        assert own.status == 201 and own.body["tz"] == zone, own.body
        await api.call("DELETE", f"{V1}/monitors/{own.body['id']}", key)
    # The admin creating for someone: that someone's zone.
    await User.filter(id=ann.id).update(timezone="America/Chicago")
    for_ann = await create(api, ADMIN_KEY, owner_telegram_id=1, cron="0 3 * * 1")
    assert for_ann.status == 201 and for_ann.body["tz"] == "America/Chicago", for_ann.body
    # A zone given wins over the owner's.
    given = await create(api, key, cron="@daily", tz="UTC")
    assert given.status == 201 and given.body["tz"] == "UTC", given.body


async def test_refusals_name_the_field_in_the_callers_language(api) -> None:
    _ann, key = await user_with_key(1)
    german = {"Accept-Language": "de-DE,de;q=0.9"}

    both = await api.call(
        "POST",
        f"{V1}/monitors",
        key,
        {"kind": "push", "period": 3600, "cron": "0 3 * * *"},
        headers=german,
    )
    expected = tr("de", BOTH)
    assert expected != BOTH
    assert both.status == 422 and both.error["code"] == "push_period_and_cron"
    assert both.error["fields"] == {"cron": expected} and both.error["message"] == expected
    english = await create(api, key, period=3600, cron="0 3 * * *")
    assert english.error["fields"] == {
        "cron": "Give either a period or a cron expression, not both."
    }

    for fields, code, field in (
        ({"cron": "0 25 * * *"}, "cron_hour_invalid", "cron"),
        ({"period": 30}, "push_period_range", "period"),
        ({"grace": "soon"}, "field_type", "grace"),
        ({"tz": "Mars/Olympus"}, "timezone_invalid", "tz"),
        ({"url": PUBLIC_URL}, "unknown_field", "url"),
    ):
        refused = await api.call(
            "POST",
            f"{V1}/monitors",
            key,
            {"kind": "push", **fields},
            headers={"Accept-Language": "ru"},
        )
        assert refused.status == 422 and refused.error["code"] == code, refused.body
        assert set(refused.error["fields"]) == {field}
    hour = await api.call(
        "POST",
        f"{V1}/monitors",
        key,
        {"kind": "push", "cron": "0 25 * * *"},
        headers={"Accept-Language": "ru"},
    )
    assert hour.error["message"] == tr(
        "ru",
        "The hour field of the cron expression is invalid: {value}. Hours run from 0 to 23.",
        value="25",
    )

    # The shared fields nobody probing a push monitor needs: refused, on create and edit.
    unused = await api.call(
        "POST",
        f"{V1}/monitors",
        key,
        {"kind": "push", "interval": 60, "timeout": 5},
        headers=german,
    )
    per_field = tr("de", "This kind of monitor does not use this setting.")
    assert unused.status == 422 and unused.error["code"] == "field_unused"
    assert unused.error["fields"] == {"interval": per_field, "timeout": per_field}
    assert unused.error["message"] == tr(
        "de", "Not used by this kind of monitor: {names}.", names="interval, timeout"
    )
    assert await Monitor.all().count() == 0
    made = await create(api, key)
    assert made.status == 201 and made.body["period"] == 86400  # a daily job by default
    for fields in (
        {"retry_interval": 60},
        {"cert_warning_days": [7]},
        {"interval": 120},
        {"timeout": 3, "name": "x"},
    ):
        refused = await api.call("PATCH", f"{V1}/monitors/{made.body['id']}", key, fields)
        assert refused.status == 422 and refused.error["code"] == "field_unused", refused.body
        assert set(refused.error["fields"]) == set(fields) - {"name"}
    both = await api.call(
        "PATCH", f"{V1}/monitors/{made.body['id']}", key, {"period": 600, "cron": "@hourly"}
    )
    assert both.status == 422 and set(both.error["fields"]) == {"cron"}
    row = await Monitor.get(id=made.body["id"])
    assert row.name == "Heartbeat" and row.params.get("period", 86400) == 86400


# --- the token --------------------------------------------------------------------------


async def test_rotating_the_token_stops_the_old_url_at_once(api) -> None:
    _ann, key = await user_with_key(1)
    _bob, bob_key = await user_with_key(2)
    m = (await create(api, key, period=3600)).body
    old = m["ping_url"]
    assert (await ping(api, old))[0] == 200

    rotated = await api.call("POST", f"{V1}/monitors/{m['id']}/rotate-token", key)
    assert rotated.status == 200, rotated.body
    new = rotated.body["ping_url"]
    assert new != old and new.startswith(f"{PUBLIC}/ping/")
    assert new.startswith(rotated.body["ping_url_prefix"])
    assert rotated.body["last_ping_at"] is not None  # the history stays
    conforms("Monitor", rotated.body)
    assert await ping(api, old) == (404, "Not found")
    assert await ping(api, new) == (200, "OK")
    assert "ping_url" not in (await api.get(f"{V1}/monitors/{m['id']}", key)).body

    # Someone else's monitor is not found, and keeps its token; the admin may rotate it.
    foreign = await api.call("POST", f"{V1}/monitors/{m['id']}/rotate-token", bob_key)
    assert foreign.status == 404 and foreign.error["code"] == "not_found"
    assert await ping(api, new) == (200, "OK")
    by_admin = await api.call("POST", f"{V1}/monitors/{m['id']}/rotate-token", ADMIN_KEY)
    assert by_admin.status == 200 and await ping(api, new) == (404, "Not found")
    assert await ping(api, by_admin.body["ping_url"]) == (200, "OK")

    # A kind with no token: refused, in the caller's language.
    site = await api.call("POST", f"{V1}/monitors", key, {"url": PUBLIC_URL})
    assert site.status == 201, site.body
    refused = await api.call(
        "POST",
        f"{V1}/monitors/{site.body['id']}/rotate-token",
        key,
        headers={"Accept-Language": "es"},
    )
    assert refused.status == 422 and refused.error["code"] == "not_push"
    assert refused.error["message"] == tr("es", NOT_PUSH) != NOT_PUSH
    assert (await Monitor.get(id=site.body["id"])).push_token_hash is None


async def test_check_now_is_refused_for_a_push_monitor(api) -> None:
    _ann, key = await user_with_key(1)
    m = (await create(api, key)).body
    refused = await api.call(
        "POST", f"{V1}/monitors/{m['id']}/check", key, headers={"Accept-Language": "ru"}
    )
    expected = tr("ru", "There is nothing to check now: a heartbeat waits for its job's pings.")
    assert expected != "There is nothing to check now: a heartbeat waits for its job's pings."
    assert refused.status == 422 and refused.error["code"] == "not_probed"
    assert refused.error["message"] == expected and refused.error["fields"] == {}
    row = await Monitor.get(id=m["id"])
    assert row.last_check_at is None and row.hand_check_at is None


# --- pings ------------------------------------------------------------------------------


async def test_the_pings_newest_first_paged_and_only_the_owners(api) -> None:
    _ann, key = await user_with_key(1)
    _bob, bob_key = await user_with_key(2)
    m = (await create(api, key, period=3600)).body
    url = m["ping_url"]
    assert (await ping(api, url, "/start"))[0] == 200
    assert (await ping(api, url, body=b"backup done"))[0] == 200
    assert (await ping(api, url, "/fail", body=b"<b>disk</b>"))[0] == 200
    big = b"x" * (12 * 1024)
    assert (await ping(api, url, "/3", body=big))[0] == 200

    listed = await api.get(f"{V1}/monitors/{m['id']}/pings", key)
    assert listed.status == 200, listed.body
    conforms("PingList", listed.body)
    items = listed.body["items"]
    assert [(p["kind"], p["exit_status"]) for p in items] == [
        ("fail", 3), ("fail", None), ("success", None), ("start", None),
    ]  # fmt: skip
    assert [when(p["received_at"]) for p in items] == sorted(
        (when(p["received_at"]) for p in items), reverse=True
    )
    assert items[0]["body"] == "x" * 10 * 1024  # the first 10 KB
    assert items[1]["body"] == "<b>disk</b>" and items[2]["body"] == "backup done"
    assert items[2]["run_ms"] is not None and items[3]["run_ms"] is None
    assert items[3]["body"] is None and items[0]["user_agent"].startswith("Python")
    assert items[0]["source"] == "127.0.0.1" and listed.body["next_cursor"] is None

    # The monitor shows only the start of the last body.
    got = (await api.get(f"{V1}/monitors/{m['id']}", key)).body
    assert got["last_body"] == "x" * 299 + "…" and got["state"] == "down"

    first = await api.get(f"{V1}/monitors/{m['id']}/pings", key, limit="3")
    assert len(first.body["items"]) == 3 and first.body["next_cursor"]
    rest = await api.get(
        f"{V1}/monitors/{m['id']}/pings", key, limit="3", cursor=first.body["next_cursor"]
    )
    assert [p["kind"] for p in rest.body["items"]] == ["start"]
    assert rest.body["next_cursor"] is None

    for bad in ("0", "101", "x"):
        refused = await api.get(f"{V1}/monitors/{m['id']}/pings", key, limit=bad)
        assert refused.status == 400 and refused.error["code"] == "invalid_parameter"
    assert (await api.get(f"{V1}/monitors/{m['id']}/pings", key, limit="100")).status == 200
    foreign = await api.get(f"{V1}/monitors/{m['id']}/pings", bob_key)
    assert foreign.status == 404
    assert (await api.get(f"{V1}/monitors/{m['id']}/pings")).status == 200  # admin
    site = await api.call("POST", f"{V1}/monitors", key, {"url": PUBLIC_URL})
    not_push = await api.get(f"{V1}/monitors/{site.body['id']}/pings", key)
    assert not_push.status == 422 and not_push.error["code"] == "not_push"
    assert not_push.error["message"] == NOT_PUSH
    assert await Ping.filter(monitor_id=m["id"]).count() == 4


# --- schedule edits ---------------------------------------------------------------------


async def test_editing_the_schedule_moves_the_deadline(api) -> None:
    _ann, key = await user_with_key(1)
    m = (await create(api, key, period=3600, grace=600)).body
    path = f"{V1}/monitors/{m['id']}"
    # Before the first ping there is no deadline, whatever the edit.
    patched = await api.call("PATCH", path, key, {"period": 7200})
    assert patched.status == 200 and patched.body["next_due_at"] is None
    assert (await ping(api, m["ping_url"]))[0] == 200
    success = when((await api.get(path, key)).body["last_success_at"])

    patched = await api.call("PATCH", path, key, {"period": 86400, "grace": 120})
    assert patched.status == 200, patched.body
    assert when(patched.body["next_due_at"]) == success + timedelta(seconds=86400 + 120)
    assert patched.body["url"] == "every 1d"
    conforms("Monitor", patched.body)

    # A cron expression replaces the period; a period given later replaces it again.
    patched = await api.call("PATCH", path, key, {"cron": "30 4 * * *", "tz": "Asia/Tokyo"})
    assert patched.status == 200, patched.body
    assert (patched.body["cron"], patched.body["period"]) == ("30 4 * * *", None)
    expected = push_schedule.deadline(
        success, period=None, cron="30 4 * * *", tz="Asia/Tokyo", grace=120
    )
    assert when(patched.body["next_due_at"]) == expected
    row = await Monitor.get(id=m["id"])
    assert row.next_check_at == expected

    patched = await api.call("PATCH", path, key, {"period": 900})
    assert (patched.body["cron"], patched.body["period"]) == (None, 900)
    assert when(patched.body["next_due_at"]) == success + timedelta(seconds=900 + 120)

    # Paused: no deadline; a name alone leaves the schedule be.
    paused = await api.call("PATCH", path, key, {"paused": True})
    assert paused.body["next_due_at"] is None and paused.body["state"] == "paused"
    renamed = await api.call("PATCH", path, key, {"name": "nightly backup", "period": 1800})
    assert renamed.status == 200 and renamed.body["next_due_at"] is None


async def test_hostile_values_in_the_push_fields_are_refused_cleanly(api) -> None:
    _ann, key = await user_with_key(1)
    mid = (await create(api, key, period=3600)).body["id"]
    for field in ("period", "cron", "tz", "grace"):
        for value in HOSTILE_JSON_VALUES:
            for method, path in (
                ("POST", f"{V1}/monitors"),
                ("PATCH", f"{V1}/monitors/{mid}"),
            ):
                raw = f'{{"kind": "push", {json.dumps(field)}: {value}}}'.encode()
                reply = await api.call(method, path, key, raw=raw)
                problem = _problem(reply)
                assert problem is None, (method, field, value[:40], problem)
