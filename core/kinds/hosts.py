"""The host rule of the kinds that name a host without a URL (dns, ping).

It is the URL rule's (core.targets.check_host): a DNS name or an IP address in its
standard form, never a numeric form such as 16843009. At check time those kinds go
through the probe's resolver and SSRF guard (Probe.resolve), the one every kind uses:
the address resolved and checked is the one contacted, so a second answer pointing
elsewhere (DNS rebinding) has no room.
"""

from __future__ import annotations

import ipaddress

from core.monitor_rules import RuleError
from core.targets import TargetError, check_host

MAX_HOST_LENGTH = 253


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


def _ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
