"""The dns kind against a real DNS server on loopback (tests/support/dns_server.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from core.clock import ManualClock
from core.i18n import LANGUAGES, use_locale
from core.kinds import dns as kind
from core.kinds.dns import Spec, parse_expected, parse_record_type, parse_resolver
from core.kinds.hosts import parse_host
from core.monitor_rules import RuleError
from core.probe import ErrorKind, Probe
from core.rule_texts import rule_text
from tests.support.dns import StaticResolver
from tests.support.dns_server import TableResolver, dns_server, silent_server

ZONE = [
    "shop.test. 60 A 192.0.2.10",
    "shop.test. 60 A 192.0.2.11",
    "shop.test. 60 AAAA 2001:db8::10",
    "shop.test. 60 MX 10 mx1.shop.test.",
    "shop.test. 60 MX 20 MX2.Shop.Test.",
    "shop.test. 60 NS ns1.shop.test.",
    'shop.test. 60 TXT "v=spf1 include:_spf.shop.test " "-all"',
    'shop.test. 60 TXT "site-verification=abc123"',
    "www.shop.test. 60 CNAME Edge.CDN.test.",
    "edge.cdn.test. 60 A 192.0.2.20",
    "mailonly.test. 60 MX 10 mx1.shop.test.",
] + [f'big.test. 60 TXT "{"x" * 200}-{n}"' for n in range(10)]
START = datetime(2031, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, TableResolver]]:
    with dns_server(ZONE, failing=("broken.test",)) as address_and_table:
        yield address_and_table


@pytest.fixture
def server(served: tuple[str, TableResolver]) -> tuple[str, TableResolver]:
    served[1].queries.clear()
    return served


@pytest.fixture
def probe() -> Probe:
    return Probe(clock=ManualClock(START))


def spec(resolver: str, host: str, record_type: str, *expected: str, **kw) -> Spec:
    kw.setdefault("allow_private", True)
    kw.setdefault("timeout", 5.0)
    return Spec(host, record_type, tuple(expected), resolver=resolver, **kw)


PASSING = [
    ("shop.test", "A", ()),
    ("shop.test", "A", ("192.0.2.10",)),
    ("shop.test", "A", ("192.0.2.11", "192.0.2.10")),  # order-insensitive
    ("shop.test", "AAAA", ("2001:DB8:0::10",)),  # the address's standard form
    ("www.shop.test", "CNAME", ("EDGE.cdn.test.",)),  # case and the final dot
    ("www.shop.test", "A", ("192.0.2.20",)),  # through the CNAME
    ("shop.test", "NS", ("ns1.shop.test",)),
    ("shop.test", "MX", ("mx1.shop.test", "mx2.shop.test")),  # exchange, any preference
    ("shop.test", "MX", ("10 mx1.shop.test", "20 mx2.shop.test.")),  # preference too
    ("shop.test", "TXT", ("v=spf1 include:_spf.shop.test -all",)),  # strings joined
    ("shop.test", "TXT", ("site-verification=abc123",)),
    ("SHOP.test.", "A", ("192.0.2.10",)),
]


@pytest.mark.parametrize(("host", "record_type", "expected"), PASSING)
async def test_an_answer_holding_every_expected_value_is_up(
    server, probe: Probe, host: str, record_type: str, expected: tuple[str, ...]
) -> None:
    address, _table = server
    result = await probe.check(spec(address, host, record_type, *expected))
    assert (result.ok, result.error_kind, result.error_message) == (True, None, None)
    assert result.checked_at == START  # the probe's clock dates the check
    assert result.latency_ms is not None and result.latency_ms >= 0


FAILING = [
    ("shop.test", "A", ("192.0.2.10", "192.0.2.99"), "192.0.2.99"),  # one missing
    ("shop.test", "AAAA", ("2001:db8::11",), "2001:db8::11"),
    ("www.shop.test", "CNAME", ("other.cdn.test",), "edge.cdn.test"),
    ("shop.test", "MX", ("20 mx1.shop.test",), "10 mx1.shop.test"),  # wrong preference
    ("shop.test", "MX", ("mx3.shop.test",), "20 mx2.shop.test"),
    ("shop.test", "NS", ("ns2.shop.test",), "ns1.shop.test"),
    ("shop.test", "TXT", ("SITE-VERIFICATION=ABC123",), "site-verification=abc123"),  # TXT: exact
    ("shop.test", "TXT", ("v=spf1",), "v=spf1 include:_spf.shop.test -all"),  # whole value
]


@pytest.mark.parametrize(("host", "record_type", "expected", "answer"), FAILING)
async def test_an_answer_lacking_an_expected_value_is_unexpected(
    server, probe: Probe, host: str, record_type: str, expected: tuple[str, ...], answer: str
) -> None:
    address, _table = server
    result = await probe.check(spec(address, host, record_type, *expected))
    assert not result.ok
    assert result.error_kind == ErrorKind.UNEXPECTED_ANSWER
    assert answer in result.error_message  # the alert shows what came back


async def test_a_long_answer_is_cut_in_the_message(server, probe: Probe) -> None:
    address, _table = server
    result = await probe.check(spec(address, "big.test", "TXT", "missing"))
    assert result.error_kind == ErrorKind.UNEXPECTED_ANSWER
    assert len(result.error_message) <= 500 and result.error_message.endswith("…")


@pytest.mark.parametrize(
    ("host", "record_type", "error_kind"),
    [
        ("nothing.test", "A", ErrorKind.NXDOMAIN),
        ("mailonly.test", "A", ErrorKind.NO_ANSWER),
        ("shop.test", "CNAME", ErrorKind.NO_ANSWER),
        ("broken.test", "A", ErrorKind.DNS),  # SERVFAIL
    ],
)
async def test_errors_of_the_answer(
    server, probe: Probe, host: str, record_type: str, error_kind: ErrorKind
) -> None:
    address, _table = server
    result = await probe.check(spec(address, host, record_type))
    assert (result.ok, result.error_kind) == (False, error_kind)
    assert host in result.error_message or "SERVFAIL" in result.error_message


async def test_a_resolver_that_never_answers_is_a_timeout(probe: Probe) -> None:
    with silent_server() as address:
        result = await probe.check(spec(address, "shop.test", "A", timeout=0.3))
    assert (result.ok, result.error_kind) == (False, ErrorKind.TIMEOUT)
    assert result.latency_ms is not None and result.latency_ms >= 300


async def test_a_private_resolver_is_refused_unless_allowed(server, probe: Probe) -> None:
    address, table = server
    refused = await probe.check(spec(address, "shop.test", "A", allow_private=False))
    assert (refused.ok, refused.error_kind) == (False, ErrorKind.BLOCKED)
    assert "127.0.0.1" in refused.error_message
    assert table.queries == []  # refused before a packet went out
    allowed = await probe.check(spec(address, "shop.test", "A", allow_private=True))
    assert allowed.ok and table.queries == [("shop.test", "A")]


async def test_a_resolver_named_by_host_is_resolved_and_each_address_checked(server) -> None:
    address, table = server
    port = address.rpartition(":")[2]
    names = StaticResolver(
        {"dns.test": ["127.0.0.1"], "mixed.test": ["127.0.0.1"], "lan.test": ["10.0.0.53"]}
    )
    # 127.0.0.1 plays a public address here; 10.0.0.53 stays private.
    probe = Probe(resolver=names, is_public=lambda a: a == "127.0.0.1")
    ok = await probe.check(spec(f"dns.test:{port}", "shop.test", "A", allow_private=False))
    assert ok.ok and table.queries == [("shop.test", "A")]
    blocked = await probe.check(spec(f"lan.test:{port}", "shop.test", "A", allow_private=False))
    assert blocked.error_kind == ErrorKind.BLOCKED and "10.0.0.53" in blocked.error_message
    unknown = await probe.check(spec(f"nowhere.test:{port}", "shop.test", "A"))
    assert unknown.error_kind == ErrorKind.DNS and "nowhere.test" in unknown.error_message
    numeric = await probe.check(spec(f"2130706433:{port}", "shop.test", "A"))
    assert numeric.error_kind == ErrorKind.BLOCKED  # a numeric address form, never resolved
    assert len(table.queries) == 1


# --- Input rules ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("A", "A"),
        ("aaaa", "AAAA"),
        (" cname ", "CNAME"),
        ("Mx", "MX"),
        ("ns", "NS"),
        ("TXT", "TXT"),
    ],
)
def test_record_types_accepted(text: str, value: str) -> None:
    assert parse_record_type(text) == value


@pytest.mark.parametrize("text", ["", "PTR", "SRV", "A AAAA", "ANY", "А", None, 1])
def test_record_types_refused(text) -> None:
    with pytest.raises(RuleError) as refused:
        parse_record_type(text)
    assert refused.value.code == "record_type_invalid"
    assert "CNAME" in refused.value.params["allowed"]


@pytest.mark.parametrize(
    ("value", "record_type", "expected"),
    [
        (None, "A", ()),
        ([], "A", ()),
        ("", "TXT", ()),
        (["192.0.2.1", " 192.0.2.2 ", "192.0.2.1"], "A", ("192.0.2.1", "192.0.2.2")),
        ("192.0.2.1, 192.0.2.2\n192.0.2.3", "A", ("192.0.2.1", "192.0.2.2", "192.0.2.3")),
        (["2001:DB8:0::1", "[::1]"], "AAAA", ("2001:db8::1", "::1")),
        (["Edge.CDN.test.", "bücher.test"], "CNAME", ("edge.cdn.test", "xn--bcher-kva.test")),
        ("10 MX1.shop.test., mx2.shop.test", "MX", ("10 mx1.shop.test", "mx2.shop.test")),
        (["010 mx.test"], "MX", ("10 mx.test",)),
        ("v=spf1 a, mx -all\nkey=Value", "TXT", ("v=spf1 a, mx -all", "key=Value")),
        (["x" * 255] * 20, "TXT", ("x" * 255,)),
    ],
)
def test_expected_values_accepted(value, record_type: str, expected: tuple[str, ...]) -> None:
    assert parse_expected(value, record_type) == expected


@pytest.mark.parametrize(
    ("value", "record_type", "code"),
    [
        (["192.0.2.1"] * 1000, "A", "expected_too_many"),
        ([str(n) for n in range(21)], "TXT", "expected_too_many"),
        (["x" * 256], "TXT", "expected_too_long"),
        (["bad\x00value"], "TXT", "expected_invalid"),
        (["line\nbreak"], "TXT", "expected_invalid"),
        (["\u202emoc.knab"], "TXT", "expected_invalid"),
        ([1], "A", "expected_invalid"),
        ({"a": 1}, "A", "expected_invalid"),
        (["192.0.2.300"], "A", "expected_ipv4"),
        (["2001:db8::1"], "A", "expected_ipv4"),
        (["192.0.2.1"], "AAAA", "expected_ipv6"),
        (["192.0.2.1"], "CNAME", "expected_name"),
        (["bad..name"], "NS", "expected_name"),
        (["ten mx.test"], "MX", "expected_mx"),
        (["70000 mx.test"], "MX", "expected_mx"),
        (["10 mx.test extra"], "MX", "expected_mx"),
    ],
)
def test_expected_values_refused(value, record_type: str, code: str) -> None:
    with pytest.raises(RuleError) as refused:
        parse_expected(value, record_type)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (None, None),
        ("  ", None),
        ("1.1.1.1", "1.1.1.1"),
        ("1.1.1.1:5353", "1.1.1.1:5353"),
        ("[2606:4700:4700::1111]:53", "[2606:4700:4700::1111]:53"),
        ("[2606:4700:4700::1111]", "[2606:4700:4700::1111]"),
        ("2606:4700:4700::1111", "[2606:4700:4700::1111]"),
        ("DNS.Example.com.:65535", "dns.example.com:65535"),
    ],
)
def test_resolvers_accepted(text, value) -> None:
    assert parse_resolver(text) == value


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1.1.1.1:0", "resolver_port"),
        ("1.1.1.1:70000", "resolver_port"),
        ("1.1.1.1:５３", "resolver_port"),
        ("1.1.1.1:+53", "resolver_port"),
        ("1.1.1.1:", "resolver_port"),
        ("[2606:4700::1111", "resolver_invalid"),
        ("[2606:4700::1111]53", "resolver_invalid"),
        ("[dns.test]:53", "resolver_invalid"),
        (":53", "resolver_invalid"),
        ("bad host:53", "resolver_invalid"),
        ("a:b:c", "resolver_invalid"),
        ("16843009:53", "url_numeric_host"),
        (53, "resolver_invalid"),
    ],
)
def test_resolvers_refused(text, code: str) -> None:
    with pytest.raises(RuleError) as refused:
        parse_resolver(text)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Example.COM.", "example.com"),
        ("_dmarc.example.com", "_dmarc.example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("192.0.2.1", "192.0.2.1"),
        ("[2001:DB8::1]", "2001:db8::1"),
        ("a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 61, None),
    ],
)
def test_hosts_accepted(text: str, value: str | None) -> None:
    assert parse_host(text) == (value or text)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "host_empty"),
        ("   ", "host_empty"),
        (None, "host_empty"),
        ("a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 62, "host_too_long"),
        ("a" * 64 + ".test", "host_invalid"),
        ("bad..name", "host_invalid"),
        ("bad name.test", "host_invalid"),
        ("host.test/path", "host_invalid"),
        ("http://host.test", "host_invalid"),
        (".", "host_invalid"),
        ("16843009", "url_numeric_host"),
        ("0x7f000001", "url_numeric_host"),
        ("127.1", "url_numeric_host"),
    ],
)
def test_hosts_refused(text, code: str) -> None:
    with pytest.raises(RuleError) as refused:
        parse_host(text)
    assert refused.value.code == code


CODES = [
    RuleError("record_type_invalid", {"allowed": ", ".join(kind.RECORD_TYPES)}),
    RuleError("expected_too_many", {"max": kind.MAX_EXPECTED}),
    RuleError("expected_too_long", {"max": kind.MAX_EXPECTED_LENGTH}),
    RuleError("expected_invalid"),
    RuleError("expected_ipv4", {"value": "x"}),
    RuleError("expected_ipv6", {"value": "x"}),
    RuleError("expected_name", {"value": "x"}),
    RuleError("expected_mx", {"value": "x"}),
    RuleError("resolver_invalid"),
    RuleError("resolver_port"),
    RuleError("host_empty"),
    RuleError("host_invalid"),
    RuleError("host_too_long", {"max": 253}),
]


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("error", CODES, ids=lambda e: e.code)
def test_every_refusal_has_its_own_words_in_every_language(lang: str, error: RuleError) -> None:
    with use_locale(lang):
        text = rule_text(error)
        generic = rule_text(RuleError("no_such_code"))
    assert text and text != generic
    assert "{" not in text
