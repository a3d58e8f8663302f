"""The outbox worker against the fake Bot API server: real aiogram, real HTTP, real
database (both dialects). Rate limits, retries, blocking, grouping, crash safety."""

from __future__ import annotations

import asyncio
import itertools
import logging
from datetime import UTC, datetime, timedelta

from aiogram.exceptions import ClientDecodeError
from prometheus_client import REGISTRY

from core.broadcasts import broadcast_progress, queue_broadcast
from core.clock import ManualClock
from core.probe import ProbeResult
from core.recording import record_results
from db import outbox
from db.leader import Leadership
from db.models import (
    Monitor,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    User,
)
from scheduler.telegram_sender import TelegramSender, accepted
from tests.support.bot_harness import tr, tr_n
from tests.support.fake_telegram import FakeTelegram
from tests.support.outbox import (
    SilentServer,
    close_worker,
    deliver_all,
    kill,
    queue,
    wait_to_lead,
    worker_for,
)


async def user_with_monitor(telegram_id: int = 100, **kw) -> tuple[User, Monitor]:
    user = await User.create(telegram_id=telegram_id, **kw)
    monitor = await Monitor.create(owner=user, name=f"site {telegram_id}", url="https://a.test/")
    return user, monitor


def sends(fake: FakeTelegram, chat_id: int | None = None, *, ok: bool | None = True):
    return [
        c
        for c in fake.calls
        if c.method == "sendMessage"
        and (chat_id is None or c.params.get("chat_id") == chat_id)
        and (ok is None or c.ok == ok)
    ]


def counted(channel: str, result: str) -> float:
    value = REGISTRY.get_sample_value(
        "uptime_notifications_total", {"channel": channel, "result": result}
    )
    return value or 0.0


async def test_down_alert_is_rendered_in_the_users_language_with_buttons(worker, fake) -> None:
    user, monitor = await user_with_monitor(language="ru")
    row = await queue(user, monitor=monitor)
    before = counted("telegram", "sent")

    await deliver_all(worker)

    [call] = sends(fake, 100)
    message = call.message
    assert (
        tr("ru", "🔴 <b>{name}</b> is down", name="site 100").replace("<b>", "").replace("</b>", "")
        in message.plain
    )
    assert tr("ru", "Cause: {cause}", cause=tr("ru", "no response in time")) in message.plain
    assert message.buttons == [
        tr("ru", "📋 Open monitor"),
        tr("ru", "🔄 Check now"),
        tr("ru", "🔕 Pause alerts 1 h"),
    ]
    await row.refresh_from_db()
    assert row.status == NotificationStatus.SENT and row.sent_at is not None
    assert row.attempts == 1 and row.lease_until is None
    assert counted("telegram", "sent") == before + 1


async def test_up_alert_has_no_pause_button(worker, fake) -> None:
    user, monitor = await user_with_monitor()
    await queue(user, NotificationKind.UP, monitor=monitor, payload={"downtime_seconds": 300})
    await deliver_all(worker)
    [call] = sends(fake, 100)
    assert "is up again" in call.message.plain
    assert call.message.buttons == ["📋 Open monitor", "🔄 Check now"]


async def test_429_with_retry_after_2_is_delivered_after_2_seconds_and_once(worker, fake) -> None:
    user, monitor = await user_with_monitor()
    fake.fail("sendMessage", 429, retry_after=2)
    row = await queue(user, monitor=monitor)
    before = counted("telegram", "rate_limited")

    await deliver_all(worker)

    [refused] = sends(fake, ok=False)
    [delivered] = sends(fake, ok=True)
    assert delivered.at - refused.at >= 2.0
    await row.refresh_from_db()
    assert row.status == NotificationStatus.SENT and row.attempts == 2
    assert counted("telegram", "rate_limited") == before + 1


async def test_two_server_errors_then_success_delivers_once(worker, fake) -> None:
    user, monitor = await user_with_monitor()
    fake.fail("sendMessage", 500, times=2)
    row = await queue(user, monitor=monitor)

    await deliver_all(worker)

    assert len(sends(fake, ok=False)) == 2
    assert len(sends(fake, ok=True)) == 1
    await row.refresh_from_db()
    assert row.status == NotificationStatus.SENT and row.attempts == 3
    assert row.last_error and "Internal Server Error" in row.last_error


async def test_a_failing_channel_is_logged_once_and_its_recovery_once(worker, fake, caplog) -> None:
    user, monitor = await user_with_monitor()
    fake.fail("sendMessage", 500, times=3)
    await queue(user, monitor=monitor)
    with caplog.at_level(logging.INFO, logger="scheduler.outbox"):
        await deliver_all(worker)
    lines = [r.getMessage() for r in caplog.records if r.name == "scheduler.outbox"]
    assert lines == [
        "telegram channel failing: TelegramServerError: Telegram server says - "
        "Internal Server Error",
        "telegram channel recovered",
    ]


async def test_an_accepted_message_whose_answer_does_not_decode_is_sent_once(
    worker, fake, caplog
) -> None:
    """Telegram answered 200 `"ok": true` but aiogram cannot read the result: the
    message was delivered, so it is marked sent, not retried (which would send it
    again on every backoff step). The decoding problem is logged once per process."""
    user, monitor = await user_with_monitor()
    first = await queue(user, monitor=monitor)
    fake.garble("sendMessage", times=None)
    with caplog.at_level(logging.INFO):
        await deliver_all(worker)
        second = await queue(user, NotificationKind.UP, monitor=monitor)
        await deliver_all(worker)
    assert len(sends(fake, 100)) == 2  # one each, none repeated
    for row in (first, second):
        await row.refresh_from_db()
        assert row.status == NotificationStatus.SENT and row.attempts == 1
    warnings = [r for r in caplog.records if "could not be decoded" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert "channel failing" not in caplog.text


def test_an_answer_without_ok_that_does_not_decode_is_retried() -> None:
    """Only `"ok": true` proves delivery: a body that is not the Bot API's (an HTML
    error page of a proxy) is a transient failure like any other."""
    assert not accepted(ClientDecodeError("Failed to decode object", ValueError(), "<html>"))
    assert not accepted(ClientDecodeError("x", ValueError(), {"ok": False}))
    assert accepted(ClientDecodeError("x", ValueError(), {"ok": True, "result": 1}))


async def test_a_grouped_message_that_failed_is_retried_as_one_message(worker, fake) -> None:
    """The rows of a grouped message share one retry time: they come back together and
    are grouped again, not a few at a time as separate messages."""
    user = await User.create(telegram_id=100)
    monitors = [
        await Monitor.create(owner=user, name=f"api {n}", url=f"https://a{n}.test/")
        for n in range(8)
    ]
    for monitor in monitors:
        await queue(user, monitor=monitor)
    fake.fail("sendMessage", 500)

    await deliver_all(worker)

    assert len(sends(fake, ok=False)) == 1
    [message] = sends(fake, ok=True)
    assert all(m.name in message.message.plain for m in monitors)
    attempts = await Notification.all().values_list("attempts", flat=True)
    assert attempts == [2] * 8


async def test_403_blocks_the_user_and_nothing_more_is_sent_to_them(worker, fake) -> None:
    user, monitor = await user_with_monitor()
    other, other_monitor = await user_with_monitor(200)
    fake.fail("sendMessage", 403, chat_id=100)
    first = await queue(user, monitor=monitor)
    second = await queue(user, NotificationKind.REMINDER, monitor=monitor)
    mail = await queue(user, monitor=monitor, channel=NotificationChannel.EMAIL)
    await queue(other, monitor=other_monitor)

    await worker.drain()

    await user.refresh_from_db()
    assert user.blocked_bot
    for row in (first, second):
        await row.refresh_from_db()
        assert row.status == NotificationStatus.CANCELLED
        assert "blocked" in row.last_error
    await mail.refresh_from_db()
    assert mail.status == NotificationStatus.PENDING  # email is another channel
    assert len(sends(fake, 100, ok=None)) == 1
    assert len(sends(fake, 200)) == 1
    # Later alerts and broadcasts skip a user who blocked the bot.
    await queue_broadcast("hello")
    await worker.drain()
    assert len(sends(fake, 100, ok=None)) == 1
    assert len(sends(fake, 200)) == 2


async def test_400_ends_the_row_as_dead_with_the_error(worker, fake) -> None:
    user, monitor = await user_with_monitor()
    fake.fail("sendMessage", 400, description="Bad Request: chat not found")
    row = await queue(user, monitor=monitor)
    await deliver_all(worker)
    await row.refresh_from_db()
    assert row.status == NotificationStatus.DEAD
    assert row.last_error == "Bad Request: chat not found"
    assert len(sends(fake, ok=None)) == 1


async def test_a_row_that_keeps_failing_for_an_hour_ends_dead(worker, fake) -> None:
    user, monitor = await user_with_monitor()
    fake.fail("sendMessage", 502, times=None)
    row = await queue(user, monitor=monitor)
    await Notification.filter(id=row.id).update(
        created_at=datetime.now(UTC) - timedelta(minutes=61)
    )
    await deliver_all(worker)
    await row.refresh_from_db()
    assert row.status == NotificationStatus.DEAD
    assert "Bad Gateway" in row.last_error


async def test_a_network_outage_is_retried_until_telegram_is_back(db, settings, fake) -> None:
    from tests.support.tcp_proxy import TcpProxy

    proxy = TcpProxy("127.0.0.1", fake.port)
    await proxy.start()
    worker = worker_for(settings, fake, api_url=f"http://127.0.0.1:{proxy.port}")
    user, monitor = await user_with_monitor()
    row = await queue(user, monitor=monitor)
    try:
        await proxy.cut()
        await worker.drain()
        await row.refresh_from_db()
        assert row.status == NotificationStatus.PENDING and row.attempts == 1
        assert "TelegramNetworkError" in row.last_error
        await proxy.start()
        await deliver_all(worker)
    finally:
        await close_worker(worker)
        await proxy.cut()
    assert len(sends(fake, 100)) == 1


async def test_a_recipients_alerts_keep_their_order_through_retries(worker, fake) -> None:
    user, monitor = await user_with_monitor()
    fake.fail("sendMessage", 500, times=1)
    await queue(user, NotificationKind.DOWN, monitor=monitor)
    await queue(user, NotificationKind.UP, monitor=monitor, payload={"downtime_seconds": 60})
    await deliver_all(worker)
    texts = [c.message.plain for c in sends(fake, 100)]
    assert len(texts) == 2
    assert "is down" in texts[0] and "is up again" in texts[1]


async def test_messages_to_one_chat_are_at_least_a_second_apart(worker, fake) -> None:
    user, monitor = await user_with_monitor()
    for _n in range(3):
        await queue(user, NotificationKind.REMINDER, monitor=monitor)
    await deliver_all(worker)
    times = [c.at for c in sends(fake, 100)]
    assert len(times) == 3
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(times))


async def test_twelve_monitors_down_together_reach_the_user_as_one_message(
    db, settings, fake
) -> None:
    worker = worker_for(settings, fake, quiet=timedelta(seconds=1), clock=ManualClock())
    await worker.start()
    user = await User.create(telegram_id=100, language="de")
    monitors = [
        await Monitor.create(owner=user, name=f"shop <{n}>", url=f"https://s{n}.test/",
                             failure_threshold=1)
        for n in range(12)
    ]  # fmt: skip
    now = datetime.now(UTC)
    failed = ProbeResult(checked_at=now, ok=False, error_kind="timeout", error_message="late")
    # Two engine flushes a moment apart, as when the failures straddle a tick.
    await record_results([(m.id, failed) for m in monitors[:7]])
    await worker.clock.advance(0.5)
    await worker.drain()  # the burst is still arriving: nothing goes yet
    assert sends(fake) == []
    await record_results([(m.id, failed) for m in monitors[7:]])
    try:
        await deliver_all(worker)
    finally:
        await close_worker(worker)

    [call] = sends(fake, 100)
    text = call.message.plain
    down = tr_n("de", "{count} down", "{count} down", 12, count=12)
    title = tr_n("de", "🚨 <b>{count} alert</b>: {summary}", "🚨 <b>{count} alerts</b>: {summary}",
                 12, count=12, summary=down)  # fmt: skip
    assert title.replace("<b>", "").replace("</b>", "") in text
    for m in monitors:
        assert m.name in text
    links = [e["url"] for e in call.message.entities if e["type"] == "text_link"]
    assert links == [f"https://t.me/{fake.username}?start=m{m.id}" for m in monitors]
    assert call.message.buttons == [tr("de", "📋 My monitors")]
    assert await Notification.filter(status=NotificationStatus.SENT).count() == 12


async def test_five_alerts_are_not_grouped(worker, fake) -> None:
    user, _monitor = await user_with_monitor()
    for n in range(5):
        monitor = await Monitor.create(owner=user, name=f"m{n}", url="https://a.test/")
        await queue(user, monitor=monitor)
    await deliver_all(worker)
    assert len(sends(fake, 100)) == 5


async def test_a_worker_stopped_mid_batch_and_restarted_sends_the_rest_once(
    db, settings, fake
) -> None:
    users = [await User.create(telegram_id=1000 + n) for n in range(30)]
    for user in users:
        await queue(user, NotificationKind.BROADCAST, payload={"text": f"hi {user.id}"})
    first = worker_for(settings, fake)
    first.telegram = TelegramSender(first.telegram.bot, overall_rate=10)  # time to stop
    await first.tick()
    await fake.wait_for(lambda: len(sends(fake)) >= 8)
    await close_worker(first)
    delivered_before = len(sends(fake))
    assert 8 <= delivered_before < 30
    sent = await Notification.filter(status=NotificationStatus.SENT).count()
    assert sent == delivered_before
    assert await Notification.filter(status=NotificationStatus.SENDING).count() == 0

    second = worker_for(settings, fake)
    try:
        await deliver_all(second)
    finally:
        await close_worker(second)
    for user in users:
        assert len(sends(fake, user.telegram_id)) == 1
    assert await Notification.filter(status=NotificationStatus.SENT).count() == 30


async def test_a_leader_killed_mid_send_leaves_nothing_waiting_for_the_lease(
    db, settings, fake
) -> None:
    """kill -9 while the down alert is in Telegram's hands: the next leader sends it
    again (at least once) and the recovery alert behind it, in order, within seconds
    instead of after the 5-minute lease."""
    user, monitor = await user_with_monitor()
    down = await queue(user, monitor=monitor)
    silent = SilentServer()
    await silent.start()
    dead = worker_for(settings, fake, api_url=silent.url)
    try:
        await dead.tick()
        await asyncio.wait_for(silent.received.wait(), 10)  # the send is in flight
        kill(dead)
    finally:
        await dead.telegram.bot.session.close()
        await silent.stop()
    await down.refresh_from_db()
    assert down.status == NotificationStatus.SENDING and down.attempts == 1
    up = await queue(user, NotificationKind.UP, monitor=monitor, payload={"downtime_seconds": 60})

    start = datetime.now(UTC)
    clock = ManualClock(start)
    heir = worker_for(settings, fake, clock=clock)
    try:
        await wait_to_lead(heir)
        await deliver_all(heir)
    finally:
        await close_worker(heir)
    assert clock.now() - start < timedelta(seconds=5)  # the lease is 5 minutes
    texts = [c.message.plain for c in sends(fake, 100)]
    assert len(texts) == 2
    assert "is down" in texts[0] and "is up again" in texts[1]
    for row in (down, up):
        await row.refresh_from_db()
        # The killed claim had no outcome: its attempt is not counted.
        assert row.status == NotificationStatus.SENT and row.attempts == 1


class GatedSender(TelegramSender):
    """A sender whose turns wait for `gate`: rows stay claimed, not yet sent.
    `waiting` is set once `expected` sends wait at the gate."""

    def __init__(self, bot, gate: asyncio.Event, expected: int) -> None:
        super().__init__(bot)
        self.gate = gate
        self.expected = expected
        self.waiting = asyncio.Event()

    async def wait_turn(self, chat_id: int) -> None:
        self.expected -= 1
        if self.expected == 0:
            self.waiting.set()
        await self.gate.wait()
        await super().wait_turn(chat_id)


async def test_a_leader_that_lost_the_lead_does_not_send_what_the_new_one_took_back(
    db, settings, fake
) -> None:
    """Two leaders overlap: the old one's lock connection ended but the process runs on
    with claimed rows in hand. The new leader sends them; the old one, at its next
    send, finds its claims gone and sends nothing."""
    users = [await User.create(telegram_id=500 + n) for n in range(3)]
    for user in users:
        await queue(user, NotificationKind.BROADCAST, payload={"text": "once"})
    gate = asyncio.Event()
    old = worker_for(settings, fake)
    old.telegram = GatedSender(old.telegram.bot, gate, expected=3)
    start = datetime.now(UTC)
    new = worker_for(settings, fake, clock=ManualClock(start))
    try:
        await old.tick()
        await asyncio.wait_for(old.telegram.waiting.wait(), 10)  # all three claimed
        conn = old.leadership._conn
        if conn is not None:
            conn.terminate()  # the lock is lost; the old process does not know yet
        await wait_to_lead(new)
        await deliver_all(new)
        assert len(sends(fake)) == 3
        gate.set()
        await asyncio.wait_for(old._drain_task, 10)
    finally:
        await close_worker(old)
        await close_worker(new)
    assert new.clock.now() - start < timedelta(seconds=5)
    assert sorted(c.params["chat_id"] for c in sends(fake)) == [500, 501, 502]
    rows = await Notification.all()
    assert {(r.status, r.attempts) for r in rows} == {(NotificationStatus.SENT, 1)}


async def test_a_claim_of_the_current_leadership_still_waits_for_its_lease(
    db, settings, fake
) -> None:
    """Within one leadership epoch (a second claimer overlapping the leader) the lease
    still fences: the row goes out only once the lease has ended."""
    worker = worker_for(settings, fake, clock=ManualClock())
    try:
        await worker.drain()  # takes the lead: nothing to return, nothing to send
        user, monitor = await user_with_monitor()
        row = await queue(user, monitor=monitor)
        now = datetime.now(UTC)
        # Another claimer of the same epoch claims and dies before sending.
        [claim] = await outbox.claim_notifications(
            now, limit=10, lease_until=now + timedelta(seconds=1),
            epoch=worker.leadership.epoch,
            channels=["telegram"], quiet_before=now, hold_before=now,
        )  # fmt: skip
        assert claim.id == row.id
        await worker.drain()
        assert sends(fake) == []  # leased to the other claimer
        await worker.clock.advance_to(now + timedelta(seconds=1.1))
        await deliver_all(worker)
    finally:
        await close_worker(worker)
    assert len(sends(fake, 100)) == 1
    # The other claimer's late mark cannot overwrite the new claim's outcome.
    assert not await outbox.mark_retry(claim, now, "late")
    await row.refresh_from_db()
    assert row.status == NotificationStatus.SENT and row.attempts == 2


async def test_every_new_leadership_takes_a_higher_epoch(db, db_url) -> None:
    first, second = Leadership(db_url), Leadership(db_url)
    try:
        assert await first.check()
        assert first.epoch == 1
        assert await first.check() and first.epoch == 1  # kept: the same leadership
        await first.close()
        assert first.epoch is None
        assert await second.check()
        assert second.epoch == 2
    finally:
        await first.close()
        await second.close()


async def test_two_workers_draining_together_send_each_row_once(db, settings, fake) -> None:
    users = [await User.create(telegram_id=2000 + n) for n in range(40)]
    for user in users:
        await queue(user, NotificationKind.BROADCAST, payload={"text": "both"})
    workers = [worker_for(settings, fake, batch=10) for _n in range(2)]
    try:
        await asyncio.gather(*(deliver_all(w) for w in workers))
    finally:
        for w in workers:
            await close_worker(w)
    assert len(sends(fake)) == 40
    assert {c.params["chat_id"] for c in sends(fake)} == {u.telegram_id for u in users}


async def test_a_broadcast_goes_through_the_same_sender(worker, fake) -> None:
    for n in range(3):
        await User.create(telegram_id=300 + n)
    broadcast_id, _total = await queue_broadcast("Maintenance <tonight> & more")
    await deliver_all(worker)
    progress = await broadcast_progress(broadcast_id)
    assert (progress.total, progress.sent, progress.failed) == (3, 3, 0)
    assert {c.message.plain for c in sends(fake)} == {"Maintenance <tonight> & more"}


async def test_rows_for_a_channel_without_transport_wait(db, settings, fake) -> None:
    """No SMTP configured: email rows stay pending for a process that can send them."""
    worker = worker_for(settings, fake)
    user, monitor = await user_with_monitor()
    mail = await queue(user, monitor=monitor, channel=NotificationChannel.EMAIL)
    try:
        await worker.drain()
    finally:
        await close_worker(worker)
    await mail.refresh_from_db()
    assert mail.status == NotificationStatus.PENDING and mail.attempts == 0


async def test_an_alert_does_not_wait_behind_a_broadcast(db, settings, fake) -> None:
    users = [await User.create(telegram_id=3000 + n) for n in range(20)]
    await queue_broadcast("news")
    user, monitor = await user_with_monitor()
    await queue(user, monitor=monitor)
    worker = worker_for(settings, fake, batch=4)
    try:
        await deliver_all(worker)
    finally:
        await close_worker(worker)
    order = [c.params["chat_id"] for c in sends(fake)]
    assert sorted(order) == sorted([100] + [u.telegram_id for u in users])
    assert order.index(100) < 4  # in the first batch, ahead of 20 older broadcasts


async def test_an_alert_shows_its_time_in_the_recipients_zone(worker, fake) -> None:
    user, monitor = await user_with_monitor(language="de", timezone="America/New_York")
    await queue(user, monitor=monitor, payload={"since": "2031-07-01T10:00:00+00:00"})
    await deliver_all(worker)
    [call] = sends(fake, 100)
    since = tr("de", "Since {since}", since="01.07.31, 06:00 EDT")
    assert since in call.message.plain, call.message.plain
