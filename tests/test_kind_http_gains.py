"""The http kind's added fields against real loopback targets: the JSON rule (a JMESPath
query, an operator, an expected value), upside-down checks, redirects not followed and
TLS errors ignored (with the certificate's expiry still read); and the same fields
through the API: created, changed, refused in the caller's language with nothing saved,
run by the engine from its claim."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import trustme
from pydantic import SecretStr

from core.i18n import use_locale
from core.kinds.http import Spec
from core.monitor_rules import RuleError
from core.probe import ErrorKind, Probe
from core.rule_texts import rule_text
from core.targets import is_ip_literal
from db.models import CheckLog, Monitor, User
from tests.support.api import ADMIN_KEY, serving
from tests.support.bot_harness import ADMIN
from tests.support.targets import HITS, Site, TargetServers
from tests.test_engine import on_manual_clock, run_for

V1 = "/api/v1"


@pytest.fixture
async def http(targets: TargetServers) -> Site:
    return await targets.http()


def spec(url: str, **kw) -> Spec:
    kw.setdefault("allow_private", True)
    kw.setdefault("timeout", 5.0)
    return Spec(url=url, **kw)


@pytest.mark.parametrize(
    ("query", "operator", "expected", "ok", "actual"),
    [
        ("status", None, None, True, None),  # unset operator, no value: exists
        ("missing", None, None, False, "missing gave nothing"),
        ("status", None, "ok", True, None),  # unset operator with a value: ==
        ("status", None, "down", False, "status is ok, expected == down"),
        ("status", "!=", "ok", False, "status is ok"),
        ("count", ">=", "42", True, None),
        ("count", "<", "10", False, "count is 42, expected < 10"),
        ("ratio", "==", "0.50", True, None),  # numbers compare as numbers
        ("flag", "==", "true", True, None),
        ("tags", "contains", "green", True, None),
        ("tags", "contains", "red", False, 'tags is ["blue", "green"]'),
        ("items[?id==`2`].name | [0]", "==", "second", True, None),
        ("status", "contains", "o", True, None),
        ("items[0].id", "exists", None, True, None),
        ("length(items)", ">", "5", False, "length(items) is 2"),
    ],
)
async def test_the_json_rule_passes_and_fails_on_a_real_json_answer(
    probe: Probe, http: Site, query, operator, expected, ok, actual
) -> None:
    rule = {"json_query": query, "json_operator": operator, "json_expected": expected}
    result = await probe.check(spec(http.url("/json"), **rule))
    assert result.ok is ok, result.error_message
    if ok:
        assert result.error_kind is None
    else:
        assert result.error_kind == ErrorKind.JSON_QUERY_FAILED
        assert actual in result.error_message  # the alert says what came back


async def test_a_body_that_is_not_json_fails_the_json_rule(probe: Probe, http: Site) -> None:
    result = await probe.check(spec(http.url("/ok"), json_query="status"))
    assert not result.ok and result.error_kind == ErrorKind.JSON_INVALID
    assert "not JSON" in result.error_message
    plain = await probe.check(spec(http.url("/ok")))  # without a JSON rule: fine
    assert plain.ok


async def test_the_json_rule_reads_at_most_one_mebibyte(probe: Probe, http: Site) -> None:
    result = await probe.check(spec(http.url("/huge?mb=3"), json_query="status"))
    assert not result.ok and result.error_kind == ErrorKind.BODY_TOO_LARGE


async def test_the_json_rule_and_a_keyword_both_hold(probe: Probe, http: Site) -> None:
    both = {"keyword": '"status"', "json_query": "count", "json_expected": "42"}
    assert (await probe.check(spec(http.url("/json"), **both))).ok
    wrong = await probe.check(spec(http.url("/json"), **both | {"json_expected": "43"}))
    assert wrong.error_kind == ErrorKind.JSON_QUERY_FAILED


async def test_upside_down_is_up_when_the_check_fails_and_down_when_it_succeeds(
    probe: Probe, http: Site
) -> None:
    failing = await probe.check(spec(http.url("/status/500"), upside_down=True))
    assert failing.ok and failing.error_kind is None and failing.status_code == 500
    refused = await probe.check(spec("http://127.0.0.1:9/", upside_down=True, timeout=2.0))
    assert refused.ok and refused.error_kind is None
    answering = await probe.check(spec(http.url("/ok"), upside_down=True))
    assert not answering.ok and answering.error_kind == ErrorKind.UNEXPECTED_UP
    assert "HTTP 200" in answering.error_message


async def test_upside_down_never_counts_a_refused_address_as_up(probe: Probe, http: Site) -> None:
    blocked = await probe.check(spec(http.url("/ok"), upside_down=True, allow_private=False))
    assert not blocked.ok and blocked.error_kind == ErrorKind.BLOCKED


async def test_redirects_are_judged_as_they_are_when_not_followed(
    probe: Probe, http: Site, targets: TargetServers
) -> None:
    hits = targets.app[HITS]
    followed = await probe.check(spec(http.url("/redirect/1")))
    assert followed.ok and followed.status_code == 200 and followed.final_url == http.url("/ok")
    assert hits.get("/ok") == 1
    kept = await probe.check(spec(http.url("/redirect/1"), follow_redirects=False))
    assert kept.ok and kept.status_code == 302 and kept.final_url is None
    assert hits.get("/ok") == 1  # the redirect was not followed
    strict = await probe.check(
        spec(http.url("/redirect/1"), follow_redirects=False, accepted_status_codes="200")
    )
    assert not strict.ok and strict.error_kind == ErrorKind.HTTP_STATUS


@pytest.mark.parametrize("days", [20, -3])
async def test_ignoring_tls_errors_still_reads_the_certificate_expiry(
    probe: Probe, targets: TargetServers, days: int
) -> None:
    site = await targets.https(ca=trustme.CA(), expires_in=timedelta(days=days))  # untrusted
    refused = await probe.check(spec(site.url("/ok")))
    assert not refused.ok and refused.error_kind == ErrorKind.TLS_INVALID
    ignored = await probe.check(spec(site.url("/ok"), ignore_tls_errors=True))
    assert ignored.ok and ignored.status_code == 200, ignored.error_message
    assert ignored.tls_ms is not None and ignored.cert_expires_at is not None
    left = (ignored.cert_expires_at - datetime.now(UTC)) / timedelta(days=1)
    assert days - 1 < left <= days
    trusted = await probe.check(spec(site.url("/ok")))  # the setting stays per check
    assert trusted.error_kind == ErrorKind.TLS_INVALID


# --- through the API -------------------------------------------------------------


async def _resolve(host: str, port: int) -> list[str]:
    """The creation rule's lookups: DNS is outside the machine, so names come from a table."""
    if is_ip_literal(host):
        return [host]
    return {"public.test": ["93.184.216.34"]}[host]


@pytest.fixture
def strict(settings):
    return settings.model_copy(
        update={
            "allow_private_targets": False,
            "admin_ids": frozenset({ADMIN}),
            "api_access_token": SecretStr(ADMIN_KEY),
        }
    )


@pytest.fixture
async def api(db, strict, probe) -> AsyncIterator:
    async with serving(strict, probe, _resolve) as client:
        yield client


async def _user_key(telegram_id: int) -> str:
    from core.api_tokens import create_token

    _row, key = await create_token(await User.create(telegram_id=telegram_id))
    return key


async def test_the_new_fields_are_created_read_and_changed_through_the_api(api) -> None:
    key = await _user_key(7)
    plain = await api.call("POST", f"{V1}/monitors", key, {"url": "http://public.test/"})
    assert plain.status == 201, plain.body
    body = plain.body
    assert (body["upside_down"], body["follow_redirects"], body["ignore_tls_errors"]) == (
        False,
        True,
        False,
    )
    assert body["json_query"] is None and body["json_operator"] is None
    reply = await api.call("POST", f"{V1}/monitors", key, {
        "url": "http://public.test/health", "json_query": " data.status ",
        "json_operator": "CONTAINS", "json_expected": "ok", "upside_down": True,
        "follow_redirects": False, "ignore_tls_errors": True})  # fmt: skip
    assert reply.status == 201, reply.body
    made = reply.body
    assert (made["json_query"], made["json_operator"], made["json_expected"]) == (
        "data.status",
        "contains",
        "ok",
    )
    assert made["upside_down"] and not made["follow_redirects"] and made["ignore_tls_errors"]
    patched = await api.call("PATCH", f"{V1}/monitors/{made['id']}", key, {
        "json_operator": None, "json_expected": "42", "upside_down": False})  # fmt: skip
    assert patched.status == 200, patched.body
    read = (await api.get(f"{V1}/monitors/{made['id']}", key)).body
    assert read["json_operator"] is None and read["json_expected"] == "42"
    assert read["json_query"] == "data.status" and read["upside_down"] is False
    stored = await Monitor.get(id=made["id"])
    assert stored.params["json_expected"] == "42" and stored.params["follow_redirects"] is False


@pytest.mark.parametrize(
    ("fields", "code", "field", "params"),
    [
        ({"json_query": "data[?"}, "json_query_invalid", "json_query", {}),
        ({"json_query": "a." * 200}, "json_query_too_long", "json_query", {"max": 256}),
        ({"json_query": "   "}, "json_query_empty", "json_query", {}),
        ({"json_operator": "~="}, "json_operator_invalid", "json_operator",
         {"allowed": "==, !=, <, <=, >, >=, contains, exists"}),
        ({"json_expected": "x" * 1025}, "json_expected_too_long", "json_expected", {"max": 1024}),
        ({"json_expected": "ok\r\nX: 1"}, "json_expected_invalid", "json_expected", {}),
    ],
)  # fmt: skip
async def test_bad_http_input_gets_a_translated_422_and_saves_nothing(
    api, fields, code, field, params
) -> None:
    key = await _user_key(7)
    body = {"url": "http://public.test/", **fields}
    for lang in ("de", "ru"):
        reply = await api.call(
            "POST", f"{V1}/monitors", key, body, headers={"Accept-Language": lang}
        )
        assert reply.status == 422 and reply.error["code"] == code, reply.body
        assert field in reply.error["fields"]
        with use_locale(lang):
            assert reply.error["message"] == rule_text(RuleError(code, params))
    assert await Monitor.all().count() == 0
    made = await api.call("POST", f"{V1}/monitors", key, {"url": "http://public.test/"})
    before = (await Monitor.get(id=made.body["id"])).params
    patched = await api.call("PATCH", f"{V1}/monitors/{made.body['id']}", key, fields)
    assert patched.status == 422 and patched.error["code"] == code
    assert (await Monitor.get(id=made.body["id"])).params == before


async def test_a_non_boolean_switch_is_refused(api) -> None:
    key = await _user_key(7)
    for value in ("maybe", 3):
        reply = await api.call(
            "POST", f"{V1}/monitors", key, {"url": "http://public.test/", "upside_down": value}
        )
        assert reply.status == 422 and reply.error["code"] == "field_type", reply.body
        assert list(reply.error["fields"]) == ["upside_down"]
    assert await Monitor.all().count() == 0


async def test_the_engine_runs_the_new_fields_from_its_claim(api, strict, targets) -> None:
    site = await targets.http()  # 127.0.0.1: private, so the admin creates the monitors
    await User.create(telegram_id=ADMIN)
    made = {}
    for name, fields in (
        ("json ok", {"url": site.url("/json"), "json_query": "count", "json_operator": ">",
                     "json_expected": "40"}),
        ("json bad", {"url": site.url("/json"), "json_query": "status", "json_expected": "down"}),
        ("must stay down", {"url": site.url("/status/503"), "upside_down": True}),
        ("redirect kept", {"url": site.url("/redirect/1"), "follow_redirects": False,
                           "accepted_status_codes": "302"}),
    ):  # fmt: skip
        reply = await api.call(
            "POST",
            f"{V1}/monitors",
            ADMIN_KEY,
            {**fields, "name": name, "owner_telegram_id": ADMIN},
        )
        assert reply.status == 201, reply.body
        made[name] = reply.body["id"]
    await Monitor.all().update(next_check_at=datetime.now(UTC))
    async with on_manual_clock(strict, targets) as (engine, clock):
        await run_for(engine, clock, 2)
    logs = {
        name: await CheckLog.filter(monitor_id=monitor_id).order_by("checked_at")
        for name, monitor_id in made.items()
    }
    assert logs["json ok"] and all(log.ok for log in logs["json ok"])
    bad = logs["json bad"]
    assert bad and not bad[0].ok and bad[0].error_kind == "json_query_failed"
    assert "status is ok" in bad[0].error_message
    assert logs["must stay down"] and all(log.ok for log in logs["must stay down"])
    kept = logs["redirect kept"]
    assert kept and kept[0].ok and kept[0].status_code == 302


# --- what the request carries: headers, a body with its content type, credentials ---


@pytest.mark.parametrize(
    ("fields", "query", "expected"),
    [
        ({"headers": {"X-Probe": "yes", "Accept": "application/json"}},
         'headers."X-Probe"', "yes"),
        ({"headers": {"Accept": "application/json"}}, "headers.Accept", "application/json"),
        ({"auth_type": "basic", "auth_secret": "user:pw"}, "headers.Authorization",
         "Basic dXNlcjpwdw=="),
        ({"auth_type": "bearer", "auth_secret": "t0ken", "headers": {"Authorization": "x"}},
         "headers.Authorization", "Bearer t0ken"),
        ({"method": "POST", "body": '{"a": 1}', "content_type": "application/json"},
         'headers."Content-Type"', "application/json"),
        ({"method": "POST", "body": '{"a": 1}', "content_type": "application/json"},
         "body", '{"a": 1}'),
        ({"method": "POST", "body": "x=1", "content_type": "text/plain",
          "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
         'headers."Content-Type"', "application/x-www-form-urlencoded"),
    ],
)  # fmt: skip
async def test_the_request_carries_headers_body_and_credentials(
    probe: Probe, http: Site, fields, query, expected
) -> None:
    """/echo answers with what it received; the JSON rule reads it back."""
    result = await probe.check(
        spec(http.url("/echo"), json_query=query, json_expected=expected, **fields)
    )
    assert result.ok, result.error_message


async def test_credentials_are_write_only_through_the_api(api) -> None:
    key = await _user_key(7)
    reply = await api.call("POST", f"{V1}/monitors", key, {
        "url": "http://public.test/", "method": "POST", "headers": {"X-Team": "ops"},
        "body": '{"ping": true}', "content_type": "application/json",
        "auth_type": "bearer", "auth_secret": "s3cret-token"})  # fmt: skip
    assert reply.status == 201, reply.body
    made = reply.body
    assert made["headers"] == {"X-Team": "ops"} and made["body"] == '{"ping": true}'
    assert made["content_type"] == "application/json" and made["auth_type"] == "bearer"
    assert made["auth_secret_set"] is True and "auth_secret" not in made
    read = await api.get(f"{V1}/monitors/{made['id']}", key)
    assert "s3cret-token" not in str(read.body) and read.body["auth_secret_set"] is True
    listed = await api.get(f"{V1}/monitors", key)
    assert "s3cret-token" not in str(listed.body)
    cleared = await api.call("PATCH", f"{V1}/monitors/{made['id']}", key, {
        "auth_secret": None, "headers": {}})  # fmt: skip
    assert cleared.status == 200, cleared.body
    assert cleared.body["auth_secret_set"] is False and cleared.body["headers"] == {}


@pytest.mark.parametrize(
    ("fields", "code", "field", "params"),
    [
        ({"headers": {"X-A": "a\r\nX-Injected: 1"}}, "header_value_invalid", "headers",
         {"name": "X-A"}),
        ({"headers": {f"X-{n}": "v" for n in range(21)}}, "headers_too_many", "headers",
         {"max": 20}),
        ({"headers": {"Host": "intranet"}}, "header_forbidden", "headers", {"name": "Host"}),
        ({"headers": {"Transfer-Encoding": "chunked"}}, "header_forbidden", "headers",
         {"name": "Transfer-Encoding"}),
        ({"headers": {"Bad Name": "v"}}, "header_name_invalid", "headers", {"name": "Bad Name"}),
        ({"headers": {"X-Big": "v" * 1025}}, "header_value_too_long", "headers",
         {"name": "X-Big", "max": 1024}),
        ({"headers": {"X-N": 5}}, "field_type", "headers", None),
        ({"auth_secret": "x" * 1025}, "auth_secret_too_long", "auth_secret", {"max": 1024}),
        ({"auth_secret": "user:pw\r\n"}, "auth_secret_invalid", "auth_secret", {}),
        ({"auth_type": "digest"}, "auth_type_invalid", "auth_type",
         {"allowed": "basic, bearer"}),
        ({"content_type": "json\nX: 1"}, "content_type_invalid", "content_type", {}),
        ({"body": "x" * (16 * 1024 + 1)}, "body_too_long", "body", {"max": 16384}),
    ],
)  # fmt: skip
async def test_bad_request_settings_get_a_translated_422_and_save_nothing(
    api, fields, code, field, params
) -> None:
    key = await _user_key(7)
    body = {"url": "http://public.test/", **fields}
    reply = await api.call("POST", f"{V1}/monitors", key, body, headers={"Accept-Language": "es"})
    assert reply.status == 422 and reply.error["code"] == code, reply.body
    assert field in reply.error["fields"]
    if params is not None:
        with use_locale("es"):
            assert reply.error["message"] == rule_text(RuleError(code, params))
    assert await Monitor.all().count() == 0
