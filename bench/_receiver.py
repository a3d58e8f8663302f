"""A stand-in for the receivers of HTTP alert channels (a webhook receiver, Slack,
Discord): an aiohttp app on 127.0.0.1 that records every request with its arrival
time and checks a webhook's signature over the raw body, as a receiver should.
Answers 200 "ok" unless a subclass's `reply` says otherwise (tests/support/receiver.py
scripts answers; bench/alerts.py counts deliveries).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from scheduler.transports.webhook import verify


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    at: float = field(default_factory=time.monotonic)  # arrival, time.monotonic()

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.received: list[Received] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        header = request.headers.get("X-Uptime-Signature")
        self.received.append(
            Received(request.path, dict(request.headers), raw, verify(self.secret, raw, header))
        )
        return await self.reply(request)

    async def reply(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text="ok")

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        """Serve every path; yields (and sets) `url`."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        async with serving(app) as self.url:
            yield self.url


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serve `app` on a free port of 127.0.0.1 and yield its base URL."""
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
