"""The probe against real local servers: every rule passing and failing, every error kind."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import trustme

from core.kinds.http import Spec as ProbeSpec
from core.probe import ErrorKind, Probe
from tests.support.dns import StaticResolver
from tests.support.targets import HITS, STATS, Site, TargetServers

RESOLVER = StaticResolver(
    {
        "site.test": ["127.0.0.1"],
        "evil.test": ["127.0.0.1"],
        "metadata.test": ["169.254.169.254"],
        "mixed.test": ["127.0.0.1", "10.0.0.1"],
        "v6.test": ["::1"],
    }
)


@pytest.fixture
async def http(targets: TargetServers) -> Site:
    return await targets.http()


@pytest.fixture
async def probe(targets: TargetServers) -> AsyncIterator[Probe]:
    p = Probe(ssl_context=targets.probe_ssl_context(), resolver=RESOLVER)
    await p.start()
    yield p
    await p.close()


def spec(url: str, **kw) -> ProbeSpec:
    kw.setdefault("allow_private", True)
    kw.setdefault("timeout", 5.0)
    return ProbeSpec(url=url, **kw)


async def test_plain_http_success_records_timings(probe: Probe, http: Site) -> None:
    result = await probe.check(spec(http.url("/ok")))
    assert result.ok and result.error_kind is None and result.status_code == 200
    assert result.latency_ms is not None and result.latency_ms < 2000
    assert result.connect_ms is not None and result.ttfb_ms is not None
    assert result.tls_ms is None and result.cert_expires_at is None
    assert result.final_url is None
    assert result.checked_at.tzinfo is not None


async def test_dns_name_is_resolved_and_timed(probe: Probe, http: Site) -> None:
    result = await probe.check(spec(f"http://site.test:{http.port}/ok"))
    assert result.ok, result.error_message
    assert result.dns_ms is not None


async def test_https_success_reads_certificate_and_tls_time(
    probe: Probe, targets: TargetServers
) -> None:
    site = await targets.https(expires_in=timedelta(days=90))
    result = await probe.check(spec(site.url("/ok")))
    assert result.ok, result.error_message
    assert result.tls_ms is not None and result.connect_ms is not None
    assert result.cert_expires_at is not None
    days = (result.cert_expires_at - datetime.now(UTC)) / timedelta(days=1)
    assert 89 < days <= 90


async def test_certificate_is_read_when_the_check_fails_for_another_reason(
    probe: Probe, targets: TargetServers
) -> None:
    site = await targets.https(expires_in=timedelta(days=20))
    result = await probe.check(spec(site.url("/status/500")))
    assert result.error_kind == ErrorKind.HTTP_STATUS
    assert result.cert_expires_at is not None


@pytest.mark.parametrize(
    ("kind", "fragment"),
    [("self_signed", "self-signed"), ("expired", "expired"), ("wrong_host", "mismatch")],
)
async def test_tls_invalid(probe: Probe, targets: TargetServers, kind: str, fragment: str) -> None:
    if kind == "self_signed":
        site = await targets.https(ca=trustme.CA())
    elif kind == "expired":
        site = await targets.https(expires_in=timedelta(days=-2))
    else:
        site = await targets.https(hostnames=("example.org",))
    result = await probe.check(spec(site.url("/ok")))
    assert result.error_kind == ErrorKind.TLS_INVALID
    assert fragment in result.error_message.lower() or (
        kind == "self_signed" and "unable to get local issuer" in result.error_message
    ), result.error_message


async def test_dns_failure(probe: Probe) -> None:
    result = await probe.check(spec("http://no-such-host.test/"))
    assert result.error_kind == ErrorKind.DNS
    assert "no-such-host.test" in result.error_message


async def test_connect_refused(probe: Probe) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = await probe.check(spec(f"http://127.0.0.1:{port}/"))
    assert result.error_kind == ErrorKind.CONNECT_REFUSED


async def test_connect_timeout(probe: Probe) -> None:
    """A listener whose accept queue is full: the SYN is never answered."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        await asyncio.sleep(0.1)
        started = time.monotonic()
        result = await probe.check(spec(f"http://127.0.0.1:{port}/", timeout=1.0))
        assert result.error_kind == ErrorKind.CONNECT_TIMEOUT, result
        assert time.monotonic() - started < 2.5
    finally:
        for s in (*fillers, listener):
            s.close()


async def test_timeout_waiting_for_response(probe: Probe, http: Site) -> None:
    started = time.monotonic()
    result = await probe.check(spec(http.url("/slow?delay=5"), timeout=1.0))
    assert result.error_kind == ErrorKind.TIMEOUT
    assert time.monotonic() - started < 2.5


async def test_headers_then_stall_is_a_timeout(probe: Probe, http: Site) -> None:
    started = time.monotonic()
    result = await probe.check(spec(http.url("/stall"), timeout=1.0, keyword="never"))
    assert result.error_kind == ErrorKind.TIMEOUT
    assert result.status_code is None or result.status_code == 200
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize(
    ("path", "codes", "ok"),
    [
        ("/status/503", "200-399", False),
        ("/status/404", "200-399", False),
        ("/status/204", "200-399", True),
        ("/status/503", "200-299,503", True),
        ("/status/301", "200-299", False),
        ("/status/418", "418", True),
    ],
)
async def test_accepted_status_codes(
    probe: Probe, http: Site, path: str, codes: str, ok: bool
) -> None:
    result = await probe.check(spec(http.url(path), accepted_status_codes=codes, max_redirects=0))
    assert result.ok is ok
    if not ok:
        assert result.error_kind == ErrorKind.HTTP_STATUS
        assert result.error_message.startswith(f"HTTP {path.rsplit('/', 1)[1]}")


async def test_redirects_are_followed_and_the_final_url_recorded(probe: Probe, http: Site) -> None:
    result = await probe.check(spec(http.url("/redirect/3")))
    assert result.ok and result.final_url == http.url("/ok")


async def test_redirect_loop(probe: Probe, http: Site) -> None:
    result = await probe.check(spec(http.url("/loop")))
    assert result.error_kind == ErrorKind.TOO_MANY_REDIRECTS


async def test_redirect_limit(probe: Probe, http: Site) -> None:
    assert (await probe.check(spec(http.url("/redirect/10"), max_redirects=10))).ok
    result = await probe.check(spec(http.url("/redirect/11"), max_redirects=10))
    assert result.error_kind == ErrorKind.TOO_MANY_REDIRECTS


@pytest.mark.parametrize(
    ("keyword", "mode", "kind"),
    [
        ("operational", "present", None),
        ("Operational", "present", ErrorKind.KEYWORD_MISSING),  # plain, case-sensitive
        ("down", "present", ErrorKind.KEYWORD_MISSING),
        ("down", "absent", None),
        ("operational", "absent", ErrorKind.KEYWORD_FOUND),
        (".*", "present", ErrorKind.KEYWORD_MISSING),  # never a regex
    ],
)
async def test_keyword_rules(probe: Probe, http: Site, keyword, mode, kind) -> None:
    result = await probe.check(spec(http.url("/ok"), keyword=keyword, keyword_mode=mode))
    assert result.error_kind == kind


async def test_keyword_split_between_chunks_is_found(probe: Probe, http: Site) -> None:
    assert (await probe.check(spec(http.url("/keyword-split"), keyword="Welcome"))).ok


async def test_huge_body_with_keyword_reads_only_the_cap(
    probe: Probe, http: Site, targets: TargetServers
) -> None:
    started = time.monotonic()
    result = await probe.check(spec(http.url("/huge?mb=50&tail=NEEDLE"), keyword="NEEDLE"))
    assert result.error_kind == ErrorKind.BODY_TOO_LARGE
    assert time.monotonic() - started < 3
    await asyncio.sleep(0.2)  # let the server notice the closed connection
    assert targets.app[STATS]["huge_sent"] < 10 * 1024 * 1024  # we hung up early
    # Absent mode cannot prove absence beyond the cap either.
    result = await probe.check(
        spec(http.url("/huge?mb=50"), keyword="NEEDLE", keyword_mode="absent")
    )
    assert result.error_kind == ErrorKind.BODY_TOO_LARGE


async def test_huge_body_without_keyword_is_fine(probe: Probe, http: Site) -> None:
    started = time.monotonic()
    assert (await probe.check(spec(http.url("/huge?mb=50")))).ok
    assert time.monotonic() - started < 3


async def test_keyword_just_inside_the_cap_is_found(probe: Probe, http: Site) -> None:
    result = await probe.check(spec(http.url("/huge?mb=0.99&tail=NEEDLE"), keyword="NEEDLE"))
    assert result.ok, result.error_message


async def test_slow_response_over_the_latency_threshold(probe: Probe, http: Site) -> None:
    result = await probe.check(spec(http.url("/slow?delay=0.3"), latency_threshold_ms=100))
    assert result.error_kind == ErrorKind.SLOW
    assert result.latency_ms >= 300
    assert (await probe.check(spec(http.url("/ok"), latency_threshold_ms=2000))).ok


async def test_method_headers_and_body_are_sent(probe: Probe, http: Site) -> None:
    result = await probe.check(
        spec(
            http.url("/echo"),
            method="POST",
            headers={"X-Probe": "yes-probe-header"},
            body="payload-body-text",
            keyword="payload-body-text",
        )
    )
    assert result.ok, result.error_message
    result = await probe.check(
        spec(http.url("/echo"), headers={"X-Probe": "yes-probe-header"}, keyword="yes-probe-header")
    )
    assert result.ok, result.error_message
    head = await probe.check(spec(http.url("/ok"), method="HEAD"))
    assert head.ok and head.status_code == 200


async def test_unexpected_failure_is_an_internal_result_not_a_crash(
    probe: Probe, http: Site
) -> None:
    result = await probe.check(spec(http.url("/ok"), headers={"X-Bad": "a\r\nInjected: 1"}))
    assert not result.ok
    assert result.error_kind in (ErrorKind.INTERNAL, ErrorKind.CONNECTION)


# --- SSRF guard -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/ok",
        "http://evil.test:{port}/ok",  # a name that resolves to loopback
        "http://metadata.test/latest/meta-data/",  # link-local cloud metadata
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/ok",
        "http://v6.test:{port}/ok",
    ],
)
async def test_private_targets_are_refused_at_connect_time(
    probe: Probe, http: Site, url: str
) -> None:
    before = dict(http.runner.app[HITS])
    result = await probe.check(spec(url.format(port=http.port), allow_private=False))
    assert result.error_kind == ErrorKind.BLOCKED, result
    assert http.runner.app[HITS] == before  # nothing reached the server


async def test_private_targets_are_allowed_when_permitted(probe: Probe, http: Site) -> None:
    result = await probe.check(spec(f"http://evil.test:{http.port}/ok", allow_private=True))
    assert result.ok


async def test_mixed_answer_uses_only_public_addresses(targets: TargetServers, http: Site) -> None:
    """Only 127.0.0.1 plays 'the public Internet' here; 10.0.0.1 must never be dialled."""
    probe = Probe(resolver=RESOLVER, is_public=lambda a: a == "127.0.0.1")
    await probe.start()
    try:
        result = await probe.check(spec(f"http://mixed.test:{http.port}/ok", allow_private=False))
    finally:
        await probe.close()
    assert result.ok, result.error_message


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.2:{port}/ok",
        "http://evil.test:{port}/ok",
    ],
)
async def test_redirect_to_a_private_address_is_refused(
    targets: TargetServers, http: Site, target: str
) -> None:
    """The first hop is 'public' (127.0.0.1 plays the Internet); the redirect is not."""
    probe = Probe(
        resolver=StaticResolver({"evil.test": ["127.0.0.3"]}), is_public=lambda a: a == "127.0.0.1"
    )
    await probe.start()
    try:
        location = target.format(port=http.port)
        result = await probe.check(
            spec(http.url(f"/redirect-to?url={location}"), allow_private=False)
        )
    finally:
        await probe.close()
    assert result.error_kind == ErrorKind.BLOCKED, result
    assert http.runner.app[HITS].get("/ok", 0) == 0


def test_timings_and_guard_work_on_uvloop_too() -> None:
    """run.py uses uvloop when installed; its TLS layer must still report to the probe."""
    uvloop = pytest.importorskip("uvloop")

    async def scenario() -> tuple:
        servers = TargetServers()
        try:
            site = await servers.https()
            probe = Probe(ssl_context=servers.probe_ssl_context())
            await probe.start()
            try:
                secure = await probe.check(spec(site.url("/ok")))
                blocked = await probe.check(spec(site.url("/ok"), allow_private=False))
            finally:
                await probe.close()
        finally:
            await servers.close()
        return secure, blocked

    secure, blocked = uvloop.run(scenario())
    assert secure.ok and secure.tls_ms is not None and secure.cert_expires_at is not None
    assert blocked.error_kind == ErrorKind.BLOCKED


NUMERIC_FORMS = ["2130706433", "0x7f000001", "017700000001", "127.1", "0x7f.0.0.1"]


@pytest.mark.parametrize("host", NUMERIC_FORMS)
@pytest.mark.parametrize("hop", ["first", "redirect"])
async def test_numeric_address_forms_are_refused_like_at_creation(
    targets: TargetServers, http: Site, host: str, hop: str
) -> None:
    """The creation rule (core.targets.check_host) holds in the probe for every hop, and
    for everyone: with the system resolver, which reads 0x7f000001 as 127.0.0.1 and
    would connect even where private targets are allowed."""
    probe = Probe(ssl_context=targets.probe_ssl_context())
    await probe.start()
    target = f"http://{host}:{http.port}/ok"
    url = target if hop == "first" else http.url(f"/redirect-to?url={target}")
    try:
        result = await probe.check(spec(url, allow_private=True))
    finally:
        await probe.close()
    assert result.error_kind == ErrorKind.BLOCKED, result
    assert "url_numeric_host" in (result.error_message or "")
    assert http.runner.app[HITS].get("/ok", 0) == 0  # nothing reached the server


async def test_a_stored_url_with_port_0_is_refused_like_at_creation(probe: Probe) -> None:
    result = await probe.check(spec("http://127.0.0.1:0/ok"))
    assert result.error_kind == ErrorKind.BLOCKED and "url_port" in (result.error_message or "")
