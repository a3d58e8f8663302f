"""The ping intake's batches in flight (core/ping_intake.py), on both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from core import push_tokens
from core.i18n import use_locale
from core.monitors import create_monitor
from core.ping_intake import IncomingPing, PingIntake
from db.models import Incident, Monitor, MonitorState, Ping, PingKind, User


async def test_batches_in_flight_take_one_monitors_pings_in_arrival_order(db, runtime) -> None:
    """One ping a batch, two batches written at once: each batch that shares the monitor
    waits for the one before it and reads what it wrote (a run's time from its start,
    the state the failure left)."""
    owner = await User.create(telegram_id=503)
    with use_locale("en"):
        monitor = await create_monitor(runtime, owner, kind="push", period=3600, grace=600)
    hashed = push_tokens.token_hash(monitor.ping_token)
    t0 = datetime.now(UTC).replace(microsecond=0)
    said = [PingKind.START, PingKind.SUCCESS, PingKind.START, PingKind.FAIL, PingKind.SUCCESS]
    intake = PingIntake(max_batch=1, in_flight=2)
    intake.start()
    try:
        answers = await asyncio.gather(
            *(
                intake.submit(IncomingPing(hashed, kind, t0 + timedelta(seconds=n)))
                for n, kind in enumerate(said)
            )
        )
    finally:
        await intake.stop()
    assert answers == [True] * 5 and intake.batches == 5
    pings = await Ping.filter(monitor_id=monitor.id).order_by("received_at")
    assert [p.kind for p in pings] == said
    assert [p.run_ms for p in pings] == [None, 1000, None, 1000, None]
    fresh = await Monitor.get(id=monitor.id)
    assert fresh.state == MonitorState.UP and fresh.push_started_at is None
    assert fresh.push_last_success_at == t0 + timedelta(seconds=4)
    incident = await Incident.get(monitor_id=monitor.id)
    assert incident.resolved_at == t0 + timedelta(seconds=4)
