"""The ping endpoints over real HTTP, on both databases: what each path reports, the
answers (200, 404 alike for every bad token, 413, 429, 503), what a ping keeps (body,
user agent, source) and how alerts quote it, group commit under a burst of pings, an
outage of the database, and one run on the real clock as run.py runs it."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from tortoise.context import TortoiseContext

from api import ping as ping_api
from core import ping_intake
from core.alerts import render_alert
from core.i18n import _, use_locale
from core.monitors import create_monitor
from core.probe import Probe
from core.runtime import Runtime
from core.settings import Settings
from db.config import tortoise_config
from db.models import CheckLog, Monitor, MonitorState, Notification, Ping, User
from tests.support.api import raw_request, serving
from tests.support.fake_telegram import parse_html
from tests.support.push_rig import START, alerts_of, logs_of, push_rig
from tests.support.tcp_proxy import TcpProxy

NOT_FOUND = (404, "Not found")


async def test_what_each_path_reports(db, settings) -> None:
    """Success, /fail, /start and exit statuses 0-255; GET, POST and HEAD alike."""
    async with push_rig(settings, engine=False) as rig:
        monitor = await rig.monitor(period=3600, grace=600)
        token = monitor.ping_token
        sent = [
            (None, "GET", "success", None),
            ("fail", "POST", "fail", None),
            ("start", "GET", "start", None),
            ("0", "POST", "success", 0),
            ("1", "GET", "fail", 1),
            ("255", "HEAD", "fail", 255),
            (None, "HEAD", "success", None),
            ("007", "GET", "fail", 7),
        ]
        for action, method, _kind, _status in sent:
            await rig.clock.advance(1)
            status, text = await rig.ping(token, action, method=method)
            assert status == 200, (action, method)
            assert text == ("" if method == "HEAD" else "OK")
        pings = await Ping.filter(monitor_id=monitor.id).order_by("id")
        assert [(p.kind, p.exit_status) for p in pings] == [
            (kind, status) for _a, _m, kind, status in sent
        ]
        assert [p.received_at for p in pings] == [START + timedelta(seconds=s) for s in range(1, 9)]
        logs = await logs_of(monitor)
        assert [log.ok for log in logs] == [True, False, True, False, False, True, False]
        assert logs[3].error_message == "[exit 1]"


async def test_every_bad_token_or_action_gets_the_same_404(db, settings) -> None:
    async with push_rig(settings, engine=False) as rig:
        monitor = await rig.monitor(period=3600, grace=600)
        token = monitor.ping_token
        unknown = "A" * 32 if token != "A" * 32 else "B" * 32
        cases = [
            (unknown, None),  # well formed, no monitor has it
            (unknown, "fail"),
            (token[:-1], None),  # too short
            (token + "x", None),  # too long
            ("x" * 200, None),
            (token[:31] + "!", None),  # not the alphabet
            (token[:31] + "%C3%A9", None),  # not ASCII
            (token, "256"),  # beyond an exit status
            (token, "-1"),
            (token, "abc"),
            (token, "1000"),
            (token, "٣"),  # a digit, not an ASCII one
            (token, "+1"),
            (token, "START"),
        ]
        answers = set()
        for bad, action in cases:
            url = f"{rig.api.base}/ping/{bad}" + (f"/{action}" if action else "")
            for method in ("GET", "POST"):
                async with rig.api.http.request(method, url) as reply:
                    answers.add(
                        (reply.status, await reply.text(), reply.headers["Content-Type"],
                         reply.headers["Cache-Control"])
                    )  # fmt: skip
        assert answers == {(404, "Not found", "text/plain; charset=utf-8", "no-store")}
        assert await Ping.all().count() == 0
        assert await rig.ping(token) == (200, "OK")


async def test_one_token_over_its_limit_gets_429_while_others_go_on(db, settings) -> None:
    """10 a second, a burst of 20, per token, on the runtime clock's monotonic time."""
    async with push_rig(settings, engine=False) as rig:
        busy = await rig.monitor(period=3600, grace=600)
        calm = await rig.monitor(period=3600, grace=600)
        statuses = [(await rig.ping(busy.ping_token))[0] for _ in range(ping_api.BURST + 5)]
        assert statuses == [200] * ping_api.BURST + [429] * 5
        assert await rig.ping(busy.ping_token) == (429, "Too many pings")
        assert await rig.ping(calm.ping_token) == (200, "OK")
        await rig.clock.advance(1 / ping_api.RATE_PER_SECOND)  # one more refilled
        assert [(await rig.ping(busy.ping_token))[0] for _ in range(2)] == [200, 429]
        await rig.clock.advance(ping_api.BURST / ping_api.RATE_PER_SECOND)  # full again
        statuses = [(await rig.ping(busy.ping_token))[0] for _ in range(ping_api.BURST + 1)]
        assert statuses == [200] * ping_api.BURST + [429]
        # Refused pings were not kept.
        assert await Ping.filter(monitor_id=busy.id).count() == 2 * ping_api.BURST + 1


async def test_a_body_is_kept_cut_and_quoted_escaped_in_the_alert(db, settings) -> None:
    async with push_rig(settings, engine=False) as rig:
        monitor = await rig.monitor(period=3600, grace=600)
        await rig.ping(monitor.ping_token)
        said = b"<b>disk</b> & <script>alert(1)</script> \xe2\x80\x94 full"
        status, _text = await rig.ping(monitor.ping_token, "fail", method="POST", body=said)
        assert status == 200
        ping = await Ping.filter(monitor_id=monitor.id).order_by("-id").first()
        assert ping is not None and ping.body == said.decode()  # kept as sent
        (down,) = await alerts_of(monitor, "down")
        for lang in ("en", "ru", "es", "de"):
            alert = render_alert(down.kind, down.payload, lang)
            visible, _entities = parse_html(alert.html)  # valid Telegram HTML
            assert said.decode() in visible and said.decode() in alert.text
            assert "<script>" not in alert.html
            assert "&lt;b&gt;disk&lt;/b&gt; &amp; &lt;script&gt;" in alert.html
            with use_locale(lang):
                label = _("Last ping said: {said}").split("{said}")[0]
            assert label.strip() and label in visible


async def test_a_large_body_keeps_its_first_10_kb_and_a_huge_one_is_refused(db, settings) -> None:
    async with push_rig(settings, engine=False) as rig:
        monitor = await rig.monitor(period=3600, grace=600)
        token = monitor.ping_token
        megabyte = (b"0123456789abcdef" * 65536)[: 1024 * 1024]
        assert await rig.ping(token, "fail", method="POST", body=megabyte) == (200, "OK")
        kept = await Ping.filter(monitor_id=monitor.id).first()
        assert kept is not None and kept.body == megabyte[: 10 * 1024].decode()
        # Cut inside a character, with a NUL: still text PostgreSQL takes.
        odd = b"\x00" + "é".encode() * 6000
        assert (await rig.ping(token, method="POST", body=odd))[0] == 200
        last = await Ping.filter(monitor_id=monitor.id).order_by("-id").first()
        assert last is not None and "\x00" not in last.body and last.body.startswith("éé")
        assert len(last.body.encode()) <= 10 * 1024 + 3
        # Beyond 2 MiB: refused whole, with or without a declared length.
        huge = b"x" * (2 * 1024 * 1024 + 1)
        assert await rig.ping(token, method="POST", body=huge) == (413, "Body too large")

        async def chunks():
            for _ in range(3):
                yield b"y" * (1024 * 1024)

        assert (await rig.ping(token, method="POST", body=chunks()))[0] == 413
        assert await Ping.filter(monitor_id=monitor.id).count() == 2
        exactly = b"z" * (2 * 1024 * 1024)
        assert (await rig.ping(token, method="POST", body=exactly))[0] == 200


async def test_the_user_agent_and_source_are_kept(db, settings) -> None:
    async with push_rig(settings, engine=False) as rig:
        monitor = await rig.monitor(period=3600, grace=600)
        headers = {"User-Agent": "backup.sh/1.2 (curl)"}
        await rig.ping(monitor.ping_token, headers=headers)
        await rig.ping(monitor.ping_token, headers={"User-Agent": "u" * 400})
        first, second = await Ping.filter(monitor_id=monitor.id).order_by("id")
        assert (first.user_agent, first.source) == ("backup.sh/1.2 (curl)", "127.0.0.1")
        assert second.user_agent == "u" * 256


async def test_a_burst_of_pings_is_written_in_a_few_transactions(db, settings, monkeypatch) -> None:
    """200 pings at once over 20 monitors: every one answered 200 once durable, each
    kept once with its result, in far fewer transactions than pings (group commit)."""
    batches: list[int] = []
    real = ping_intake.write_pings

    async def counting(batch, *args, **kwargs):
        batches.append(len(batch))
        return await real(batch, *args, **kwargs)

    monkeypatch.setattr(ping_intake, "write_pings", counting)
    async with push_rig(settings, engine=False) as rig:
        monitors = [await rig.monitor(period=3600, grace=600) for _ in range(20)]
        # Per monitor: nine successes and one failure, interleaved across monitors.
        plan = [(m, "fail" if i == 4 else None) for i in range(10) for m in monitors]
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as http:

            async def one(monitor: Monitor, action: str | None) -> int:
                url = f"{rig.api.base}/ping/{monitor.ping_token}" + (f"/{action}" if action else "")
                async with http.post(url) as reply:
                    return reply.status

            statuses = await asyncio.gather(*(one(m, a) for m, a in plan))
        assert statuses == [200] * 200
        assert sum(batches) == 200 and len(batches) < 100 and max(batches) > 1
        assert await Ping.all().count() == 200
        for monitor in monitors:
            logs = await logs_of(monitor)
            assert len(logs) == 10 and sum(not log.ok for log in logs) == 1
            assert await Ping.filter(monitor_id=monitor.id).count() == 10
        assert await Notification.filter(kind="down").count() == 20


@asynccontextmanager
async def database_that_goes_away(
    dialect: str, fresh_db_url: str
) -> AsyncIterator[tuple[str, Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]]:
    """A fresh database the app can lose and get back: PostgreSQL through a TCP proxy
    the test cuts; SQLite locked by another connection's exclusive transaction (writes
    fail after a short busy timeout). Yields (url, lose, restore)."""
    from db.migrate import upgrade

    await upgrade(fresh_db_url)
    if dialect == "postgres":
        target = fresh_db_url.split("@", 1)[1].split("/", 1)[0]
        host, _, port = target.partition(":")
        proxy = TcpProxy(host, int(port or 5432))
        await proxy.start()
        url = fresh_db_url.replace(f"@{target}/", f"@127.0.0.1:{proxy.port}/")
        lose, restore = proxy.cut, proxy.start
    else:
        path = fresh_db_url.removeprefix("sqlite://")
        url = fresh_db_url + "?busy_timeout=200"
        locker = sqlite3.connect(path, isolation_level=None)

        async def lose() -> None:
            locker.execute("BEGIN EXCLUSIVE")

        async def restore() -> None:
            locker.execute("ROLLBACK")

    try:
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(url))
            yield url, lose, restore
    finally:
        if dialect == "postgres":
            await proxy.cut()
        else:
            locker.close()


async def test_while_the_database_is_away_pings_get_503_and_nothing_is_kept(
    dialect, fresh_db_url
) -> None:
    async with database_that_goes_away(dialect, fresh_db_url) as (url, lose, restore):
        settings = Settings(_env_file=None, database_url=url, allow_private_targets=True)
        probe = Probe()
        owner = await User.create(telegram_id=77)
        with use_locale("en"):
            monitor = await create_monitor(
                Runtime(settings=settings, probe=probe), owner, kind="push", period=3600
            )
        token = monitor.ping_token
        async with serving(settings, probe) as api:

            async def ping(action: str = "") -> tuple[int, str]:
                async with api.http.get(f"{api.base}/ping/{token}{action}") as reply:
                    return reply.status, await reply.text()

            assert await ping() == (200, "OK")
            await lose()
            during = await asyncio.gather(ping(), ping("/fail"), ping("/start"))
            assert during == [(503, "Unavailable, try again")] * 3
            await restore()
            after = [(await ping())[0] for _ in range(3)]  # a pool may drop a dead link first
            assert after[-1] == 200 and set(after) <= {200, 503}
            kept = 1 + after.count(200)
        assert await Ping.filter(monitor_id=monitor.id).count() == kept
        assert await CheckLog.filter(monitor_id=monitor.id).count() == kept
        fresh = await Monitor.get(id=monitor.id)
        assert fresh.state == MonitorState.UP and fresh.push_started_at is None


async def test_real_time_end_to_end(db, settings) -> None:
    """As run.py runs it: the engine on the system clock under APScheduler, pings over
    HTTP. The job's last ping is made two minutes old (the shortest period and grace
    are a minute each): the engine finds the deadline passed and records the miss with
    its alert within a couple of ticks; the next ping brings the monitor back up."""
    from scheduler.engine import Engine
    from scheduler.runner import create_scheduler, register_jobs

    probe = Probe()
    runtime = Runtime(settings=settings, probe=probe)
    owner = await User.create(telegram_id=99)
    with use_locale("en"):
        monitor = await create_monitor(runtime, owner, kind="push", period=60, grace=60)
    engine = Engine(settings, probe)
    await engine.start()
    scheduler = create_scheduler()
    register_jobs(scheduler, engine)
    scheduler.start()
    try:
        async with serving(settings, probe) as api:
            async with api.http.post(f"{api.base}/ping/{monitor.ping_token}") as reply:
                assert reply.status == 200
            back = timedelta(seconds=119.5)
            row = await Monitor.get(id=monitor.id)
            pinged = row.push_last_success_at - back
            await Monitor.filter(id=monitor.id).update(
                push_last_success_at=pinged,
                push_last_ping_at=pinged,
                last_check_at=row.last_check_at - back,
                next_check_at=row.next_check_at - back,
            )
            deadline = pinged + timedelta(seconds=120)
            assert deadline > datetime.now(UTC)  # half a second away

            async def missed() -> bool:
                return await CheckLog.filter(monitor_id=monitor.id, ok=False).exists()

            for _ in range(200):  # generous: the timing is tested on a ManualClock
                if await missed():
                    break
                await asyncio.sleep(0.05)
            log = await CheckLog.get(monitor_id=monitor.id, ok=False)
            assert (log.error_kind, log.checked_at) == ("missed", deadline)
            assert datetime.now(UTC) - deadline < timedelta(seconds=10)
            assert len(await alerts_of(monitor, "down")) == 1
            async with api.http.get(f"{api.base}/ping/{monitor.ping_token}") as reply:
                assert reply.status == 200
            fresh = await Monitor.get(id=monitor.id)
            assert fresh.state == MonitorState.UP
            assert len(await alerts_of(monitor, "up")) == 1
    finally:
        scheduler.shutdown(wait=False)
        await engine.stop(timeout=2)
        await probe.close()


@pytest.mark.parametrize("method", ["GET", "POST", "HEAD"])
async def test_the_methods_each_count_as_a_ping(db, settings, method: str) -> None:
    async with push_rig(settings, engine=False) as rig:
        monitor = await rig.monitor(period=3600, grace=600)
        status, text = await rig.ping(monitor.ping_token, method=method)
        assert status == 200 and text == ("" if method == "HEAD" else "OK")
        assert await Ping.filter(monitor_id=monitor.id).count() == 1
        assert (await Monitor.get(id=monitor.id)).state == MonitorState.UP


async def test_a_declared_huge_body_is_refused_before_it_is_sent(db, settings) -> None:
    """A Content-Length over 2 MiB is answered 413 at once, without waiting for (and
    reading) the body."""
    async with push_rig(settings, engine=False) as rig:
        monitor = await rig.monitor(period=3600, grace=600)
        host, port = rig.api.base.removeprefix("http://").rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            writer.write(
                f"POST /ping/{monitor.ping_token} HTTP/1.1\r\nHost: {host}\r\n"
                f"Content-Length: {3 * 1024 * 1024}\r\n\r\n".encode()
                + b"only the first bytes"
            )
            await writer.drain()
            status_line = await asyncio.wait_for(reader.readline(), 5)
        finally:
            writer.close()
        assert status_line.split()[1] == b"413"
        assert await Ping.all().count() == 0


async def test_a_header_that_is_not_utf8_is_kept_readable_and_fails_no_batch(db, settings) -> None:
    """A user agent of bytes that are not UTF-8 (no database can store aiohttp's
    surrogates for them) is kept with U+FFFD; before, it failed its whole batch, so
    other jobs' pings written with it got 503."""
    async with push_rig(settings, engine=False) as rig:
        monitors = [await rig.monitor(period=3600, grace=600) for _ in range(5)]
        bad = raw_request(
            rig.api.base, "GET", f"/ping/{monitors[0].ping_token}", {"User-Agent": b"cron \xff\xfe"}
        )
        others = [rig.ping(m.ping_token) for m in monitors[1:]]
        answers = await asyncio.gather(bad, *others)
        assert answers[0].status == 200 and answers[1:] == [(200, "OK")] * 4
        ping = await Ping.get(monitor_id=monitors[0].id)
        assert ping.user_agent == "cron \ufffd\ufffd"
