"""The limits of maintenance windows in the real bot (fake Bot API server, both
databases): a window at most a year ahead, at most MAX_OPEN_WINDOWS not ended per user.
Every refusal is the translated reason, and nothing is saved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.routers.maintenance import MaintCb
from core.maintenance import MAX_AHEAD, MAX_OPEN_WINDOWS, format_time
from db.models import MaintenanceWindow, Monitor, User
from tests.support.bot_harness import PUBLIC_URL, tr, tr_n
from tests.support.fake_telegram import FakeTelegram, FakeUser

TOO_FAR = (
    "A maintenance window must start and end within {ahead} day from now.",
    "A maintenance window must start and end within {ahead} days from now.",
)
TOO_MANY = (
    "You already have {limit} running or upcoming maintenance window. End it before adding "
    "another.",
    "You already have {limit} running or upcoming maintenance windows. End one before adding "
    "another.",
)
TRY_AGAIN = "Try again, or /cancel."


async def reply_to(user: FakeUser, text: str) -> str:
    await user.send(text)
    return (await user.next_reply()).plain


async def fill_up(owner: User) -> None:
    """MAX_OPEN_WINDOWS upcoming windows, and one over (which does not count)."""
    now = datetime.now(UTC)
    await MaintenanceWindow.create(
        owner=owner, starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1)
    )
    await MaintenanceWindow.bulk_create(
        [
            MaintenanceWindow(
                owner=owner,
                starts_at=now + timedelta(days=1, hours=n),
                ends_at=now + timedelta(days=1, hours=n + 1),
            )
            for n in range(MAX_OPEN_WINDOWS)
        ]
    )


async def test_a_window_beyond_a_year_is_refused_at_its_start(telegram: FakeTelegram) -> None:
    lang = "de"
    owner = await User.create(telegram_id=70)
    await Monitor.create(owner=owner, name="x", url=PUBLIC_URL)
    ida = telegram.user(70, language_code=lang)
    await ida.send("/maintenance")
    await ida.next_reply()
    await ida.press(tr(lang, "🌐 All my monitors"))
    await ida.next_reply()
    await ida.press(tr(lang, "🗓 Schedule"))
    await ida.next_reply()
    too_far = tr_n(lang, *TOO_FAR, MAX_AHEAD.days, ahead=MAX_AHEAD.days)
    beyond = datetime.now(UTC) + MAX_AHEAD + timedelta(days=1)
    for bad in ("9999-12-31 00:00", format_time(beyond)):
        answer = await reply_to(ida, bad)
        assert too_far in answer and tr(lang, TRY_AGAIN) in answer, (bad, answer)
    # A start within the year, and an end beyond it.
    start = (datetime.now(UTC) + MAX_AHEAD - timedelta(hours=1)).replace(second=0, microsecond=0)
    await reply_to(ida, format_time(start))
    answer = await reply_to(ida, format_time(start + timedelta(days=2)))
    assert too_far in answer and tr(lang, TRY_AGAIN) in answer, answer
    assert await MaintenanceWindow.all().count() == 0


async def test_the_cap_of_windows_is_answered_and_saves_nothing(telegram: FakeTelegram) -> None:
    lang = "es"
    owner = await User.create(telegram_id=71)
    monitor = await Monitor.create(owner=owner, name="shop", url=PUBLIC_URL)
    await fill_up(owner)
    too_many = tr_n(lang, *TOO_MANY, MAX_OPEN_WINDOWS, limit=MAX_OPEN_WINDOWS)
    pia = telegram.user(71, language_code=lang)
    await pia.send(f"/start m{monitor.id}")
    await pia.next_reply()
    await pia.press(tr(lang, "🛠 Maintenance"))
    await pia.next_reply()
    await pia.press(tr(lang, "1 h"))
    answer = await pia.next_answer()
    assert answer["text"] == too_many and answer["show_alert"]
    await pia.press(tr(lang, "✏️ Other length"))
    await pia.next_reply()
    assert too_many in await reply_to(pia, "2h")
    # The alert's "pause alerts" button makes a window too: refused the same way.
    await pia.press_data(f"al:mute:{monitor.id}")
    answer = await pia.next_answer()
    assert answer["text"] == too_many and answer["show_alert"]
    assert await MaintenanceWindow.all().count() == MAX_OPEN_WINDOWS + 1
    # Ending one makes room again.
    await MaintenanceWindow.filter(
        id=(await MaintenanceWindow.all().order_by("-id").first()).id
    ).delete()
    await pia.press_data(MaintCb(action="now", monitor=monitor.id, seconds=3600).pack())
    assert (await pia.next_answer())["text"] == tr(lang, "Maintenance started.")
    assert await MaintenanceWindow.filter(owner_id=owner.id, monitor_id=monitor.id).count() == 1
