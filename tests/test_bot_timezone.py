"""Time zones in the bot end to end: real aiogram polling the fake Bot API server, real
database (both dialects), real targets. A zone picked in /settings (by button or typed)
shows in every time the bot writes and is the zone maintenance times are typed in; and
Check now speaks the user's language, the technical detail kept apart in <code>."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.render import fmt_datetime
from core.timezones import zone_label
from db.models import MaintenanceWindow, Monitor, User
from tests.support.bot_harness import ADMIN, PUBLIC_URL, tr
from tests.support.fake_telegram import FakeTelegram, FakeUser
from tests.support.http import free_port

BERLIN = ZoneInfo("Europe/Berlin")
TRY_AGAIN = "Try again, or /cancel."
ZONE_INVALID = (
    "That is not a time zone I know. Send a name such as Europe/Berlin or America/New_York, "
    "or an offset from UTC such as +3 or UTC-05:30."
)


async def reply_to(user: FakeUser, text: str) -> str:
    await user.send(text)
    return (await user.next_reply()).plain


async def open_zone_screen(me: FakeUser, lang: str) -> None:
    await me.send("/settings")
    screen = await me.next_reply()
    assert tr(lang, "Time zone: {zone}", zone="UTC") in screen.plain
    await me.press(tr(lang, "🕓 Time zone"))
    prompt = await me.next_reply()
    assert "Europe/Berlin" in me.buttons(prompt) and "✓ UTC" in me.buttons(prompt)


async def test_a_zone_is_set_by_button_or_typed_and_bad_input_changes_nothing(
    telegram: FakeTelegram,
) -> None:
    lang = "ru"
    me = telegram.user(300, language_code=lang)
    await open_zone_screen(me, lang)
    await me.press("Europe/Berlin")
    chosen = await me.next_reply()
    label = zone_label(datetime.now(UTC), BERLIN)
    assert tr(lang, "✅ Time zone: {zone}.", zone=f"Europe/Berlin ({label})") in chosen.plain
    assert (await User.get(telegram_id=300)).timezone == "Europe/Berlin"

    await me.press(tr(lang, "🕓 Time zone"))
    await me.next_reply()
    for bad in ("Mars/Olympus", "+15", "Berlin"):
        answer = await reply_to(me, bad)
        assert tr(lang, ZONE_INVALID) in answer and tr(lang, TRY_AGAIN) in answer, answer
        assert (await User.get(telegram_id=300)).timezone == "Europe/Berlin"
    answer = await reply_to(me, "asia/tokyo")
    assert tr(lang, "✅ Time zone: {zone}.", zone="Asia/Tokyo (JST)") in answer
    assert (await User.get(telegram_id=300)).timezone == "Asia/Tokyo"

    await me.press(tr(lang, "🕓 Time zone"))
    await me.next_reply()
    answer = await reply_to(me, "UTC+5:30")
    assert tr(lang, "✅ Time zone: {zone}.", zone="UTC+05:30") in answer
    assert (await User.get(telegram_id=300)).timezone == "UTC+05:30"
    # Outside the flow, a zone typed is no zone answer (the hint for stray text instead).
    assert "/add" in await reply_to(me, "Europe/Berlin")
    assert (await User.get(telegram_id=300)).timezone == "UTC+05:30"


async def test_check_now_shows_the_time_in_the_users_zone(telegram: FakeTelegram, targets) -> None:
    site = await targets.http()
    admin = await User.create(telegram_id=ADMIN, timezone="Europe/Berlin")
    monitor = await Monitor.create(owner=admin, name="local", url=site.url("/ok"))
    me = telegram.user(ADMIN, language_code="de")
    await me.send(f"/start m{monitor.id}")
    await me.next_reply()
    await me.press(tr("de", "🔄 Check now"))
    checked = (await me.next_reply()).plain
    await monitor.refresh_from_db()
    assert fmt_datetime(monitor.last_check_at, "de", BERLIN) in checked, checked
    assert "UTC" not in checked


async def test_check_now_failure_is_in_russian_with_the_detail_in_code(
    telegram: FakeTelegram,
) -> None:
    admin = await User.create(telegram_id=ADMIN)
    monitor = await Monitor.create(
        owner=admin, name="closed", url=f"http://127.0.0.1:{free_port()}/"
    )
    me = telegram.user(ADMIN, language_code="ru")
    await me.send(f"/start m{monitor.id}")
    await me.next_reply()
    await me.press(tr("ru", "🔄 Check now"))
    checked = await me.next_reply()
    failed = tr("ru", "❌ Failed: {kind}", kind=tr("ru", "connection refused"))
    assert failed in checked.plain and failed != "❌ Failed: connection refused"
    assert "<code>connection refused</code>" in checked.text
    outside_code = checked.text.replace("<code>connection refused</code>", "")
    assert "connection refused" not in outside_code and "Failed" not in outside_code


async def test_the_card_says_ms_in_the_users_language(telegram: FakeTelegram) -> None:
    owner = await User.create(telegram_id=310)
    monitor = await Monitor.create(
        owner=owner,
        name="fast",
        url=PUBLIC_URL,
        last_check_at=datetime.now(UTC),
        last_status_code=200,
        last_latency_ms=123,
    )
    me = telegram.user(310, language_code="ru")
    await me.send(f"/start m{monitor.id}")
    card = (await me.next_reply()).plain
    assert tr("ru", "{latency} ms", latency=123) == "123 мс"
    assert "123 мс" in card and "123 ms" not in card


async def start_schedule(me: FakeUser, lang: str) -> str:
    await me.send("/maintenance")
    await me.next_reply()
    await me.press(tr(lang, "🌐 All my monitors"))
    await me.next_reply()
    await me.press(tr(lang, "🗓 Schedule"))
    return (await me.next_reply()).plain


async def test_maintenance_is_typed_in_the_users_zone_with_clear_dst_answers(
    telegram: FakeTelegram,
) -> None:
    lang = "de"
    owner = await User.create(telegram_id=320, timezone="Europe/Berlin")
    await Monitor.create(owner=owner, name="site", url=PUBLIC_URL)
    me = telegram.user(320, language_code=lang)
    prompt = await start_schedule(me, lang)
    assert "Europe/Berlin" in prompt and "UTC" not in prompt

    # Summer: 12:00 in Berlin is 10:00 UTC.
    summer, spring, autumn = coming_berlin_days(datetime.now(UTC))
    answer = await reply_to(me, f"{summer} 12:00")
    start = datetime.fromisoformat(f"{summer}T10:00:00+00:00")
    assert fmt_datetime(start, lang, BERLIN) in answer and "CEST" in answer
    done = await reply_to(me, f"{summer} 14:30")
    (window,) = await MaintenanceWindow.all()
    assert window.starts_at == start and window.ends_at == start + timedelta(hours=2, minutes=30)
    assert fmt_datetime(window.ends_at, lang, BERLIN) in done

    # The clocks jump from 02:00 to 03:00 on the last Sunday of March: 02:30 does not exist.
    await start_schedule(me, lang)
    answer = await reply_to(me, f"{spring} 02:30")
    skipped = tr(
        lang,
        "That time does not exist in {zone}: the clocks jump over it that day. Send another time.",
        zone="Europe/Berlin",
    )
    assert skipped in answer and tr(lang, TRY_AGAIN) in answer, answer
    assert await MaintenanceWindow.all().count() == 1

    # 02:30 on the last Sunday of October happens twice: the first (summer time) is taken,
    # and said.
    answer = await reply_to(me, f"{autumn} 02:30")
    first = datetime.fromisoformat(f"{autumn}T00:30:00+00:00")
    note = tr(
        lang,
        "That time occurs twice in {zone} because the clocks go back; I took the first one, "
        "{moment}.",
        zone="Europe/Berlin",
        moment=fmt_datetime(first, lang, BERLIN),
    )
    assert note in answer, answer
    await reply_to(me, f"{autumn} 04:00")
    latest = await MaintenanceWindow.all().order_by("-id").first()
    assert latest.starts_at == first and latest.ends_at == first + timedelta(hours=2, minutes=30)


def coming_berlin_days(now: datetime) -> tuple[str, str, str]:
    """The next 1 July and the next last Sundays of March and October (Europe's clock
    changes) after `now`, as YYYY-MM-DD: all within the year ahead that windows allow."""

    def last_sunday(year: int, month: int) -> date:
        day = date(year, month, 31)
        return day - timedelta(days=(day.weekday() + 1) % 7)

    def coming(make) -> str:
        soon = now.date() + timedelta(days=2)
        day = make(now.year) if make(now.year) >= soon else make(now.year + 1)
        return day.isoformat()

    return (
        coming(lambda year: date(year, 7, 1)),
        coming(lambda year: last_sunday(year, 3)),
        coming(lambda year: last_sunday(year, 10)),
    )


async def test_a_length_typed_in_russian_is_understood(telegram: FakeTelegram) -> None:
    lang = "ru"
    owner = await User.create(telegram_id=330)
    await Monitor.create(owner=owner, name="site", url=PUBLIC_URL)
    me = telegram.user(330, language_code=lang)
    await me.send("/maintenance")
    await me.next_reply()
    await me.press(tr(lang, "🌐 All my monitors"))
    await me.next_reply()
    await me.press(tr(lang, "✏️ Other length"))
    await me.next_reply()
    before = datetime.now(UTC)
    await reply_to(me, "90 мин")
    (window,) = await MaintenanceWindow.all()
    assert abs(window.ends_at - (before + timedelta(minutes=90))) < timedelta(seconds=5)
