"""Alert channels end to end: recording writes one row per channel a monitor alerts,
and the outbox delivers each through its kind's transport (scheduler/transports/):
the owner's private chat through real aiogram to the fake Bot API server, webhooks,
Slack and Discord to a local receiver that checks signatures. Both dialects."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import UTC, datetime, timedelta

import pytest

from core import channels
from db.models import (
    Channel,
    Monitor,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    User,
)
from tests.support.bot_harness import tr
from tests.support.fake_telegram import FakeTelegram
from tests.support.outbox import close_worker, deliver_all, goes_down, worker_for
from tests.support.receiver import SECRET, Receiver, Reply


async def owner(telegram_id: int = 100) -> User:
    return await User.create(telegram_id=telegram_id, language="en")


async def url_channel(
    user: User, url: str, kind: str = "webhook", *, is_default: bool = True, **kw
) -> Channel:
    """A channel row as core.channels.create_url_channel makes one (the receiver lives
    on 127.0.0.1, which creation refuses to a user who may not reach private hosts)."""
    settings = {"secret": SECRET} if kind == "webhook" else {}
    return await Channel.create(
        owner_id=user.id, kind=kind, target=url, is_default=is_default, settings=settings, **kw
    )


async def monitor_of(user: User, name: str = "Shop") -> Monitor:
    return await Monitor.create(
        owner=user, name=name, url="https://shop.example/", failure_threshold=1
    )


def sends(fake: FakeTelegram, chat_id: int | None = None) -> list:
    return [
        c
        for c in fake.calls
        if c.method == "sendMessage" and c.ok and chat_id in (None, c.params.get("chat_id"))
    ]


def posted(receiver: Receiver, path: str) -> list:
    return [r for r in receiver.received if r.path == path]


async def test_an_alert_goes_to_every_default_channel_of_its_owner(
    worker, fake: FakeTelegram, receiver: Receiver
) -> None:
    user = await owner()
    hook = await url_channel(user, receiver.answer("/hook", Reply(204, b"")))
    await url_channel(user, receiver.answer("/later"), is_default=False)  # not a default
    monitor = await monitor_of(user)
    await goes_down(monitor)
    rows = await Notification.all().order_by("id")
    chat = await channels.private_chat(user)
    assert chat is not None
    assert {(n.channel, n.alert_channel_id) for n in rows} == {
        ("telegram", chat.id),
        ("webhook", hook.id),
    }
    assert all(n.dedup_key and n.dedup_key.endswith(f":c{n.alert_channel_id}") for n in rows)
    await deliver_all(worker)
    assert len(sends(fake, user.telegram_id)) == 1
    [event] = posted(receiver, "/hook")
    assert event.signature_ok and event.json()["event"] == "down"
    assert event.json()["monitor"] == {
        "id": monitor.id,
        "name": "Shop",
        "url": "https://shop.example/",
        "kind": "http",
    }
    incident_id = next(n.incident_id for n in rows if n.alert_channel_id == hook.id)
    assert incident_id is not None and event.json()["incident"]["id"] == incident_id
    assert not posted(receiver, "/later")
    assert await Notification.filter(status=NotificationStatus.SENT).count() == 2
    assert (await Channel.get(id=hook.id)).last_used_at is not None


async def test_a_monitor_with_its_own_list_alerts_exactly_those_channels(
    worker, fake: FakeTelegram, receiver: Receiver
) -> None:
    user = await owner()
    hook = await url_channel(user, receiver.answer("/hook"), is_default=False)
    monitor = await monitor_of(user)
    await channels.set_monitor_channels(monitor, [hook.id])
    assert await channels.monitor_channel_ids(monitor) == [hook.id]
    await goes_down(monitor)
    assert [n.alert_channel_id for n in await Notification.all()] == [hook.id]
    await deliver_all(worker)
    assert len(posted(receiver, "/hook")) == 1 and not sends(fake)

    await channels.set_monitor_channels(monitor, None)  # back to the owner's defaults
    chat = await channels.private_chat(user)
    assert chat is not None and await channels.monitor_channel_ids(monitor) == [chat.id]


async def test_channels_that_are_foreign_unknown_or_off_cannot_be_attached(db) -> None:
    from core.monitor_rules import RuleError

    ann, bob = await owner(1), await owner(2)
    monitor = await monitor_of(ann)
    bobs = await url_channel(bob, "https://hooks.example/b")
    off = await url_channel(ann, "https://hooks.example/a", enabled=False)
    for ids, code in (([bobs.id], "channel_unknown"), ([999999], "channel_unknown"),
                      ([off.id], "channel_disabled")):  # fmt: skip
        with pytest.raises(RuleError) as refused:
            await channels.set_monitor_channels(monitor, ids)
        assert refused.value.code == code and refused.value.field == "channel_ids"
    fresh = await Monitor.get(id=monitor.id)
    assert not fresh.custom_channels and not await fresh.channel_links.all()


async def test_a_channel_that_is_off_gets_nothing_and_the_other_channels_still_do(
    worker, fake: FakeTelegram, receiver: Receiver
) -> None:
    user = await owner()
    await url_channel(user, receiver.answer("/hook"), enabled=False)
    await goes_down(await monitor_of(user))
    assert [n.channel for n in await Notification.all()] == ["telegram"]
    await deliver_all(worker)
    assert len(sends(fake)) == 1 and not receiver.received


async def test_a_gone_webhook_is_turned_off_once_and_its_owner_told_once(
    worker, fake: FakeTelegram, receiver: Receiver
) -> None:
    user = await owner()
    chat = await channels.private_chat(user)
    assert chat is not None
    await channels.set_enabled(chat, False)  # only the webhook alerts, and the notice
    await channels.set_enabled(chat, True)
    hook = await url_channel(user, receiver.answer("/hook", Reply(410, b"gone")), name="Ops <b>")
    first, second = await monitor_of(user, "One"), await monitor_of(user, "Two")
    await channels.set_monitor_channels(first, [hook.id])
    await channels.set_monitor_channels(second, [hook.id])
    await goes_down(first, second)
    await deliver_all(worker)

    assert len(posted(receiver, "/hook")) == 1  # the second alert was not tried
    fresh = await Channel.get(id=hook.id)
    assert not fresh.enabled and "410" in (fresh.disabled_reason or "")
    rows = {n.monitor_id: n for n in await Notification.filter(alert_channel_id=hook.id)}
    assert {n.status for n in rows.values()} == {NotificationStatus.CANCELLED}
    [notice] = sends(fake, user.telegram_id)
    assert "failed for good" in notice.message.plain
    assert notice.message.buttons == [tr("en", "🔔 Turn it on again")]
    assert "Ops &lt;b&gt;" in notice.params["text"]  # its name, escaped
    assert "410" in notice.message.plain
    # Failing again changes nothing and tells nobody twice.
    assert not await channels.disable_channel(hook.id, "HTTP 410 again")
    assert await Notification.filter(kind=NotificationKind.CHANNEL_DISABLED).count() == 1

    # While off, its monitors' alerts are not even written for it...
    await goes_down(first)
    assert not await Notification.filter(alert_channel_id=hook.id, status="pending").exists()
    # ...and turned on again (the receiver is back), the next alert arrives.
    receiver.answer("/hook", Reply(204, b""))
    await channels.set_enabled(fresh, True)
    assert (await Channel.get(id=hook.id)).disabled_reason is None
    await Monitor.filter(id=second.id).update(state="up", consecutive_failures=0)
    await goes_down(await Monitor.get(id=second.id))
    await deliver_all(worker)
    assert len(posted(receiver, "/hook")) == 2
    assert posted(receiver, "/hook")[-1].signature_ok


async def test_a_rate_limited_webhook_gets_each_alert_exactly_once(
    worker, receiver: Receiver
) -> None:
    """Slack answers 429 with Retry-After 1: the alert waits that second (a real
    one: the transport paces real traffic) and goes out once."""
    user = await owner()
    await channels.set_enabled(await channels.private_chat(user), False)  # Slack only
    path = "/services/T0/B0/x"
    await url_channel(
        user, receiver.answer(path, Reply(429, b"rate_limited", {"Retry-After": "1"}), Reply()),
        "slack",
    )  # fmt: skip
    await goes_down(await monitor_of(user))
    await deliver_all(worker)
    assert [r.path for r in receiver.received] == [path, path]  # the 429, then the one
    [row] = await Notification.all()
    assert row.status == NotificationStatus.SENT and row.attempts == 2


async def test_a_long_pause_gives_the_rows_back_instead_of_holding_them(
    worker, receiver: Receiver
) -> None:
    """Two owners' channels on one URL: after a 429 asking for two minutes, the second
    channel's alert is not sent into the pause, and the worker does not wait it out."""
    url = receiver.answer("/shared", Reply(429, b"", {"Retry-After": "120"}))
    started = time.monotonic()
    for telegram_id in (1, 2):
        user = await owner(telegram_id)
        await channels.set_enabled(await channels.private_chat(user), False)
        await url_channel(user, url)
        await goes_down(await monitor_of(user, f"site {telegram_id}"))
        await worker.drain()
    assert time.monotonic() - started < 10
    assert len(receiver.received) == 1
    rows = await Notification.all()
    assert {r.status for r in rows} == {NotificationStatus.PENDING}
    later = datetime.now(UTC) + timedelta(seconds=100)
    assert all(r.next_attempt_at > later for r in rows)


async def test_a_test_alert_reaches_each_kind_of_channel(
    worker, fake: FakeTelegram, receiver: Receiver
) -> None:
    user = await owner()
    chat = await channels.private_chat(user)
    hook = await url_channel(user, receiver.answer("/hook"))
    slack = await url_channel(user, receiver.answer("/services/T/B/c"), "slack")
    for channel in (chat, hook, slack):
        assert channel is not None
        await channels.queue_test(channel)
    await deliver_all(worker)
    [message] = sends(fake, user.telegram_id)
    assert message.message.plain == tr(
        "en", "This is a test: alerts of your monitors will arrive here."
    )
    [event] = posted(receiver, "/hook")
    assert event.json()["event"] == "test" and event.signature_ok
    assert posted(receiver, "/services/T/B/c")


async def test_a_group_that_removed_the_bot_is_turned_off_not_the_user(
    worker, fake: FakeTelegram
) -> None:
    user = await owner()
    group = await Channel.create(
        owner_id=user.id, kind="telegram", target="-1001234", name="Ops", is_default=True
    )
    fake.fail(
        "sendMessage", 403, description="Forbidden: bot was kicked from the supergroup chat",
        chat_id=-1001234, times=None,
    )  # fmt: skip
    await goes_down(await monitor_of(user))
    await deliver_all(worker)
    assert not (await Channel.get(id=group.id)).enabled
    assert not (await User.get(id=user.id)).blocked_bot
    chat = await channels.private_chat(user)
    assert chat is not None and chat.enabled
    texts = [c.message.plain for c in sends(fake, user.telegram_id)]
    assert len(texts) == 2  # the alert itself, and the notice about the group
    assert any("Ops" in t and "kicked" in t for t in texts)


async def test_a_forum_topic_gets_its_alerts_in_its_thread(worker, fake: FakeTelegram) -> None:
    user = await owner()
    await channels.set_enabled(await channels.private_chat(user), False)
    await Channel.create(owner_id=user.id, kind="telegram", target="-1005", thread_id=7)
    await goes_down(await monitor_of(user))
    await deliver_all(worker)
    [sent] = sends(fake)
    assert sent.params["chat_id"] == -1005 and sent.params["message_thread_id"] == 7


async def test_a_user_who_blocked_the_bot_has_their_private_chat_off_until_they_write(
    worker, fake: FakeTelegram, db
) -> None:
    from core.users import touch_user

    user = await owner()
    fake.fail("sendMessage", 403, chat_id=user.telegram_id)
    await goes_down(await monitor_of(user))
    await deliver_all(worker)
    chat = await channels.private_chat(user)
    assert chat is not None and not chat.enabled
    assert (await User.get(id=user.id)).blocked_bot
    await touch_user(user.telegram_id, None, "Ann", "en")
    chat = await channels.private_chat(user)
    assert chat is not None and chat.enabled and chat.disabled_reason is None


async def test_deleting_a_channel_takes_what_is_queued_for_it(db) -> None:
    from core.monitor_rules import RuleError

    user = await owner()
    hook = await url_channel(user, "https://hooks.example/x")
    await goes_down(await monitor_of(user))
    assert await Notification.filter(alert_channel_id=hook.id).count() == 1
    await channels.delete_channel(user, hook)
    assert not await Notification.filter(channel=NotificationChannel.WEBHOOK).exists()
    chat = await channels.private_chat(user)
    assert chat is not None
    with pytest.raises(RuleError):
        await channels.delete_channel(user, chat)


async def test_a_webhook_down_for_ten_minutes_gets_every_alert_once_when_back(
    db, settings, receiver: Receiver
) -> None:
    """The receiver answers 503 for ten minutes (on a manual clock, with the real
    backoff: about 5 s, 10 s, 20 s ... up to 10 min): three alerts then arrive once
    each, in the order they happened."""
    from core.clock import ManualClock
    from core.delivery import RetryPolicy

    start = datetime.now(UTC)
    clock = ManualClock(start)
    worker = worker_for(settings, None, policy=RetryPolicy(), clock=clock)
    user = await owner()
    await channels.set_enabled(await channels.private_chat(user), False)
    url = receiver.answer("/hook", Reply(503, b"down for maintenance"))
    await url_channel(user, url)
    monitors = [await monitor_of(user, f"site {n}") for n in range(3)]
    for monitor in monitors:
        await goes_down(monitor)
    try:
        while clock.now() - start < timedelta(minutes=10):
            await worker.drain()
            due = await Notification.filter(status="pending").order_by("next_attempt_at").first()
            assert due is not None
            await clock.advance_to(max(due.next_attempt_at, clock.now() + timedelta(seconds=1)))
        refused = len(receiver.received)
        receiver.answer("/hook", Reply(204, b""))  # back
        await deliver_all(worker, timeout=30)
    finally:
        await close_worker(worker)
    assert refused >= 5  # tried all along, backing off
    delivered = receiver.received[refused:]
    assert [r.json()["monitor"]["name"] for r in delivered] == ["site 0", "site 1", "site 2"]
    assert all(r.signature_ok for r in delivered)
    ids = [r.headers["X-Uptime-Delivery"] for r in delivered]
    assert len(set(ids)) == 3
    assert {r.status for r in await Notification.all()} == {NotificationStatus.SENT}


async def test_a_worker_killed_with_webhook_alerts_claimed_loses_and_repeats_none(
    db, settings, receiver: Receiver
) -> None:
    """kill -9 while a webhook alert is on its way and others are claimed or sent: the
    next leader sends what was in flight again (the one at-least-once case, named by
    the same X-Uptime-Delivery) and everything else exactly once, within seconds."""
    from collections import Counter

    from tests.support.outbox import kill, wait_to_lead

    user = await owner()
    await channels.set_enabled(await channels.private_chat(user), False)
    await url_channel(user, receiver.url + "/slow")
    other = await url_channel(user, receiver.answer("/other"), is_default=False)
    monitors = [await monitor_of(user, f"site {n}") for n in range(4)]
    for monitor in monitors[2:]:
        await channels.set_monitor_channels(monitor, [other.id])
    for monitor in monitors:
        await goes_down(monitor)
    dead = worker_for(settings, None)
    await dead.tick()
    deadline = time.monotonic() + 10
    while not posted(receiver, "/slow"):  # the first alert is in the receiver's hands
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    kill(dead)
    for transport in dead.transports.values():
        await transport.close()
    at_kill = {str(n.id): n.status for n in await Notification.all()}
    receiver.answer("/slow", Reply(204, b""))
    receiver.released.set()

    heir = worker_for(settings, None)
    try:
        await wait_to_lead(heir)
        await deliver_all(heir)
    finally:
        await close_worker(heir)
    times = Counter(r.headers["X-Uptime-Delivery"] for r in receiver.received)
    assert set(times) == set(at_kill)  # none lost
    for delivery, status in at_kill.items():
        # Only a row in a worker's hands at the kill may go out twice.
        assert times[delivery] <= (2 if status == NotificationStatus.SENDING else 1), delivery
    assert {n.status for n in await Notification.all()} == {NotificationStatus.SENT}


async def test_a_telegram_backlog_does_not_hold_webhook_alerts_back(
    db, settings, fake: FakeTelegram, receiver: Receiver
) -> None:
    """Each kind has its own rows in hand: with 60 alerts queued for Telegram first
    (2.4 s at 25 a second) and a worker holding 10 rows at a time, webhook alerts
    written after them still go out at once."""
    from tests.support.outbox import queue

    worker = worker_for(settings, fake, batch=10)
    await worker.start()
    for n in range(60):
        user = await owner(1000 + n)
        await queue(user, monitor=await monitor_of(user, f"shop {n}"))
    ann = await owner()
    await channels.set_enabled(await channels.private_chat(ann), False)
    await url_channel(ann, receiver.answer("/hook"))
    for n in range(5):
        await goes_down(await monitor_of(ann, f"site {n}"))
    try:
        await deliver_all(worker)
    finally:
        await close_worker(worker)
    hooks = posted(receiver, "/hook")
    telegram = sorted(c.at for c in sends(fake))
    assert len(hooks) == 5 and len(telegram) == 60
    assert max(r.at for r in hooks) < telegram[30]  # before half the backlog had gone


# --- Telegram groups and channels ---------------------------------------------------------


async def group_channel(user: User, chat_id: int, **kw) -> Channel:
    """A linked group as core.telegram_chats.link_chat makes it, here a default one."""
    return await Channel.create(
        owner_id=user.id, kind="telegram", target=str(chat_id), name="Team", **kw
    )


async def test_a_group_that_became_a_supergroup_gets_the_alert_once_at_its_new_id(
    worker, fake: FakeTelegram
) -> None:
    user = await owner()
    await channels.set_enabled(await channels.private_chat(user), False)
    team = fake.group(-42, "Team")
    team.member(fake.bot_id)
    group = await group_channel(user, team.id, thread_id=None)
    supergroup = await team.migrate(-100042)  # nobody told the bot (it is not polling)
    monitor = await monitor_of(user)
    await goes_down(monitor)
    await deliver_all(worker)

    tries = [c for c in fake.calls if c.method == "sendMessage"]
    assert [(c.params["chat_id"], c.ok) for c in tries] == [(-42, False), (-100042, True)]
    assert len(supergroup.messages()) == 1 and not team.messages()
    assert (await Channel.get(id=group.id)).target == "-100042"
    assert await Notification.filter(status=NotificationStatus.SENT).count() == 1

    # The next alert goes straight to the new id.
    await Monitor.filter(id=monitor.id).update(state="up", consecutive_failures=0)
    await goes_down(await Monitor.get(id=monitor.id))
    await deliver_all(worker)
    assert [c.params["chat_id"] for c in sends(fake)] == [-100042, -100042]


async def test_a_burst_to_a_group_goes_grouped_under_its_limit_and_private_chats_keep_pace(
    worker, fake: FakeTelegram
) -> None:
    fake.limit_groups()  # Telegram's 20 a minute per group
    fake.limit_rate()  # and its 30 a second, 1 a second per chat
    ann, bob = await owner(1), await owner(2)
    await channels.set_enabled(await channels.private_chat(ann), False)
    ops = fake.group(-100500, "Ops")
    ops.member(fake.bot_id)
    await group_channel(ann, ops.id)
    many = [await monitor_of(ann, f"Site {n}") for n in range(25)]
    three = [await monitor_of(ann, f"API {n}") for n in range(3)]
    mine = [await monitor_of(bob, f"Bob {n}") for n in range(3)]
    await goes_down(*many)
    await deliver_all(worker)
    await goes_down(*three)  # above 2 alerts a group gets one message, not three
    await goes_down(*mine)  # a private chat still gets 3 messages for 3 alerts
    await deliver_all(worker)

    assert fake.rate_limited() == 0
    to_group = sends(fake, ops.id)
    assert len(to_group) <= 6 and all("Site" in c.message.plain for c in to_group[:-1])
    assert "API 0" in to_group[-1].message.plain and "API 2" in to_group[-1].message.plain
    to_bob = sends(fake, bob.telegram_id)
    assert len(to_bob) == 3
    gaps = [b.at - a.at for a, b in itertools.pairwise(to_bob)]
    assert all(1.0 <= gap < 2.0 for gap in gaps)  # 1.1 s apart: not the group's pace
    assert await Notification.filter(status=NotificationStatus.SENT).count() == 31


async def test_a_group_migrated_mid_burst_loses_and_repeats_no_alert(
    worker, fake: FakeTelegram
) -> None:
    """The group becomes a supergroup between two alerts to it: the first went to the
    old id, the second is refused there and goes once to the new id, and so does
    everything after it."""
    user = await owner()
    await channels.set_enabled(await channels.private_chat(user), False)
    team = fake.group(-43, "Team")
    team.member(fake.bot_id)
    group = await group_channel(user, team.id, thread_id=None)
    await goes_down(await monitor_of(user, "one"), await monitor_of(user, "two"))
    drain = asyncio.create_task(deliver_all(worker))
    await fake.wait_for_call("sendMessage")  # the first alert is out, the second waits
    supergroup = await team.migrate(-100043)  # its 1.1 s turn
    await drain
    tries = [(c.params["chat_id"], c.ok) for c in fake.calls if c.method == "sendMessage"]
    assert tries == [(-43, True), (-43, False), (-100043, True)]
    texts = [m.plain for m in team.messages() + supergroup.messages()]
    assert sorted("one" in t for t in texts) == [False, True] and len(texts) == 2
    assert (await Channel.get(id=group.id)).target == "-100043"
    assert {n.status for n in await Notification.all()} == {NotificationStatus.SENT}
