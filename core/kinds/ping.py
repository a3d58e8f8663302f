"""The ping kind: ICMP echo requests through icmplib in unprivileged mode.

Unprivileged ICMP ("ping sockets", SOCK_DGRAM with IPPROTO_ICMP) needs no root and no
CAP_NET_RAW, but Linux lets only the groups in `net.ipv4.ping_group_range` open them;
the default range "1 0" lets nobody in, root included. Where they are forbidden a ping
monitor cannot work, so `ping_permitted()` tells the front ends to refuse creating one
(`require_ping_permitted`), and a check that meets the refusal anyway (the setting
changed after creation) is `ping_not_permitted`, not a host failure.

The host passes the SSRF rule of every target: at creation (core.targets.check_address)
and at every check through the probe's resolver and guard (Probe.resolve); the address
found is the one pinged. Echo requests go out `interval` apart and each
waits for its reply, both sized so that the whole check fits in the timeout. Down when
no reply comes back (`unreachable`), when more are lost than allowed (`packet_loss`), or
when the average round trip is over the latency threshold (`slow`); latency is that
average.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import icmplib

from core.i18n import __
from core.kinds.fields import Field
from core.kinds.hosts import MAX_HOST_LENGTH, parse_host
from core.monitor_rules import MAX_LATENCY_THRESHOLD_MS, RuleError, parse_latency_threshold
from core.probe import BlockedAddressError, ErrorKind, Probe, ProbeResult, cut
from core.targets import Resolver, TargetError, check_address

__all__ = [
    "Spec",
    "check",
    "parse_count",
    "parse_host",
    "parse_latency_threshold",
    "parse_loss_percent",
    "ping_permitted",
    "require_ping_permitted",
]

MIN_COUNT, MAX_COUNT = 1, 10
MAX_INTERVAL = 0.2  # seconds between requests: ping(8)'s floor for unprivileged users
ALLOW_COMMAND = 'sysctl -w net.ipv4.ping_group_range="0 2147483647"'


class UnresolvedHostError(Exception):
    """A host that did not resolve (its lookup's OSError is the cause)."""


LABEL = __("Ping")
HELP = __("A host: up when it answers ICMP echo requests (ping).")

FIELDS = (
    Field(
        "host",
        {"type": "string", "minLength": 1, "maxLength": MAX_HOST_LENGTH},
        parse_host,
        prompt=__("Send the host to ping, for example example.com or 203.0.113.7."),
        label=__("Host"),
    ),
    Field(
        "count",
        {"type": "integer", "minimum": MIN_COUNT, "maximum": MAX_COUNT},
        lambda raw: parse_count(raw),
        default=3,
        prompt=__("How many echo requests per check (1 to 10)?"),
        label=__("Pings per check"),
    ),
    Field(
        "max_loss_percent",
        {"type": "integer", "minimum": 0, "maximum": 100},
        lambda raw: parse_loss_percent(raw),
        default=0,
        prompt=__("The share of lost pings still counted as up, in percent (0 to 100)."),
        label=__("Packet loss allowed"),
    ),
    Field(
        "latency_threshold_ms",
        {"type": "integer", "minimum": 1, "maximum": MAX_LATENCY_THRESHOLD_MS},
        parse_latency_threshold,
        default=None,
        optional=True,
        prompt=__("Latency threshold in ms: slower answers count as failures (e.g. 2000)."),
        label=__("Latency threshold"),
    ),
)
TARGET_FIELDS = ("host",)


@dataclass(frozen=True)
class Spec:
    host: str
    count: int = 3
    max_loss_percent: int = 0
    latency_threshold_ms: int | None = None
    timeout: float = 10.0
    allow_private: bool = False


def target(values: Mapping[str, Any]) -> str:
    return f"ping://{values['host']}"


async def vet(values: dict[str, Any], allow_private: bool, resolver: Resolver) -> str:
    """The creation rule: ping allowed on this system (RuleError "ping_not_permitted",
    whose words say how to allow it), and the host's addresses under the SSRF rule."""
    require_ping_permitted()
    await check_address(values["host"], 0, allow_private, resolver=resolver)
    return values["host"]


async def check(spec: Spec, probe: Probe) -> ProbeResult:
    """Ping the host. Never raises (except CancelledError): failures are results."""
    result = ProbeResult(checked_at=probe.clock.now(), ok=False)
    interval = min(MAX_INTERVAL, spec.timeout / (2 * spec.count))
    reply_timeout = (spec.timeout - (spec.count - 1) * interval) / spec.count
    try:
        async with asyncio.timeout(spec.timeout + 1.0):  # a guard over icmplib's own
            addresses = await _addresses(spec.host, probe)
            host = await icmplib.async_ping(
                addresses[0],
                count=spec.count,
                interval=interval,
                timeout=reply_timeout,
                privileged=False,
            )
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        result.error_kind, result.error_message = _classify(exc, spec)
        return result
    if host.packets_received:
        result.latency_ms = max(0, round(host.avg_rtt))
    loss = round(host.packet_loss * 100)
    if not host.packets_received:
        result.error_kind = ErrorKind.UNREACHABLE
        result.error_message = f"no reply from {host.address} to {host.packets_sent} requests"
    elif loss > spec.max_loss_percent:
        result.error_kind = ErrorKind.PACKET_LOSS
        result.error_message = (
            f"{loss}% of requests to {host.address} lost (at most {spec.max_loss_percent}%)"
        )
    elif spec.latency_threshold_ms is not None and host.avg_rtt > spec.latency_threshold_ms:
        result.error_kind = ErrorKind.SLOW
        result.error_message = (
            f"average round trip {host.avg_rtt:.1f} ms over {spec.latency_threshold_ms} ms"
        )
    result.ok = result.error_kind is None
    return result


async def _addresses(host: str, probe: Probe) -> list[str]:
    """The addresses a check may ping (the probe's SSRF guard, after DNS), IPv4 first."""
    try:
        addresses = await probe.resolve(host, 0)
    except OSError as exc:
        raise UnresolvedHostError(f"{host}: {exc.strerror or exc}") from exc
    if not addresses:
        raise UnresolvedHostError(f"{host}: no address")
    return sorted(addresses, key=lambda address: ":" in address)


def _classify(exc: Exception, spec: Spec) -> tuple[str, str]:
    """Map an exception from a check to an error kind and a short message."""
    if isinstance(exc, icmplib.SocketPermissionError):
        return ErrorKind.PING_NOT_PERMITTED, (
            f"this system forbids unprivileged ICMP (net.ipv4.ping_group_range); {ALLOW_COMMAND}"
        )
    if isinstance(exc, BlockedAddressError):
        return ErrorKind.BLOCKED, cut(str(exc))
    if isinstance(exc, TargetError):
        return ErrorKind.BLOCKED, cut(f"host refused ({exc.code}): {exc.detail}")
    if isinstance(exc, UnresolvedHostError):
        return ErrorKind.DNS, cut(f"cannot resolve {exc}")
    if isinstance(exc, TimeoutError):
        return ErrorKind.TIMEOUT, f"no result within {spec.timeout:g} s"
    if isinstance(exc, icmplib.ICMPLibError):
        return ErrorKind.CONNECTION, cut(f"{type(exc).__name__}: {exc}")
    return ErrorKind.INTERNAL, cut(f"{type(exc).__name__}: {exc}")


@functools.cache
def ping_permitted() -> bool:
    """Whether this process may open an unprivileged ICMP socket (asked once: the answer
    depends on a system setting that does not change under a running service)."""
    try:
        icmplib.ICMPv4Socket(privileged=False).close()
    except icmplib.SocketPermissionError:
        return False
    except icmplib.ICMPLibError:  # no IPv4, say: not the permission this is about
        return True
    return True


def require_ping_permitted() -> None:
    """RuleError "ping_not_permitted" where ping monitors cannot work (creation)."""
    if not ping_permitted():
        raise RuleError("ping_not_permitted")


# --- Input rules ---------------------------------------------------------------


def parse_count(value: str | int) -> int:
    """Echo requests per check: 1-10; RuleError "ping_count_range"."""
    return _bounded(value, MIN_COUNT, MAX_COUNT, "ping_count_range")


def parse_loss_percent(value: str | int) -> int:
    """The share of lost requests still up: 0-100 ("20" or "20%"); RuleError
    "ping_loss_range"."""
    text = value.strip().removesuffix("%").strip() if isinstance(value, str) else value
    return _bounded(text, 0, 100, "ping_loss_range")


def _bounded(value: object, low: int, high: int, code: str) -> int:
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    else:
        text = value.strip() if isinstance(value, str) else ""
        number = int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None
    if number is None or not low <= number <= high:
        raise RuleError(code, {"min": low, "max": high})
    return number
