"""The tcp kind against real listeners on loopback: plain and TLS (certificates the
test makes), refused, timed out, blocked by the SSRF rule; its input rules in the API;
the engine running it from a claim like any check."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import trustme
from pydantic import SecretStr

from core.kinds import claim_columns, monitor_spec
from core.kinds.tcp import Spec
from core.probe import ErrorKind, Probe
from db.models import Monitor, User
from tests.support.api import ADMIN_KEY, serving
from tests.support.bot_harness import ADMIN
from tests.support.dns import StaticResolver
from tests.support.targets import TargetServers

V1 = "/api/v1"
RESOLVER = StaticResolver({"db.test": ["127.0.0.1"], "public.test": ["93.184.216.34"]})


@pytest.fixture
async def probe(targets: TargetServers) -> AsyncIterator[Probe]:
    p = Probe(ssl_context=targets.probe_ssl_context(), resolver=RESOLVER)
    await p.start()
    yield p
    await p.close()


async def _accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()


@pytest.fixture
async def listener() -> AsyncIterator[int]:
    server = await asyncio.start_server(_accept, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


async def _tls_listener(ca: trustme.CA, expires_in: timedelta) -> asyncio.Server:
    now = datetime.now(UTC)
    cert = ca.issue_cert("127.0.0.1", "localhost", not_before=now - timedelta(days=1),
                         not_after=now + expires_in)  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return await asyncio.start_server(_accept, "127.0.0.1", 0, ssl=context)


def spec(port: int, host: str = "127.0.0.1", **kw) -> Spec:
    kw.setdefault("allow_private", True)
    kw.setdefault("timeout", 5.0)
    return Spec(host=host, port=port, **kw)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_an_open_port_is_up_with_its_connect_time(probe: Probe, listener: int) -> None:
    result = await probe.check(spec(listener))
    assert result.ok and result.error_kind is None, result.error_message
    assert result.latency_ms is not None and result.connect_ms is not None
    assert result.tls_ms is None and result.cert_expires_at is None and result.status_code is None


async def test_a_name_is_resolved_and_timed(probe: Probe, listener: int) -> None:
    result = await probe.check(spec(listener, host="db.test"))
    assert result.ok, result.error_message
    assert result.dns_ms is not None


async def test_tls_is_verified_and_its_certificate_expiry_read(
    probe: Probe, targets: TargetServers
) -> None:
    server = await _tls_listener(targets.ca, timedelta(days=40))
    try:
        result = await probe.check(spec(server.sockets[0].getsockname()[1], tls=True))
    finally:
        server.close()
    assert result.ok, result.error_message
    assert result.tls_ms is not None and result.cert_expires_at is not None
    days = (result.cert_expires_at - datetime.now(UTC)) / timedelta(days=1)
    assert 39 < days <= 40


async def test_an_untrusted_certificate_is_tls_invalid(probe: Probe) -> None:
    server = await _tls_listener(trustme.CA(), timedelta(days=40))  # not the probe's CA
    try:
        result = await probe.check(spec(server.sockets[0].getsockname()[1], tls=True))
    finally:
        server.close()
    assert not result.ok and result.error_kind == ErrorKind.TLS_INVALID
    assert "certificate" in result.error_message


async def test_a_closed_port_is_refused(probe: Probe) -> None:
    result = await probe.check(spec(closed_port()))
    assert not result.ok and result.error_kind == ErrorKind.CONNECT_REFUSED


async def test_an_unknown_name_is_a_dns_failure(probe: Probe) -> None:
    result = await probe.check(spec(80, host="nowhere.test"))
    assert not result.ok and result.error_kind == ErrorKind.DNS


async def test_a_port_that_never_accepts_times_out(probe: Probe) -> None:
    """A listening socket whose backlog is full: Linux drops further SYNs, so a
    connection neither opens nor is refused until the timeout."""
    full = socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    port = full.getsockname()[1]
    queued = []
    try:
        for _ in range(8):  # more than the backlog can hold: the rest wait for SYN-ACK
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            queued.append(s)
        result = await probe.check(spec(port, timeout=0.5))
    finally:
        for s in queued:
            s.close()
        full.close()
    if result.error_kind == ErrorKind.CONNECT_REFUSED:  # pragma: no cover
        pytest.skip("this kernel refuses SYNs to a full backlog (tcp_abort_on_overflow)")
    assert not result.ok and result.error_kind == ErrorKind.CONNECT_TIMEOUT


async def test_private_addresses_are_blocked_after_dns_unless_allowed(
    probe: Probe, listener: int
) -> None:
    for host in ("127.0.0.1", "db.test"):
        result = await probe.check(spec(listener, host=host, allow_private=False))
        assert not result.ok and result.error_kind == ErrorKind.BLOCKED, host
    assert (await probe.check(spec(listener, host="db.test", allow_private=True))).ok


async def test_a_numeric_host_form_is_blocked_for_everyone(probe: Probe, listener: int) -> None:
    result = await probe.check(spec(listener, host="2130706433"))
    assert not result.ok and result.error_kind == ErrorKind.BLOCKED


# --- the seam ---------------------------------------------------------------------------


def test_the_claim_reads_every_declared_column_and_the_params() -> None:
    from db.claims import CLAIM_COLUMNS

    assert {"kind", "params", "url", "keyword"} <= set(CLAIM_COLUMNS)
    assert set(claim_columns()) <= set(CLAIM_COLUMNS)


async def test_a_tcp_monitor_is_claimed_and_checked_by_the_engine(
    db, settings, probe: Probe, listener: int
) -> None:
    from db.claims import claim_due

    owner = await User.create(telegram_id=5)
    now = datetime.now(UTC)
    monitor = await Monitor.create(owner=owner, name="db", kind="tcp", url="tcp://x",
                                   params={"host": "127.0.0.1", "port": listener, "tls": False},
                                   next_check_at=now)  # fmt: skip
    (claim,) = await claim_due(now + timedelta(seconds=1), now, 10)
    assert claim.kind == "tcp" and claim.values == {"host": "127.0.0.1", "port": listener,
                                                    "tls": False}  # fmt: skip
    assert claim.spec(True) == monitor_spec(monitor, True)
    assert (await probe.check(claim.spec(True))).ok


# --- the API ----------------------------------------------------------------------------


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
async def api(db, strict, probe):
    table = {"db.test": ["127.0.0.1"], "public.test": ["93.184.216.34"]}

    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("not found")
        return table[host]

    async with serving(strict, probe, resolve) as client:
        yield client


async def _user_key(telegram_id: int) -> str:
    from core.api_tokens import create_token

    _row, key = await create_token(await User.create(telegram_id=telegram_id))
    return key


async def test_the_api_creates_reads_and_patches_a_tcp_monitor(api) -> None:
    key = await _user_key(7)
    created = await api.call("POST", f"{V1}/monitors", key,
                             {"kind": "tcp", "host": "public.test", "port": 5432})  # fmt: skip
    assert created.status == 201, created.body
    body = created.body
    assert body["kind"] == "tcp" and body["host"] == "public.test" and body["port"] == 5432
    assert body["tls"] is False and body["url"] == "tcp://public.test:5432"
    assert "method" not in body and "keyword" not in body and body["name"] == "public.test"
    patched = await api.call("PATCH", f"{V1}/monitors/{body['id']}", key, {"port": 6432})
    assert patched.status == 200 and patched.body["port"] == 6432
    assert patched.body["url"] == "tcp://public.test:6432"
    same_kind = await api.call("PATCH", f"{V1}/monitors/{body['id']}", key, {"kind": "tcp"})
    assert same_kind.status == 200
    monitor = await Monitor.get(id=body["id"])
    assert monitor.kind == "tcp" and monitor.params == {"host": "public.test", "port": 6432,
                                                        "tls": False}  # fmt: skip


async def test_the_kind_cannot_change(api) -> None:
    key = await _user_key(7)
    created = await api.call("POST", f"{V1}/monitors", key,
                             {"kind": "tcp", "host": "public.test", "port": 22})  # fmt: skip
    reply = await api.call("PATCH", f"{V1}/monitors/{created.body['id']}", key, {"kind": "http"})
    assert reply.status == 422 and reply.error["code"] == "kind_immutable"
    assert "kind" in reply.error["fields"]
    assert (await Monitor.get(id=created.body["id"])).kind == "tcp"


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"host": "public.test", "port": 0}, "port_range", "port"),
        ({"host": "public.test", "port": 70000}, "port_range", "port"),
        ({"host": "public.test", "port": "٥٤٣٢"}, "field_type", "port"),
        ({"host": "", "port": 22}, "host_empty", "host"),
        ({"host": "a b", "port": 22}, "host_invalid", "host"),
        ({"host": "public.test"}, "field_missing", "port"),
        ({"host": "public.test", "port": 22, "url": "https://x.test/"}, "unknown_field", "url"),
        ({"host": "db.test", "port": 22}, "private_address", "host"),
        ({"host": "nowhere.test", "port": 22}, "dns", "host"),
    ],
)
async def test_bad_tcp_input_is_refused_and_saves_nothing(api, fields, code, field) -> None:
    key = await _user_key(7)
    reply = await api.call("POST", f"{V1}/monitors", key, {"kind": "tcp", **fields})
    assert reply.status == 422 and reply.error["code"] == code, reply.body
    assert field in reply.error["fields"]
    assert await Monitor.all().count() == 0


async def test_an_unknown_kind_is_refused(api) -> None:
    key = await _user_key(7)
    reply = await api.call("POST", f"{V1}/monitors", key, {"kind": "gopher", "host": "x"})
    assert reply.status == 422 and reply.error["code"] in ("kind_invalid", "unknown_field")
    assert await Monitor.all().count() == 0


async def test_the_openapi_monitor_schema_is_one_of_by_kind(api) -> None:
    doc = (await api.get(f"{V1}/openapi.json", None)).body
    schemas = doc["components"]["schemas"]
    kinds = [v["properties"]["kind"]["const"] for v in schemas["Monitor"]["oneOf"]]
    assert (
        kinds == ["http", "tcp", "dns", "ping", "push"]
        and schemas["Monitor"]["discriminator"]["propertyName"] == "kind"
    )
    tcp = next(v for v in schemas["MonitorCreate"]["oneOf"]
               if v["properties"]["kind"]["const"] == "tcp")  # fmt: skip
    assert set(tcp["required"]) == {"kind", "host", "port"}
    assert tcp["properties"]["port"] == {"type": "integer", "minimum": 1, "maximum": 65535}
    assert "url" not in tcp["properties"]


async def test_a_tcp_refusal_speaks_the_callers_language(api) -> None:
    from tests.support.bot_harness import tr

    key = await _user_key(7)
    reply = await api.call("POST", f"{V1}/monitors", key, {"kind": "tcp", "host": "x.test",
                           "port": 0}, headers={"Accept-Language": "de"})  # fmt: skip
    expected = tr("de", "The port must be a number from {min} to {max}.").format(min=1, max=65535)
    assert reply.error["message"] == expected and expected.startswith("Der Port")


async def test_the_card_shows_the_kinds_fields(db) -> None:
    from bot.render import monitor_card
    from core.i18n import i18n

    owner = await User.create(telegram_id=9)
    params = {"host": "db.test", "port": 5432, "tls": True}
    monitor = await Monitor.create(
        owner=owner, name="db", kind="tcp", url="tls://db.test:5432", params=params
    )
    with i18n.context(), i18n.use_locale("de"):
        card = monitor_card(monitor, None)
    assert "Host: db.test" in card and "Port: 5432" in card and "TLS: Ja" in card
