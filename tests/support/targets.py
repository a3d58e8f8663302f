"""Real local targets for probe and engine tests: HTTP and HTTPS on loopback.

One aiohttp app answers every behaviour a monitor meets (slow, huge, stalling, redirect
loops, any status); `TargetServers` serves it over plain HTTP and over HTTPS with
certificates the test makes with trustme (valid, expired, expiring soon, wrong host,
self-signed).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import trustme
from aiohttp import web

from core.probe import make_ssl_context

HITS = web.AppKey("hits", dict)
STATS = web.AppKey("stats", dict)
# /gate answers once the test sets GATE; GATED counts the requests waiting at it.
GATE = web.AppKey("gate", asyncio.Event)
GATED = web.AppKey("gated", dict)


JSON_DOCUMENT = {
    "status": "ok",
    "count": 42,
    "ratio": 0.5,
    "flag": True,
    "tags": ["blue", "green"],
    "items": [{"id": 1, "name": "first"}, {"id": 2, "name": "second"}],
}


def target_app() -> web.Application:
    routes = web.RouteTableDef()
    app = web.Application()
    app[HITS] = {}
    app[STATS] = {}
    app[GATE] = asyncio.Event()
    app[GATED] = {"waiting": 0}

    @web.middleware
    async def count(request: web.Request, handler):
        hits = request.app[HITS]
        hits[request.path] = hits.get(request.path, 0) + 1
        return await handler(request)

    app.middlewares.append(count)

    @routes.route("*", "/ok")
    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="hello world, all systems operational")

    @routes.get("/echo")
    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"method": request.method, "headers": dict(request.headers)})

    @routes.post("/echo")
    async def echo_post(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "method": request.method,
                "headers": dict(request.headers),
                "body": await request.text(),
            }
        )

    @routes.get("/json")
    async def json_document(request: web.Request) -> web.Response:
        """A JSON API's answer, for the http kind's JSON rule."""
        return web.json_response(JSON_DOCUMENT)

    @routes.get("/status/{code}")
    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="status page")

    @routes.get("/slow")
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(float(request.query.get("delay", "1")))
        return web.Response(text="finally")

    @routes.get("/gate/{name}")
    async def gate(request: web.Request) -> web.Response:
        """A slow target the test controls: it answers when app[GATE] is set, not
        after a delay, so what happens meanwhile does not depend on timing."""
        request.app[GATED]["waiting"] += 1
        try:
            await request.app[GATE].wait()
        finally:
            request.app[GATED]["waiting"] -= 1
        return web.Response(text="let through")

    @routes.get("/stall")
    async def stall(request: web.Request) -> web.StreamResponse:
        """Headers at once, then the body never comes."""
        response = web.StreamResponse()
        response.content_length = 100
        await response.prepare(request)
        await response.write(b"partial")
        await asyncio.sleep(3600)
        return response

    @routes.get("/huge")
    async def huge(request: web.Request) -> web.StreamResponse:
        """`mb` MiB of filler, then the keyword `tail` (if any) at the very end."""
        size = int(float(request.query.get("mb", "50")) * 1024 * 1024)
        tail = request.query.get("tail", "").encode()
        response = web.StreamResponse()
        response.content_length = size + len(tail)
        await response.prepare(request)
        block = b"x" * 65536
        sent = 0
        with contextlib.suppress(ConnectionError):
            while sent < size:
                piece = block[: size - sent]
                await response.write(piece)
                sent += len(piece)
            await response.write(tail)
        request.app[STATS]["huge_sent"] = sent
        return response

    @routes.get("/keyword-split")
    async def keyword_split(request: web.Request) -> web.StreamResponse:
        """The word arrives split over two chunks."""
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"start ... Wel")
        await asyncio.sleep(0.05)
        await response.write(b"come home")
        return response

    @routes.get("/redirect/{n}")
    async def redirect(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        raise web.HTTPFound("/ok" if n <= 1 else f"/redirect/{n - 1}")

    @routes.get("/loop")
    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    @routes.get("/redirect-to")
    async def redirect_to(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["url"])

    @routes.get("/flaky")
    async def flaky(request: web.Request) -> web.Response:
        """Fails on every n-th request (n = `every`), succeeds otherwise."""
        count = request.app[HITS]["/flaky"]
        every = int(request.query.get("every", "5"))
        if count % every == 0:
            return web.Response(status=500, text="oops")
        return web.Response(text="fine")

    @routes.get("/switch")
    async def switch(request: web.Request) -> web.Response:
        """Up or down as the test says through app[STATS]["switch_ok"]."""
        if request.app[STATS].get("switch_ok", True):
            return web.Response(text="up")
        return web.Response(status=503, text="down for maintenance")

    app.add_routes(routes)
    return app


@dataclass
class Site:
    runner: web.AppRunner
    port: int
    scheme: str
    host: str = "127.0.0.1"

    def url(self, path: str = "/ok") -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"


@dataclass
class TargetServers:
    """HTTP and HTTPS servers of `target_app()`, plus the CA the probe should trust."""

    app: web.Application = field(default_factory=target_app)
    ca: trustme.CA = field(default_factory=trustme.CA)
    sites: list[Site] = field(default_factory=list)

    async def http(self) -> Site:
        return await self._serve(None, "http")

    async def https(
        self,
        *,
        hostnames: tuple[str, ...] = ("127.0.0.1", "localhost"),
        expires_in: timedelta = timedelta(days=365),
        ca: trustme.CA | None = None,
        host: str = "127.0.0.1",
    ) -> Site:
        """An HTTPS site whose certificate names `hostnames` and ends after `expires_in`
        (negative: already expired), signed by `ca` (default: the trusted one)."""
        now = datetime.now(UTC)
        not_before = min(now - timedelta(days=30), now + expires_in - timedelta(days=1))
        cert = (ca or self.ca).issue_cert(
            *hostnames, not_before=not_before, not_after=now + expires_in
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        site = await self._serve(context, "https")
        site.host = host
        return site

    def probe_ssl_context(self) -> ssl.SSLContext:
        context = make_ssl_context()
        self.ca.configure_trust(context)
        return context

    async def _serve(self, ssl_context: ssl.SSLContext | None, scheme: str) -> Site:
        runner = web.AppRunner(self.app, shutdown_timeout=0.2, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        served = Site(runner, port, scheme)
        self.sites.append(served)
        return served

    async def close(self) -> None:
        for site in self.sites:
            await site.runner.cleanup()
        self.sites.clear()
