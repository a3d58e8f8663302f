"""The bot end to end: real aiogram polling the fake Bot API server, real database,
real targets. Expected texts come from the catalogs (`tr`), so the tests check the
translation in use without hard-coding it."""

from __future__ import annotations

import asyncio
import socket
import uuid

import pytest

from bot.callbacks import MonitorCb
from db.models import CheckLog, Monitor, MonitorState, User
from tests.support.bot_harness import ADMIN, PUBLIC_URL, running_bot, tr, tr_n
from tests.support.fake_telegram import FakeTelegram

NAME_TOO_LONG = (
    "The name is too long (at most {max} character).",
    "The name is too long (at most {max} characters).",
)
INTERVAL_RANGE = (
    "The interval must be between {min} and {max} second.",
    "The interval must be between {min} and {max} seconds.",
)

PRIVATE = "This address is on a private or local network, which the monitor may not reach."


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_start_registers_and_shows_the_menu(telegram: FakeTelegram, lang: str) -> None:
    ann = telegram.user(1, first_name="Ann", username="ann", language_code=lang)
    await ann.send("/start")
    reply = await ann.next_reply()
    assert tr(lang, "➕ Add monitor") in ann.buttons(reply)
    user = await User.get(telegram_id=1)
    assert (user.username, user.telegram_language, user.language) == ("ann", lang, None)
    # The menu of commands was registered for every language.
    registered = {
        c.params.get("language_code") for c in telegram.calls if c.method == "setMyCommands"
    }
    assert registered == {None, "ru", "es", "de"}


async def test_start_unblocks_a_returning_user(telegram: FakeTelegram) -> None:
    await User.create(telegram_id=2, blocked_bot=True)
    bob = telegram.user(2, language_code="en")
    await bob.send("/start")
    await bob.next_reply()
    assert (await User.get(telegram_id=2)).blocked_bot is False


async def test_guided_add_flow_with_bad_input_at_every_step(telegram: FakeTelegram) -> None:
    lang = "de"
    eve = telegram.user(3, language_code=lang)
    await eve.send("/add")
    await eve.next_reply()
    for bad, reason in [
        ("ftp://example.com/", "Only http:// and https:// addresses can be monitored."),
        ("not a url at all", "That does not look like a web address."),
        ("http://127.0.0.1:8080/", PRIVATE),
        ("http://10.0.0.5/", PRIVATE),
    ]:  # fmt: skip
        await eve.send(bad)
        assert tr(lang, reason) in (await eve.next_reply()).plain
    await eve.send(PUBLIC_URL)
    await eve.next_reply()
    await eve.send("x" * 200)
    assert tr_n(lang, *NAME_TOO_LONG, 128, max=128) in (await eve.next_reply()).plain
    await eve.send("Shop <b>&")
    await eve.next_reply()
    await eve.press(tr(lang, "Custom"))
    await eve.next_reply()
    await eve.send("5s")
    assert tr_n(lang, *INTERVAL_RANGE, 86400, min=30, max=86400) in (await eve.next_reply()).plain
    await eve.send("2m")
    await eve.next_reply()
    await eve.press(tr(lang, "Advanced settings"))
    await eve.next_reply()
    await eve.send("abc")
    assert "200-299,301" in (await eve.next_reply()).plain
    await eve.send("200-299")
    await eve.next_reply()
    await eve.send("fast")
    assert (
        tr(lang, "Send the threshold in milliseconds, for example 1500.")
        in (await eve.next_reply()).plain
    )
    await eve.press(tr(lang, "Skip"))
    await eve.next_reply()
    await eve.send("W" * 300)
    assert (
        tr_n(
            lang,
            "The keyword is too long (at most {max} character).",
            "The keyword is too long (at most {max} characters).",
            256,
            max=256,
        )
        in (await eve.next_reply()).plain
    )
    await eve.send("Welcome")
    await eve.next_reply()
    await eve.press(tr(lang, "Must be present"))
    await eve.next_reply()
    await eve.send("400")
    assert (
        tr(lang, "Send up to 6 numbers of days between 1 and 365: 14,7,3,1")
        in (await eve.next_reply()).plain
    )
    await eve.send("30,7")
    await eve.next_reply()
    await eve.press("HEAD")
    summary = await eve.next_reply()
    assert "Shop &lt;b&gt;&amp;" in summary.text  # escaped in the HTML sent
    assert "Shop <b>&" in summary.plain  # and shown as typed
    assert await Monitor.all().count() == 0  # nothing is written before Save
    await eve.press(tr(lang, "✅ Save"))
    card = await eve.next_reply()
    monitor = await Monitor.get(owner__telegram_id=3)
    assert monitor.name == "Shop <b>&" and monitor.url == PUBLIC_URL
    assert (monitor.interval_seconds, monitor.accepted_status_codes) == (120, "200-299")
    assert (monitor.keyword, monitor.keyword_mode, monitor.method) == ("Welcome", "present", "HEAD")
    assert monitor.cert_warning_days == [30, 7] and monitor.latency_threshold_ms is None
    assert "Shop <b>&" in card.plain


async def test_add_with_a_url_creates_at_once_and_quota_is_enforced(
    telegram: FakeTelegram,
) -> None:
    await User.create(telegram_id=4, monitor_quota=1)
    lang = "es"
    joe = telegram.user(4, language_code=lang)
    await joe.send("/add ftp://example.com/")
    assert (
        tr(lang, "Only http:// and https:// addresses can be monitored.")
        in (await joe.next_reply()).plain
    )
    await joe.send(f"/add {PUBLIC_URL}")
    assert tr(lang, "🔄 Check now") in joe.buttons(await joe.next_reply())
    await joe.send("/add https://1.1.1.1/")
    assert (
        tr_n(
            lang,
            "You have reached your limit of {limit} monitor. Delete it or ask an admin for a "
            "higher quota.",
            "You have reached your limit of {limit} monitors. Delete one or ask an admin for a "
            "higher quota.",
            1,
            limit=1,
        )
        in (await joe.next_reply()).plain
    )
    assert await Monitor.filter(owner__telegram_id=4).count() == 1


async def test_cancel_leaves_the_flow_from_any_step(telegram: FakeTelegram) -> None:
    sam = telegram.user(5, language_code="en")
    await sam.send("/add")
    await sam.next_reply()
    await sam.send(PUBLIC_URL)
    await sam.next_reply()
    await sam.send("/cancel")
    assert tr("en", "Cancelled.") in (await sam.next_reply()).plain
    await sam.send("just chatting")
    assert "/add" in (await sam.next_reply()).plain  # the hint, not a name prompt
    assert await Monitor.all().count() == 0


@pytest.mark.parametrize("lang", ["en", "es"])
async def test_list_pages_card_and_actions(telegram: FakeTelegram, targets, lang: str) -> None:
    site = await targets.http()
    admin = await User.create(telegram_id=ADMIN)
    for i in range(23):
        await Monitor.create(owner=admin, name=f"site {i:02}", url=site.url("/ok"))
    boss = telegram.user(ADMIN, language_code=lang)
    await boss.send("/monitors")
    page = await boss.next_reply()
    assert "23" in page.plain and "1/3" in page.plain
    assert len([b for b in boss.buttons(page) if "site" in b]) == 10
    await boss.press("▶️")
    page = await boss.next_reply()
    assert "2/3" in page.plain and any("site 10" in b for b in boss.buttons(page))
    await boss.press("⚪ site 12")
    card = await boss.next_reply()
    assert "site 12" in card.plain
    await boss.press(tr(lang, "🔄 Check now"))
    checked = await boss.next_reply()
    assert "HTTP 200" in checked.plain
    monitor = await Monitor.get(name="site 12")
    assert monitor.state == MonitorState.UP
    await boss.press(tr(lang, "⏸ Pause"))
    await boss.next_reply()
    assert (await Monitor.get(name="site 12")).paused
    await boss.press(tr(lang, "▶️ Resume"))
    await boss.next_reply()
    assert not (await Monitor.get(name="site 12")).paused
    await boss.press(tr(lang, "🗑 Delete"))
    await boss.next_reply()
    await boss.press(tr(lang, "Yes, delete"))
    await boss.next_reply()
    assert await Monitor.filter(name="site 12").count() == 0
    assert await Monitor.all().count() == 22


async def test_forged_callbacks_for_someone_elses_monitor_change_nothing(
    telegram: FakeTelegram,
) -> None:
    owner = await User.create(telegram_id=10)
    monitor = await Monitor.create(owner=owner, name="private", url=PUBLIC_URL)
    mallory = telegram.user(11, language_code="en")
    await mallory.send("/start")
    await mallory.next_reply()
    for action in ("open", "pause", "delete_yes", "check"):
        await mallory.press_data(MonitorCb(action=action, id=monitor.id).pack())
        answer = await mallory.next_answer()
        assert answer["text"] == tr("en", "Monitor not found.") and answer["show_alert"]
    await mallory.send(f"/start m{monitor.id}")
    assert tr("en", "Monitor not found.") in (await mallory.next_reply()).plain
    fresh = await Monitor.get(id=monitor.id)
    assert not fresh.paused and fresh.last_check_at is None


async def test_deep_link_opens_the_card(telegram: FakeTelegram) -> None:
    owner = await User.create(telegram_id=12)
    monitor = await Monitor.create(owner=owner, name="Blog & <news>", url=PUBLIC_URL)
    me = telegram.user(12, language_code="en")
    await me.send(f"/start m{monitor.id}")
    card = await me.next_reply()
    assert "Blog & <news>" in card.plain


async def test_admin_commands_are_refused_to_others_without_a_hint(telegram: FakeTelegram) -> None:
    nobody = telegram.user(20, language_code="en")
    hint = None
    for command in ("/admin", "/quota 20 100", "/broadcast"):
        await nobody.send(command)
        text = (await nobody.next_reply()).plain
        hint = hint or text
        assert text == hint  # the same generic hint as for any unknown command
    await nobody.send("/unknown")
    assert (await nobody.next_reply()).plain == hint
    assert (await User.get(telegram_id=20)).monitor_quota is None


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_admin_quota_overview_and_broadcast(telegram: FakeTelegram, lang: str) -> None:
    await User.create(telegram_id=30)
    boss = telegram.user(ADMIN, language_code=lang)
    await boss.send("/quota 30 7")
    assert "7" in (await boss.next_reply()).plain
    assert (await User.get(telegram_id=30)).monitor_quota == 7
    await boss.send("/quota nonsense")
    assert "/quota" in (await boss.next_reply()).plain
    await boss.send("/admin")
    overview = (await boss.next_reply()).text
    assert overview == tr(
        lang,
        "<b>Admin</b>\nUsers: {users}\nMonitors: {monitors}\nChecks in the last minute: "
        "{checks}\nOpen incidents: {incidents}\nDead notifications: {dead}",
        users=2, monitors=0, checks=0, incidents=0, dead=0,
    )  # fmt: skip
    await boss.send("/broadcast")
    await boss.next_reply()
    await boss.send("Maintenance <tonight> & tomorrow")
    preview = await boss.next_reply()
    assert "Maintenance <tonight> & tomorrow" in preview.plain
    await boss.press(boss.buttons(preview)[0])
    progress = await boss.next_reply()
    assert progress.plain == tr(lang, "Broadcast: {sent} of {total} sent, {failed} failed.",
                                sent=0, total=2, failed=0)  # fmt: skip
    from db.models import Notification

    rows = await Notification.filter(kind="broadcast")
    assert len(rows) == 2 and rows[0].payload["text"] == "Maintenance <tonight> & tomorrow"
    # As the delivery worker sends them, the admin's message follows.
    await Notification.filter(kind="broadcast").update(status="sent")
    done = await boss.next_reply(timeout=6)
    assert done.plain.startswith(
        tr(lang, "Broadcast: {sent} of {total} sent, {failed} failed.", sent=2, total=2, failed=0)
    )


async def test_language_switch_is_remembered(telegram: FakeTelegram) -> None:
    kim = telegram.user(40, language_code="en")
    await kim.send("/language")
    await kim.next_reply()
    await kim.press("Deutsch")
    assert (await kim.next_reply()).plain == tr("de", "Language: {name}", name="Deutsch")
    assert tr("de", "➕ Add monitor") in kim.buttons(await kim.next_reply())
    assert (await User.get(telegram_id=40)).language == "de"
    await kim.send("/help")
    assert tr("de", "What would you like to know?") in (await kim.next_reply()).plain


async def test_text_outside_a_flow_gets_a_hint(telegram: FakeTelegram) -> None:
    lang = "ru"
    ivan = telegram.user(41, language_code=lang)
    await ivan.send("hello?")
    assert (
        tr(
            lang,
            "I did not understand that. /add adds a monitor, /monitors lists them, /help explains.",
        )
        in (await ivan.next_reply()).plain
    )


async def test_edit_any_field_with_the_same_rules(telegram: FakeTelegram) -> None:
    owner = await User.create(telegram_id=50)
    monitor = await Monitor.create(owner=owner, name="old", url=PUBLIC_URL, interval_seconds=600)
    lang = "ru"
    me = telegram.user(50, language_code=lang)
    await me.send(f"/start m{monitor.id}")
    await me.next_reply()
    await me.press(tr(lang, "✏️ Edit"))
    await me.next_reply()
    await me.press(tr(lang, "Interval"))
    await me.next_reply()
    await me.send("1s")
    assert tr_n(lang, *INTERVAL_RANGE, 86400, min=30, max=86400) in (await me.next_reply()).plain
    await me.send("1m")
    assert tr(lang, "🔄 Check now") in me.buttons(await me.next_reply())
    fresh = await Monitor.get(id=monitor.id)
    assert fresh.interval_seconds == 60 and fresh.timeout_seconds < 60
    await me.press(tr(lang, "✏️ Edit"))
    await me.next_reply()
    await me.press(tr(lang, "Address"))
    await me.next_reply()
    await me.send("http://192.168.1.1/")
    assert tr(lang, PRIVATE) in (await me.next_reply()).plain
    await me.send("/cancel")
    await me.next_reply()
    assert (await Monitor.get(id=monitor.id)).url == PUBLIC_URL
    # A forged edit of someone else's monitor changes nothing.
    from bot.routers.edit import EditCb

    other = await Monitor.create(owner=await User.create(telegram_id=51), name="x", url=PUBLIC_URL)
    await me.press_data(EditCb(field="m", id=other.id, value="POST").pack())
    assert (await me.next_answer())["text"] == tr(lang, "Monitor not found.")
    assert (await Monitor.get(id=other.id)).method == "GET"


@pytest.fixture
def shared(settings):
    """Settings whose conversation storage is the local Redis, as replicas share it."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    return settings.model_copy(update={"redis_url": "redis://127.0.0.1:6379/15"})


def unique_user_id() -> int:
    return int(uuid.uuid4().int % 10**9) + 10**6  # no clash with other runs' Redis keys


async def test_conversation_continues_on_another_replica_with_redis(db, shared, probe) -> None:
    """With REDIS_URL the FSM state lives in Redis: a flow begun on one replica (one
    dispatcher) continues on another."""
    user_id = unique_user_id()
    async with running_bot(shared, probe) as first:
        me = first.user(user_id, language_code="en")
        await me.send("/add")
        await me.next_reply()
    async with running_bot(shared, probe) as second:
        me = second.user(user_id, language_code="en")
        await me.send(PUBLIC_URL)
        reply = await me.next_reply()
        assert tr("en", "Skip") in me.buttons(reply)  # the name step: the flow went on
        await me.send("/cancel")
        await me.next_reply()


async def test_an_update_in_flight_at_shutdown_is_answered_and_frees_its_lock(
    db, shared, probe, targets
) -> None:
    """The bot stops while a handler runs (a check by hand of a slow site): the handler
    finishes before the session and storage close, so the result still reaches the user,
    and the chat's Redis lock is released, so another replica answers the user's next
    message at once (a lock left behind would hold it for a minute)."""
    site = await targets.http()
    user_id = unique_user_id()
    owner = await User.create(telegram_id=user_id)
    monitor = await Monitor.create(owner=owner, name="slow", url=site.url("/slow?delay=1"))
    async with running_bot(shared, probe) as first:
        me = first.user(user_id, language_code="en")
        await me.send(f"/start m{monitor.id}")
        await me.next_reply()
        await me.press(tr("en", "🔄 Check now"))
        await me.next_answer()  # "Checking…": the handler now waits for the probe
    # Stopped while the check was running.
    assert any(c.ok and c.message and "HTTP 200" in c.message.plain for c in first.calls)
    assert await CheckLog.filter(monitor_id=monitor.id).count() == 1
    async with running_bot(shared, probe) as second:
        me = second.user(user_id, language_code="en")
        await me.send("/monitors")
        reply = await me.next_reply(timeout=3)
        assert any("slow" in button for button in me.buttons(reply))


async def test_five_hundred_monitors_page_within_telegram_limits(telegram: FakeTelegram) -> None:
    owner = await User.create(telegram_id=60)
    await Monitor.bulk_create(
        [Monitor(owner=owner, name=f"{'n' * 120}{i}", url=PUBLIC_URL) for i in range(500)]
    )
    me = telegram.user(60, language_code="en")
    await me.send("/monitors")
    first = await me.next_reply()
    assert "500" in first.plain and "1/50" in first.plain
    assert len([b for b in me.buttons(first) if b.startswith("⚪")]) == 10
    for _page in range(3):
        await me.press("▶️")
        page = await me.next_reply()
    assert "4/50" in page.plain  # the fake refuses messages over 4096 characters or
    # callback data over 64 bytes, so every page also proves the limits hold


async def test_command_menu_failure_is_only_a_warning(db, settings, probe, caplog) -> None:
    def refuse_commands(fake: FakeTelegram) -> None:
        fake.fail("setMyCommands", 500, times=None)

    async with running_bot(settings, probe, prepare=refuse_commands) as fake:
        me = fake.user(61, language_code="en")
        await me.send("/help")
        assert tr("en", "What would you like to know?") in (await me.next_reply()).plain
    assert any("command menu" in r.getMessage() for r in caplog.records)


async def test_a_command_is_never_taken_as_a_flow_answer(telegram: FakeTelegram) -> None:
    owner = await User.create(telegram_id=70)
    await Monitor.create(owner=owner, name="first", url=PUBLIC_URL)
    me = telegram.user(70, language_code="en")
    await me.send("/add")
    await me.next_reply()
    await me.send(PUBLIC_URL)
    await me.next_reply()  # now at the name step
    await me.send("/monitors")
    assert "first" in " ".join(me.buttons(await me.next_reply()))  # the list, not a name
    assert await Monitor.filter(name="/monitors").count() == 0


async def test_double_tap_on_save_creates_one_monitor(telegram: FakeTelegram) -> None:
    me = telegram.user(71, language_code="en")
    await me.send("/add")
    await me.next_reply()
    await me.send(PUBLIC_URL)
    await me.next_reply()
    await me.press(tr("en", "Skip"))
    await me.next_reply()
    await me.press(tr("en", "1 min"))
    await me.next_reply()
    await me.press(tr("en", "Use defaults"))
    summary = await me.next_reply()
    save = tr("en", "✅ Save")
    await me.press(save, message_id=summary.message_id)
    await me.press(save, message_id=summary.message_id)
    await me.next_reply()
    for _attempt in range(50):  # both presses answered: one saved, one stale
        texts = [a.get("text") for a in me.answers()]
        if tr("en", "This button is no longer valid.") in texts:
            break
        await asyncio.sleep(0.1)
    assert tr("en", "Saved.") in texts
    assert await Monitor.filter(owner__telegram_id=71).count() == 1


async def test_check_now_twice_in_a_row_is_refused_politely(
    telegram: FakeTelegram, targets
) -> None:
    site = await targets.http()
    admin = await User.create(telegram_id=ADMIN)
    monitor = await Monitor.create(owner=admin, name="twice", url=site.url("/ok"))
    me = telegram.user(ADMIN, language_code="de")
    await me.send(f"/start m{monitor.id}")
    await me.next_reply()
    await me.press(tr("de", "🔄 Check now"))
    await me.next_reply()
    await me.press(tr("de", "🔄 Check now"))
    answer = await me.next_answer()
    assert answer["show_alert"] and answer["text"].startswith(
        tr("de", "Checked just now; try again in {seconds} s.", seconds=0)[:10]
    )
    assert await CheckLog.filter(monitor_id=monitor.id).count() == 1


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_main_menu_buttons_and_help_topics(telegram: FakeTelegram, lang: str) -> None:
    me = telegram.user(80, language_code=lang)
    await me.send("/start")
    menu = await me.next_reply()
    await me.press(tr(lang, "❓ Help"), message_id=menu.message_id)
    topics = await me.next_reply()
    assert tr(lang, "Alert rules") in me.buttons(topics)
    await me.press(tr(lang, "Alert rules"), message_id=topics.message_id)
    rules_text = (await me.next_reply()).plain
    assert rules_text.startswith(tr(lang, "Alert rules")[:5])
    await me.press(tr(lang, "📋 My monitors"), message_id=menu.message_id)
    assert tr(lang, "You have no monitors yet. Add one with /add.") in (await me.next_reply()).plain
    await me.press(tr(lang, "➕ Add monitor"), message_id=menu.message_id)
    assert "https://example.com" in (await me.next_reply()).plain
    await me.send("/cancel")
    await me.next_reply()
    await me.press(tr(lang, "🌐 Language"), message_id=menu.message_id)
    assert "Deutsch" in me.buttons(await me.next_reply())


NUMERIC_HOST = (
    "Write an IP address as four numbers with dots, like 93.184.216.34; other forms "
    "(such as 16843009 or 0x5db8d822) are not accepted."
)
PORT = "The port must be a number from 1 to 65535."
HIDDEN_NAME = (
    "The name contains control, invisible or text-direction characters, which are not allowed."
)
STATUS_CODES = "Send status codes between 100 and 599, as a list or ranges: 200-299,301"


async def test_nonsense_is_refused_in_add_and_edit_and_saves_nothing(
    telegram: FakeTelegram,
) -> None:
    lang = "ru"
    owner = await User.create(telegram_id=60)
    kept = await Monitor.create(owner=owner, name="kept", url=PUBLIC_URL)
    me = telegram.user(60, language_code=lang)
    for command, reason in [
        ("/add http://16843009/", NUMERIC_HOST),
        ("/add https://0x5db8d822/", NUMERIC_HOST),
        ("/add https://93.184.216.34:0/", PORT),
    ]:
        await me.send(command)
        assert tr(lang, reason) in (await me.next_reply()).plain, command

    await me.send("/add")
    await me.next_reply()
    for bad, reason in [("127.1", NUMERIC_HOST), ("https://93.184.216.34:0/", PORT)]:
        await me.send(bad)
        assert tr(lang, reason) in (await me.next_reply()).plain, bad
    await me.send(PUBLIC_URL)
    await me.next_reply()
    for bad in ("\u202emoc.knab", "shop\u200b", "a\u2066b\u2069", "x\x1b[31m"):
        await me.send(bad)
        assert tr(lang, HIDDEN_NAME) in (await me.next_reply()).plain, repr(bad)
    await me.send("shop")
    await me.next_reply()
    await me.press(tr(lang, "Custom"))
    await me.next_reply()
    await me.send("२m")  # Devanagari digits are not a duration either
    assert tr(lang, "Send a duration such as 90, 90s, 5m or 2h.") in (await me.next_reply()).plain
    await me.send("2m")
    await me.next_reply()
    await me.press(tr(lang, "Advanced settings"))
    await me.next_reply()
    for bad in ("1_00-2_00", "२००-३९९", "+200"):
        await me.send(bad)
        assert tr(lang, STATUS_CODES) in (await me.next_reply()).plain, bad
    await me.send("/cancel")
    await me.next_reply()
    assert await Monitor.all().count() == 1

    for button, bad, reason in [
        ("Name", "\u202eevil", HIDDEN_NAME),
        ("Address", "http://0x7f000001/", NUMERIC_HOST),
        ("Address", "https://93.184.216.34:0/", PORT),
        ("Status codes", "1_00-2_00", STATUS_CODES),
    ]:
        await me.send(f"/start m{kept.id}")
        await me.next_reply()
        await me.press(tr(lang, "✏️ Edit"))
        await me.next_reply()
        await me.press(tr(lang, button))
        await me.next_reply()
        await me.send(bad)
        assert tr(lang, reason) in (await me.next_reply()).plain, (button, bad)
        await me.send("/cancel")
        await me.next_reply()
    fresh = await Monitor.get(id=kept.id)
    assert (fresh.name, fresh.url, fresh.accepted_status_codes) == (
        "kept",
        PUBLIC_URL,
        kept.accepted_status_codes,
    )
