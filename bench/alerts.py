"""Benchmark of alert delivery: the outbox worker draining a backlog under Telegram's limits.

    python -m bench.alerts [--alerts 10000] [--overall-limit 30] [--chat-interval 1.0]

Creates a throw-away PostgreSQL database on the server of DATABASE_URL (default: the
local test server), queues one down alert for each of N users, and runs the real
worker (aiogram Bot, APScheduler tick every second, as run.py) against the fake Bot
API server of tests/, which answers 429 to any sendMessage above 30 a second overall
or within 1 second of the previous one to the same chat, as Telegram does. Prints
one JSON line:

  alerts                    rows queued (one per user)
  delivered                 messages Telegram accepted
  duplicates                messages beyond one per user (must be 0)
  rate_limited_429          sends the fake refused for going too fast (target 0)
  elapsed_s                 from the first tick until every row was marked sent
  messages_per_s            delivered / elapsed_s (target at least 24)
  busiest_second            most messages accepted within any 1-second window
  limit_per_s               the fake's overall limit, for comparison
  cpu_s_per_1000            CPU of this process (worker and fake together)
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AERICH_NO_TORTOISE_V1_WARNING", "1")

from bench._database import connect, migrated_database  # noqa: E402


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=10000)
    parser.add_argument("--overall-limit", type=float, default=30)
    parser.add_argument("--chat-interval", type=float, default=1.0)
    return parser.parse_args(argv)


async def fill(url: str, count: int) -> None:
    """N users and one down alert each, written a minute ago (no quiet period left)."""
    conn = await connect(url)
    written = datetime.now(UTC) - timedelta(minutes=1)
    try:
        await conn.execute(
            "INSERT INTO users (telegram_id, display_name, email_verified, email_code_attempts,"
            " blocked_bot, telegram_alerts, email_alerts, reminder_interval_minutes, created_at)"
            " SELECT 10000000 + g, 'user ' || g, false, 0, false, true, true, 0, $1"
            " FROM generate_series(1, $2) AS g",
            written,
            count,
        )
        await conn.execute(
            "INSERT INTO notifications (user_id, channel, kind, payload, dedup_key, status,"
            " attempts, next_attempt_at, created_at)"
            " SELECT id, 'telegram', 'down', json_build_object('name', 'site ' || id,"
            " 'url', 'https://example.com/' || id, 'cause', 'timeout', 'error', 'no answer',"
            " 'since', $1::text), 'down:' || id || ':telegram', 'pending', 0, $2, $2 FROM users",
            written.isoformat(),
            written,
        )
    finally:
        await conn.close()


def busiest_second(times: list[float]) -> int:
    window: collections.deque[float] = collections.deque()
    best = 0
    for moment in sorted(times):
        window.append(moment)
        while window[0] <= moment - 1.0:
            window.popleft()
        best = max(best, len(window))
    return best


async def deliver(url: str, args: argparse.Namespace) -> dict:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from pydantic import SecretStr

    from bot.setup import create_bot
    from core.settings import Settings
    from db.connection import close_database, open_database
    from db.models import Notification, NotificationStatus
    from scheduler.outbox import OutboxWorker
    from scheduler.runner import JOB_DEFAULTS, OUTBOX_TICK_SECONDS
    from tests.support.fake_telegram import FakeTelegram

    fake = FakeTelegram()
    await fake.start()
    fake.limit_rate(args.overall_limit, args.chat_interval)
    settings = Settings(
        _env_file=None,
        database_url=url,
        telegram_bot_token=SecretStr(fake.token),
        telegram_api_url=fake.url,
        bot_username=fake.username,
    )
    await open_database(url)
    bot = create_bot(settings)
    worker = OutboxWorker(settings, bot=bot)
    scheduler = AsyncIOScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
    scheduler.add_job(worker.tick, "interval", seconds=OUTBOX_TICK_SECONDS)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    scheduler.start()
    await worker.tick()
    try:
        # The database is the truth of "done"; polling it twice a second is the point.
        while await Notification.filter(status__not=NotificationStatus.SENT).exists():  # noqa: ASYNC110
            await asyncio.sleep(0.5)
    finally:
        scheduler.shutdown(wait=False)
        await worker.stop()
        await bot.session.close()
        await close_database()
        await fake.stop()
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    accepted = [c for c in fake.calls if c.method == "sendMessage" and c.ok]
    elapsed = max(c.at for c in accepted) - started
    per_chat = collections.Counter(c.params["chat_id"] for c in accepted)
    return {
        "alerts": args.alerts,
        "delivered": len(accepted),
        "duplicates": sum(n - 1 for n in per_chat.values()),
        "rate_limited_429": fake.rate_limited(),
        "elapsed_s": round(elapsed, 1),
        "messages_per_s": round(len(accepted) / elapsed, 2),
        "busiest_second": busiest_second([c.at for c in accepted]),
        "limit_per_s": args.overall_limit,
        "cpu_s_per_1000": round(cpu / max(1, len(accepted)) * 1000, 2),
    }


async def main_async(args: argparse.Namespace) -> dict:
    async with migrated_database("bench.alerts") as url:
        await fill(url, args.alerts)
        return await deliver(url, args)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    print(json.dumps(asyncio.run(main_async(args))))


if __name__ == "__main__":
    main()
