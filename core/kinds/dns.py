"""The dns kind: ask a resolver for one record type of one name and compare the answer.

Up when the name has records of the type and the answer holds every expected value
(none expected: any answer will do). Values are compared in one normal form, made by
`normal_value` both when a monitor is saved and when an answer comes back:
- A, AAAA: the address in its standard form (2001:DB8:0::1 is 2001:db8::1);
- CNAME, NS: the name in lower case, IDNA-encoded, without the final dot;
- MX: "10 mx.example.com" matches that preference and exchange; a bare
  "mx.example.com" matches the exchange whatever its preference (the preference is
  the part people rarely care about and often change);
- TXT: a record's strings joined without separators (a long SPF or DKIM value is
  split into 255-byte strings by the zone, not by its author), compared exactly.

The resolver is the system's (/etc/resolv.conf) or the monitor's `host[:port]`. A
custom resolver is a host the check sends packets to, so it passes the SSRF rule of
every other target: at creation (core.targets.check_address) and at every check, after
DNS, through the probe's guard (Probe.resolve). The monitored name itself is only sent
to the resolver, never contacted, so it need not resolve to a public address. Latency
is the time the query took.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.name
import dns.resolver

from core.i18n import __
from core.kinds.fields import Field
from core.kinds.hosts import MAX_HOST_LENGTH, parse_host
from core.monitor_rules import RuleError, has_hidden_characters
from core.probe import BlockedAddressError, ErrorKind, Probe, ProbeResult, cut
from core.targets import Resolver, TargetError, check_address

RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "TXT")
NAME_TYPES = frozenset({"CNAME", "NS"})
MAX_EXPECTED = 20
MAX_EXPECTED_LENGTH = 255
DEFAULT_PORT = 53
# How long one server may take before the next is tried (within the check's timeout).
_PER_SERVER_TIMEOUT = 2.0
_VALUE_IN_MESSAGE = 64  # characters of a refused value quoted back


class UnresolvedResolverError(Exception):
    """A custom resolver named by a host that did not resolve (the OSError is the cause)."""


LABEL = __("DNS record")
HELP = __("A name and a record type: up when the resolver answers with the expected values.")

FIELDS = (
    Field(
        "host",
        {"type": "string", "minLength": 1, "maxLength": MAX_HOST_LENGTH},
        parse_host,
        prompt=__("Send the name to look up, for example example.com."),
        label=__("Host"),
    ),
    Field(
        "record_type",
        {"type": "string", "enum": list(RECORD_TYPES)},
        lambda raw: parse_record_type(raw),
        default="A",
        prompt=__("Which record type?"),
        label=__("Record type"),
        choices=tuple((t, t) for t in RECORD_TYPES),
    ),
    Field(
        "expected",
        {
            "type": "array",
            "items": {"type": "string", "maxLength": MAX_EXPECTED_LENGTH},
            "maxItems": MAX_EXPECTED,
            "description": "Values the answer must all hold (order and name case ignored).",
        },
        lambda raw: parse_expected_items(raw),
        default=None,
        optional=True,
        prompt=__("Values the answer must hold, one per line (for example 93.184.216.34)."),
        label=__("Expected values"),
    ),
    Field(
        "resolver",
        {"type": "string", "minLength": 1, "description": "host[:port]; null: the system's"},
        lambda raw: parse_resolver(raw),
        default=None,
        optional=True,
        prompt=__("The resolver to ask, as host or host:port (for example 1.1.1.1)."),
        label=__("Resolver"),
    ),
)
# Where the query goes (resolver), what it asks (host, record_type) and what the answer
# is held to (expected, whose form depends on the record type): all vetted together.
TARGET_FIELDS = ("host", "record_type", "expected", "resolver")


@dataclass(frozen=True)
class Spec:
    host: str
    record_type: str
    expected: tuple[str, ...] | None = ()
    resolver: str | None = None  # "host[:port]"; None: the system's resolver
    timeout: float = 10.0
    allow_private: bool = False

    def __post_init__(self) -> None:
        # A stored list (the params JSON) becomes the tuple the spec holds.
        object.__setattr__(self, "expected", tuple(self.expected or ()))


def target(values: Mapping[str, Any]) -> str:
    """dns://host/TYPE, with the resolver when there is one: dns://1.1.1.1/host/TYPE."""
    where = f"{values['resolver']}/" if values.get("resolver") else ""
    return f"dns://{where}{values['host']}/{values['record_type']}"


async def vet(values: dict[str, Any], allow_private: bool, resolver: Resolver) -> str:
    """The creation rule: the expected values in the record type's normal form, and a
    custom resolver reachable under the SSRF rule (the name looked up is only sent to
    the resolver, so it may be anything). Returns the default name."""
    try:
        expected = parse_expected(values.get("expected"), values["record_type"])
    except RuleError as error:
        error.field = "expected"
        raise
    values["expected"] = list(expected) or None
    if values.get("resolver"):
        host, port = split_resolver(values["resolver"])
        try:
            await check_address(host, port or DEFAULT_PORT, allow_private, resolver=resolver)
        except TargetError as error:
            error.field = "resolver"
            raise
    return f"{values['host']} {values['record_type']}"


async def check(spec: Spec, probe: Probe) -> ProbeResult:
    """Run one query. Never raises (except CancelledError): failures are results."""
    result = ProbeResult(checked_at=probe.clock.now(), ok=False)
    started: float | None = None
    try:
        async with asyncio.timeout(spec.timeout + 1.0):  # a guard over dnspython's own
            resolver = await _resolver_for(spec, probe)
            started = time.perf_counter()
            answer = await resolver.resolve(
                dns.name.from_text(spec.host), spec.record_type, lifetime=spec.timeout
            )
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        result.error_kind, result.error_message = _classify(exc, spec)
        return result
    finally:
        if started is not None:
            result.latency_ms = max(0, round((time.perf_counter() - started) * 1000))
    values = answer_values(answer.rrset or (), spec.record_type)
    missing = missing_values(spec.expected, values, spec.record_type)
    if missing:
        result.error_kind = ErrorKind.UNEXPECTED_ANSWER
        result.error_message = cut(
            f"{spec.record_type} {spec.host}: expected {', '.join(missing)}; "
            f"the answer was {', '.join(values)}"
        )
        return result
    result.ok = True
    return result


def answer_values(rrset, record_type: str) -> list[str]:
    """The records of an answer in the normal form expected values are kept in."""
    values = []
    for rdata in rrset:
        if record_type in ("A", "AAAA"):
            values.append(str(ipaddress.ip_address(rdata.address)))
        elif record_type in NAME_TYPES:
            values.append(_name_text(rdata.target))
        elif record_type == "MX":
            values.append(f"{rdata.preference} {_name_text(rdata.exchange)}")
        else:
            values.append(b"".join(rdata.strings).decode("utf-8", "replace"))
    return sorted(set(values))


def missing_values(expected: tuple[str, ...], values: list[str], record_type: str) -> list[str]:
    """The expected values the answer lacks (see the module doc for MX)."""
    present = set(values)
    if record_type == "MX":
        present |= {value.partition(" ")[2] for value in values}
    missing = []
    for value in expected:
        try:
            wanted = normal_value(value, record_type)
        except RuleError:
            wanted = value
        if wanted not in present:
            missing.append(value)
    return missing


def _name_text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True).lower()


@functools.cache
def _system_resolver() -> dns.asyncresolver.Resolver:
    """The resolver of /etc/resolv.conf, read once per process (a failure is not cached)."""
    return dns.asyncresolver.Resolver()


async def _resolver_for(spec: Spec, probe: Probe) -> dns.asyncresolver.Resolver:
    if spec.resolver is None:
        return _system_resolver()
    host, port = split_resolver(spec.resolver)
    port = port or DEFAULT_PORT
    try:
        nameservers = await probe.resolve(host, port)  # the SSRF guard, after DNS
    except OSError as exc:
        raise UnresolvedResolverError(f"{host}: {exc.strerror or exc}") from exc
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = nameservers
    resolver.port = port
    resolver.timeout = min(_PER_SERVER_TIMEOUT, spec.timeout)
    return resolver


def _classify(exc: Exception, spec: Spec) -> tuple[str, str]:
    """Map an exception from a query to an error kind and a short message."""
    if isinstance(exc, dns.resolver.NXDOMAIN):
        return ErrorKind.NXDOMAIN, cut(f"{spec.host} does not exist (NXDOMAIN)")
    if isinstance(exc, dns.resolver.NoAnswer):
        return ErrorKind.NO_ANSWER, cut(f"{spec.host} has no {spec.record_type} record")
    if isinstance(exc, dns.exception.Timeout | TimeoutError):
        return ErrorKind.TIMEOUT, f"no answer from the resolver within {spec.timeout:g} s"
    if isinstance(exc, BlockedAddressError):
        return ErrorKind.BLOCKED, cut(f"resolver refused: {exc}")
    if isinstance(exc, TargetError):
        return ErrorKind.BLOCKED, cut(f"resolver refused ({exc.code}): {exc.detail}")
    if isinstance(exc, UnresolvedResolverError):
        return ErrorKind.DNS, cut(f"cannot resolve the resolver {exc}")
    if isinstance(exc, dns.exception.DNSException):  # SERVFAIL, REFUSED, a bad reply
        return ErrorKind.DNS, cut(str(exc))
    return ErrorKind.INTERNAL, cut(f"{type(exc).__name__}: {exc}")


# --- Input rules ---------------------------------------------------------------


def parse_record_type(text: str) -> str:
    """One of RECORD_TYPES, in any case; RuleError "record_type_invalid"."""
    record_type = text.strip().upper() if isinstance(text, str) else ""
    if record_type not in RECORD_TYPES:
        raise RuleError("record_type_invalid", {"allowed": ", ".join(RECORD_TYPES)})
    return record_type


def parse_expected(value: str | list | tuple | None, record_type: str) -> tuple[str, ...]:
    """The expected values, each in its normal form, duplicates dropped; () for none.

    A list (the API) is taken item by item; typed text (the bot) is one value per line,
    and for types whose values hold no spaces or commas (A, AAAA, CNAME, NS) also
    separated by commas and spaces; MX values by lines and commas. RuleError
    "expected_too_many", "expected_too_long", "expected_invalid" (not text, or control
    and invisible characters), "expected_ipv4", "expected_ipv6", "expected_name",
    "expected_mx" (a value that cannot be in an answer of that type).
    """
    if value is None:
        return ()
    if isinstance(value, str):
        items: list | tuple = _split_typed(value, record_type)
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise RuleError("expected_invalid")
    if len(items) > MAX_EXPECTED:  # before looking at any item: a huge list costs nothing
        raise RuleError("expected_too_many", {"max": MAX_EXPECTED})
    values = []
    for item in items:
        if not isinstance(item, str):
            raise RuleError("expected_invalid")
        text = item.strip()
        if not text:
            continue
        if len(text) > MAX_EXPECTED_LENGTH:
            raise RuleError("expected_too_long", {"max": MAX_EXPECTED_LENGTH})
        if has_hidden_characters(text):
            raise RuleError("expected_invalid")
        values.append(normal_value(text, record_type))
    return tuple(dict.fromkeys(values))


def parse_expected_items(value: str | list | None) -> list[str] | None:
    """The expected values as given, before the record type is known (a field is parsed
    alone; `vet` puts them in the type's normal form): a list (the API) or typed text,
    one value per line (the bot). The same size and character rules as parse_expected."""
    if isinstance(value, str):
        value = value.splitlines()
    return list(parse_expected(value, "TXT")) or None


def _split_typed(text: str, record_type: str) -> list[str]:
    lines = text.splitlines()
    if record_type == "TXT":
        return lines
    separators = "," if record_type == "MX" else ", \t"
    for separator in separators:
        lines = [part for line in lines for part in line.split(separator)]
    return lines


def normal_value(text: str, record_type: str) -> str:
    """`text` as a value of `record_type` in the form answers are compared in."""
    quoted = {"value": text[:_VALUE_IN_MESSAGE]}
    if record_type in ("A", "AAAA"):
        kind = ipaddress.IPv4Address if record_type == "A" else ipaddress.IPv6Address
        try:
            return str(kind(text.removeprefix("[").removesuffix("]")))
        except ValueError:
            code = "expected_ipv4" if record_type == "A" else "expected_ipv6"
            raise RuleError(code, quoted) from None
    if record_type in NAME_TYPES:
        return _expected_name(text, "expected_name", quoted)
    if record_type == "MX":
        parts = text.split()
        if len(parts) == 1:
            return _expected_name(parts[0], "expected_mx", quoted)
        preference = parts[0]
        if len(parts) != 2 or not (preference.isascii() and preference.isdigit()):
            raise RuleError("expected_mx", quoted)
        if len(preference) > 5 or int(preference) > 65535:
            raise RuleError("expected_mx", quoted)
        return f"{int(preference)} {_expected_name(parts[1], 'expected_mx', quoted)}"
    return text


def _expected_name(text: str, code: str, quoted: dict) -> str:
    try:
        name = parse_host(text)
    except RuleError:
        raise RuleError(code, quoted) from None
    if ":" in name or name.replace(".", "").isdigit():  # an address is not a name
        raise RuleError(code, quoted)
    return name


def parse_resolver(text: str | None) -> str | None:
    """A resolver as `host[:port]`: an IP address (IPv6 in brackets when a port follows)
    or a host name, and a port 1-65535 in ASCII digits; None or "" for the system's.
    RuleError "resolver_invalid", "resolver_port" or "url_numeric_host"."""
    raw = text.strip() if isinstance(text, str) else text
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise RuleError("resolver_invalid")
    host, port = split_resolver(raw)
    try:
        host = parse_host(host)
    except RuleError as exc:
        raise RuleError(
            "url_numeric_host" if exc.code == "url_numeric_host" else "resolver_invalid"
        ) from None
    netloc = f"[{host}]" if ":" in host else host
    return netloc if port is None else f"{netloc}:{port}"


def split_resolver(text: str) -> tuple[str, int | None]:
    """(host, port or None) of "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6
    address; RuleError "resolver_invalid" or "resolver_port"."""
    if text.startswith("["):
        host, closed, rest = text[1:].partition("]")
        if not closed or ":" not in host or (rest and not rest.startswith(":")):
            raise RuleError("resolver_invalid")
        port_text = rest[1:] if rest else None
    elif text.count(":") > 1:  # an IPv6 address without brackets has no port
        host, port_text = text, None
    else:
        host, colon, port_text = text.partition(":")
        port_text = port_text if colon else None
    if not host:
        raise RuleError("resolver_invalid")
    if port_text is None:
        return host, None
    if not (port_text.isascii() and port_text.isdigit()) or len(port_text) > 5:
        raise RuleError("resolver_port")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise RuleError("resolver_port")
    return host, port
