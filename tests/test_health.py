"""GET /health answers 200 while the database answers, 503 when it does not."""

from __future__ import annotations

import aiohttp
import pytest
from tortoise.context import TortoiseContext

from core.settings import Settings
from db.config import tortoise_config
from tests.support.api import app_of
from tests.support.http import free_port, serving
from tests.support.tcp_proxy import TcpProxy


async def get_health(base: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http, http.get(f"{base}/health") as resp:
        return resp.status, await resp.json()


async def test_health_ok(db, settings: Settings) -> None:
    async with serving(app_of(settings)) as base:
        assert await get_health(base) == (200, {"status": "ok"})


async def test_health_503_when_the_database_never_answered() -> None:
    url = f"postgres://postgres@127.0.0.1:{free_port()}/nothing"
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(url))
        async with serving(app_of(Settings(_env_file=None, database_url=url))) as base:
            status, body = await get_health(base)
    assert status == 503
    assert body["status"] == "error"


@pytest.mark.parametrize("dialect", ["postgres"])
async def test_health_follows_a_database_that_goes_away_and_returns(
    fresh_db_url: str,
) -> None:
    target = fresh_db_url.removeprefix("postgres://").split("@", 1)[1].split("/", 1)[0]
    host, _, port = target.partition(":")
    proxy = TcpProxy(host, int(port or 5432))
    await proxy.start()
    proxied = fresh_db_url.replace(f"@{target}/", f"@127.0.0.1:{proxy.port}/")
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(proxied))
        async with serving(app_of(Settings(_env_file=None, database_url=proxied))) as base:
            assert (await get_health(base))[0] == 200
            await proxy.cut()
            status, body = await get_health(base)
            assert (status, body["status"]) == (503, "error")
            await proxy.start()
            # The pool replaces its broken connections; health recovers without a restart.
            statuses = [(await get_health(base))[0] for _ in range(3)]
            assert statuses[-1] == 200
