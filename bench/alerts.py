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

    python -m bench.alerts --mix [--groups 50] [--webhooks 20] [--slack 2] [--discord 2]
        [--per-channel 40] [--group-limit 20]

adds the other kinds of channel: each user's alert goes to their private chat (a
channel row, as recording writes them), and one owner each has a Telegram group
(negative chat id; the fake also refuses more than --group-limit messages a minute to
one group, as Telegram does), a webhook with a secret, a Slack or a Discord stand-in
(a local aiohttp receiver, bench/_receiver.py, checking signatures), with
--per-channel alerts each. Every alert's monitor name holds its number; the rows are
written shuffled, as an outage interleaves them. The line then has `alerts` (all
rows), `delivered` and `duplicates` over every kind, `lost` (rows not sent once the
queue settled; must be 0), `elapsed_s` until the last delivery of any kind (the
Telegram fields above count every Telegram message, private and group), and `kinds`,
per kind (private, group, webhook, slack, discord):

  rows, lost                rows queued, and not sent at the end
  delivered                 alerts that arrived: numbers named in a message (a webhook's
                            X-Uptime-Delivery), plus those a grouped message only counts
  duplicates                arrivals beyond one per alert (must be 0)
  messages                  messages (requests) that arrived
  done_s, per_s             the kind's last arrival after the start; delivered / done_s
  rate_limited_429          private and group: 429s from the fake (target 0)
  busiest_group_minute      group: most messages one group got within 60 s
  bad_signatures            webhook: requests whose signature did not verify (must be 0)

The HTTP stand-ins answer 200 and never 429.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import re
import resource
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AERICH_NO_TORTOISE_V1_WARNING", "1")

from bench._database import connect, migrated_database  # noqa: E402
from bench._receiver import Receiver  # noqa: E402
from tests.support.fake_telegram import FakeTelegram  # noqa: E402

PRIVATE_IDS = 10_000_000  # Telegram ids of the users alerted in their private chats: + 1...
OWNER_IDS = 20_000_000  # ... of the owners of the mix's other channels
GROUP_IDS = -1_001_000_000_000  # group chat ids: - 1...
SECRET = "bench-webhook-secret"
MIX_KINDS = ("private", "group", "webhook", "slack", "discord")
ALERT_NUMBER = re.compile(r"\bN(\d{7})\b")  # in an alert's name, "site N0000042"
MORE = re.compile(r"…and (\d+) more")  # alerts a grouped message counts without naming


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=10000)
    parser.add_argument("--overall-limit", type=float, default=30)
    parser.add_argument("--chat-interval", type=float, default=1.0)
    mix = parser.add_argument_group("a mix of channel kinds (--mix)")
    mix.add_argument("--mix", action="store_true", help="also alert the channels below")
    mix.add_argument("--groups", type=int, default=50, help="Telegram group channels")
    mix.add_argument("--webhooks", type=int, default=20, help="webhook channels")
    mix.add_argument("--slack", type=int, default=2, help="Slack stand-in channels")
    mix.add_argument("--discord", type=int, default=2, help="Discord stand-in channels")
    mix.add_argument("--per-channel", type=int, default=40, help="alerts for each of them")
    mix.add_argument("--group-limit", type=int, default=20, help="per group and minute")
    return parser.parse_args(argv)


async def add_users(conn: asyncpg.Connection, first: int, count: int, at: datetime) -> None:
    """`count` users with Telegram ids from first + 1."""
    await conn.execute(
        "INSERT INTO users (telegram_id, display_name, email_verified, email_code_attempts,"
        " blocked_bot, reminder_interval_minutes, created_at)"
        " SELECT $1 + g, 'user ' || g, false, 0, false, 0, $2"
        " FROM generate_series(1, $3) AS g",
        first,
        at,
        count,
    )


async def fill(url: str, count: int) -> None:
    """N users and one down alert each, written a minute ago (no quiet period left)."""
    conn = await connect(url)
    written = datetime.now(UTC) - timedelta(minutes=1)
    try:
        await add_users(conn, PRIVATE_IDS, count, written)
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


async def fill_mix(url: str, args: argparse.Namespace, hooks: str) -> None:
    """The mix: N users with one alert each to their private chat, and one owner for
    each group, webhook, Slack and Discord channel (`hooks`: the receiver's URL) with
    --per-channel alerts each; every alert's name holds its number (N0000001), and the
    rows are written in a shuffled order, as an outage interleaves them."""
    conn = await connect(url)
    written = datetime.now(UTC) - timedelta(minutes=1)
    owned = [
        *(("telegram", str(GROUP_IDS - g), {}) for g in range(1, args.groups + 1)),
        *(("webhook", f"{hooks}/hook/{g}", {"secret": SECRET}) for g in range(args.webhooks)),
        *(("slack", f"{hooks}/slack/{g}", {}) for g in range(args.slack)),
        *(("discord", f"{hooks}/discord/{g}", {}) for g in range(args.discord)),
    ]
    try:
        await add_users(conn, PRIVATE_IDS, args.alerts, written)
        await add_users(conn, OWNER_IDS, len(owned), written)
        await conn.execute(
            "INSERT INTO channels (owner_id, kind, target, name, verified, enabled, is_default,"
            " settings, created_at) SELECT id, 'telegram', telegram_id::text, '', true, true,"
            " true, '{}', $1 FROM users WHERE telegram_id <= $2",
            written,
            PRIVATE_IDS + args.alerts,
        )
        await conn.executemany(
            "INSERT INTO channels (owner_id, kind, target, name, verified, enabled, is_default,"
            " settings, created_at) SELECT id, $2, $3, $4, true, true, true,"
            " $5::jsonb, $6 FROM users WHERE telegram_id = $1",
            [
                (OWNER_IDS + n, kind, target, f"{kind} {n}", json.dumps(settings), written)
                for n, (kind, target, settings) in enumerate(owned, 1)
            ],
        )
        await conn.execute(
            "INSERT INTO notifications (user_id, channel, alert_channel_id, kind, payload,"
            " dedup_key, status, attempts, next_attempt_at, created_at)"
            " SELECT owner_id, kind, id, 'down', json_build_object("
            "'name', 'site N' || lpad(seq::text, 7, '0'), 'url', 'https://example.com/' || seq,"
            " 'cause', 'timeout', 'error', 'no answer', 'since', $1::text),"
            " 'down:' || seq, 'pending', 0, $2, $2 FROM ("
            "  SELECT c.*, row_number() OVER (ORDER BY c.id, g) AS seq FROM channels AS c,"
            "  generate_series(1, CASE WHEN c.name = '' THEN 1 ELSE $3 END) AS g) AS plan"
            " ORDER BY md5(seq::text)",
            written.isoformat(),
            written,
            args.per_channel,
        )
    finally:
        await conn.close()


def busiest(times: list[float], seconds: float = 1.0) -> int:
    """Most of `times` within any window of `seconds`."""
    window: collections.deque[float] = collections.deque()
    best = 0
    for moment in sorted(times):
        window.append(moment)
        while window[0] <= moment - seconds:
            window.popleft()
        best = max(best, len(window))
    return best


@dataclass
class Tally:
    """What one kind of channel received: how often each alert (by its number, or a
    webhook's delivery id), how many only as a count ("...and 3 more"), and when."""

    seen: collections.Counter = field(default_factory=collections.Counter)
    unnamed: int = 0
    times: list[float] = field(default_factory=list)
    extra: collections.Counter = field(default_factory=collections.Counter)

    def add(self, at: float, keys: list[str], unnamed: int = 0) -> None:
        self.seen.update(keys)
        self.unnamed += unnamed
        self.times.append(at)

    def add_text(self, at: float, text: str) -> None:
        """A message's alerts: the numbers it names (once each: a Slack or Discord message
        names an alert in its title and text), and those it only counts."""
        self.add(at, sorted(set(ALERT_NUMBER.findall(text))), sum(map(int, MORE.findall(text))))

    def report(self, started: float, rows: int, lost: int) -> dict:
        delivered = len(self.seen) + self.unnamed
        done = max(self.times, default=started) - started
        return {
            "rows": rows,
            "delivered": delivered,
            "messages": len(self.times),
            "per_s": round(delivered / done, 2) if done else 0.0,
            "done_s": round(done, 1),
            "duplicates": sum(n - 1 for n in self.seen.values()),
            "lost": lost,
            **self.extra,
        }


def tallies(fake: FakeTelegram, receiver: Receiver) -> dict[str, Tally]:
    """Every delivery the fake and the receiver saw, by kind of channel."""
    kinds = {kind: Tally() for kind in MIX_KINDS}
    for call in fake.calls:
        if call.method != "sendMessage":
            continue
        kind = "group" if int(call.params["chat_id"]) < 0 else "private"
        if call.ok:
            kinds[kind].add_text(call.at, call.params["text"])
        elif call.error and call.error.startswith("Too Many Requests"):
            kinds[kind].extra["rate_limited_429"] += 1
    for request in receiver.received:
        kind = request.path.split("/")[1]
        kind = "webhook" if kind == "hook" else kind
        if kind == "webhook":
            kinds[kind].add(request.at, [request.headers["X-Uptime-Delivery"]])
            if not request.signature_ok:
                kinds[kind].extra["bad_signatures"] += 1
        else:
            kinds[kind].add_text(request.at, request.body.decode())
    for kind in ("private", "group"):
        kinds[kind].extra["rate_limited_429"] += 0  # shown when 0 too
    kinds["webhook"].extra["bad_signatures"] += 0
    group_times = collections.defaultdict(list)
    for call in fake.calls:
        if call.method == "sendMessage" and call.ok and int(call.params["chat_id"]) < 0:
            group_times[call.params["chat_id"]].append(call.at)
    kinds["group"].extra["busiest_group_minute"] = max(
        (busiest(times, 60.0) for times in group_times.values()), default=0
    )
    return kinds


async def rows_by_kind(url: str) -> dict[str, tuple[int, int]]:
    """Per kind of channel: rows queued, and rows not sent."""
    conn = await connect(url)
    try:
        found = await conn.fetch(
            "SELECT CASE WHEN n.channel <> 'telegram' THEN n.channel"
            " WHEN c.target LIKE '-%' THEN 'group' ELSE 'private' END AS kind,"
            " count(*) AS rows, count(*) FILTER (WHERE n.status <> 'sent') AS lost"
            " FROM notifications AS n JOIN channels AS c ON c.id = n.alert_channel_id"
            " GROUP BY 1"
        )
    finally:
        await conn.close()
    return {row["kind"]: (row["rows"], row["lost"]) for row in found}


@dataclass
class Run:
    """What a drain left to report on."""

    fake: FakeTelegram
    started: float
    cpu_s: float


async def drain(url: str, args: argparse.Namespace) -> Run:
    """The real worker (aiogram Bot, APScheduler tick, as run.py) against the fake Bot
    API server with Telegram's limits, until no row is pending or in flight."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from pydantic import SecretStr

    from bot.setup import create_bot
    from core.settings import Settings
    from db.connection import close_database, open_database
    from db.models import Notification, NotificationStatus
    from scheduler.outbox import OutboxWorker
    from scheduler.runner import JOB_DEFAULTS, OUTBOX_TICK_SECONDS

    fake = FakeTelegram()
    await fake.start()
    fake.limit_rate(args.overall_limit, args.chat_interval, args.group_limit if args.mix else None)
    settings = Settings(
        _env_file=None,
        database_url=url,
        telegram_bot_token=SecretStr(fake.token),
        telegram_api_url=fake.url,
        bot_username=fake.username,
        allow_private_targets=True,  # the receiver is on 127.0.0.1
    )
    await open_database(url)
    bot = create_bot(settings)
    worker = OutboxWorker(settings, bot=bot)
    scheduler = AsyncIOScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
    scheduler.add_job(worker.tick, "interval", seconds=OUTBOX_TICK_SECONDS)
    unsettled = [NotificationStatus.PENDING, NotificationStatus.SENDING]
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    scheduler.start()
    await worker.tick()
    try:
        # The database is the truth of "done"; polling it twice a second is the point.
        while await Notification.filter(status__in=unsettled).exists():  # noqa: ASYNC110
            await asyncio.sleep(0.5)
    finally:
        scheduler.shutdown(wait=False)
        await worker.stop()
        await bot.session.close()
        await close_database()
        await fake.stop()
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    return Run(fake, started, cpu)


def telegram_report(run: Run, args: argparse.Namespace, alerts: int, delivered: int) -> dict:
    """The fields of the private-chat benchmark (`delivered`: alerts that arrived)."""
    accepted = [c for c in run.fake.calls if c.method == "sendMessage" and c.ok]
    elapsed = max(c.at for c in accepted) - run.started
    per_chat = collections.Counter(c.params["chat_id"] for c in accepted)
    return {
        "alerts": alerts,
        "delivered": delivered,
        "duplicates": sum(n - 1 for n in per_chat.values()),
        "rate_limited_429": run.fake.rate_limited(),
        "elapsed_s": round(elapsed, 1),
        "messages_per_s": round(len(accepted) / elapsed, 2),
        "busiest_second": busiest([c.at for c in accepted]),
        "limit_per_s": args.overall_limit,
        "cpu_s_per_1000": round(run.cpu_s / max(1, delivered) * 1000, 2),
    }


def mix_report(run: Run, args: argparse.Namespace, receiver: Receiver, rows: dict) -> dict:
    kinds = tallies(run.fake, receiver)
    report = {
        kind: tally.report(run.started, *rows.get(kind, (0, 0)))
        for kind, tally in kinds.items()
        if kind in rows
    }
    alerts = sum(queued for queued, _lost in rows.values())
    delivered = sum(kind["delivered"] for kind in report.values())
    last = max(t for tally in kinds.values() for t in tally.times)
    return {
        **telegram_report(run, args, alerts, delivered),
        # Alerts that arrived more than once, whichever way they were grouped.
        "duplicates": sum(kind["duplicates"] for kind in report.values()),
        "lost": sum(lost for _queued, lost in rows.values()),
        "elapsed_s": round(last - run.started, 1),
        "kinds": report,
    }


async def main_async(args: argparse.Namespace) -> dict:
    async with migrated_database("bench.alerts") as url:
        if not args.mix:
            await fill(url, args.alerts)
            run = await drain(url, args)
            delivered = sum(1 for c in run.fake.calls if c.method == "sendMessage" and c.ok)
            return telegram_report(run, args, args.alerts, delivered)
        receiver = Receiver(SECRET)
        async with receiver.serving() as hooks:
            await fill_mix(url, args, hooks)
            run = await drain(url, args)
        return mix_report(run, args, receiver, await rows_by_kind(url))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    print(json.dumps(asyncio.run(main_async(args))))


if __name__ == "__main__":
    main()
