"""A stand-in for the receivers of HTTP alert channels (a webhook receiver, Slack,
Discord) for tests: bench/_receiver.py's receiver (records every request, checks a
webhook's signature over the raw body), answering each path what a test asks for (a
status, a body, headers), answering slowly or streaming without end.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from bench._receiver import Receiver as RecordingReceiver

__all__ = ["SECRET", "Receiver", "Reply", "receiver"]

SECRET = "s3cret-for-tests"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)


class Receiver(RecordingReceiver):
    """Answers every path from `replies` (a list is served in order, then its last),
    200 "ok" otherwise; /slow waits for the test's end, /huge streams without end."""

    def __init__(self) -> None:
        super().__init__(SECRET)
        self.replies: dict[str, list[Reply]] = {}
        self.released = asyncio.Event()

    def answer(self, path: str, *replies: Reply) -> str:
        self.replies[path] = list(replies)
        return self.url + path

    async def reply(self, request: web.Request) -> web.StreamResponse:
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
    async with server.serving():
        yield server
        server.released.set()
