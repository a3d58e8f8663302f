"""The REST API served for real on loopback, on both databases: every endpoint, the
auth matrix, and bad input of every kind. Monitors of non-admins are refused private
addresses here (as in production), so checks run on an admin's monitor of a local site."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from core.api_tokens import create_token
from core.maintenance import (
    MAX_AHEAD,
    MAX_OPEN_WINDOWS,
    MAX_REASON_LENGTH,
    create_window,
    end_window,
)
from core.probe import ProbeResult
from core.recording import record_results
from core.stats import window_stats
from db.models import CheckLog, Incident, MaintenanceWindow, Monitor, MonitorState, User
from tests.support.api import ADMIN_KEY, serving
from tests.support.bot_harness import ADMIN, PUBLIC_URL, tr
from tests.support.dns import GatedResolver
from tests.support.outbox import queue
from tests.support.png import png_size
from tests.support.wait import until

V1 = "/api/v1"


@pytest.fixture
def strict(settings):
    return settings.model_copy(
        update={
            "allow_private_targets": False,
            "admin_ids": frozenset({ADMIN}),
            "api_access_token": SecretStr(ADMIN_KEY),
            "default_monitor_quota": 3,
        }
    )


@pytest.fixture
async def api(db, strict, probe):
    async with serving(strict, probe) as client:
        yield client


SLOW_HOST = "slow.example"


@pytest.fixture
def slow_dns() -> GatedResolver:
    return GatedResolver({SLOW_HOST: ["93.184.216.34"]})  # public, never contacted


@pytest.fixture
async def api_with_slow_dns(db, strict, probe, slow_dns):
    async with serving(strict, probe, slow_dns) as client:
        yield client


async def user_with_key(telegram_id: int) -> tuple[User, str]:
    user = await User.create(telegram_id=telegram_id)
    _row, key = await create_token(user)
    return user, key


async def monitor_of(user: User, name: str = "site", url: str = PUBLIC_URL, **kw) -> Monitor:
    return await Monitor.create(owner=user, name=name, url=url, **kw)


# --- auth -------------------------------------------------------------------------------


async def test_the_auth_matrix(api) -> None:
    ann, ann_key = await user_with_key(1)
    bob, _bob_key = await user_with_key(2)
    mine, theirs = await monitor_of(ann), await monitor_of(bob)
    for key in (None, "", "wrong", "umk_" + "x" * 40):
        reply = await api.get(f"{V1}/monitors/{mine.id}", key)
        assert reply.status == 401 and reply.error["code"] == "unauthorized"
    assert (await api.get(f"{V1}/monitors/{mine.id}", ann_key)).status == 200
    foreign = await api.get(f"{V1}/monitors/{theirs.id}", ann_key)
    assert foreign.status == 404 and foreign.error["code"] == "not_found"
    assert (await api.get(f"{V1}/monitors/{theirs.id}")).status == 200  # admin
    listed = await api.get(f"{V1}/monitors", ann_key)
    assert [m["id"] for m in listed.body["items"]] == [mine.id]
    assert (await api.get(f"{V1}/users", ann_key)).status == 403
    assert (await api.get(f"{V1}/users/2", ann_key)).status == 404
    assert (await api.get(f"{V1}/users/1", ann_key)).body["telegram_id"] == 1
    # Writes to someone else's things are not found either, and change nothing.
    for method, path in (
        ("PATCH", f"/monitors/{theirs.id}"),
        ("DELETE", f"/monitors/{theirs.id}"),
        ("POST", f"/monitors/{theirs.id}/pause"),
        ("POST", f"/monitors/{theirs.id}/check"),
    ):
        reply = await api.call(method, V1 + path, ann_key, {"name": "mine now"})
        assert reply.status == 404, (method, path)
    await theirs.refresh_from_db()
    assert theirs.name == "site" and not theirs.paused


async def test_without_api_access_token_admin_access_is_off(db, settings, probe) -> None:
    closed = settings.model_copy(update={"api_access_token": None})
    async with serving(closed) as client:
        for key in (ADMIN_KEY, "", "None"):
            assert (await client.get(f"{V1}/users", key)).status == 401
        assert (await client.get(f"{V1}/openapi.json", None)).status == 200


async def test_errors_come_in_the_callers_language(api) -> None:
    _ann, key = await user_with_key(1)
    reply = await api.call(
        "POST", f"{V1}/monitors", key, {"url": "ftp://x.test"},
        headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"},
    )  # fmt: skip
    expected = tr("de", "Only http:// and https:// addresses can be monitored.")
    assert expected != "Only http:// and https:// addresses can be monitored."
    assert reply.status == 422 and reply.error["code"] == "url_scheme"
    assert reply.error["message"] == expected and reply.error["fields"] == {"url": expected}
    english = await api.call("POST", f"{V1}/monitors", key, {"url": "ftp://x.test"})
    assert english.error["message"] == "Only http:// and https:// addresses can be monitored."


# --- monitors ---------------------------------------------------------------------------


async def test_create_get_patch_delete_a_monitor(api) -> None:
    _ann, key = await user_with_key(1)
    created = await api.call(
        "POST", f"{V1}/monitors", key,
        {"url": PUBLIC_URL, "name": "Shop", "interval": 300, "keyword": "Welcome",
         "accepted_status_codes": "200-299", "cert_warning_days": [7, 30]},
    )  # fmt: skip
    assert created.status == 201, created.body
    m = created.body
    assert m["owner_telegram_id"] == 1 and m["name"] == "Shop" and m["interval"] == 300
    assert m["keyword"] == "Welcome" and m["cert_warning_days"] == [30, 7]
    assert m["state"] == "unknown" and m["paused"] is False and m["last_check_at"] is None
    assert m["timeout"] == 10.0 and m["method"] == "GET"

    got = await api.get(f"{V1}/monitors/{m['id']}", key)
    assert got.body == m

    patched = await api.call(
        "PATCH", f"{V1}/monitors/{m['id']}", key,
        {"name": "Shop 2", "keyword": None, "timeout": 5, "paused": True},
    )  # fmt: skip
    assert patched.status == 200, patched.body
    assert patched.body["name"] == "Shop 2" and patched.body["keyword"] is None
    assert patched.body["timeout"] == 5 and patched.body["paused"] is True
    assert patched.body["state"] == "paused"
    resumed = await api.call("POST", f"{V1}/monitors/{m['id']}/resume", key)
    assert resumed.body["paused"] is False and resumed.body["state"] == "unknown"
    paused = await api.call("POST", f"{V1}/monitors/{m['id']}/pause", key)
    assert paused.body["paused"] is True

    deleted = await api.call("DELETE", f"{V1}/monitors/{m['id']}", key)
    assert deleted.status == 204
    assert (await api.get(f"{V1}/monitors/{m['id']}", key)).status == 404


async def test_a_monitor_created_paused_is_never_scheduled(api) -> None:
    _ann, key = await user_with_key(1)
    created = await api.call("POST", f"{V1}/monitors", key, {"url": PUBLIC_URL, "paused": True})
    assert created.status == 201, created.body
    assert created.body["paused"] is True and created.body["state"] == "paused"
    assert created.body["state_since"] is not None
    row = await Monitor.get(id=created.body["id"])
    assert row.paused and row.state == MonitorState.PAUSED and row.next_check_at is None
    running = await api.call("POST", f"{V1}/monitors", key, {"url": PUBLIC_URL, "paused": False})
    assert running.body["paused"] is False and running.body["state"] == "unknown"
    assert (await Monitor.get(id=running.body["id"])).next_check_at is not None


async def test_retry_interval_on_create_and_patch(api) -> None:
    _ann, key = await user_with_key(1)
    created = await api.call(
        "POST", f"{V1}/monitors", key, {"url": PUBLIC_URL, "retry_interval": 45}
    )
    assert created.status == 201, created.body
    assert created.body["retry_interval"] == 45
    monitor_id = created.body["id"]
    assert (await Monitor.get(id=monitor_id)).retry_interval_seconds == 45
    patched = await api.call("PATCH", f"{V1}/monitors/{monitor_id}", key, {"retry_interval": 120})
    assert patched.status == 200 and patched.body["retry_interval"] == 120
    for method, path, body in (
        ("POST", "/monitors", {"url": PUBLIC_URL, "retry_interval": 1}),
        ("PATCH", f"/monitors/{monitor_id}", {"retry_interval": 10**9}),
    ):
        refused = await api.call(method, V1 + path, key, body)
        assert refused.status == 422 and refused.error["code"] == "interval_range"
        assert set(refused.error["fields"]) == {"retry_interval"}, refused.body
    assert await Monitor.all().count() == 1
    assert (await Monitor.get(id=monitor_id)).retry_interval_seconds == 120


async def test_a_patch_with_one_bad_field_changes_nothing(api) -> None:
    ann, key = await user_with_key(1)
    monitor = await monitor_of(ann)
    reply = await api.call(
        "PATCH", f"{V1}/monitors/{monitor.id}", key, {"name": "new name", "interval": 5}
    )
    assert reply.status == 422
    assert reply.error["code"] == "interval_range" and set(reply.error["fields"]) == {"interval"}
    await monitor.refresh_from_db()
    assert monitor.name == "site" and monitor.interval_seconds == 60


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"url": "not a url"}, 422, "url_invalid", "url"),
        ({"url": "ftp://example.com"}, 422, "url_scheme", "url"),
        ({"url": "http://127.0.0.1:8080/"}, 422, "private_address", "url"),
        ({"url": "http://169.254.169.254/latest"}, 422, "private_address", "url"),
        ({"url": PUBLIC_URL, "interval": 1}, 422, "interval_range", "interval"),
        ({"url": PUBLIC_URL, "interval": 10**9}, 422, "interval_range", "interval"),
        ({"url": PUBLIC_URL, "timeout": 0}, 422, "timeout_range", "timeout"),
        ({"url": PUBLIC_URL, "interval": 30, "timeout": 45}, 422, "timeout_interval", "timeout"),
        ({"url": PUBLIC_URL, "method": "BREW"}, 422, "method_invalid", "method"),
        ({"url": PUBLIC_URL, "accepted_status_codes": "abc"}, 422, "status_codes_invalid",
         "accepted_status_codes"),
        ({"url": "http://16843009/"}, 422, "url_numeric_host", "url"),
        ({"url": "https://0x5db8d822/"}, 422, "url_numeric_host", "url"),
        ({"url": "https://93.184.216.34:0/"}, 422, "url_port", "url"),
        ({"url": PUBLIC_URL, "accepted_status_codes": "1_00-2_00"}, 422,
         "status_codes_invalid", "accepted_status_codes"),
        ({"url": PUBLIC_URL, "accepted_status_codes": "२००-३९९"}, 422,
         "status_codes_invalid", "accepted_status_codes"),
        ({"url": PUBLIC_URL, "name": "\u202emoc.knab"}, 422, "name_invalid", "name"),
        ({"url": PUBLIC_URL, "name": "shop\u200b"}, 422, "name_invalid", "name"),
        ({"url": PUBLIC_URL, "name": "shop\u2066x\u2069"}, 422, "name_invalid", "name"),
        ({"url": PUBLIC_URL, "name": ""}, 422, "name_empty", "name"),
        ({"url": PUBLIC_URL, "name": "x" * 200}, 422, "name_too_long", "name"),
        ({"url": PUBLIC_URL, "failure_threshold": 0}, 422, "threshold_range",
         "failure_threshold"),
        ({"url": PUBLIC_URL, "cert_warning_days": [0]}, 422, "cert_days_invalid",
         "cert_warning_days"),
        ({"url": PUBLIC_URL, "colour": "red"}, 422, "unknown_field", "colour"),
        ({"url": PUBLIC_URL, "interval": "60"}, 422, "field_type", "interval"),
        ({"url": PUBLIC_URL, "interval": True}, 422, "field_type", "interval"),
        ({"url": PUBLIC_URL, "paused": "yes"}, 422, "field_type", "paused"),
        ({"name": "no url"}, 422, "field_missing", "url"),
        ({"url": PUBLIC_URL, "owner_telegram_id": 2}, 422, "owner_forbidden",
         "owner_telegram_id"),
    ],
)  # fmt: skip
async def test_bad_monitor_bodies_are_refused_and_change_nothing(
    api, body, status, code, field
) -> None:
    _ann, key = await user_with_key(1)
    await User.create(telegram_id=2)
    reply = await api.call("POST", f"{V1}/monitors", key, body)
    assert reply.status == status, reply.body
    assert reply.error["code"] == code
    assert field in reply.error["fields"] and reply.error["message"]
    assert await Monitor.all().count() == 0


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [("url", "http://0x01010101/", "url_numeric_host"), ("url", "https://1.1.1.1:0/", "url_port"),
     ("name", "\u202eevil", "name_invalid"), ("name", "a\ufeffb", "name_invalid"),
     ("accepted_status_codes", "२००", "status_codes_invalid")],
)  # fmt: skip
async def test_a_patch_with_nonsense_changes_nothing(api, field, value, code) -> None:
    ann, key = await user_with_key(1)
    monitor = await monitor_of(ann)
    reply = await api.call("PATCH", f"{V1}/monitors/{monitor.id}", key, {field: value})
    assert reply.status == 422 and reply.error["code"] == code, reply.body
    fresh = await Monitor.get(id=monitor.id)
    assert (fresh.url, fresh.name, fresh.accepted_status_codes) == (
        monitor.url,
        monitor.name,
        monitor.accepted_status_codes,
    )


@pytest.mark.parametrize(
    ("raw", "code"),
    [(b"{not json", "invalid_json"), (b"[1, 2]", "invalid_json"), (b"", "invalid_json"),
     (b"\xff\xfe", "invalid_json"), (b'"text"', "invalid_json")],
)  # fmt: skip
async def test_malformed_bodies_get_400(api, raw, code) -> None:
    reply = await api.call("POST", f"{V1}/monitors", raw=raw)
    assert reply.status == 400 and reply.error["code"] == code


async def test_a_body_over_64_kib_gets_413(api) -> None:
    reply = await api.call("POST", f"{V1}/monitors", json_body={"name": "x" * 70_000})
    assert reply.status == 413 and reply.error["code"] == "body_too_large"


async def test_the_quota_is_enforced_with_409(api) -> None:
    _ann, key = await user_with_key(1)
    for n in range(3):
        reply = await api.call("POST", f"{V1}/monitors", key, {"url": PUBLIC_URL, "name": f"m{n}"})
        assert reply.status == 201
    refused = await api.call("POST", f"{V1}/monitors", key, {"url": PUBLIC_URL})
    assert refused.status == 409 and refused.error["code"] == "quota"
    assert await Monitor.all().count() == 3


async def test_the_admin_creates_for_a_named_owner(api) -> None:
    await User.create(telegram_id=5)
    missing = await api.call("POST", f"{V1}/monitors", json_body={"url": PUBLIC_URL})
    assert missing.status == 422 and "owner_telegram_id" in missing.error["fields"]
    unknown = await api.call(
        "POST", f"{V1}/monitors", json_body={"url": PUBLIC_URL, "owner_telegram_id": 6}
    )
    assert unknown.status == 422 and unknown.error["code"] == "owner_unknown"
    made = await api.call(
        "POST", f"{V1}/monitors", json_body={"url": PUBLIC_URL, "owner_telegram_id": 5}
    )
    assert made.status == 201 and made.body["owner_telegram_id"] == 5


async def test_list_filters_and_pages(api) -> None:
    ann, key = await user_with_key(1)
    bob = await User.create(telegram_id=2)
    for n in range(7):
        await monitor_of(ann, f"a{n}", state=MonitorState.DOWN if n % 2 else MonitorState.UP)
    await monitor_of(bob, "b")
    seen, cursor = [], None
    while True:
        reply = await api.get(
            f"{V1}/monitors", key, limit=3, **({"cursor": cursor} if cursor else {})
        )
        assert reply.status == 200 and len(reply.body["items"]) <= 3
        seen += [m["name"] for m in reply.body["items"]]
        cursor = reply.body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"a{n}" for n in range(7)]
    down = await api.get(f"{V1}/monitors", key, state="down")
    assert [m["name"] for m in down.body["items"]] == ["a1", "a3", "a5"]
    of_bob = await api.get(f"{V1}/monitors", owner="2")
    assert [m["name"] for m in of_bob.body["items"]] == ["b"]
    assert (await api.get(f"{V1}/monitors", key, owner="2")).status == 403
    for params in ({"limit": "501"}, {"limit": "0"}, {"limit": "x"}, {"cursor": "%%%"},
                   {"cursor": "bm90IGpzb24"}, {"state": "sleepy"}):  # fmt: skip
        reply = await api.get(f"{V1}/monitors", key, **params)
        assert reply.status == 400, params
        assert reply.error["code"] == "invalid_parameter"


async def test_check_now_returns_the_result_and_refuses_a_second_within_10_s(api, targets) -> None:
    site = await targets.http()
    boss = await User.create(telegram_id=ADMIN)
    monitor = await monitor_of(boss, url=site.url("/ok"))
    reply = await api.call("POST", f"{V1}/monitors/{monitor.id}/check")
    assert reply.status == 200, reply.body
    assert reply.body["check"]["ok"] is True and reply.body["check"]["status_code"] == 200
    assert reply.body["monitor"]["last_check_at"] is not None
    assert reply.body["check"]["in_maintenance"] is False
    again = await api.call("POST", f"{V1}/monitors/{monitor.id}/check")
    assert again.status == 429 and again.error["code"] == "check_too_soon"
    assert await CheckLog.filter(monitor_id=monitor.id).count() == 1


async def test_creations_under_way_are_capped_per_user_with_a_translated_refusal(
    api_with_slow_dns, slow_dns
) -> None:
    """Each creation resolves its host first; a user with two waiting on DNS is told
    in their language to wait, and nothing is created for the refused request."""
    api = api_with_slow_dns
    _ann, ann_key = await user_with_key(1)
    _bob, bob_key = await user_with_key(2)
    url = f"https://{SLOW_HOST}/"

    def create(key: str, name: str):
        return api.call("POST", f"{V1}/monitors", key, {"url": url, "name": name})

    first, second = (asyncio.create_task(create(ann_key, n)) for n in ("one", "two"))
    await until(lambda: slow_dns.waiting == 2)
    refused = await api.call(
        "POST", f"{V1}/monitors", ann_key, {"url": url}, headers={"Accept-Language": "de"}
    )
    assert refused.status == 429 and refused.error["code"] == "creations_in_flight"
    assert refused.error["message"] == tr(
        "de", "Your other new monitors are still being added; try again in a moment."
    )
    bobs = asyncio.create_task(create(bob_key, "bob's"))  # another user is not held up
    await until(lambda: slow_dns.waiting == 3)
    slow_dns.opened.set()
    assert [(await task).status for task in (first, second, bobs)] == [201, 201, 201]
    assert sorted(await Monitor.all().values_list("name", flat=True)) == ["bob's", "one", "two"]
    assert (await create(ann_key, "three")).status == 201  # the cap is free again


async def test_check_now_runs_once_of_twenty_parallel_requests(api, targets) -> None:
    """The 10 s limit is claimed in the database: of 20 requests at once exactly one
    probes, the others get 429 (not a probe each that the limit read too early)."""
    site = await targets.http()
    ann, ann_key = await user_with_key(1)
    monitor = await monitor_of(ann, url=site.url("/ok"))
    path = f"{V1}/monitors/{monitor.id}/check"
    replies = await asyncio.gather(*(api.call("POST", path, ann_key) for _ in range(20)))
    statuses = sorted(reply.status for reply in replies)
    assert statuses == [200] + [429] * 19
    assert all(r.error["code"] == "check_too_soon" for r in replies if r.status == 429)
    assert await CheckLog.filter(monitor_id=monitor.id).count() == 1


async def test_check_now_in_a_maintenance_window_says_so(api, targets) -> None:
    site = await targets.http()
    boss = await User.create(telegram_id=ADMIN)
    monitor = await monitor_of(boss, url=site.url("/ok"))
    now = datetime.now(UTC)
    await create_window(boss, now - timedelta(minutes=1), now + timedelta(hours=1))
    reply = await api.call("POST", f"{V1}/monitors/{monitor.id}/check")
    assert reply.status == 200, reply.body
    assert reply.body["check"]["in_maintenance"] is True
    assert reply.body["monitor"]["owner_telegram_id"] == ADMIN
    log = await CheckLog.get(monitor_id=monitor.id)
    assert log.in_maintenance
    listed = await api.get(f"{V1}/monitors/{monitor.id}/checks")
    assert listed.body["items"][0]["in_maintenance"] is True


# --- checks, incidents, stats -----------------------------------------------------------


async def test_checks_newest_first_with_time_range_and_cursor(api) -> None:
    ann, key = await user_with_key(1)
    monitor = await monitor_of(ann)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    await record_results(
        [(monitor.id, ProbeResult(checked_at=start + timedelta(minutes=n), ok=n != 3,
                                  status_code=200, latency_ms=n)) for n in range(10)]
    )  # fmt: skip
    path = f"{V1}/monitors/{monitor.id}/checks"
    first = await api.get(path, key, limit=4)
    assert [c["latency_ms"] for c in first.body["items"]] == [9, 8, 7, 6]
    rest = await api.get(path, key, limit=10, cursor=first.body["next_cursor"])
    assert [c["latency_ms"] for c in rest.body["items"]] == [5, 4, 3, 2, 1, 0]
    assert rest.body["next_cursor"] is None
    ranged = await api.get(
        path, key, **{"from": "2026-11-01T00:02:00Z", "to": "2026-11-01T00:05:00+00:00"}
    )
    assert [c["latency_ms"] for c in ranged.body["items"]] == [4, 3, 2]
    assert ranged.body["items"][1]["ok"] is False
    naive = await api.get(path, key, **{"from": "2026-11-01T00:02:00"})
    assert naive.status == 400 and "from" in naive.error["fields"]


async def test_incidents_by_state_and_per_monitor(api) -> None:
    ann, key = await user_with_key(1)
    bob = await User.create(telegram_id=2)
    mine, theirs = await monitor_of(ann), await monitor_of(bob)
    now = datetime.now(UTC)
    closed = await Incident.create(
        monitor=mine,
        started_at=now - timedelta(hours=2),
        resolved_at=now - timedelta(hours=1),
        cause="timeout",
    )
    opened = await Incident.create(monitor=mine, started_at=now, cause="dns")
    await Incident.create(monitor=theirs, started_at=now, cause="dns")
    every = await api.get(f"{V1}/incidents", key)
    assert [i["id"] for i in every.body["items"]] == [opened.id, closed.id]
    assert every.body["items"][1]["duration_seconds"] == 3600
    assert [
        i["id"] for i in (await api.get(f"{V1}/incidents", key, state="open")).body["items"]
    ] == [opened.id]
    resolved = await api.get(f"{V1}/monitors/{mine.id}/incidents", key, state="resolved")
    assert [i["id"] for i in resolved.body["items"]] == [closed.id]
    assert len((await api.get(f"{V1}/incidents")).body["items"]) == 3  # admin
    assert (await api.get(f"{V1}/monitors/{theirs.id}/incidents", key)).status == 404


async def test_stats_are_the_numbers_of_the_shared_function(api) -> None:
    ann, key = await user_with_key(1)
    monitor = await monitor_of(ann)
    now = datetime.now(UTC)
    await record_results(
        [(monitor.id, ProbeResult(checked_at=now - timedelta(hours=n), ok=n % 4 != 0,
                                  latency_ms=10 * n)) for n in range(1, 30)]
    )  # fmt: skip
    for window in ("24h", "7d", "30d"):
        reply = await api.get(f"{V1}/monitors/{monitor.id}/stats", key, window=window)
        expected = await window_stats(monitor.id, window)
        assert reply.body["checks"] == expected.checks and reply.body["window"] == window
        assert reply.body["uptime"] == pytest.approx(expected.uptime)
        assert reply.body["p95_latency_ms"] == expected.p95_latency_ms
    assert (await api.get(f"{V1}/monitors/{monitor.id}/stats", key, window="1y")).status == 400


# --- maintenance ------------------------------------------------------------------------


async def test_maintenance_windows(api) -> None:
    ann, key = await user_with_key(1)
    bob = await User.create(telegram_id=2)
    monitor, theirs = await monitor_of(ann), await monitor_of(bob)
    now = datetime.now(UTC)
    one = await api.call("POST", f"{V1}/maintenance", key, {
        "monitor_id": monitor.id, "ends_at": (now + timedelta(hours=1)).isoformat(),
        "reason": "deploy <v2>"})  # fmt: skip
    assert one.status == 201, one.body
    assert one.body["active"] and one.body["monitor_id"] == monitor.id
    assert one.body["reason"] == "deploy <v2>"
    every = await api.call("POST", f"{V1}/maintenance", key, {
        "starts_at": (now + timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=1, hours=2)).isoformat()})  # fmt: skip
    assert every.status == 201 and every.body["monitor_id"] is None and not every.body["active"]
    listed = await api.get(f"{V1}/maintenance", key)
    assert [w["id"] for w in listed.body["items"]] == [every.body["id"], one.body["id"]]

    ended = await api.call("POST", f"{V1}/maintenance/{one.body['id']}/end", key)
    assert ended.status == 200 and not ended.body["active"]
    assert (await api.get(f"{V1}/maintenance", key, state="ended")).body["items"][0][
        "id"
    ] == one.body["id"]
    dropped = await api.call("POST", f"{V1}/maintenance/{every.body['id']}/end", key)
    assert dropped.status == 204
    assert not await MaintenanceWindow.filter(id=every.body["id"]).exists()
    gone = await api.call("DELETE", f"{V1}/maintenance/{one.body['id']}", key)
    assert gone.status == 204

    for body, code in (
        ({"monitor_id": theirs.id, "ends_at": "2030-01-01T00:00:00Z"}, "not_found"),
        ({"ends_at": "2030-01-01T00:00:00"}, "time_invalid"),
        ({"ends_at": "tomorrow"}, "time_invalid"),
        ({"starts_at": (now - timedelta(hours=2)).isoformat(),
          "ends_at": (now - timedelta(hours=1)).isoformat()}, "in_the_past"),
        ({"ends_at": (now - timedelta(hours=1)).isoformat()}, "ends_before_start"),
        ({"ends_at": (now + timedelta(seconds=20)).isoformat()}, "too_short"),
        ({"starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"},
         "ends_before_start"),
        ({"ends_at": "2031-01-01T00:00:00Z"}, "too_long"),
        ({}, "field_missing"),
    ):  # fmt: skip
        reply = await api.call("POST", f"{V1}/maintenance", key, body)
        assert reply.status in (404, 422) and reply.error["code"] == code, (body, reply.body)
    assert await MaintenanceWindow.all().count() == 0
    admin_all = await api.call(
        "POST", f"{V1}/maintenance", json_body={"ends_at": "2030-01-01T00:00:00Z"}
    )
    assert admin_all.status == 422 and "owner_telegram_id" in admin_all.error["fields"]


async def test_maintenance_beyond_a_year_or_over_the_cap_is_refused(api) -> None:
    ann, key = await user_with_key(1)
    monitor = await monitor_of(ann)
    now = datetime.now(UTC)
    far = now + MAX_AHEAD + timedelta(hours=1)
    for body, field in (
        ({"starts_at": "9000-12-30T00:00:00Z", "ends_at": "9000-12-31T00:00:00Z"}, "starts_at"),
        ({"starts_at": far.isoformat(), "ends_at": (far + timedelta(hours=1)).isoformat()},
         "starts_at"),
        ({"starts_at": (far - timedelta(days=1)).isoformat(), "ends_at": far.isoformat()},
         "ends_at"),
    ):  # fmt: skip
        reply = await api.call("POST", f"{V1}/maintenance", key, {"monitor_id": monitor.id, **body})
        assert reply.status == 422 and reply.error["code"] == "too_far_ahead", reply.body
        assert field in reply.error["fields"]
    assert await MaintenanceWindow.all().count() == 0

    # The cap counts windows that have not ended; ended ones do not count.
    await MaintenanceWindow.create(
        owner=ann, starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1)
    )
    await MaintenanceWindow.bulk_create(
        [
            MaintenanceWindow(
                owner=ann, starts_at=now + timedelta(days=1, hours=n),
                ends_at=now + timedelta(days=1, hours=n + 1),
            )
            for n in range(MAX_OPEN_WINDOWS)
        ]
    )  # fmt: skip
    body = {"ends_at": (now + timedelta(hours=1)).isoformat()}
    reply = await api.call("POST", f"{V1}/maintenance", key, body)
    assert reply.status == 409 and reply.error["code"] == "too_many_windows", reply.body
    assert str(MAX_OPEN_WINDOWS) in reply.error["message"]
    assert await MaintenanceWindow.all().count() == MAX_OPEN_WINDOWS + 1
    # Someone else is not affected by ann's windows.
    _bob, bob_key = await user_with_key(2)
    assert (await api.call("POST", f"{V1}/maintenance", bob_key, body)).status == 201


async def test_maintenance_lists_by_owner_and_state(api) -> None:
    ann, key = await user_with_key(1)
    bob = await User.create(telegram_id=2)
    now = datetime.now(UTC)
    ann_now = await create_window(ann, now, now + timedelta(hours=1))
    bob_now = await create_window(bob, now, now + timedelta(hours=1))
    bob_past = await create_window(bob, now - timedelta(hours=2), now + timedelta(hours=1))
    await end_window(bob_past)

    def ids(reply) -> list[int]:
        assert reply.status == 200, reply.body
        return [w["id"] for w in reply.body["items"]]

    assert ids(await api.get(f"{V1}/maintenance")) == [bob_now.id, ann_now.id]
    assert ids(await api.get(f"{V1}/maintenance", owner="2")) == [bob_now.id]
    assert ids(await api.get(f"{V1}/maintenance", owner="2", state="all")) == [
        bob_past.id, bob_now.id]  # fmt: skip
    assert ids(await api.get(f"{V1}/maintenance", owner="2", state="ended")) == [bob_past.id]
    assert ids(await api.get(f"{V1}/maintenance", state="all")) == [
        bob_past.id, bob_now.id, ann_now.id]  # fmt: skip
    assert ids(await api.get(f"{V1}/maintenance", key, state="all")) == [ann_now.id]
    forbidden = await api.get(f"{V1}/maintenance", key, owner="2")
    assert forbidden.status == 403 and forbidden.error["code"] == "admin_only"
    assert (await api.get(f"{V1}/maintenance", key, owner="1")).status == 403
    assert (await api.get(f"{V1}/maintenance", key, state="old")).status == 400


async def test_the_admin_opens_a_window_for_a_named_owner(api) -> None:
    ann = await User.create(telegram_id=5)
    ends_at = datetime.now(UTC) + timedelta(hours=1)
    made = await api.call(
        "POST", f"{V1}/maintenance",
        json_body={"owner_telegram_id": 5, "ends_at": ends_at.isoformat(), "reason": "r" * 300},
    )  # fmt: skip
    assert made.status == 201, made.body
    assert made.body["owner_telegram_id"] == 5 and made.body["monitor_id"] is None
    assert made.body["active"] and made.body["reason"] == "r" * MAX_REASON_LENGTH
    window = await MaintenanceWindow.get(id=made.body["id"])
    assert window.owner_id == ann.id and window.created_by_id == ann.id
    unknown = await api.call(
        "POST", f"{V1}/maintenance",
        json_body={"owner_telegram_id": 6, "ends_at": ends_at.isoformat()},
    )  # fmt: skip
    assert unknown.status == 422 and unknown.error["code"] == "owner_unknown"


# --- users ------------------------------------------------------------------------------


async def test_users_and_quotas(api) -> None:
    _ann, key = await user_with_key(1)
    for n in range(2, 5):
        await User.create(telegram_id=n)
    first = await api.get(f"{V1}/users", limit=2)
    second = await api.get(f"{V1}/users", limit=2, cursor=first.body["next_cursor"])
    ids = [u["telegram_id"] for u in first.body["items"] + second.body["items"]]
    assert ids == [1, 2, 3, 4] and second.body["next_cursor"] is None
    me = await api.get(f"{V1}/users/1", key)
    assert me.body["monitor_quota"] is None and me.body["effective_quota"] == 3
    set_quota = await api.call("PATCH", f"{V1}/users/1", json_body={"monitor_quota": 10})
    assert set_quota.status == 200 and set_quota.body["effective_quota"] == 10
    assert (await User.get(telegram_id=1)).monitor_quota == 10
    assert (await api.call("PATCH", f"{V1}/users/1", key, {"monitor_quota": 99})).status == 403
    for body in ({"monitor_quota": -1}, {"monitor_quota": "7"}, {"quota": 7}, {}):
        assert (await api.call("PATCH", f"{V1}/users/1", json_body=body)).status == 422, body
    assert (await User.get(telegram_id=1)).monitor_quota == 10
    assert (await api.get(f"{V1}/users/999")).status == 404


async def test_a_user_sets_its_own_time_zone(api) -> None:
    _ann, key = await user_with_key(1)
    await User.create(telegram_id=2)
    assert (await api.get(f"{V1}/users/1", key)).body["timezone"] == "UTC"
    berlin = await api.call("PATCH", f"{V1}/users/1", key, {"timezone": "europe/berlin"})
    assert berlin.status == 200 and berlin.body["timezone"] == "Europe/Berlin"
    offset = await api.call("PATCH", f"{V1}/users/1", key, {"timezone": "+5:30"})
    assert offset.body["timezone"] == "UTC+05:30"
    assert (await User.get(telegram_id=1)).timezone == "UTC+05:30"
    for body in ({"timezone": "Mars/Olympus"}, {"timezone": 3}, {"timezone": None}):
        refused = await api.call("PATCH", f"{V1}/users/1", key, body)
        assert refused.status == 422 and "timezone" in refused.body["error"]["fields"], body
    # All or nothing: a quota with a user key is refused, and the zone is not set either.
    both = await api.call(
        "PATCH", f"{V1}/users/1", key, {"timezone": "Asia/Tokyo", "monitor_quota": 5}
    )
    assert both.status == 403
    assert (await User.get(telegram_id=1)).timezone == "UTC+05:30"
    other = await api.call("PATCH", f"{V1}/users/2", key, {"timezone": "Asia/Tokyo"})
    assert other.status == 404
    admin = await api.call("PATCH", f"{V1}/users/2", json_body={"timezone": "Asia/Tokyo"})
    assert admin.status == 200 and (await User.get(telegram_id=2)).timezone == "Asia/Tokyo"
    # Times in the API stay ISO 8601 with an explicit zone, whatever the user's zone.
    assert admin.body["created_at"].endswith(("+00:00", "Z"))


# --- /metrics and /health ---------------------------------------------------------------


async def test_metrics_expose_the_counters_and_gauges(api) -> None:
    ann = await User.create(telegram_id=1)
    monitor = await monitor_of(ann, state=MonitorState.DOWN)
    await Incident.create(monitor=monitor, started_at=datetime.now(UTC), cause="dns")
    await record_results([(monitor.id, ProbeResult(checked_at=datetime.now(UTC), ok=False,
                                                   error_kind="dns"))])  # fmt: skip
    await queue(ann, monitor=monitor)  # an alert waiting for the outbox worker
    reply = await api.get("/metrics", None)
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/plain")
    text = reply.body
    assert 'uptime_monitors{state="down"} 1.0' in text
    assert "uptime_open_incidents 1.0" in text
    assert 'uptime_checks_total{result="dns"}' in text
    for name in ("uptime_check_latency_seconds", "uptime_scheduler_lag_seconds",
                 "uptime_outbox_backlog", "uptime_notifications_total"):  # fmt: skip
        assert name in text
    assert 'uptime_outbox_backlog{channel="telegram"} 1.0' in text


async def test_metrics_token_is_required_when_set(db, settings) -> None:
    guarded = settings.model_copy(update={"metrics_token": SecretStr("scrape-me")})
    async with serving(guarded) as client:
        assert (await client.get("/metrics", None)).status == 401
        wrong = await client.call("GET", "/metrics", None, headers={"Authorization": "Bearer no"})
        assert wrong.status == 401
        right = await client.call(
            "GET", "/metrics", None, headers={"Authorization": "Bearer scrape-me"}
        )
        assert right.status == 200 and "uptime_monitors" in right.body


async def test_unknown_api_paths_and_methods_answer_json(api) -> None:
    missing = await api.get(f"{V1}/nothing")
    assert missing.status == 404 and missing.error["code"] == "not_found"
    wrong_method = await api.call("PUT", f"{V1}/monitors")
    assert wrong_method.status == 405 and wrong_method.error["code"] == "method_not_allowed"
    assert (await api.get(f"{V1}/monitors/abc")).status == 404


async def test_the_chart_endpoint_serves_a_png(api) -> None:
    ann, key = await user_with_key(1)
    monitor = await monitor_of(ann)
    bob = await User.create(telegram_id=2)
    theirs = await monitor_of(bob)
    await record_results(
        [(monitor.id, ProbeResult(checked_at=datetime.now(UTC) - timedelta(minutes=n),
                                  ok=True, latency_ms=40 + n)) for n in range(1, 90)]
    )  # fmt: skip
    async with api.http.get(
        f"{api.base}{V1}/monitors/{monitor.id}/chart.png",
        params={"kind": "uptime", "window": "30d"},
        headers={"X-API-KEY": key, "Accept-Language": "es"},
    ) as resp:
        assert resp.status == 200 and resp.content_type == "image/png"
        png = await resp.read()
    assert png_size(png) == (800, 400)
    assert (await api.get(f"{V1}/monitors/{theirs.id}/chart.png", key)).status == 404
    bad = await api.get(f"{V1}/monitors/{monitor.id}/chart.png", key, kind="pie")
    assert bad.status == 400 and "kind" in bad.error["fields"]


async def test_the_chart_endpoint_draws_in_the_zone_asked_for(api, drawn_charts) -> None:
    drawn = drawn_charts
    ann, key = await user_with_key(1)
    monitor = await monitor_of(ann)
    await record_results([(monitor.id, ProbeResult(checked_at=datetime.now(UTC), ok=True))])
    path = f"{V1}/monitors/{monitor.id}/chart.png"

    async def status(**params: str) -> int:
        url, headers = f"{api.base}{path}", {"X-API-KEY": key}
        async with api.http.get(url, params=params, headers=headers) as resp:
            return resp.status

    assert await status(tz="Europe/Berlin") == 200
    assert drawn[-1].x_label == "Time (Europe/Berlin)"
    assert await status() == 200
    assert drawn[-1].x_label == "Time (UTC)"
    bad = await api.get(path, key, tz="Mars/Olympus")
    assert bad.status == 400 and "tz" in bad.error["fields"]


async def test_an_unexpected_failure_answers_json_500(api) -> None:
    """A real failure (the table is gone) is a logged 500 in the usual shape."""
    from db.connection import current_connection

    conn = current_connection()
    await conn.execute_script("ALTER TABLE incidents RENAME TO incidents_gone")
    try:
        reply = await api.get(f"{V1}/incidents")
    finally:
        await conn.execute_script("ALTER TABLE incidents_gone RENAME TO incidents")
    assert reply.status == 500 and reply.error["code"] == "internal"
    assert "incidents" not in reply.error["message"]  # details go to the log only
