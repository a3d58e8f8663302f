"""Helpers for delivery tests: a worker pointed at the fake Bot API server (and, when
given, a local SMTP server), queued rows, and draining until nothing is left.

A worker given a manual clock (core/clock.py) sees retry times, quiet periods and
leases pass when the test or `deliver_all` moves the clock, not by waiting. The
transports' rate limits stay real (scheduler/telegram_sender.py paces real traffic)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from core.clock import SYSTEM_CLOCK, Clock, ManualClock
from core.delivery import RetryPolicy
from core.probe import ProbeResult
from core.recording import record_results
from core.settings import Settings
from db.models import (
    Monitor,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    User,
)
from scheduler.outbox import OutboxWorker
from tests.support.fake_telegram import FakeTelegram


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API server, started for the test (the bot is not polling it)."""
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def worker(db, settings: Settings, fake: FakeTelegram) -> AsyncIterator[OutboxWorker]:
    """An outbox worker sending to `fake`, started, closed after the test."""
    started = worker_for(settings, fake)
    await started.start()
    try:
        yield started
    finally:
        await close_worker(started)


# Retries within a test's patience; the production policy waits seconds to minutes.
FAST_RETRIES = RetryPolicy(base=0.2, cap=0.5)


def worker_for(
    settings: Settings,
    fake: FakeTelegram | None,
    *,
    smtp_port: int | None = None,
    api_url: str | None = None,
    quiet: timedelta = timedelta(0),
    policy: RetryPolicy = FAST_RETRIES,
    clock: Clock = SYSTEM_CLOCK,
    **kw,
) -> OutboxWorker:
    """A worker sending to `fake` (a real aiogram Bot; through `api_url` when given)
    and to SMTP on `smtp_port`, on `clock`."""
    from bot.setup import create_bot

    update: dict = {}
    if fake is not None:
        update |= {
            "telegram_bot_token": SecretStr(fake.token),
            "telegram_api_url": api_url or fake.url,
        }
    if smtp_port is not None:
        update |= {
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "smtp_security": "none",
            "smtp_from": "Uptime <alerts@uptime.test>",
        }
    settings = settings.model_copy(update=update)
    bot = create_bot(settings) if fake is not None else None
    return OutboxWorker(settings, bot=bot, quiet=quiet, policy=policy, clock=clock, **kw)


async def close_worker(worker: OutboxWorker) -> None:
    await worker.stop()
    if worker.telegram is not None:
        await worker.telegram.bot.session.close()


async def deliver_all(worker: OutboxWorker, timeout: float = 20.0) -> None:
    """Drain until no row is pending or in flight. On a manual clock, time then moves
    on to the next row's due time (at least half a second, for quiet periods); on the
    system clock, rows backing off are waited for."""
    deadline = time.monotonic() + timeout
    while True:
        await worker.drain()
        left = await Notification.filter(
            status__in=[NotificationStatus.PENDING, NotificationStatus.SENDING]
        ).count()
        if not left:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{left} notifications still undelivered after {timeout} s")
        if isinstance(worker.clock, ManualClock):
            await worker.clock.advance_to(await _next_moment(worker.clock))
        else:
            await asyncio.sleep(0.05)


async def _next_moment(clock: ManualClock) -> datetime:
    step = clock.now() + timedelta(seconds=0.5)
    waiting = (
        await Notification.filter(status=NotificationStatus.PENDING)
        .order_by("next_attempt_at")
        .first()
    )
    if waiting is None:
        return step
    return max(step, waiting.next_attempt_at)


async def goes_down(*monitors: Monitor) -> None:
    """Record a failed check for each monitor (a DNS failure), as the engine would."""
    failed = ProbeResult(checked_at=datetime.now(UTC), ok=False, error_kind="dns")
    await record_results([(m.id, failed) for m in monitors])


def long_name(n: int) -> str:
    """A monitor name of 64 characters (the longest a grouped alert shows uncut), HTML
    specials and an emoji (two UTF-16 code units) included, unique by its number."""
    head = f'<b>Shop & "Co"</b> 🚀 #{n:03} '
    return head + "ü" * (64 - len(head))


async def queue(
    user: User,
    kind: NotificationKind = NotificationKind.DOWN,
    *,
    monitor: Monitor | None = None,
    channel: NotificationChannel = NotificationChannel.TELEGRAM,
    payload: dict | None = None,
    key: str | None = None,
) -> Notification:
    """A row as the engine writes it (payload facts, due now)."""
    base = {"cause": "timeout", "error": "no answer", "since": datetime.now(UTC).isoformat()}
    if monitor is not None:
        base |= {"monitor_id": monitor.id, "name": monitor.name, "url": monitor.url}
    return await Notification.create(
        user_id=user.id,
        channel=channel,
        kind=kind,
        monitor_id=monitor.id if monitor else None,
        payload={**base, **(payload or {})},
        dedup_key=key,
        next_attempt_at=datetime.now(UTC),
    )


def kill(worker: OutboxWorker) -> None:
    """What a kill -9 leaves of `worker`: its leadership connection ends abruptly (so
    PostgreSQL releases the lock) and its drain stops where it is, no row marked and
    none in a transport's hands given back. Its HTTP session stays for the test to close."""
    conn = worker.leadership._conn
    if conn is not None:
        conn.terminate()
    if worker._drain_task is not None:
        worker._drain_task.cancel()


async def wait_to_lead(worker: OutboxWorker, timeout: float = 10.0) -> None:
    """Until `worker` leads (PostgreSQL frees a dead session's lock within moments)."""
    deadline = time.monotonic() + timeout
    while not await worker.leadership.check():
        if time.monotonic() > deadline:
            raise AssertionError(f"no outbox leadership within {timeout} s")
        await asyncio.sleep(0.05)


class SilentServer:
    """A TCP server that reads requests and never answers: a send to it stays in flight
    until the test ends it. `received` is set once a request has come in."""

    def __init__(self) -> None:
        self.received = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def stop(self) -> None:
        for writer in self._writers:
            writer.transport.abort()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        while await reader.read(65536):
            self.received.set()
