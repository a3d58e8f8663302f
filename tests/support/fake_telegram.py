"""A fake Telegram Bot API server (aiohttp.web) that the real bot talks to in tests.

It serves `{url}/bot{token}/{method}` like api.telegram.org, records every call, and
hands out queued updates through long-polling getUpdates. The bot issue extends it to
play users and to answer with errors on demand.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-TOKEN"
    bot_id: int = 123456
    username: str = "uptime_test_bot"
    calls: list[Call] = field(default_factory=list)
    _updates: list[dict] = field(default_factory=list)
    _next_update_id: int = 1
    _runner: web.AppRunner | None = None
    port: int = 0

    def __post_init__(self) -> None:
        self._changed = asyncio.Condition()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    async def wait_for_call(self, method: str, timeout: float = 10.0) -> Call:
        async def find() -> Call:
            async with self._changed:
                while True:
                    for call in self.calls:
                        if call.method == method:
                            return call
                    await self._changed.wait()

        return await asyncio.wait_for(find(), timeout)

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return await request.json()
        if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            form = await request.post()
            params: dict[str, Any] = {}
            for key, value in form.items():
                if isinstance(value, str):
                    try:
                        params[key] = json.loads(value)
                    except ValueError:
                        params[key] = value
                else:
                    params[key] = value.file.read()
            return params
        return dict(request.query)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        async with self._changed:
            self.calls.append(Call(method, params))
            self._changed.notify_all()
        if method == "getMe":
            return _ok(
                {
                    "id": self.bot_id,
                    "is_bot": True,
                    "first_name": "Uptime",
                    "username": self.username,
                }
            )
        if method == "getUpdates":
            return _ok(await self._get_updates(params))
        if method in ("deleteWebhook", "setWebhook", "setMyCommands", "close", "logOut"):
            return _ok(True)
        return _error(404, f"Not Found: method {method} is not faked")

    async def _get_updates(self, params: dict[str, Any]) -> list[dict]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)

        def pending() -> list[dict]:
            return [u for u in self._updates if u["update_id"] >= offset]

        async with self._changed:
            self._updates = pending()
            if not self._updates and timeout:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait_for(lambda: bool(pending())), timeout)
            return pending()


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": code, "description": description}, status=code
    )
