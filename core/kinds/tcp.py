"""The tcp kind: a TCP port, optionally TLS; up when the connection opens in time.

The host is resolved by the probe's resolver and filtered by the SSRF rule at connect
time (Probe.resolve, the guard HTTP's connector uses). Latency is the time to open the
connection (TCP, plus the TLS handshake when `tls` is on), without the DNS lookup.
With TLS the certificate is verified like HTTPS and its expiry is watched the same way.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.i18n import __
from core.kinds.fields import YES_NO, Field, parse_switch
from core.kinds.hosts import MAX_HOST_LENGTH, parse_host
from core.monitor_rules import RuleError
from core.probe import (
    ErrorKind,
    Probe,
    ProbeResult,
    current_timing,
    cut,
    fill_timing,
    peer_cert_expiry,
)
from core.targets import (
    MAX_PORT,
    MIN_PORT,
    Resolver,
    TargetError,
    check_address,
)


def parse_port(raw: Any) -> int:
    """1 to 65535, as a JSON integer or ASCII digits."""
    if isinstance(raw, bool):
        raise RuleError("port_invalid")
    if isinstance(raw, str):
        text = raw.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 9:
            raise RuleError("port_invalid")
        raw = int(text)
    if not isinstance(raw, int):
        raise RuleError("port_invalid")
    if not MIN_PORT <= raw <= MAX_PORT:
        raise RuleError("port_range", {"min": MIN_PORT, "max": MAX_PORT})
    return raw


LABEL = __("TCP port")
HELP = __("A host and port: up when a connection opens (optionally with TLS).")
MESSAGES = {
    "host_empty": __("Send a host name or an IP address, for example db.example.com."),
    "host_invalid": __("That does not look like a host name or an IP address."),
    "port_invalid": __("Send the port as a number, for example 5432."),
    "port_range": __("The port must be a number from {min} to {max}."),
}

FIELDS = (
    Field(
        "host",
        {"type": "string", "minLength": 1, "maxLength": MAX_HOST_LENGTH},
        parse_host,
        prompt=__("Send the host, for example db.example.com or 203.0.113.7."),
        label=__("Host"),
    ),
    Field(
        "port",
        {"type": "integer", "minimum": MIN_PORT, "maximum": MAX_PORT},
        parse_port,
        prompt=__("Send the port, a number from 1 to 65535."),
        label=__("Port"),
    ),
    Field(
        "tls",
        {"type": "boolean", "description": "Open TLS after TCP and watch the certificate."},
        parse_switch,
        default=False,
        prompt=__("Open TLS on the connection (and watch its certificate)?"),
        label=__("TLS"),
        choices=YES_NO,
    ),
)
TARGET_FIELDS = ("host", "port")


@dataclass(frozen=True)
class Spec:
    host: str
    port: int
    tls: bool = False
    timeout: float = 10.0
    allow_private: bool = False


def target(values: Mapping[str, Any]) -> str:
    host = values["host"]
    netloc = f"[{host}]:{values['port']}" if ":" in host else f"{host}:{values['port']}"
    return f"{'tls' if values.get('tls') else 'tcp'}://{netloc}"


def recognise(text: str) -> dict[str, Any] | None:
    """`host:port` (an IPv6 address in brackets) pasted as is; not a URL."""
    host, colon, port = text.strip().rpartition(":")
    if not colon or "/" in text:
        return None
    try:
        return {"host": parse_host(host), "port": parse_port(port)}
    except (RuleError, TargetError):
        return None


async def vet(values: dict[str, Any], allow_private: bool, resolver: Resolver) -> str:
    await check_address(values["host"], values["port"], allow_private, resolver=resolver)
    return values["host"]


async def check(spec: Spec, probe: Probe) -> ProbeResult:
    result = ProbeResult(checked_at=probe.clock.now(), ok=False)
    timing = current_timing()
    try:
        async with asyncio.timeout(spec.timeout):
            try:
                addresses = await probe.resolve(spec.host, spec.port)
            except OSError as exc:
                result.error_kind = ErrorKind.DNS
                result.error_message = cut(f"cannot resolve {spec.host}: {exc.strerror or exc}")
                return result
            await _connect(spec, probe, addresses, timing)
    except TimeoutError:
        dns_pending = timing.dns_start is not None and timing.dns_end is None
        result.error_kind = ErrorKind.DNS if dns_pending else ErrorKind.CONNECT_TIMEOUT
        result.error_message = "DNS lookup timed out" if dns_pending else "connection timed out"
    except ConnectionRefusedError:
        result.error_kind, result.error_message = ErrorKind.CONNECT_REFUSED, "connection refused"
    except ssl.SSLCertVerificationError as exc:
        result.error_kind = ErrorKind.TLS_INVALID
        result.error_message = cut(f"certificate: {exc.verify_message or exc}")
    except ssl.SSLError as exc:
        result.error_kind, result.error_message = ErrorKind.TLS_INVALID, cut(f"TLS: {exc}")
    except OSError as exc:
        result.error_kind = ErrorKind.CONNECTION
        result.error_message = cut(f"{type(exc).__name__}: {exc.strerror or exc}")
    else:
        result.ok = True
    finally:
        result.cert_expires_at = peer_cert_expiry(timing)
        now = time.perf_counter()
        fill_timing(result, timing, now)
        if timing.conn_start is not None:
            # The connection's time, not the lookup's: what a TCP monitor measures.
            result.latency_ms = round((now - timing.conn_start) * 1000)
    return result


async def _connect(spec: Spec, probe: Probe, addresses: list[str], timing: Any) -> None:
    """Open (and close) a connection to the first address that accepts one."""
    loop = asyncio.get_running_loop()
    error: OSError | None = None
    for address in addresses:
        timing.mark("conn_start", time.perf_counter())
        try:
            transport, protocol = await loop.create_connection(
                asyncio.Protocol, host=address, port=spec.port
            )
        except OSError as exc:
            error = exc
            continue
        try:
            if spec.tls:
                timing.tls_start = time.perf_counter()  # TimedSSLContext marks it too
                transport = await loop.start_tls(
                    transport, protocol, probe.ssl_context, server_hostname=spec.host
                )
            timing.mark("conn_end", time.perf_counter())
        finally:
            transport.abort()
        return
    raise error or OSError("no address to connect to")
