"""Hosts for the kinds that reach a host without a URL (dns, ping): the host rule at
creation and the SSRF rule at check time.

The host rule is the URL rule's (core.targets.check_host): a DNS name or an IP address
in its standard form, never a numeric form such as 16843009. At check time the host is
resolved and, unless the monitor may reach private networks, only public addresses
(core.targets.is_public_address, the rule the HTTP probe applies after DNS) are kept;
none left is `blocked`. Resolving once and using the address resolved (not the name
again) leaves no room for a second answer pointing elsewhere (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from core.monitor_rules import RuleError
from core.probe import BlockedAddressError
from core.targets import TargetError, check_host

if TYPE_CHECKING:
    from core.probe import Probe

MAX_HOST_LENGTH = 253


class UnresolvedHostError(Exception):
    """A host that did not resolve (its lookup's OSError is the cause)."""


def parse_host(text: str) -> str:
    """A host as a monitor stores it: an IP address (IPv6 with or without brackets, kept
    without them) or a DNS name, lower case, IDNA-encoded (punycode), without the final
    dot, at most 253 characters. RuleError "host_empty", "host_too_long",
    "url_numeric_host" (an address in a numeric form) or "host_invalid"."""
    host = text.strip() if isinstance(text, str) else ""
    if not host:
        raise RuleError("host_empty")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if _ip_literal(host):
        return str(ipaddress.ip_address(host))
    try:
        host = host.encode("idna").decode("ascii").lower().removesuffix(".")
    except UnicodeError:
        raise RuleError("host_invalid") from None
    if len(host) > MAX_HOST_LENGTH:
        raise RuleError("host_too_long", {"max": MAX_HOST_LENGTH})
    if not host:
        raise RuleError("host_invalid")
    try:
        return check_host(host)
    except TargetError as exc:
        code = "url_numeric_host" if exc.code == "url_numeric_host" else "host_invalid"
        raise RuleError(code) from None


async def reachable_addresses(host: str, probe: Probe, allow_private: bool) -> list[str]:
    """The addresses of `host` a check may send packets to, IPv4 first.

    TargetError for a host the creation rule refuses; UnresolvedHostError when it does not
    resolve; BlockedAddressError when every address is non-public and private ones are not allowed.
    """
    check_host(host)  # before DNS: the C library would read 0x7f000001 as 127.0.0.1
    try:
        addresses = [host] if _ip_literal(host) else await probe.addresses_of(host)
    except OSError as exc:
        raise UnresolvedHostError(f"{host}: {exc.strerror or exc}") from exc
    if not addresses:
        raise UnresolvedHostError(f"{host}: no address")
    if not allow_private:
        public = [a for a in addresses if probe.is_public(a)]
        if not public:
            raise BlockedAddressError(host, addresses[0])
        addresses = public
    return sorted(addresses, key=lambda a: ":" in a)


def _ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
