"""Push monitors end to end: the real web app, both databases (a first smoke test)."""

from __future__ import annotations

from datetime import timedelta

import aiohttp

from core import kinds
from core.i18n import use_locale
from core.kinds import push
from core.monitors import create_monitor
from db.models import Incident, Monitor, MonitorState, Notification, Ping, User
from tests.support.api import serving


async def test_pings_move_a_push_monitor(db, settings, probe, runtime) -> None:
    owner = await User.create(telegram_id=501)
    with use_locale("en"):
        monitor = await create_monitor(runtime, owner, kind="push", period=3600, grace=600)
    assert monitor.name == "Heartbeat"
    token = monitor.ping_token
    assert monitor.next_check_at is None and monitor.failure_threshold == 1
    stored = await Monitor.get(id=monitor.id)
    assert stored.push_token_hash and token not in str(stored.push_token_hash)
    async with serving(settings, probe) as api, aiohttp.ClientSession() as http:
        async with http.get(f"{api.base}/ping/{token}") as reply:
            assert (reply.status, await reply.text()) == (200, "OK")
        fresh = await Monitor.get(id=monitor.id)
        assert fresh.state == MonitorState.UP
        assert fresh.next_check_at == fresh.push_last_success_at + timedelta(seconds=4200)
        async with http.post(f"{api.base}/ping/{token}/start") as reply:
            assert reply.status == 200
        async with http.post(f"{api.base}/ping/{token}/3", data=b"<b>disk full</b>") as reply:
            assert reply.status == 200
        fresh = await Monitor.get(id=monitor.id)
        assert fresh.state == MonitorState.DOWN
        incident = await Incident.get(monitor_id=monitor.id)
        assert incident.cause == "reported_failure"
        assert "[exit 3] <b>disk full</b>" in incident.last_error
        down = await Notification.filter(kind="down").first()
        assert down.payload["probed"] is False  # no Check now under a heartbeat's alert
        async with http.get(f"{api.base}/ping/{'x' * 32}") as reply:
            assert (reply.status, await reply.text()) == (404, "Not found")
    pings = await Ping.filter(monitor_id=monitor.id).order_by("id")
    assert [p.kind for p in pings] == ["success", "start", "fail"]
    assert pings[2].exit_status == 3 and pings[2].run_ms is not None

    # Silence: the checker judges from the claimed values.
    fresh = await Monitor.get(id=monitor.id)
    spec = kinds.monitor_spec(fresh, False)
    assert isinstance(spec, push.Spec)


async def test_a_claimed_push_monitor_is_judged_from_its_row(db, runtime) -> None:
    """The claim reads the push columns by raw SQL (text on SQLite): they arrive as
    times, and silence past the deadline is judged "missed"."""
    from datetime import UTC, datetime

    from core.clock import ManualClock
    from core.probe import Probe
    from db.claims import claim_due

    owner = await User.create(telegram_id=502)
    with use_locale("en"):
        monitor = await create_monitor(runtime, owner, kind="push", period=3600, grace=600)
    success = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
    await Monitor.filter(id=monitor.id).update(
        push_last_success_at=success,
        push_last_ping_at=success,
        last_check_at=success,
        next_check_at=success + timedelta(seconds=4200),
    )
    now = success + timedelta(seconds=4300)
    # 100 s late: a backlog, run at its next point on its 60 s grid (db/claims.py).
    (claim,) = await claim_due(now + timedelta(seconds=60), now, 10)
    spec = claim.spec(False)
    assert spec.last_success_at == success
    clock = ManualClock(now)
    result = await push.check(spec, Probe(clock=clock))
    assert result.error_kind == "missed" and result.checked_at == success + timedelta(seconds=4200)
