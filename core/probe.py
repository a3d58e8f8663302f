"""The HTTP(S) probe: one request per check through one shared aiohttp ClientSession.

Every check opens a fresh connection (`force_close`): the latency parts are then real
for every check (not only the first one after a pool expired), and a connection opened
for an admin's private target can never be reused by someone else's check.

Timings come from aiohttp's TraceConfig (DNS, connection, headers) and from an
SSLContext whose `wrap_bio` marks the moment TCP is up and TLS starts, all written into
the `Timing` of the running check (a context variable: every hook runs in the check's
task). The SSRF guard sits in the connector's `_resolve_host`, after DNS, for every
hop including redirects. The URL rules are the creation rules (core.targets): the
monitor's URL goes through `normalize_url` before the request and every hop's host
through `check_host` before DNS, so a URL refused at creation is refused here too
(an address in a numeric form such as http://16843009/ is `blocked`, whatever the hop).
"""

from __future__ import annotations

import asyncio
import contextvars
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver

from core.clock import SYSTEM_CLOCK, Clock
from core.status_codes import status_accepted
from core.targets import TargetError, check_host, is_public_address, normalize_url, resolve

MAX_BODY_BYTES = 1024 * 1024
DEFAULT_MAX_REDIRECTS = 10
USER_AGENT = "UptimeMonitor/0.1 (+https://github.com/; uptime check)"
_MESSAGE_LIMIT = 500


class ErrorKind(StrEnum):
    DNS = "dns"
    CONNECT_REFUSED = "connect_refused"
    CONNECT_TIMEOUT = "connect_timeout"
    TIMEOUT = "timeout"
    TLS_INVALID = "tls_invalid"
    HTTP_STATUS = "http_status"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    KEYWORD_MISSING = "keyword_missing"
    KEYWORD_FOUND = "keyword_found"
    SLOW = "slow"
    BODY_TOO_LARGE = "body_too_large"
    BLOCKED = "blocked"  # the SSRF guard refused every address
    CONNECTION = "connection"  # reset, closed early, malformed HTTP, bad redirect
    NXDOMAIN = "nxdomain"  # dns: the name does not exist
    NO_ANSWER = "no_answer"  # dns: the name exists but has no record of that type
    UNEXPECTED_ANSWER = "unexpected_answer"  # dns: an expected value is not in the answer
    UNREACHABLE = "unreachable"  # ping: no echo reply came back at all
    PACKET_LOSS = "packet_loss"  # ping: more replies lost than the monitor allows
    PING_NOT_PERMITTED = "ping_not_permitted"  # the OS forbids unprivileged ICMP
    INTERNAL = "internal"  # a bug of ours; recorded as a failed check, never a crash


@dataclass(frozen=True)
class ProbeSpec:
    """What one check does; built from a Monitor row."""

    url: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    timeout: float = 10.0
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    accepted_status_codes: str = "200-399"
    latency_threshold_ms: int | None = None
    keyword: str | None = None
    keyword_mode: str = "present"
    allow_private: bool = False

    @classmethod
    def of(cls, monitor: Any, allow_private: bool) -> ProbeSpec:
        """The spec of a Monitor row or of a claimed check (same attribute names)."""
        return cls(
            url=monitor.url,
            method=str(monitor.method),
            headers=monitor.headers or {},
            body=monitor.body,
            timeout=float(monitor.timeout_seconds),
            accepted_status_codes=monitor.accepted_status_codes,
            latency_threshold_ms=monitor.latency_threshold_ms,
            keyword=monitor.keyword or None,
            keyword_mode=str(monitor.keyword_mode),
            allow_private=allow_private,
        )


@dataclass
class ProbeResult:
    checked_at: datetime
    ok: bool
    status_code: int | None = None
    latency_ms: int | None = None
    dns_ms: int | None = None
    connect_ms: int | None = None
    tls_ms: int | None = None
    ttfb_ms: int | None = None
    error_kind: str | None = None
    error_message: str | None = None
    cert_expires_at: datetime | None = None
    final_url: str | None = None


class BlockedAddressError(Exception):
    """Every address of a host is private, loopback, link-local, multicast or reserved."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to {address}, which is not a public address")


@dataclass
class Timing:
    """Moments of one check (perf_counter seconds) and its phase totals over all hops."""

    started: float
    dns_start: float | None = None
    dns_end: float | None = None
    conn_start: float | None = None
    tls_start: float | None = None
    conn_end: float | None = None
    headers_at: float | None = None
    # Seconds per phase, summed over redirect hops.
    dns: float = 0.0
    connect: float = 0.0
    tls: float = 0.0
    ttfb: float = 0.0
    hops_connected: int = 0
    # The TLS session of the latest hop: its certificate is the one to watch.
    ssl_object: ssl.SSLObject | None = None

    def mark(self, event: str, now: float) -> None:
        """Record a trace event (an attribute name above) and add up finished phases.

        aiohttp resolves DNS inside "connection create", so a hop's connect time runs
        from the end of its DNS lookup (or the start of the create) to the moment TLS
        begins (or the end of the create, for plain HTTP).
        """
        setattr(self, event, now)
        if event == "dns_end" and self.dns_start is not None:
            self.dns += now - self.dns_start
        elif event == "conn_start":
            self.tls_start = None
        elif event == "conn_end" and self.conn_start is not None:
            dns_done = self.dns_end if self.dns_end and self.dns_end > self.conn_start else None
            tcp_done = self.tls_start or now
            self.connect += tcp_done - (dns_done or self.conn_start)
            if self.tls_start is not None:
                self.tls += now - self.tls_start
            self.hops_connected += 1
        elif event == "headers_at" and self.conn_end is not None:
            self.ttfb += now - self.conn_end


_timing: contextvars.ContextVar[Timing | None] = contextvars.ContextVar("probe_timing")
_allow_private: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "probe_allow_private", default=False
)


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


class TimedSSLContext(ssl.SSLContext):
    """Marks when TCP is connected and the TLS handshake begins."""

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        ssl_object = super().wrap_bio(*args, **kwargs)
        timing = _timing.get(None)
        if timing is not None:
            timing.tls_start = time.perf_counter()
            timing.ssl_object = ssl_object
        return ssl_object


def make_ssl_context(cafile: str | None = None) -> ssl.SSLContext:
    """A verifying client context (system CAs, or `cafile`) that also reports timing."""
    ctx = TimedSSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    if cafile:
        ctx.load_verify_locations(cafile=cafile)
    else:
        ctx.load_default_certs()
    return ctx


class GuardedConnector(aiohttp.TCPConnector):
    """Drops non-public addresses after DNS unless the running check allows them."""

    def __init__(self, *args: Any, is_public: Callable[[str], bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._is_public = is_public

    async def _resolve_host(self, host: str, port: int, traces: Any = None) -> list[Any]:
        check_host(host)  # before DNS: the C library would read 0x7f000001 as 127.0.0.1
        hosts = await super()._resolve_host(host, port, traces=traces)
        if _allow_private.get():
            return hosts
        public = [h for h in hosts if self._is_public(h["host"])]
        if not public:
            raise BlockedAddressError(host, hosts[0]["host"] if hosts else "nothing")
        return public


def _trace_config() -> aiohttp.TraceConfig:
    def hook(event: str):
        async def record(session: Any, ctx: Any, params: Any) -> None:
            timing = _timing.get(None)
            if timing is not None:
                timing.mark(event, time.perf_counter())

        return record

    config = aiohttp.TraceConfig()
    config.on_dns_resolvehost_start.append(hook("dns_start"))
    config.on_dns_resolvehost_end.append(hook("dns_end"))
    config.on_connection_create_start.append(hook("conn_start"))
    config.on_connection_create_end.append(hook("conn_end"))
    config.on_request_end.append(hook("headers_at"))
    return config


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"


def _peer_cert_expiry(timing: Timing) -> datetime | None:
    if timing.ssl_object is None:
        return None
    try:
        cert = timing.ssl_object.getpeercert()
    except ValueError:  # handshake not completed
        return None
    if not cert or "notAfter" not in cert:
        return None
    return datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), UTC)


class Probe:
    """Runs checks. One instance (one ClientSession) per process; `start()` before use."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None = None,
        resolver: AbstractResolver | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        is_public: Callable[[str], bool] = is_public_address,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """`resolver` and `is_public` exist for tests: DNS and the public Internet are
        outside the test machine, so tests name which loopback addresses play them.
        `clock` dates the results (the engine's, so a test on a manual clock sees
        checks dated at their due times); latencies are real durations."""
        self.clock = clock
        self.is_public = is_public
        self._ssl_context = ssl_context
        self._resolver = resolver
        self.max_body_bytes = max_body_bytes
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is not None:
            return
        if self._ssl_context is None:
            self._ssl_context = make_ssl_context()
        connector = GuardedConnector(
            limit=0,  # the engine bounds concurrency
            force_close=True,
            ttl_dns_cache=30,
            resolver=self._resolver,
            ssl=self._ssl_context,
            is_public=self.is_public,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            trace_configs=[_trace_config()],
            headers={"User-Agent": USER_AGENT},
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=True,
        )

    async def addresses_of(self, host: str) -> list[str]:
        """The addresses `host` resolves to, through the probe's resolver (the one the
        HTTP connector uses); OSError when it does not resolve."""
        if self._resolver is None:
            return await resolve(host, 0)
        return sorted({entry["host"] for entry in await self._resolver.resolve(host, 0)})

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def check(self, spec: ProbeSpec) -> ProbeResult:
        """Run one check. Never raises (except CancelledError): failures are results."""
        checked_at = self.clock.now()
        timing = Timing(started=time.perf_counter())
        token = _timing.set(timing)
        allow = _allow_private.set(spec.allow_private)
        try:
            async with asyncio.timeout(spec.timeout + 1.0):  # a guard over aiohttp's own
                return await self._request(spec, checked_at, timing)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            result = ProbeResult(checked_at=checked_at, ok=False)
            result.error_kind, result.error_message = _classify(exc, timing)
            _fill_timing(result, timing, time.perf_counter())
            return result
        finally:
            _allow_private.reset(allow)
            _timing.reset(token)

    async def _request(self, spec: ProbeSpec, checked_at: datetime, timing: Timing) -> ProbeResult:
        if self._session is None:
            raise RuntimeError("Probe.start() was not called")
        normalize_url(spec.url)  # the creation rules: a URL they refuse is never requested
        timeout = aiohttp.ClientTimeout(total=spec.timeout, sock_connect=spec.timeout)
        data = spec.body.encode() if spec.body and spec.method not in ("GET", "HEAD") else None
        async with self._session.request(
            spec.method,
            spec.url,
            headers=dict(spec.headers),
            data=data,
            timeout=timeout,
            allow_redirects=spec.max_redirects > 0,
            # aiohttp raises on reaching its limit; ours is the number we follow.
            max_redirects=spec.max_redirects + 1,
        ) as response:
            result = ProbeResult(checked_at=checked_at, ok=False, status_code=response.status)
            result.cert_expires_at = _peer_cert_expiry(timing)
            final_url = str(response.url)
            result.final_url = final_url if final_url != spec.url else None
            found, truncated = await self._read_body(response, spec)
        _fill_timing(result, timing, time.perf_counter())
        result.error_kind, result.error_message = _judge(spec, result, found, truncated, response)
        result.ok = result.error_kind is None
        return result

    async def _read_body(
        self, response: aiohttp.ClientResponse, spec: ProbeSpec
    ) -> tuple[bool, bool]:
        """Read at most the cap; return (keyword found, stopped at the cap with more left).

        Reading stops as soon as the answer is known; a plain substring search over a
        sliding window, so a keyword split between chunks is still found.
        """
        if spec.method == "HEAD":
            return False, False
        needle = spec.keyword.encode() if spec.keyword else b""
        keep = max(len(needle) - 1, 0)
        window = b""
        seen = 0
        async for chunk in response.content.iter_any():
            room = self.max_body_bytes - seen
            piece = chunk[:room]
            seen += len(piece)
            if needle:
                window = window[-keep:] + piece if keep else piece
                if needle in window:
                    return True, False
            if len(chunk) > len(piece) or (
                seen >= self.max_body_bytes and not response.content.at_eof()
            ):
                return False, True
        return False, False


def _fill_timing(result: ProbeResult, timing: Timing, now: float) -> None:
    result.latency_ms = _ms(now - timing.started)
    if timing.dns_start is not None:
        result.dns_ms = _ms(timing.dns)
    if timing.hops_connected:
        result.connect_ms = _ms(timing.connect)
        result.tls_ms = _ms(timing.tls) if timing.tls else None
    if timing.headers_at is not None:
        result.ttfb_ms = _ms(timing.ttfb)


def _judge(
    spec: ProbeSpec,
    result: ProbeResult,
    found: bool,
    truncated: bool,
    response: aiohttp.ClientResponse,
) -> tuple[str | None, str | None]:
    """The first rule that fails, in the order a person would look: status, keyword, speed."""
    status = result.status_code or 0
    if not status_accepted(status, spec.accepted_status_codes):
        reason = response.reason or ""
        return ErrorKind.HTTP_STATUS, _cut(f"HTTP {status} {reason}".strip())
    if spec.keyword:
        limit = f"{MAX_BODY_BYTES // 1024} KiB"
        if spec.keyword_mode == "absent":
            if found:
                return ErrorKind.KEYWORD_FOUND, _cut(f"found {spec.keyword!r}")
            if truncated:
                return ErrorKind.BODY_TOO_LARGE, f"body is larger than {limit}"
        elif not found:
            if truncated:
                return ErrorKind.BODY_TOO_LARGE, f"keyword not in the first {limit}"
            return ErrorKind.KEYWORD_MISSING, _cut(f"{spec.keyword!r} not found")
    if (
        spec.latency_threshold_ms is not None
        and (result.latency_ms or 0) > spec.latency_threshold_ms
    ):
        return ErrorKind.SLOW, f"{result.latency_ms} ms > {spec.latency_threshold_ms} ms"
    return None, None


def _classify(exc: BaseException, timing: Timing) -> tuple[str, str]:
    """Map an exception from a check to an error kind and a short message."""
    if isinstance(exc, BlockedAddressError):
        return ErrorKind.BLOCKED, _cut(str(exc))
    if isinstance(exc, TargetError):
        return ErrorKind.BLOCKED, _cut(f"URL refused ({exc.code}): {exc.detail}")
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return ErrorKind.DNS, _cut(
            f"cannot resolve {exc.host}: {exc.os_error.strerror or exc.os_error}"
        )
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        err = exc.certificate_error
        message = getattr(err, "verify_message", None) or str(err)
        return ErrorKind.TLS_INVALID, _cut(f"certificate: {message}")
    if isinstance(exc, aiohttp.ClientConnectorSSLError | aiohttp.ClientSSLError | ssl.SSLError):
        return ErrorKind.TLS_INVALID, _cut(f"TLS: {exc}")
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return ErrorKind.CONNECT_TIMEOUT, "connection timed out"
    if isinstance(exc, aiohttp.TooManyRedirects):
        return ErrorKind.TOO_MANY_REDIRECTS, f"stopped after {len(exc.history)} redirects"
    if isinstance(exc, TimeoutError):
        if timing.dns_start is not None and timing.dns_end is None:
            return ErrorKind.DNS, "DNS lookup timed out"
        if timing.conn_start is not None and timing.conn_end is None:
            return ErrorKind.CONNECT_TIMEOUT, "connection timed out"
        return ErrorKind.TIMEOUT, "no complete response in time"
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, ConnectionRefusedError):
            return ErrorKind.CONNECT_REFUSED, "connection refused"
        return ErrorKind.CONNECTION, _cut(str(exc.os_error.strerror or exc.os_error))
    if isinstance(exc, aiohttp.ClientError | OSError):
        return ErrorKind.CONNECTION, _cut(f"{type(exc).__name__}: {exc}")
    return ErrorKind.INTERNAL, _cut(f"{type(exc).__name__}: {exc}")
