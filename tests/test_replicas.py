"""Two replicas (two real run.py processes) on one PostgreSQL database share the work:
no monitor is checked twice within an interval, none is skipped.

The one real-time run of the replicas: the bounds leave room for a loaded machine (a
double check shows as a gap near 0, a skipped run as one near two intervals); the
engine's timing itself is tested exactly on a manual clock (tests/test_engine.py)."""

from __future__ import annotations

import asyncio
import itertools
import re
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tortoise.context import TortoiseContext
from tortoise.transactions import in_transaction

from db.config import tortoise_config
from db.migrate import upgrade
from db.models import CheckLog, Monitor, User
from tests.support.service import start_service
from tests.support.targets import TargetServers

MONITORS = 200
INTERVAL = 2
RUN_SECONDS = 10


@pytest.mark.parametrize("dialect", ["postgres"])
async def test_two_replicas_check_every_monitor_once_per_interval(
    fresh_db_url: str, targets: TargetServers, tmp_path: Path
) -> None:
    site = await targets.http()
    await upgrade(fresh_db_url)
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(fresh_db_url))
        user = await User.create(telegram_id=1)
        await Monitor.bulk_create(
            [
                Monitor(
                    owner=user,
                    name=f"m{i}",
                    url=site.url(f"/ok?m={i}"),
                    interval_seconds=INTERVAL,
                    retry_interval_seconds=INTERVAL,
                    next_check_at=datetime.now(UTC) + timedelta(days=1),  # set below
                )
                for i in range(MONITORS)
            ]
        )

    # Each replica checks in its own process (checker processes have their own test).
    env = {"DATABASE_URL": fresh_db_url, "ALLOW_PRIVATE_TARGETS": "true", "CHECKER_PROCESSES": "1"}
    replicas = [await start_service(tmp_path, **env) for _ in range(2)]
    try:
        for replica in replicas:
            await replica.wait_healthy(timeout=60)
        # Due times start once both replicas are up (start-up time varies with the
        # machine's load), spread over one interval.
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(fresh_db_url))
            start = datetime.now(UTC) + timedelta(seconds=2)
            async with in_transaction():
                for i, monitor_id in enumerate(await Monitor.all().values_list("id", flat=True)):
                    offset = timedelta(seconds=INTERVAL * i / MONITORS)
                    await Monitor.filter(id=monitor_id).update(next_check_at=start + offset)
            due = await Monitor.all().values("id", "next_check_at")
        await asyncio.sleep(RUN_SECONDS)
    finally:
        stopping = datetime.now(UTC)
        codes = [(await replica.stop(signal.SIGTERM))[0] for replica in replicas]
    assert codes == [0, 0], [r.text for r in replicas]

    started = []
    for replica in replicas:
        match = re.search(r"engine stopped: (\d+) checks started, (\d+) recorded", replica.text)
        assert match, replica.text
        assert match[1] == match[2]  # everything started was written
        started.append(int(match[1]))
    # Both replicas took part. Not an even split: which replica's jittered tick comes
    # first varies with the machine's load (24% for one of them was seen on a busy CI).
    assert min(started) > 0.1 * sum(started), started

    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(fresh_db_url))
        logs = await CheckLog.all().order_by("checked_at").values("monitor_id", "checked_at")
    assert len(logs) == sum(started)
    times: dict[int, list[datetime]] = {}
    for row in logs:
        times.setdefault(row["monitor_id"], []).append(row["checked_at"])
    assert len(times) == MONITORS
    first_due = {m["id"]: m["next_check_at"] for m in due}
    for monitor_id, checks in times.items():
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(checks)]
        assert len(checks) >= RUN_SECONDS / INTERVAL - 3, (monitor_id, len(checks))
        # From the first due time to the shutdown, without a hole at either end.
        # (Loop timers may fire up to the clock resolution, 1 ms, early.)
        assert -0.005 <= (checks[0] - first_due[monitor_id]).total_seconds() < 1.0
        assert (stopping - checks[-1]).total_seconds() < INTERVAL + 1.0
        # Twice within one interval would show as a short gap; a skipped run as a long one.
        assert min(gaps) > INTERVAL - 0.5, (monitor_id, gaps)
        assert max(gaps) < INTERVAL + 1.0, (monitor_id, gaps)
