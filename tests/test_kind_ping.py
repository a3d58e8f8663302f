"""The ping kind: real ICMP echo to 127.0.0.1 where the system allows unprivileged ICMP,
the SSRF rule and DNS everywhere, and the judging of a remote host's replies.

A remote host's replies (or their absence) lie outside the machine: the judging tests
stand them in by replacing icmplib.async_ping with a function returning the Host that
icmplib would build from such replies, and the refusal of the OS by one raising
icmplib's SocketPermissionError.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import icmplib
import pytest

from core.clock import ManualClock
from core.i18n import LANGUAGES, use_locale
from core.kinds import ping as kind
from core.kinds.ping import (
    Spec,
    parse_count,
    parse_loss_percent,
    ping_permitted,
    require_ping_permitted,
)
from core.monitor_rules import RuleError
from core.probe import ErrorKind, Probe
from core.rule_texts import rule_text
from tests.support.dns import StaticResolver

START = datetime(2031, 5, 1, 12, 0, tzinfo=UTC)
GROUP_RANGE = Path("/proc/sys/net/ipv4/ping_group_range")


def _groups_allowed() -> bool:
    """What the kernel's rule says for this process: one of its groups in the range."""
    if not GROUP_RANGE.exists():
        return False
    low, high = (int(part) for part in GROUP_RANGE.read_text().split())
    return any(low <= gid <= high for gid in {os.getgid(), *os.getgroups()})


_RANGE = " ".join(GROUP_RANGE.read_text().split()) if GROUP_RANGE.exists() else "absent"
needs_icmp = pytest.mark.skipif(
    not ping_permitted(),
    reason="this system forbids unprivileged ICMP for this process's groups "
    f"(net.ipv4.ping_group_range is {_RANGE!r}); "
    'allow it with sysctl -w net.ipv4.ping_group_range="0 2147483647"',
)


@pytest.fixture
def probe() -> Probe:
    # 127.0.0.1 plays a public host; ping.test and lan.test are names only these tests know.
    names = StaticResolver({"ping.test": ["127.0.0.1"], "lan.test": ["10.0.0.1", "fd00::1"]})
    return Probe(resolver=names, is_public=lambda a: a == "127.0.0.1", clock=ManualClock(START))


@needs_icmp
@pytest.mark.parametrize("host", ["127.0.0.1", "ping.test"])
async def test_loopback_answers_real_echo_requests(probe: Probe, host: str) -> None:
    result = await probe.check(Spec(host, count=3, timeout=5.0))
    assert (result.ok, result.error_kind, result.error_message) == (True, None, None)
    assert result.checked_at == START
    assert result.latency_ms is not None and result.latency_ms >= 0


@needs_icmp
async def test_a_latency_threshold_under_the_round_trip_is_slow(probe: Probe) -> None:
    # No real round trip takes 0 ms or less; the rule (average over the threshold) is what
    # is tested here: creation never stores a threshold under 1 ms.
    result = await probe.check(Spec("127.0.0.1", count=2, latency_threshold_ms=0))
    assert (result.ok, result.error_kind) == (False, ErrorKind.SLOW)


def test_ping_permitted_follows_the_systems_group_range() -> None:
    assert ping_permitted() is _groups_allowed()


async def test_private_addresses_are_refused_before_any_packet(probe, monkeypatch) -> None:
    sent = []
    monkeypatch.setattr(icmplib, "async_ping", lambda *a, **k: sent.append(a))
    strict = Probe(clock=ManualClock(START))
    for host in ("127.0.0.1", "10.1.2.3", "::1", "169.254.169.254"):
        result = await strict.check(Spec(host))
        assert (result.ok, result.error_kind) == (False, ErrorKind.BLOCKED), host
    lan = await probe.check(Spec("lan.test"))
    assert lan.error_kind == ErrorKind.BLOCKED and "10.0.0.1" in lan.error_message
    numeric = await probe.check(Spec("2130706433", allow_private=True))
    assert numeric.error_kind == ErrorKind.BLOCKED  # a numeric address form, never resolved
    assert sent == []


async def test_a_host_that_does_not_resolve_is_a_dns_error(probe: Probe) -> None:
    result = await probe.check(Spec("nowhere.test"))
    assert (result.ok, result.error_kind) == (False, ErrorKind.DNS)
    assert "nowhere.test" in result.error_message


def _replies(rtts: list[float], sent: int, calls: list):
    """An async_ping standing in for a remote host that answered with `rtts`."""

    async def async_ping(address, **kwargs):
        calls.append((address, kwargs))
        return icmplib.Host(address, sent, rtts)

    return async_ping


@pytest.mark.parametrize(
    ("spec", "rtts", "sent", "error_kind", "latency"),
    [
        (Spec("ping.test"), [1.2, 1.4, 1.6], 3, None, 1),
        (Spec("ping.test"), [], 3, ErrorKind.UNREACHABLE, None),
        (Spec("ping.test", max_loss_percent=100), [], 3, ErrorKind.UNREACHABLE, None),
        (Spec("ping.test", count=4), [5.0, 5.0, 5.0], 4, ErrorKind.PACKET_LOSS, 5),
        (Spec("ping.test", count=4, max_loss_percent=25), [5.0, 5.0, 5.0], 4, None, 5),
        (
            Spec("ping.test", count=4, max_loss_percent=24),
            [5.0, 5.0, 5.0],
            4,
            ErrorKind.PACKET_LOSS,
            5,
        ),
        (Spec("ping.test", latency_threshold_ms=50), [40.0, 70.0, 60.0], 3, ErrorKind.SLOW, 57),
        (Spec("ping.test", latency_threshold_ms=60), [40.0, 70.0, 60.0], 3, None, 57),
    ],
)
async def test_replies_are_judged(probe, monkeypatch, spec, rtts, sent, error_kind, latency):
    calls: list = []
    monkeypatch.setattr(icmplib, "async_ping", _replies(rtts, sent, calls))
    result = await probe.check(spec)
    assert (result.ok, result.error_kind, result.latency_ms) == (
        error_kind is None,
        error_kind,
        latency,
    )
    assert (result.error_message is None) is (error_kind is None)
    [(address, kwargs)] = calls
    assert address == "127.0.0.1"  # the address resolved and checked, not the name again
    assert kwargs["privileged"] is False and kwargs["count"] == spec.count
    # Every request and its wait fit in the check's timeout.
    budget = (kwargs["count"] - 1) * kwargs["interval"] + kwargs["count"] * kwargs["timeout"]
    assert budget <= spec.timeout + 1e-9


async def test_an_os_refusing_unprivileged_icmp_is_ping_not_permitted(probe, monkeypatch):
    async def refused(address, **kwargs):
        raise icmplib.SocketPermissionError(privileged=False)

    monkeypatch.setattr(icmplib, "async_ping", refused)
    result = await probe.check(Spec("ping.test"))
    assert (result.ok, result.error_kind) == (False, ErrorKind.PING_NOT_PERMITTED)
    assert "net.ipv4.ping_group_range" in result.error_message


def test_creation_is_refused_where_ping_is_not_permitted(monkeypatch) -> None:
    class Refusing:
        def __init__(self, *args, **kwargs) -> None:
            raise icmplib.SocketPermissionError(privileged=False)

    monkeypatch.setattr(icmplib, "ICMPv4Socket", Refusing)
    ping_permitted.cache_clear()
    try:
        assert ping_permitted() is False
        with pytest.raises(RuleError) as refused:
            require_ping_permitted()
        assert refused.value.code == "ping_not_permitted"
    finally:
        ping_permitted.cache_clear()


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_refusal_says_how_to_allow_ping(lang: str) -> None:
    with use_locale(lang):
        text = rule_text(RuleError("ping_not_permitted"))
    assert 'sysctl -w net.ipv4.ping_group_range="0 2147483647"' in text
    assert '--sysctl net.ipv4.ping_group_range="0 2147483647"' in text


@pytest.mark.parametrize(("value", "count"), [(1, 1), ("3", 3), (" 10 ", 10)])
def test_counts_accepted(value, count: int) -> None:
    assert parse_count(value) == count


@pytest.mark.parametrize(
    "value", [0, 11, -1, "0", "11", "", "three", "３", "+3", "1_0", True, 2.5, None]
)
def test_counts_refused(value) -> None:
    with pytest.raises(RuleError) as refused:
        parse_count(value)
    assert (refused.value.code, refused.value.params) == ("ping_count_range", {"min": 1, "max": 10})


@pytest.mark.parametrize(("value", "percent"), [(0, 0), ("20", 20), ("20%", 20), (" 100 % ", 100)])
def test_loss_percentages_accepted(value, percent: int) -> None:
    assert parse_loss_percent(value) == percent


@pytest.mark.parametrize("value", [-1, 101, "101", "-5", "%", "half", "5.5", False, None])
def test_loss_percentages_refused(value) -> None:
    with pytest.raises(RuleError) as refused:
        parse_loss_percent(value)
    assert refused.value.code == "ping_loss_range"


@pytest.mark.parametrize(("value", "ms"), [(1, 1), ("250", 250), ("250ms", 250), (60_000, 60_000)])
def test_latency_thresholds_accepted(value, ms: int) -> None:
    assert kind.parse_latency_threshold(value) == ms


@pytest.mark.parametrize(
    ("value", "code"),
    [(0, "latency_range"), ("60001", "latency_range"), ("fast", "latency_invalid")],
)
def test_latency_thresholds_refused(value, code: str) -> None:
    with pytest.raises(RuleError) as refused:
        kind.parse_latency_threshold(value)
    assert refused.value.code == code


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize(
    "error",
    [
        RuleError("ping_count_range", {"min": 1, "max": 10}),
        RuleError("ping_loss_range", {"min": 0, "max": 100}),
    ],
    ids=lambda e: e.code,
)
def test_ping_refusals_have_their_own_words(lang: str, error: RuleError) -> None:
    with use_locale(lang):
        text = rule_text(error)
        generic = rule_text(RuleError("no_such_code"))
    assert text != generic and str(error.params["max"]) in text
