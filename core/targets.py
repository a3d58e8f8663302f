"""Target safety: which URLs a monitor may point at, and which addresses it may reach.

Two places apply one rule (`is_public_address`):
- when a monitor is created or its URL changes, `check_target()` normalises the URL and
  resolves its host, refusing private, loopback, link-local, multicast and reserved
  addresses (the bot and the API show the reason);
- at connect time, the probe's connector filters the addresses DNS returned for every
  hop, redirects included, so a name that later resolves elsewhere (DNS rebinding) or a
  redirect to http://169.254.169.254/ is refused too.
Admins, and everyone when ALLOW_PRIVATE_TARGETS is true, are exempt.

The same two places share one URL parser (`normalize_url`, whose host rule is
`check_host`), so creation and the probe never disagree about what a URL means: an IPv4
address must be written as four decimal numbers with dots. The other forms the C library
accepts (16843009, 0x01010101, 0177.0.0.1, 127.1) are refused everywhere, for everyone:
they hide where a monitor points and aiohttp reads some of them differently.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

MAX_URL_LENGTH = 2048
MIN_PORT, MAX_PORT = 1, 65535

# Ranges that `is_global` still lets through but that no public website lives in.
_EXTRA_BLOCKED = [
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use NAT64
]


def private_targets_allowed(
    allow_private_targets: bool, admin_ids: frozenset[int], telegram_id: int
) -> bool:
    """Whether a user's monitors may reach private addresses: admins always may, everyone
    when ALLOW_PRIVATE_TARGETS is true."""
    return allow_private_targets or telegram_id in admin_ids


class TargetError(ValueError):
    """A URL a monitor may not use. `code` is stable (for translations and the API)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.field: str | None = None  # the input field, set by callers that know it


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address; IPv4-mapped IPv6 is judged as IPv4."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return is_public_address(str(mapped))
        if ip in ipaddress.ip_network("64:ff9b::/96"):  # NAT64 of an IPv4 address
            return is_public_address(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return False
    return not any(ip in net for net in _EXTRA_BLOCKED if net.version == ip.version)


@dataclass(frozen=True)
class CheckedTarget:
    url: str
    host: str
    addresses: tuple[str, ...]


def normalize_url(raw: str) -> str:
    """The canonical form of a monitor URL, or TargetError.

    http/https only, a host, no credentials, at most MAX_URL_LENGTH characters; the scheme
    and host are lower-cased, an IDN host becomes punycode, an empty path becomes "/".
    """
    text = raw.strip()
    if not text:
        raise TargetError("url_empty")
    if len(text) > MAX_URL_LENGTH:
        raise TargetError("url_too_long", str(MAX_URL_LENGTH))
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise TargetError("url_invalid", str(exc)) from None
    port = _port_of(parts)
    if parts.scheme.lower() not in ("http", "https"):
        raise TargetError("url_scheme", parts.scheme)
    if parts.username is not None or parts.password is not None:
        raise TargetError("url_credentials")
    host = parts.hostname
    if not host or any(c.isspace() for c in text):
        raise TargetError("url_invalid", "no host")
    try:
        host = host.encode("idna").decode("ascii") if not is_ip_literal(host) else host
    except UnicodeError:
        raise TargetError("url_invalid", "bad host name") from None
    host = check_host(host)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    url = urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))
    if len(url) > MAX_URL_LENGTH:
        raise TargetError("url_too_long", str(MAX_URL_LENGTH))
    return url


def check_host(host: str) -> str:
    """`host` if it is an IP address in its standard form or a valid DNS name; else
    TargetError: "url_numeric_host" for a number that is not a dotted-quad IPv4 address
    (no DNS name ends in a numeric label, so such a host can only be an address in an
    unusual notation), "url_invalid" for a bad name. Creation and the probe (every hop)
    both call this."""
    if is_ip_literal(host):
        return host
    labels = host.split(".")
    if _is_numeric_label(labels[-1]):
        raise TargetError("url_numeric_host", host)
    if not all(_valid_label(label) for label in labels):
        raise TargetError("url_invalid", "bad host name")
    return host


def _is_numeric_label(label: str) -> bool:
    """A decimal, octal or hexadecimal number, as inet_aton(3) and URL parsers read them."""
    text = label.lower()
    if text.startswith("0x"):
        return all(c in "0123456789abcdef" for c in text[2:])
    return text.isascii() and text.isdigit()


def _port_of(parts: SplitResult) -> int | None:
    """The URL's port, or None. TargetError "url_port" for a number outside 1-65535
    (urlsplit checks the upper bound but lets port 0 through), "url_invalid" for a port
    that is not ASCII digits."""
    try:
        port = parts.port
    except ValueError:
        text = parts.netloc.rpartition(":")[2]
        code = "url_port" if text.isascii() and text.isdigit() else "url_invalid"
        raise TargetError(code, text) from None
    if port is not None and not MIN_PORT <= port <= MAX_PORT:
        raise TargetError("url_port", str(port))
    return port


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _valid_label(label: str) -> bool:
    return 0 < len(label) <= 63 and all(c.isalnum() or c in "-_" for c in label)


# (host, port) -> the addresses it resolves to; OSError when it does not.
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


async def check_target(
    raw_url: str, allow_private: bool, timeout: float = 5.0, resolver: Resolver = resolve
) -> CheckedTarget:
    """Normalise `raw_url` and make sure it may be monitored; raise TargetError if not.

    The host must resolve; unless `allow_private`, every address it resolves to must be
    public (one private address is enough to refuse: it could be the one used).
    """
    url = normalize_url(raw_url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await check_address(host, port, allow_private, timeout, resolver)
    return CheckedTarget(url=url, host=host, addresses=tuple(addresses))


async def check_address(
    host: str, port: int, allow_private: bool, timeout: float = 5.0, resolver: Resolver = resolve
) -> list[str]:
    """The addresses `host` resolves to, if it may be monitored (check_target's rule for
    every kind that reaches a host); TargetError if not."""
    try:
        addresses = await asyncio.wait_for(resolver(host, port), timeout)
    except (OSError, TimeoutError, UnicodeError):
        raise TargetError("dns", host) from None
    if not addresses:
        raise TargetError("dns", host)
    if not allow_private:
        blocked = [a for a in addresses if not is_public_address(a)]
        if blocked:
            raise TargetError("private_address", blocked[0])
    return addresses
