"""The dns and ping kinds on the seam: created through the API (the creation rules, the
SSRF rule for a custom resolver and a ping host, refusals in the caller's language,
nothing saved), read back, run by the engine from its claim, shown on the card and
in the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from core.i18n import use_locale
from core.kinds.ping import ping_permitted
from core.monitor_rules import RuleError
from core.rule_texts import rule_text
from core.targets import is_ip_literal
from db.models import CheckLog, Monitor, User
from tests.support.api import ADMIN_KEY, serving
from tests.support.bot_harness import ADMIN
from tests.support.dns_server import TableResolver, dns_server
from tests.test_engine import on_manual_clock, run_for

V1 = "/api/v1"
ZONE = ["shop.test. 60 A 192.0.2.10", "shop.test. 60 MX 10 mx1.shop.test."]
NAMES = {"public.test": ["93.184.216.34"], "lan.test": ["10.0.0.53"]}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, TableResolver]]:
    with dns_server(ZONE) as address_and_table:
        yield address_and_table


@pytest.fixture
def strict(settings):
    """Private targets refused, except for the admin."""
    return settings.model_copy(
        update={
            "allow_private_targets": False,
            "admin_ids": frozenset({ADMIN}),
            "api_access_token": SecretStr(ADMIN_KEY),
        }
    )


async def _resolve(host: str, port: int) -> list[str]:
    """The creation rule's lookups: DNS is outside the machine, so names come from a table."""
    if is_ip_literal(host):
        return [host]
    if host not in NAMES:
        raise OSError("not found")
    return NAMES[host]


@pytest.fixture
async def api(db, strict, probe):
    async with serving(strict, probe, _resolve) as client:
        yield client


async def _user_key(telegram_id: int) -> str:
    from core.api_tokens import create_token

    _row, key = await create_token(await User.create(telegram_id=telegram_id))
    return key


async def test_the_admin_creates_dns_monitors_the_engine_runs_up_and_down(
    api, strict, targets, served
) -> None:
    address, table = served  # 127.0.0.1:port: private, so only the admin may use it
    await User.create(telegram_id=ADMIN)
    made = {}
    for name, expected in (("good", ["192.0.2.10"]), ("bad", ["192.0.2.99"])):
        reply = await api.call("POST", f"{V1}/monitors", json_body={
            "kind": "dns", "host": "SHOP.test.", "record_type": "a", "expected": expected,
            "resolver": address, "owner_telegram_id": ADMIN, "name": name})  # fmt: skip
        assert reply.status == 201, reply.body
        made[name] = reply.body
    body = made["good"]
    assert (body["kind"], body["host"], body["record_type"]) == ("dns", "shop.test", "A")
    assert body["expected"] == ["192.0.2.10"] and body["resolver"] == address
    assert body["url"] == f"dns://{address}/shop.test/A" and "port" not in body
    read = await api.get(f"{V1}/monitors/{body['id']}")
    assert read.status == 200 and read.body["expected"] == ["192.0.2.10"]

    start = datetime.now(UTC)
    await Monitor.all().update(next_check_at=start)  # due now, not after the first jitter
    async with on_manual_clock(strict, targets) as (engine, clock):
        await run_for(engine, clock, 2)
    good = await CheckLog.filter(monitor_id=made["good"]["id"]).order_by("checked_at")
    bad = await CheckLog.filter(monitor_id=made["bad"]["id"]).order_by("checked_at")
    assert good and all(log.ok for log in good) and good[0].checked_at >= start
    assert bad and not bad[0].ok and bad[0].error_kind == "unexpected_answer"
    assert "192.0.2.10" in bad[0].error_message  # what came back
    assert ("shop.test", "A") in table.queries


async def test_a_private_resolver_is_refused_for_a_user_and_nothing_is_saved(api, served) -> None:
    address, table = served
    table.queries.clear()
    key = await _user_key(7)
    for resolver in (address, "lan.test:53"):
        body = {"kind": "dns", "host": "shop.test", "record_type": "A", "resolver": resolver}
        reply = await api.call("POST", f"{V1}/monitors", key, body)
        assert reply.status == 422 and reply.error["code"] == "private_address", reply.body
        assert "resolver" in reply.error["fields"]
    assert await Monitor.all().count() == 0 and table.queries == []
    # The name looked up is never contacted: a public resolver may look up any name.
    reply = await api.call("POST", f"{V1}/monitors", key, {
        "kind": "dns", "host": "intranet.lan", "record_type": "A",
        "resolver": "public.test:5353"})  # fmt: skip
    assert reply.status == 201 and reply.body["url"] == "dns://public.test:5353/intranet.lan/A"


@pytest.mark.parametrize(
    ("fields", "code", "field", "params"),
    [
        ({"record_type": "XYZ"}, "record_type_invalid", "record_type",
         {"allowed": "A, AAAA, CNAME, MX, NS, TXT"}),
        ({"expected": [f"192.0.2.{n % 250}" for n in range(1000)]}, "expected_too_many",
         "expected", {"max": 20}),
        ({"resolver": "public.test:70000"}, "resolver_port", "resolver", {}),
        ({"record_type": "A", "expected": ["mx1.shop.test"]}, "expected_ipv4", "expected",
         {"value": "mx1.shop.test"}),
        ({"host": "2130706433"}, "url_numeric_host", "host", {}),
    ],
)  # fmt: skip
async def test_bad_dns_input_gets_a_translated_422_and_saves_nothing(
    api, fields, code, field, params
) -> None:
    key = await _user_key(7)
    body = {"kind": "dns", "host": "shop.test", "record_type": "MX", **fields}
    reply = await api.call("POST", f"{V1}/monitors", key, body, headers={"Accept-Language": "de"})
    assert reply.status == 422 and reply.error["code"] == code, reply.body
    assert field in reply.error["fields"]
    with use_locale("de"):
        assert reply.error["message"] == rule_text(RuleError(code, params))
    assert await Monitor.all().count() == 0


@pytest.mark.skipif(ping_permitted(), reason="this system allows unprivileged ICMP")
async def test_ping_creation_is_refused_where_the_system_forbids_it(api) -> None:
    key = await _user_key(7)
    body = {"kind": "ping", "host": "public.test"}
    reply = await api.call("POST", f"{V1}/monitors", key, body, headers={"Accept-Language": "ru"})
    assert reply.status == 422 and reply.error["code"] == "ping_not_permitted", reply.body
    with use_locale("ru"):
        assert reply.error["message"] == rule_text(RuleError("ping_not_permitted"))
    assert "ping_group_range" in reply.error["message"] and "Docker" in reply.error["message"]
    assert await Monitor.all().count() == 0


@pytest.mark.skipif(
    not ping_permitted(),
    reason="this system forbids unprivileged ICMP (net.ipv4.ping_group_range); "
    'allow it with sysctl -w net.ipv4.ping_group_range="0 2147483647"',
)
async def test_ping_monitors_are_created_where_the_system_allows_it(api) -> None:
    key = await _user_key(7)
    reply = await api.call("POST", f"{V1}/monitors", key, {"kind": "ping", "host": "public.test",
                           "count": 5, "max_loss_percent": 20})  # fmt: skip
    assert reply.status == 201, reply.body
    assert reply.body["url"] == "ping://public.test" and reply.body["count"] == 5
    private = await api.call("POST", f"{V1}/monitors", key, {"kind": "ping", "host": "lan.test"})
    assert private.status == 422 and private.error["code"] == "private_address"
    assert await Monitor.all().count() == 1


async def test_ping_input_rules_come_before_the_system_check(api) -> None:
    key = await _user_key(7)
    for fields, code in (({"count": 0}, "ping_count_range"), ({"count": 11}, "ping_count_range"),
                         ({"max_loss_percent": 101}, "ping_loss_range")):  # fmt: skip
        reply = await api.call("POST", f"{V1}/monitors", key,
                               {"kind": "ping", "host": "public.test", **fields})  # fmt: skip
        assert reply.status == 422 and reply.error["code"] == code, reply.body
    assert await Monitor.all().count() == 0


async def test_the_openapi_document_describes_dns_and_ping(api) -> None:
    doc = (await api.get(f"{V1}/openapi.json", None)).body
    variants = {
        v["properties"]["kind"]["const"]: v
        for v in doc["components"]["schemas"]["MonitorCreate"]["oneOf"]
    }
    dns, ping = variants["dns"], variants["ping"]
    assert set(dns["required"]) == {"kind", "host"}
    assert dns["properties"]["record_type"]["enum"] == ["A", "AAAA", "CNAME", "MX", "NS", "TXT"]
    assert "array" in str(dns["properties"]["expected"]) and "url" not in dns["properties"]
    assert set(ping["required"]) == {"kind", "host"}
    assert {"count", "max_loss_percent", "latency_threshold_ms"} <= set(ping["properties"])


async def test_the_card_shows_the_dns_and_ping_fields(db) -> None:
    from bot.render import monitor_card
    from core.i18n import i18n

    owner = await User.create(telegram_id=9)
    params = {"host": "shop.test", "record_type": "MX", "expected": ["mx1.shop.test"]}
    dns = await Monitor.create(
        owner=owner, name="mx", kind="dns", url="dns://shop.test/MX", params=params
    )
    ping = await Monitor.create(owner=owner, name="gw", kind="ping", url="ping://gw.test",
                                params={"host": "gw.test", "count": 4})  # fmt: skip
    with i18n.context(), i18n.use_locale("de"):
        dns_card, ping_card = monitor_card(dns, None), monitor_card(ping, None)
    assert "Host: shop.test" in dns_card and "Eintragstyp: MX" in dns_card
    assert "mx1.shop.test" in dns_card and "Resolver" not in dns_card
    assert "Host: gw.test" in ping_card and "Pings pro Prüfung: 4" in ping_card


def test_a_field_name_shared_by_kinds_has_one_json_type() -> None:
    """The API's first pass checks a field's JSON type before it knows the kind."""
    from core.kinds import KINDS

    types: dict[str, set] = {}
    for module in KINDS.values():
        for declared in module.FIELDS:
            types.setdefault(declared.name, set()).add(declared.schema.get("type"))
    assert {name: t for name, t in types.items() if len(t) > 1} == {}
    assert types["host"] == {"string"} and types["latency_threshold_ms"] == {"integer"}


async def test_a_dns_edit_is_held_to_the_creation_rules(api) -> None:
    key = await _user_key(7)
    created = await api.call("POST", f"{V1}/monitors", key, {"kind": "dns", "host": "shop.test",
                             "record_type": "AAAA", "expected": ["2001:DB8:0::10"]})  # fmt: skip
    assert created.status == 201 and created.body["expected"] == ["2001:db8::10"]
    path = f"{V1}/monitors/{created.body['id']}"
    for change, code, field in (
        ({"record_type": "MX"}, "expected_mx", "expected"),  # the kept values no longer fit
        ({"resolver": "lan.test"}, "private_address", "resolver"),
        ({"expected": ["192.0.2.10"]}, "expected_ipv6", "expected"),
    ):
        reply = await api.call("PATCH", path, key, change)
        assert reply.status == 422 and reply.error["code"] == code, reply.body
        assert field in reply.error["fields"]
    monitor = await Monitor.get(id=created.body["id"])
    assert monitor.params["record_type"] == "AAAA" and monitor.url == "dns://shop.test/AAAA"
    moved = await api.call("PATCH", path, key, {"record_type": "mx", "expected": ["MX1.shop.test."],
                           "resolver": "public.test"})  # fmt: skip
    assert moved.status == 200, moved.body
    assert (moved.body["record_type"], moved.body["expected"]) == ("MX", ["mx1.shop.test"])
    assert moved.body["url"] == "dns://public.test/shop.test/MX"


async def test_ping_creation_checks_the_hosts_addresses(api, monkeypatch) -> None:
    """The SSRF rule for a ping host at creation, wherever this machine forbids ICMP: the
    system's permission is the one thing taken as given here (the test above asks the
    real system)."""
    from core.kinds import ping

    monkeypatch.setattr(ping, "ping_permitted", lambda: True)
    key = await _user_key(7)
    for host, code in (("lan.test", "private_address"), ("10.1.2.3", "private_address"),
                       ("nowhere.test", "dns"), ("2130706433", "url_numeric_host")):  # fmt: skip
        reply = await api.call("POST", f"{V1}/monitors", key, {"kind": "ping", "host": host})
        assert reply.status == 422 and reply.error["code"] == code, (host, reply.body)
        assert "host" in reply.error["fields"]
    assert await Monitor.all().count() == 0
    made = await api.call("POST", f"{V1}/monitors", key, {"kind": "ping", "host": "public.test"})
    assert made.status == 201 and made.body["url"] == "ping://public.test"
    assert (made.body["count"], made.body["max_loss_percent"]) == (3, 0)
    assert made.body["latency_threshold_ms"] is None and made.body["name"] == "public.test"
