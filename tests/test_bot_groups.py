"""Groups, supergroups, forum topics and channels as alert channels, end to end: the
real bot polling the fake Bot API server (groups and channels with members and
titles), real database, and the outbox worker delivering what the engine wrote."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from core import channels
from core.render import esc
from db.models import (
    Channel,
    MaintenanceWindow,
    Monitor,
    Notification,
    NotificationKind,
    User,
)
from tests.support.bot_harness import PUBLIC_URL, tr, tr_n
from tests.support.fake_telegram import FakeGroup, FakeTelegram, FakeUser, parse_html
from tests.support.outbox import close_worker, deliver_all, goes_down, worker_for

ADMINS_ONLY = "Only group admins can do this."
INTRO = (
    "Hello! I am an uptime monitor: I watch websites and servers and post here when one goes "
    "down and when it is back.\n\nA group admin who uses this bot sends /link here (in a topic, "
    "to get the alerts in that topic), then picks the monitors in a private chat with me. "
    "/status shows the monitors alerting this chat."
)


def shown(lang: str, text: str, **params: str) -> str:
    """What the user reads of a translated HTML text: `params` escaped, tags gone."""
    return parse_html(tr(lang, text, **{k: esc(v) for k, v in params.items()}))[0]


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    """Wait for the bot to have written what `check` reads from the database."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, "condition never held"
        await asyncio.sleep(0.02)


async def registered(telegram: FakeTelegram, user_id: int, name: str, lang: str = "en"):
    """A user who has started the bot in a private chat."""
    person = telegram.user(user_id, first_name=name, username=name.lower(), language_code=lang)
    await person.send("/start")
    await person.next_reply()
    return person, await User.get(telegram_id=user_id)


async def monitor(owner: User, name: str) -> Monitor:
    return await Monitor.create(owner=owner, name=name, url=PUBLIC_URL, failure_threshold=1)


async def deliver(telegram: FakeTelegram, settings) -> None:
    worker = worker_for(settings, telegram)
    try:
        await deliver_all(worker)
    finally:
        await close_worker(worker)


async def group_with_bot(
    telegram: FakeTelegram, chat_id: int, title: str, admin: FakeUser, **kw
) -> FakeGroup:
    group = telegram.group(chat_id, title, **kw)
    group.member(admin, "administrator")
    await group.add_bot(admin)
    await group.next_reply()  # the introduction
    return group


async def link(group: FakeGroup, person: FakeUser, thread_id: int | None = None):
    """/link by `person` in the group: the group's answer and the private picker."""
    await group.send(person, "/link", thread_id=thread_id)
    answer = await group.next_reply()
    picker = await person.next_reply()
    return answer, picker


# --- the bot joins ----------------------------------------------------------------------


async def test_the_bot_added_to_a_group_says_once_what_it_does(telegram: FakeTelegram) -> None:
    poll = await telegram.wait_for_call("getUpdates")
    assert "my_chat_member" in poll.params["allowed_updates"]
    ann = telegram.user(1, language_code="de")
    group = telegram.group(-100200, "Ops")
    await group.add_bot(ann)
    intro = await group.next_reply()
    assert intro.plain == tr("de", INTRO)  # in the language of who added the bot
    group.member(telegram.bot_id, "member")
    await group.add_bot(ann, "administrator")  # promoted: no second introduction
    news = telegram.channel(-100300)
    await news.add_bot(ann, "administrator", can_post_messages=True)
    await group.send(ann, "/status")  # answered after the updates before it were handled
    assert "/link" in (await group.next_reply()).plain
    assert len(group.messages()) == 2 and not news.messages()
    # Group members are not registered by writing there.
    assert not await User.exists(telegram_id=1)
    # Groups get their own command menu.
    menus = [c.params for c in telegram.calls if c.method == "setMyCommands"]
    group_menu = next(m for m in menus if m.get("scope") == {"type": "all_group_chats"})
    assert [c["command"] for c in group_menu["commands"]] == ["link", "status"]


# --- /link in a group -------------------------------------------------------------------


async def test_an_admin_links_a_group_and_picks_its_monitors(telegram: FakeTelegram) -> None:
    ann, user = await registered(telegram, 1, "Ann")
    alpha, beta = await monitor(user, "Alpha"), await monitor(user, "Beta")
    group = await group_with_bot(telegram, -100200, "Ops <team> & co", ann)
    answer, picker = await link(group, ann)
    assert "Ann" in answer.plain and "✅" in answer.plain
    assert "Ops <team> & co" in picker.plain  # the title, escaped (the fake parses HTML)
    assert picker.buttons == ["▫️ Alpha", "▫️ Beta", tr("en", "✔️ Done")]
    channel = await Channel.get(owner_id=user.id, target="-100200")
    assert (channel.name, channel.thread_id, channel.verified, channel.is_default) == (
        "Ops <team> & co",
        None,
        True,
        False,
    )
    assert channel.settings["chat_type"] == "supergroup"

    await ann.press("▫️ Alpha")
    assert (await ann.next_reply()).buttons[:2] == ["✅ Alpha", "▫️ Beta"]
    private = await channels.private_chat(user)
    assert private is not None
    assert await channels.monitor_channel_ids(alpha) == [private.id, channel.id]
    assert await channels.monitor_channel_ids(beta) == [private.id]  # still the defaults
    assert not (await Monitor.get(id=beta.id)).custom_channels
    await ann.press(tr("en", "✔️ Done"))
    done = await ann.next_reply()
    assert (
        done.plain
        == parse_html(
            tr_n(
                "en",
                "Done: {count} monitor alerts <b>{chat}</b>.",
                "Done: {count} monitors alert <b>{chat}</b>.",
                1,
                count=1,
                chat=esc("Ops <team> & co"),
            )
        )[0]
    )
    assert not done.buttons

    # Linking again makes no second channel; the picker shows what is on.
    _answer, again = await link(group, ann)
    assert again.buttons[:2] == ["✅ Alpha", "▫️ Beta"]
    assert await Channel.filter(owner_id=user.id).count() == 2
    await ann.press("✅ Alpha")
    await ann.next_reply()
    refreshed = await Monitor.get(id=alpha.id)  # back to exactly the defaults: follows them
    assert not refreshed.custom_channels
    assert await channels.monitor_channel_ids(refreshed) == [private.id]


async def test_a_member_who_is_not_an_admin_cannot_link(telegram: FakeTelegram) -> None:
    ann = telegram.user(1)
    bob, user = await registered(telegram, 2, "Bob", "ru")
    group = await group_with_bot(telegram, -100200, "Ops", ann)
    group.member(bob, "member")
    await group.send(bob, "/link")
    assert (await group.next_reply()).plain == tr("ru", ADMINS_ONLY)
    assert await Channel.filter(owner_id=user.id).count() == 1  # their private chat only
    assert len(bob.messages()) == 1  # nothing more than the /start menu


async def test_someone_who_never_started_the_bot_is_told_to(telegram: FakeTelegram) -> None:
    ann = telegram.user(1, language_code="es")
    group = await group_with_bot(telegram, -100200, "Ops", ann)
    await group.send(ann, "/link@uptime_test_bot")
    reply = await group.next_reply()
    link = "https://t.me/uptime_test_bot"
    assert reply.plain == tr(
        "es", "Start a private chat with me first: {link}\nThen send /link here again.", link=link
    )
    assert not await User.exists(telegram_id=1) and not await Channel.exists()


async def test_a_forum_topic_is_linked_and_its_alerts_arrive_in_it(
    telegram: FakeTelegram, settings
) -> None:
    ann, user = await registered(telegram, 1, "Ann")
    shop = await monitor(user, "Shop")
    forum = await group_with_bot(telegram, -100200, "Dev", ann, forum=True)
    answer, picker = await link(forum, ann, thread_id=7)
    assert answer.thread_id == 7  # answered in the topic
    assert tr("en", "{chat}, topic {topic}", chat="Dev", topic=7) in picker.plain
    channel = await Channel.get(owner_id=user.id, target="-100200")
    assert channel.thread_id == 7
    await ann.press("▫️ Shop")
    await ann.next_reply()
    # The topic and the General topic are two channels of the same chat.
    await link(forum, ann)
    assert await Channel.filter(owner_id=user.id, target="-100200").count() == 2

    await goes_down(shop)
    await deliver(telegram, settings)
    [alert] = forum.messages()[-1:]
    assert alert.thread_id == 7 and "Shop" in alert.plain
    assert tr("en", "🔄 Check now") in alert.buttons


# --- /status and buttons in a group -----------------------------------------------------


async def test_status_in_a_group_lists_the_monitors_alerting_it(telegram: FakeTelegram) -> None:
    ann, user = await registered(telegram, 1, "Ann")
    await monitor(user, "Alpha <1>")
    await monitor(user, "Beta")
    group = await group_with_bot(telegram, -100200, "Ops", ann)
    await link(group, ann)
    await ann.press("▫️ Alpha <1>")
    await ann.next_reply()
    other = await group_with_bot(telegram, -100300, "Elsewhere", ann)

    bob = telegram.user(2)  # a member who never started the bot
    group.member(bob)
    await group.send(bob, "/status")
    status = (await group.next_reply()).plain
    assert "Alpha <1>" in status and "Beta" not in status
    assert tr("en", "not checked yet") in status
    assert status.count("\n") == 1 and not group.last().buttons  # read only
    await other.send(bob, "/status")
    assert "/link" in (await other.next_reply()).plain


async def test_only_admins_who_own_the_monitor_change_it_from_a_group_alert(
    telegram: FakeTelegram, settings
) -> None:
    ann, user = await registered(telegram, 1, "Ann")
    shop = await monitor(user, "Shop")
    group = await group_with_bot(telegram, -100200, "Ops", ann)
    await link(group, ann)
    await ann.press("▫️ Shop")
    await ann.next_reply()
    await goes_down(shop)
    await deliver(telegram, settings)
    alert = group.last()
    assert tr("en", "🔕 Pause alerts 1 h") in alert.buttons

    bob = telegram.user(2, language_code="de")  # a member, not an admin
    group.member(bob)
    carl, _carl = await registered(telegram, 3, "Carl")  # an admin who is a user, not the owner
    group.member(carl, "administrator")
    for who, label in (
        (bob, "🔄 Check now"),
        (bob, "🔕 Pause alerts 1 h"),
        (bob, "📋 Open monitor"),
    ):
        await group.press(who, tr("en", label), alert.message_id)
        answer = await who.next_answer()
        assert (answer["text"], answer["show_alert"]) == (tr("de", ADMINS_ONLY), True)
    await group.press(carl, tr("en", "🔕 Pause alerts 1 h"), alert.message_id)
    assert (await carl.next_answer())["text"] == tr("en", "Monitor not found.")
    await group.press(carl, tr("en", "🔄 Check now"), alert.message_id)
    assert (await carl.next_answer())["text"] == tr("en", "Monitor not found.")
    fresh = await Monitor.get(id=shop.id)
    assert fresh.hand_check_at is None  # no check by hand was claimed
    assert not await MaintenanceWindow.exists()
    assert group.last().message_id == alert.message_id  # nothing was posted

    await group.press(ann, tr("en", "🔕 Pause alerts 1 h"), alert.message_id)  # the owner
    assert (await ann.next_answer())["text"] == tr("en", "Alerts paused.")
    assert await MaintenanceWindow.filter(monitor_id=shop.id).count() == 1


# --- channels ---------------------------------------------------------------------------


async def test_a_channel_is_linked_by_a_forwarded_post_or_its_name(telegram: FakeTelegram) -> None:
    ann, user = await registered(telegram, 1, "Ann")
    await monitor(user, "Shop")
    news = telegram.channel(-100900, "News & <b>", username="news_feed")
    news.member(ann, "creator")

    await ann.forward(news)  # the bot is not in the channel
    refused = (await ann.next_reply()).plain
    assert "News & <b>" in refused and "Post messages" in refused
    await news.add_bot(ann, "administrator")  # an admin that may not post
    await ann.forward(news)
    assert "Post messages" in (await ann.next_reply()).plain
    assert not await Channel.filter(target="-100900").exists()

    await news.add_bot(ann, "administrator", can_post_messages=True)
    await ann.forward(news)
    linked = await ann.next_reply()
    assert linked.plain == shown("en", "✅ <b>{chat}</b> is linked.", chat="News & <b>")
    picker = await ann.next_reply()
    assert picker.buttons == ["▫️ Shop", tr("en", "✔️ Done")]
    channel = await Channel.get(owner_id=user.id, target="-100900")
    assert (channel.name, channel.settings["chat_type"], channel.thread_id) == (
        "News & <b>",
        "channel",
        None,
    )

    # By @username, once more: the same channel, not a second one.
    await ann.send("@news_feed")
    await ann.next_reply()
    await ann.next_reply()
    assert await Channel.filter(target="-100900").count() == 1

    await ann.send("@no_such_channel")
    assert "@no_such_channel" in (await ann.next_reply()).plain
    bob, _bob = await registered(telegram, 2, "Bob")  # not an admin of the channel
    await bob.send("@news_feed")
    assert (await bob.next_reply()).plain == shown(
        "en", "Only the admins of <b>{chat}</b> can link it.", chat="News & <b>"
    )
    assert not await Channel.filter(owner_id=_bob.id, target="-100900").exists()


# --- the chat moves or goes -------------------------------------------------------------


async def test_a_group_upgraded_to_a_supergroup_keeps_its_alerts(
    telegram: FakeTelegram, settings
) -> None:
    ann, user = await registered(telegram, 1, "Ann")
    shop = await monitor(user, "Shop")
    team = await group_with_bot(telegram, -42, "Team", ann)
    await link(team, ann)
    await ann.press("▫️ Shop")
    await ann.next_reply()
    channel = await Channel.get(owner_id=user.id, target="-42")

    supergroup = await team.migrate(-100042, by=ann)

    async def moved() -> bool:
        return (await Channel.get(id=channel.id)).target == "-100042"

    await until(moved)
    before = len(telegram.calls)
    await goes_down(shop)
    await deliver(telegram, settings)
    sent = [c.params["chat_id"] for c in telegram.calls[before:] if c.method == "sendMessage"]
    # Once to the supergroup (and once to Ann's private chat, its other channel, in
    # whichever order the two went), never to the old group.
    assert sorted(sent) == [-100042, 1]
    assert "Shop" in supergroup.last().plain


async def test_the_bot_removed_turns_the_chat_off_and_tells_the_owner_once(
    telegram: FakeTelegram, settings
) -> None:
    ann, user = await registered(telegram, 1, "Ann")
    group = await group_with_bot(telegram, -100200, "Ops", ann)
    await link(group, ann)
    channel = await Channel.get(owner_id=user.id, target="-100200")

    await group.remove_bot(ann)

    async def off() -> bool:
        return not (await Channel.get(id=channel.id)).enabled

    await until(off)
    await group.remove_bot(ann, "left")  # told again: nothing new
    await deliver(telegram, settings)
    notices = await Notification.filter(kind=NotificationKind.CHANNEL_DISABLED)
    assert len(notices) == 1
    notice = ann.last()
    assert "Ops" in notice.plain and "removed" in notice.plain

    # Added again and linked again: the same channel, on again.
    await group.add_bot(ann)
    await group.next_reply()
    await link(group, ann)
    fresh = await Channel.get(id=channel.id)
    assert fresh.enabled and fresh.disabled_reason is None
    assert await Channel.filter(owner_id=user.id).count() == 2
