"""A stand-in for the receivers of HTTP alert channels (a webhook receiver, Slack,
Discord): an aiohttp app on 127.0.0.1 that checks a webhook's signature over the raw
body, as a receiver should, answers each path what a test asks for (a status, a body,
headers), answers slowly or streams without end, and records every request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from scheduler.transports.webhook import verify
from tests.support.http import serving

SECRET = "s3cret-for-tests"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """Answers every path from `replies` (a list is served in order, then its last),
    200 "ok" otherwise; /slow waits for the test's end, /huge streams without end."""

    def __init__(self) -> None:
        self.replies: dict[str, list[Reply]] = {}
        self.received: list[Received] = []
        self.released = asyncio.Event()
        self.url = ""

    def answer(self, path: str, *replies: Reply) -> str:
        self.replies[path] = list(replies)
        return self.url + path

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        header = request.headers.get("X-Uptime-Signature")
        self.received.append(
            Received(request.path, dict(request.headers), raw, verify(SECRET, raw, header))
        )
        if request.path == "/slow":
            await self.released.wait()
        if request.path.startswith("/huge"):
            return await self._stream(request)
        queue = self.replies.get(request.path) or [Reply()]
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        return web.Response(status=reply.status, body=reply.body, headers=reply.headers)

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        status = int(request.query.get("status", "200"))
        response = web.StreamResponse(status=status)
        await response.prepare(request)
        chunk = b"x" * 65536
        try:
            for _ in range(2000):  # 128 MB, were it all read
                await response.write(chunk)
        except (ConnectionError, RuntimeError):
            pass  # the client stopped reading, as it should
        return response


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    async with serving(app) as url:
        server.url = url
        yield server
        server.released.set()
