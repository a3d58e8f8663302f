"""The probe: runs one check of any kind (core/kinds) and holds what checks share: one
aiohttp ClientSession for HTTP, the SSL context, the resolver and the SSRF guard, the
clock, the result type and the one enum of error kinds.

The HTTP(S) kind (core/kinds/http.py) sends one request per check through the session.

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver

from core.clock import SYSTEM_CLOCK, Clock
from core.targets import TargetError, check_host, is_ip_literal, is_public_address

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
    JSON_INVALID = "json_invalid"  # http: the body is not JSON (a JSON rule is set)
    JSON_QUERY_FAILED = "json_query_failed"  # http: the JSON rule does not hold
    UNEXPECTED_UP = "unexpected_up"  # an upside-down check succeeded
    MISSED = "missed"  # push: no success ping by the due time plus grace
    REPORTED_FAILURE = "reported_failure"  # push: a /fail ping or a non-zero exit code
    NEVER_FINISHED = "never_finished"  # push: a /start with no end within the grace
    INTERNAL = "internal"  # a bug of ours; recorded as a failed check, never a crash


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
    # When the monitor is next due, for a kind whose schedule the result decides (a push
    # monitor's next deadline); None: the scheduler's own rhythm.
    next_due_at: datetime | None = None
    # A judgement of the monitor's row as the claim read it (a push monitor's silence):
    # the row's last check then (CHECKED_NEVER when it had none). Recording drops the
    # result when a later check was recorded meanwhile (a ping that landed between the
    # claim and the judgement): it judged a state that is no longer the row's.
    void_if_checked_after: datetime | None = None
    # Facts of a failure its DOWN alert may show, JSON-able (times as ISO text), such as
    # when a push monitor's unfinished run started ("started_at"); None: nothing more.
    details: dict[str, Any] | None = None


# void_if_checked_after for a row that had no check at all.
CHECKED_NEVER = datetime.min.replace(tzinfo=UTC)


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


def make_insecure_ssl_context() -> ssl.SSLContext:
    """A context that accepts any certificate (a monitor's `ignore_tls_errors`); it
    still reports timing and keeps the certificate, whose expiry is still watched."""
    ctx = TimedSSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


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
    """Drops non-public addresses after DNS unless the running request allows them
    (`private_addresses_allowed`): the probe's and the channel transports' connector."""

    def __init__(self, *args: Any, is_public: Callable[[str], bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._is_public = is_public

    async def _resolve_host(self, host: str, port: int, traces: Any = None) -> list[Any]:
        check_host(host)  # before DNS: the C library would read 0x7f000001 as 127.0.0.1
        hosts = await super()._resolve_host(host, port, traces=traces)
        return guard_addresses(host, hosts, self._is_public)


@contextmanager
def private_addresses_allowed(allowed: bool) -> Iterator[None]:
    """Inside the block, `guard_addresses` lets private addresses through when `allowed`
    (an admin's monitor, a channel of someone allowed private targets). A context
    variable rather than an argument: the guard runs deep inside aiohttp's connector,
    in the task that sends the request, where only the context reaches."""
    token = _allow_private.set(allowed)
    try:
        yield
    finally:
        _allow_private.reset(token)


def guard_addresses(host: str, hosts: list[Any], is_public: Callable[[str], bool]) -> list[Any]:
    """The SSRF rule at connect time, after DNS, for every kind: the resolved entries
    (aiohttp's dicts with a "host") whose address is public, unless the running check
    may reach private ones (`private_addresses_allowed`); BlockedAddressError when none
    is left."""
    if _allow_private.get():
        return hosts
    public = [h for h in hosts if is_public(h["host"])]
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


def cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"


def peer_cert_expiry(timing: Timing) -> datetime | None:
    if timing.ssl_object is None:
        return None
    try:
        cert = timing.ssl_object.getpeercert()
        der = None if cert else timing.ssl_object.getpeercert(binary_form=True)
    except ValueError:  # handshake not completed
        return None
    if der:  # not verified (ignore_tls_errors): Python parses only verified certificates
        return der_not_after(der)
    if not cert or "notAfter" not in cert:
        return None
    return datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), UTC)


def _der_items(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    """The DER elements between `start` and `end`: (tag, content start, content end)."""
    items = []
    while start < end:
        tag, length = data[start], data[start + 1]
        start += 2
        if length & 0x80:
            size = length & 0x7F
            length = int.from_bytes(data[start : start + size], "big")
            start += size
        items.append((tag, start, start + length))
        start += length
    return items


def der_not_after(der: bytes) -> datetime | None:
    """The end of validity of a DER certificate (Certificate -> tbsCertificate ->
    validity, the fifth element after the optional [0] version), or None if unreadable."""
    try:
        (_tag, start, end), *_ = _der_items(der, 0, len(der))
        (_tag, start, end), *_ = _der_items(der, start, end)
        fields = _der_items(der, start, end)
        if fields[0][0] == 0xA0:  # explicit version
            fields = fields[1:]
        _tag, start, end = fields[3]
        _before, (tag, start, end) = _der_items(der, start, end)[:2]
        text = der[start:end].decode("ascii")
        pattern = "%y%m%d%H%M%SZ" if tag == 0x17 else "%Y%m%d%H%M%SZ"  # UTCTime, GeneralizedTime
        return datetime.strptime(text, pattern).replace(tzinfo=UTC)
    except (ValueError, IndexError):
        return None


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
        self._ssl_context = ssl_context
        self._is_public = is_public
        self._resolver = resolver
        self.max_body_bytes = max_body_bytes
        self._session: aiohttp.ClientSession | None = None
        self.insecure_ssl_context = make_insecure_ssl_context()

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
            is_public=self._is_public,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            trace_configs=[_trace_config()],
            headers={"User-Agent": USER_AGENT},
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=True,
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("Probe.start() was not called")
        return self._session

    @property
    def ssl_context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            raise RuntimeError("Probe.start() was not called")
        return self._ssl_context

    async def check(self, spec: Any) -> ProbeResult | None:
        """Run one check of any kind (the kind's checker, core/kinds). Never raises
        (except CancelledError): failures are results. None: nothing to judge yet (a
        push monitor claimed before its deadline); nothing is recorded."""
        from core.kinds import checker_of  # the kinds build on this module

        checked_at = self.clock.now()
        timing = Timing(started=time.perf_counter())
        token = _timing.set(timing)
        try:
            with private_addresses_allowed(spec.allow_private):
                async with asyncio.timeout(spec.timeout + 1.0):  # a guard over the checker's
                    return await checker_of(spec)(spec, self)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return failed_result(exc, checked_at)
        finally:
            _timing.reset(token)

    async def resolve(self, host: str, port: int) -> list[str]:
        """The addresses a check may connect to for `host`, after the SSRF rule: the
        same resolver and guard as HTTP's connector (`guard_addresses`), for the kinds
        that open their own connections. OSError when the name does not resolve,
        BlockedAddressError when no address may be reached."""
        check_host(host)
        if is_ip_literal(host):  # as aiohttp does: an address needs no lookup
            hosts = [{"host": host}]
        else:
            resolver = self._resolver or _default_resolver()
            timing = _timing.get(None)
            if timing is not None:
                timing.mark("dns_start", time.perf_counter())
            hosts = await resolver.resolve(host, port)
            if timing is not None:
                timing.mark("dns_end", time.perf_counter())
        return [h["host"] for h in guard_addresses(host, hosts, self._is_public)]


def _default_resolver() -> AbstractResolver:
    from aiohttp.resolver import DefaultResolver

    return DefaultResolver()


def failed_result(exc: Exception, checked_at: datetime) -> ProbeResult:
    """The failed result of a check that raised `exc` (inside Probe.check)."""
    timing = current_timing()
    result = ProbeResult(checked_at=checked_at, ok=False)
    result.error_kind, result.error_message = _classify(exc, timing)
    fill_timing(result, timing, time.perf_counter())
    return result


def current_timing() -> Timing:
    """The Timing of the running check (set by Probe.check)."""
    timing = _timing.get(None)
    if timing is None:
        raise RuntimeError("no check is running")
    return timing


def fill_timing(result: ProbeResult, timing: Timing, now: float) -> None:
    result.latency_ms = _ms(now - timing.started)
    if timing.dns_start is not None:
        result.dns_ms = _ms(timing.dns)
    if timing.hops_connected:
        result.connect_ms = _ms(timing.connect)
        result.tls_ms = _ms(timing.tls) if timing.tls else None
    if timing.headers_at is not None:
        result.ttfb_ms = _ms(timing.ttfb)


def _classify(exc: BaseException, timing: Timing) -> tuple[str, str]:
    """Map an exception from a check to an error kind and a short message."""
    if isinstance(exc, BlockedAddressError):
        return ErrorKind.BLOCKED, cut(str(exc))
    if isinstance(exc, TargetError):
        return ErrorKind.BLOCKED, cut(f"URL refused ({exc.code}): {exc.detail}")
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return ErrorKind.DNS, cut(
            f"cannot resolve {exc.host}: {exc.os_error.strerror or exc.os_error}"
        )
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        err = exc.certificate_error
        message = getattr(err, "verify_message", None) or str(err)
        return ErrorKind.TLS_INVALID, cut(f"certificate: {message}")
    if isinstance(exc, aiohttp.ClientConnectorSSLError | aiohttp.ClientSSLError | ssl.SSLError):
        return ErrorKind.TLS_INVALID, cut(f"TLS: {exc}")
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
        return ErrorKind.CONNECTION, cut(str(exc.os_error.strerror or exc.os_error))
    if isinstance(exc, aiohttp.ClientError | OSError):
        return ErrorKind.CONNECTION, cut(f"{type(exc).__name__}: {exc}")
    return ErrorKind.INTERNAL, cut(f"{type(exc).__name__}: {exc}")
