"""A push monitor's world for tests: the real web app on loopback taking pings, and the
engine judging silence, both on one ManualClock (the runtime probe's clock: the ping
endpoints date pings and refill their rate limits on it, the engine claims and dates
its judgements on it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.clock import ManualClock
from core.i18n import use_locale
from core.monitors import create_monitor
from core.probe import Probe
from core.runtime import Runtime
from core.settings import Settings
from db.models import CheckLog, Monitor, Notification, User
from scheduler.engine import Engine
from tests.support.api import ApiClient, serving

# A Monday noon; far from clock changes unless a test moves the clock there.
START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TICK = timedelta(seconds=1)  # run.py ticks the engine about every second


@dataclass
class PushRig:
    settings: Settings
    clock: ManualClock
    probe: Probe
    runtime: Runtime
    api: ApiClient
    owner: User
    engine: Engine | None = None

    async def monitor(self, **fields) -> Monitor:
        """A new push monitor (its plain token in `.ping_token`)."""
        with use_locale("en"):
            return await create_monitor(self.runtime, self.owner, kind="push", **fields)

    async def ping(
        self,
        token: str,
        action: str | None = None,
        *,
        method: str = "GET",
        body: bytes | None = None,
        headers: dict | None = None,
    ) -> tuple[int, str]:
        """One ping over HTTP: (status, body text)."""
        url = f"{self.api.base}/ping/{token}" + (f"/{action}" if action is not None else "")
        async with self.api.http.request(method, url, data=body, headers=headers) as reply:
            return reply.status, await reply.text()

    async def start_engine(self) -> Engine:
        """A new engine on the rig's clock (as run.py starts one)."""
        assert self.engine is None
        self.engine = Engine(self.settings, self.probe, clock=self.clock)
        await self.engine.start()
        return self.engine

    async def stop_engine(self) -> None:
        if self.engine is not None:
            await self.engine.stop(timeout=2)
            self.engine = None

    async def run_until(self, until: datetime) -> None:
        """The clock moves to `until`; with an engine running, it ticks once a second
        (claim, then the checks at their due times, then the write), except through
        stretches where nothing is due: a tick that claims nothing does nothing, so the
        clock jumps to a second before the next due time. Without an engine, only the
        clock moves."""
        engine = self.engine
        if engine is None:
            await self.clock.advance_to(until)
            return
        while True:
            await engine.tick()
            await self.clock.advance(0)  # checks due now start
            await engine.flush()
            following = self.clock.now() + TICK
            due = await earliest_due()
            if due is None:
                following = until + TICK  # nothing will ever be due: on to the end
            elif due - TICK > following:
                following = due - TICK
            if following > until:
                await self.clock.advance_to(until)
                await engine.flush()
                return
            await self.clock.advance_to(following)  # the checks claimed start on the way
            await engine.flush()

    async def run_for(self, seconds: float) -> None:
        await self.run_until(self.clock.now() + timedelta(seconds=seconds))


async def earliest_due() -> datetime | None:
    first = await Monitor.filter(next_check_at__not_isnull=True).order_by("next_check_at").first()
    return first.next_check_at if first is not None else None


@asynccontextmanager
async def push_rig(
    settings: Settings, start: datetime = START, *, engine: bool = True
) -> AsyncIterator[PushRig]:
    """The web app served with a probe on a ManualClock at `start`, an owner, and (with
    `engine`) a started engine on that clock."""
    clock = ManualClock(start)
    probe = Probe(clock=clock)
    runtime = Runtime(settings=settings, probe=probe)
    owner, _ = await User.get_or_create(telegram_id=4242, defaults={"language": "en"})
    async with serving(settings, probe) as api:
        rig = PushRig(settings, clock, probe, runtime, api, owner)
        try:
            if engine:
                await rig.start_engine()
            yield rig
        finally:
            await rig.stop_engine()
            await probe.close()


async def logs_of(monitor: Monitor) -> list[CheckLog]:
    return await CheckLog.filter(monitor_id=monitor.id).order_by("checked_at", "id")


async def alerts_of(monitor: Monitor, kind: str | None = None) -> list[Notification]:
    query = Notification.filter(monitor_id=monitor.id)
    if kind is not None:
        query = query.filter(kind=kind)
    return await query.order_by("id")


def at(seconds: float, since: datetime = START) -> datetime:
    return since + timedelta(seconds=seconds)


__all__ = ["START", "TICK", "PushRig", "alerts_of", "at", "logs_of", "push_rig"]
