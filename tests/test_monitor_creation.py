"""Creating a monitor resolves its host outside the transaction: a slow DNS answer
holds no lock and no connection."""

from __future__ import annotations

import asyncio

from tortoise.transactions import in_transaction

from core.monitors import create_monitor
from core.runtime import Runtime
from db.connection import current_connection
from db.models import Monitor, User
from tests.support.dns import GatedResolver
from tests.support.wait import until


async def test_a_slow_dns_answer_blocks_nobody_else(db, settings, probe) -> None:
    """While a creation waits for DNS, the owner's row can be locked (NOWAIT: it would
    fail at once were the creation holding it on PostgreSQL) and written, and other
    queries run (on SQLite they would wait for the creation's transaction)."""
    slow_dns = GatedResolver({"slow.example": ["93.184.216.34"]})
    runtime = Runtime(settings=settings, probe=probe, resolve=slow_dns)
    owner = await User.create(telegram_id=5)
    creating = asyncio.create_task(create_monitor(runtime, owner, "https://slow.example/"))
    try:
        await until(lambda: slow_dns.waiting == 1)

        async def meanwhile() -> int:
            async with in_transaction(current_connection().connection_name):
                await User.filter(id=owner.id).select_for_update(nowait=True).first()
                await User.filter(id=owner.id).update(reminder_interval_minutes=30)
            return await Monitor.all().count()

        assert await asyncio.wait_for(meanwhile(), 5) == 0
    finally:
        slow_dns.opened.set()
    monitor = await creating
    assert monitor.url == "https://slow.example/" and monitor.owner_id == owner.id
    assert runtime.creations.count(owner.id) == 0
