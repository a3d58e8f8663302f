"""/maintenance end to end: real aiogram polling the fake Bot API server, real database
(SQLite and PostgreSQL), real targets. Expected texts come from the catalogs (`tr`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.callbacks import MonitorCb
from bot.routers.maintenance import MaintCb, WindowCb
from core.checks import check_now
from core.maintenance import create_window, format_time
from core.render import fmt_datetime
from core.runtime import Runtime
from core.settings import Settings
from db.models import CheckLog, Incident, MaintenanceWindow, Monitor, Notification, User
from tests.support.bot_harness import PUBLIC_URL, running_bot, tr, tr_n
from tests.support.fake_telegram import FakeTelegram, FakeUser

TOO_LONG = (
    "A maintenance window can last at most {days} day.",
    "A maintenance window can last at most {days} days.",
)

SLACK = timedelta(seconds=5)
NOT_FOUND = "Monitor not found."
TRY_AGAIN = "Try again, or /cancel."


async def reply_to(user: FakeUser, text: str) -> str:
    """Send `text` and return what the bot shows in answer."""
    await user.send(text)
    return (await user.next_reply()).plain


def near(moment: datetime, expected: datetime) -> bool:
    return abs(moment - expected) <= SLACK


async def test_one_hour_window_from_the_monitor_card(telegram: FakeTelegram) -> None:
    lang = "en"
    owner = await User.create(telegram_id=1)
    monitor = await Monitor.create(owner=owner, name="shop", url=PUBLIC_URL)
    ann = telegram.user(1, language_code=lang)
    await ann.send(f"/start m{monitor.id}")
    await ann.next_reply()
    await ann.press(tr(lang, "🛠 Maintenance"))
    menu = await ann.next_reply()
    assert "shop" in menu.plain
    assert tr(lang, "⬅️ Back") in ann.buttons(menu)
    before = datetime.now(UTC)
    await ann.press(tr(lang, "1 h"))
    assert (await ann.next_answer())["text"] == tr(lang, "Maintenance started.")
    done = await ann.next_reply()
    (window,) = await MaintenanceWindow.all()
    assert (window.owner_id, window.monitor_id, window.created_by_id) == (
        owner.id,
        monitor.id,
        owner.id,
    )
    assert near(window.starts_at, before) and near(window.ends_at, before + timedelta(hours=1))
    assert window.ends_at - window.starts_at == timedelta(hours=1)
    assert "shop" in done.plain and fmt_datetime(window.ends_at, lang) in done.plain


async def test_back_from_the_card_menu_returns_to_the_card(telegram: FakeTelegram) -> None:
    lang = "en"
    owner = await User.create(telegram_id=2)
    monitor = await Monitor.create(owner=owner, name="shop", url=PUBLIC_URL)
    bob = telegram.user(2, language_code=lang)
    await bob.send(f"/start m{monitor.id}")
    await bob.next_reply()
    await bob.press(tr(lang, "🛠 Maintenance"))
    await bob.next_reply()
    await bob.press(tr(lang, "⬅️ Back"))
    card = await bob.next_reply()
    assert tr(lang, "🔄 Check now") in bob.buttons(card)
    assert await MaintenanceWindow.all().count() == 0


async def test_custom_window_for_all_monitors_in_german(telegram: FakeTelegram) -> None:
    lang = "de"
    owner = await User.create(telegram_id=3)
    for name in ("a", "b"):
        await Monitor.create(owner=owner, name=name, url=PUBLIC_URL)
    eva = telegram.user(3, language_code=lang)
    await eva.send("/start")
    await eva.next_reply()
    await eva.press(tr(lang, "🛠 Maintenance"))  # the main menu's button
    home = await eva.next_reply()
    assert tr(lang, "Running or upcoming windows: {count}", count=0) in home.plain
    await eva.press(tr(lang, "🌐 All my monitors"))
    await eva.next_reply()
    await eva.press(tr(lang, "✏️ Other length"))
    assert "1d" in (await eva.next_reply()).plain
    for bad, reason in [
        ("soon", tr(lang, "Send a length such as 90m, 2h or 1d.")),
        ("32d", tr_n(lang, *TOO_LONG, 31, days=31)),
        ("30s", tr(lang, "A maintenance window lasts at least one minute.")),
    ]:
        answer = await reply_to(eva, bad)
        assert reason in answer and tr(lang, TRY_AGAIN) in answer
    assert await MaintenanceWindow.all().count() == 0
    before = datetime.now(UTC)
    done = await reply_to(eva, "90m")
    (window,) = await MaintenanceWindow.all()
    assert (window.owner_id, window.monitor_id) == (owner.id, None)
    assert near(window.starts_at, before)
    assert window.ends_at - window.starts_at == timedelta(minutes=90)
    assert tr(lang, "all your monitors") in done
    assert fmt_datetime(window.ends_at, lang) in done  # the German date format
    # The flow is over: more text is not another window.
    await reply_to(eva, "2h")
    assert await MaintenanceWindow.all().count() == 1


async def test_schedule_with_bad_input_at_every_step(telegram: FakeTelegram) -> None:
    lang = "en"
    owner = await User.create(telegram_id=4)
    for i in range(12):
        await Monitor.create(owner=owner, name=f"site {i:02}", url=PUBLIC_URL)
    target = await Monitor.get(name="site 11")
    joe = telegram.user(4, language_code=lang)
    await joe.send("/maintenance")
    await joe.next_reply()
    await joe.press(tr(lang, "🖥 One monitor"))
    page = await joe.next_reply()
    assert "1/2" in page.plain and len([b for b in joe.buttons(page) if "site" in b]) == 10
    await joe.press("▶️")
    page = await joe.next_reply()
    assert "2/2" in page.plain
    await joe.press("⚪ site 11")
    assert "site 11" in (await joe.next_reply()).plain
    await joe.press(tr(lang, "🗓 Schedule"))
    assert "UTC" in (await joe.next_reply()).plain

    now = datetime.now(UTC)
    invalid = tr(  # the reason up to its example (the next full hour, which moves)
        lang,
        "Send the date and time in your time zone ({zone}) as YYYY-MM-DD HH:MM, "
        "for example {example}.",
        zone="UTC",
        example="§",
    ).split("§")[0]
    for bad, reason in [
        ("tomorrow at noon", invalid),
        ("2031-02-30 10:00", invalid),
        ("2031-01-01 25:00", invalid),
        (
            format_time(now - timedelta(hours=1)),
            tr(
                lang,
                "That time has already passed. Send a time in the future (time zone {zone}).",
                zone="UTC",
            ),
        ),
    ]:
        answer = await reply_to(joe, bad)
        assert reason in answer and tr(lang, TRY_AGAIN) in answer, (bad, answer)

    start = (now + timedelta(days=1)).replace(second=0, microsecond=0)
    assert fmt_datetime(start, lang) in await reply_to(joe, format_time(start))
    for bad, reason in [
        ("noon", invalid),
        (
            format_time(start - timedelta(hours=1)),
            tr(lang, "The end must be after the start ({start}).", start=fmt_datetime(start, lang)),
        ),
        (
            format_time(start),
            tr(lang, "The end must be after the start ({start}).", start=fmt_datetime(start, lang)),
        ),
        (
            format_time(start + timedelta(days=31, minutes=1)),
            tr_n(lang, *TOO_LONG, 31, days=31),
        ),
    ]:
        answer = await reply_to(joe, bad)
        assert reason in answer and tr(lang, TRY_AGAIN) in answer, (bad, answer)
    assert await MaintenanceWindow.all().count() == 0

    end = start + timedelta(hours=2)
    done = await reply_to(joe, format_time(end).replace(" ", "T"))  # the ISO "T" works too
    (window,) = await MaintenanceWindow.all()
    assert (window.owner_id, window.monitor_id) == (owner.id, target.id)
    assert (window.starts_at, window.ends_at) == (start, end)
    assert "site 11" in done and fmt_datetime(start, lang) in done


async def test_list_and_end_windows(telegram: FakeTelegram) -> None:
    lang = "en"
    owner = await User.create(telegram_id=5)
    stranger = await User.create(telegram_id=6)
    monitor = await Monitor.create(owner=owner, name="api", url=PUBLIC_URL)
    now = datetime.now(UTC)
    running = await create_window(
        owner, now - timedelta(minutes=10), now + timedelta(hours=1), monitor=monitor
    )
    upcoming = await create_window(
        owner, now + timedelta(days=1), now + timedelta(days=1, hours=2), reason="DB upgrade"
    )
    await MaintenanceWindow.create(  # over: not listed
        owner=owner, starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1)
    )
    await create_window(stranger, now, now + timedelta(hours=1), reason="someone else's")
    kim = telegram.user(5, language_code=lang)
    await kim.send("/maintenance")
    home = await kim.next_reply()
    assert tr(lang, "Running or upcoming windows: {count}", count=2) in home.plain
    await kim.press(tr(lang, "📋 Running and upcoming"))
    listing = await kim.next_reply()
    text = listing.plain
    assert "api" in text and tr(lang, "all your monitors") in text and "DB upgrade" in text
    assert "someone else" not in text
    for moment in (running.starts_at, running.ends_at, upcoming.starts_at, upcoming.ends_at):
        assert fmt_datetime(moment, lang) in text
    assert text.index("api") < text.index("DB upgrade")  # soonest first
    assert tr(lang, "running") in text and tr(lang, "upcoming") in text
    assert kim.buttons(listing)[:2] == [
        tr(lang, "⏹ End {number}", number=1),
        tr(lang, "⏹ End {number}", number=2),
    ]

    await kim.press(tr(lang, "⏹ End {number}", number=1))
    assert (await kim.next_answer())["text"] == tr(lang, "Maintenance ended.")
    listing = await kim.next_reply()
    assert "api" not in listing.plain and "DB upgrade" in listing.plain
    ended = await MaintenanceWindow.get(id=running.id)
    assert near(ended.ends_at, datetime.now(UTC)) and ended.starts_at == running.starts_at

    await kim.press(tr(lang, "⏹ End {number}", number=1))
    assert (await kim.next_answer())["text"] == tr(lang, "Scheduled window cancelled.")
    listing = await kim.next_reply()
    assert tr(lang, "No maintenance window is running or scheduled.") in listing.plain
    assert not await MaintenanceWindow.exists(id=upcoming.id)  # not started: deleted

    # A stale End button for the window that is over now changes nothing.
    await kim.press_data(WindowCb(id=running.id).pack())
    answer = await kim.next_answer()
    assert answer["text"] == tr(lang, "Maintenance window not found.") and answer["show_alert"]
    assert (await MaintenanceWindow.get(id=running.id)).ends_at == ended.ends_at


async def test_forged_buttons_for_someone_elses_monitor_or_window_change_nothing(
    telegram: FakeTelegram,
) -> None:
    lang = "en"
    owner = await User.create(telegram_id=10)
    monitor = await Monitor.create(owner=owner, name="private", url=PUBLIC_URL)
    now = datetime.now(UTC)
    window = await create_window(
        owner, now - timedelta(minutes=1), now + timedelta(hours=1), monitor=monitor
    )
    later = await create_window(owner, now + timedelta(days=1), now + timedelta(days=2))
    mallory = telegram.user(11, language_code=lang)
    await mallory.send("/start")
    await mallory.next_reply()
    forged = [
        MonitorCb(action="maint", id=monitor.id),
        MaintCb(action="scope", monitor=monitor.id),
        MaintCb(action="now", monitor=monitor.id, seconds=3600),
        MaintCb(action="custom", monitor=monitor.id),
        MaintCb(action="schedule", monitor=monitor.id),
        MaintCb(action="now", monitor=10**6, seconds=3600),  # no such monitor
    ]
    for data in forged:
        await mallory.press_data(data.pack())
        answer = await mallory.next_answer()
        assert answer["text"] == tr(lang, NOT_FOUND) and answer["show_alert"], data
    for target in (window, later):
        await mallory.press_data(WindowCb(id=target.id).pack())
        answer = await mallory.next_answer()
        assert answer["text"] == tr(lang, "Maintenance window not found.")
        assert answer["show_alert"]
    # No flow was started: a length typed now is not a window.
    assert "/add" in await reply_to(mallory, "2h")
    rows = await MaintenanceWindow.all().order_by("id")
    assert [(w.id, w.starts_at, w.ends_at) for w in rows] == [
        (window.id, window.starts_at, window.ends_at),
        (later.id, later.starts_at, later.ends_at),
    ]


async def test_the_monitor_name_is_escaped_everywhere(telegram: FakeTelegram) -> None:
    lang = "en"
    name = "Shop <b>&"
    owner = await User.create(telegram_id=12)
    await Monitor.create(owner=owner, name=name, url=PUBLIC_URL)
    sue = telegram.user(12, language_code=lang)
    await sue.send("/maintenance")
    await sue.next_reply()
    await sue.press(tr(lang, "🖥 One monitor"))
    assert f"⚪ {name}" in sue.buttons(await sue.next_reply())  # labels are plain text
    await sue.press(f"⚪ {name}")
    menu = await sue.next_reply()
    assert name in menu.plain and "Shop &lt;b&gt;&amp;" in menu.text
    await sue.press(tr(lang, "✏️ Other length"))
    prompt = await sue.next_reply()
    assert name in prompt.plain and "Shop &lt;b&gt;&amp;" in prompt.text
    await sue.send("2h")
    done = await sue.next_reply()
    assert name in done.plain and "Shop &lt;b&gt;&amp;" in done.text
    await sue.press(tr(lang, "📋 Running and upcoming"))
    listing = await sue.next_reply()
    assert name in listing.plain and "Shop &lt;b&gt;&amp;" in listing.text


async def test_cancel_leaves_the_schedule_flow(telegram: FakeTelegram) -> None:
    lang = "en"
    owner = await User.create(telegram_id=13)
    await Monitor.create(owner=owner, name="x", url=PUBLIC_URL)
    tom = telegram.user(13, language_code=lang)
    await tom.send("/maintenance")
    await tom.next_reply()
    await tom.press(tr(lang, "🌐 All my monitors"))
    await tom.next_reply()
    await tom.press(tr(lang, "🗓 Schedule"))
    await tom.next_reply()
    start = (datetime.now(UTC) + timedelta(hours=3)).replace(second=0, microsecond=0)
    await reply_to(tom, format_time(start))
    assert tr(lang, "Cancelled.") in await reply_to(tom, "/cancel")
    assert "/add" in await reply_to(tom, format_time(start + timedelta(hours=1)))
    assert await MaintenanceWindow.all().count() == 0


async def test_a_window_started_in_the_bot_suppresses_alerts(
    db, settings: Settings, probe, targets
) -> None:
    site = await targets.http()
    owner = await User.create(telegram_id=20)
    quiet = await Monitor.create(owner=owner, name="quiet", url=site.url("/status/500"))
    loud = await Monitor.create(owner=owner, name="loud", url=site.url("/status/500"))
    lenient = settings.model_copy(update={"allow_private_targets": True})
    async with running_bot(lenient, probe) as fake:
        ann = fake.user(20, language_code="en")
        await ann.send(f"/start m{quiet.id}")
        await ann.next_reply()
        await ann.press(tr("en", "🛠 Maintenance"))
        await ann.next_reply()
        await ann.press(tr("en", "1 h"))
        await ann.next_reply()
        assert await MaintenanceWindow.filter(monitor_id=quiet.id).count() == 1
        for _round in range(3):
            for monitor in (quiet, loud):
                recorded = await check_now(Runtime(settings=lenient, probe=probe), monitor)
                assert recorded.result.status_code == 500 and not recorded.result.ok
    logs = await CheckLog.filter(monitor_id=quiet.id)
    assert len(logs) == 3 and all(log.in_maintenance for log in logs)
    assert await Notification.filter(monitor_id=quiet.id).count() == 0
    assert await Incident.filter(monitor_id=quiet.id).count() == 0
    # The same failures without a window do alert: the test could see one.
    assert await Notification.filter(monitor_id=loud.id, kind="down").count() == 1


async def test_forged_lengths_for_ones_own_monitor_are_refused(telegram: FakeTelegram) -> None:
    lang = "en"
    owner = await User.create(telegram_id=14)
    monitor = await Monitor.create(owner=owner, name="mine", url=PUBLIC_URL)
    lea = telegram.user(14, language_code=lang)
    await lea.send("/start")
    await lea.next_reply()
    for seconds, reason in [
        (0, tr(lang, "A maintenance window lasts at least one minute.")),
        (-60, tr(lang, "A maintenance window lasts at least one minute.")),
        (32 * 86400, tr_n(lang, *TOO_LONG, 31, days=31)),
        (10**18, tr_n(lang, *TOO_LONG, 31, days=31)),
    ]:
        await lea.press_data(MaintCb(action="now", monitor=monitor.id, seconds=seconds).pack())
        answer = await lea.next_answer()
        assert answer["text"] == reason and answer["show_alert"], seconds
    assert await MaintenanceWindow.all().count() == 0
