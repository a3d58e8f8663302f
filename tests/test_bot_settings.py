"""/settings end to end (real aiogram polling the fake Bot API server, real database),
and the core rules behind it: core.email_verification and core.api_tokens.

Expected texts come from the catalogs (`tr`), so the tests check the translation in
use without hard-coding it. The fake refuses invalid HTML, so a message that a user's
input broke fails the test where it is sent."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.routers.settings import SettingsCb
from core import api_tokens, email_verification
from core.api_tokens import TokenError, create_token, hash_token, revoke, user_for_token
from core.email_verification import (
    CODE_TTL,
    MAX_ATTEMPTS,
    RESEND_AFTER,
    EmailError,
    code_matches,
    confirm_code,
    hash_code,
    new_code,
    normalize_code,
    parse_email,
    remove_email,
    request_code,
)
from core.render import fmt_duration
from core.settings import Settings
from db.models import (
    ApiToken,
    Channel,
    Notification,
    NotificationKind,
    NotificationStatus,
    User,
)
from tests.support.bot_harness import running_bot, tr, tr_n
from tests.support.fake_telegram import FakeTelegram, FakeUser

ADMIN = 999
TOKEN_RE = re.compile(r"um_[A-Za-z0-9_-]{43}")


def _bot_settings(settings: Settings, **changes) -> Settings:
    return settings.model_copy(
        update={"allow_private_targets": False, "admin_ids": frozenset({ADMIN}), **changes}
    )


@pytest.fixture
async def telegram(db, settings: Settings, probe) -> AsyncIterator[FakeTelegram]:
    async with running_bot(_bot_settings(settings, smtp_host="smtp.example.com"), probe) as fake:
        yield fake


@pytest.fixture
async def telegram_without_mail(db, settings: Settings, probe) -> AsyncIterator[FakeTelegram]:
    async with running_bot(_bot_settings(settings, smtp_host=None), probe) as fake:
        yield fake


async def open_settings(person: FakeUser):
    await person.send("/settings")
    return await person.next_reply()


async def latest_code(telegram_id: int) -> Notification:
    return (
        await Notification.filter(
            user__telegram_id=telegram_id, kind=NotificationKind.EMAIL_VERIFICATION
        )
        .order_by("-id")
        .first()
    )


async def age_codes(telegram_id: int, *, pause: bool = True, expire: bool = False) -> None:
    """Move the last code request back in time: past the resend pause, or its expiry."""
    if pause:
        past = datetime.now(UTC) - RESEND_AFTER - timedelta(seconds=1)
        await Notification.filter(user__telegram_id=telegram_id).update(created_at=past)
    if expire:
        await User.filter(telegram_id=telegram_id).update(
            email_code_expires_at=datetime.now(UTC) - timedelta(seconds=1)
        )


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


# --- the screen ---------------------------------------------------------------------


async def test_screen_shows_the_current_state_from_the_command_and_the_menu(
    telegram: FakeTelegram,
) -> None:
    user = await User.create(
        telegram_id=1,
        email="ann@example.com",
        email_verified=True,
        reminder_interval_minutes=60,
    )
    await Channel.filter(owner_id=user.id, kind="email").update(enabled=False)
    await create_token(user, "one")
    await create_token(user, "two")
    ann = telegram.user(1, language_code="en")
    screen = await open_settings(ann)
    for line in (
        tr("en", "Language: {name}", name="English"),
        tr("en", "Email: {email} (verified)", email="ann@example.com"),
        tr("en", "Alert channels: {count}", count=2),  # the private chat and the email
        tr("en", "Reminders while down: every {interval}", interval=fmt_duration(3600, "en")),
        tr("en", "API tokens: {count}", count=2),
    ):
        assert line in screen.plain
    buttons = ann.buttons(screen)
    for label in ("🌐 Language", "✉️ Change email", "🗑 Remove email", "🔔 Alert channels"):
        assert tr("en", label) in buttons
    # Email alerts are turned on and off in the list of channels, no longer here.
    assert "Email alerts" not in screen.plain and not any("email alerts" in b for b in buttons)
    assert "✓ " + tr("en", "1 h") in buttons
    await ann.send("/start")
    await ann.next_reply()
    await ann.press(tr("en", "⚙️ Settings"))
    assert (await ann.next_reply()).plain == screen.plain


async def test_language_button_offers_the_language_choice(telegram: FakeTelegram) -> None:
    kim = telegram.user(2, language_code="en")
    await open_settings(kim)
    await kim.press(tr("en", "🌐 Language"))
    assert tr("en", "Choose your language:") in (await kim.next_reply()).plain
    await kim.press("Deutsch")
    assert (await kim.next_reply()).plain == tr("de", "Language: {name}", name="Deutsch")
    await kim.next_reply()  # the main menu
    assert (await User.get(telegram_id=2)).language == "de"
    assert tr("de", "Language: {name}", name="Deutsch") in (await open_settings(kim)).plain


# --- email --------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_email_flow_bad_address_wrong_code_expiry_void_and_success(
    telegram: FakeTelegram, lang: str
) -> None:
    uid = 10
    ann = telegram.user(uid, language_code=lang)
    screen = await open_settings(ann)
    assert tr(lang, "Email: none") in screen.plain
    await ann.press(tr(lang, "✉️ Add email"))
    await ann.next_reply()

    # Bad addresses: a translated reason and the question again.
    for bad, reason in [
        ("ann.example.com", tr(lang, "An email address needs exactly one @ with text on both "
                                     "sides, like name@example.com.")),
        ("ann@example", tr(lang, "The part after @ must be a domain with a dot, like "
                                 "example.com.")),
        ("ann @example.com", tr(lang, "An email address cannot contain spaces.")),
        ("a" * 250 + "@x.io", tr_n(lang, "That address is too long (at most {max} character).",
                                   "That address is too long (at most {max} characters).",
                                   254, max=254)),
    ]:  # fmt: skip
        await ann.send(bad)
        reply = (await ann.next_reply()).plain
        assert reason in reply
        assert tr(lang, "Send another address or /cancel.") in reply
    assert await Notification.all().count() == 0

    await ann.send("Ann@Example.COM")
    assert (
        tr_n(
            lang,
            "A {digits}-digit code is on its way to {email}. Send it here within {minutes} "
            "minute.\n/cancel to stop.",
            "A {digits}-digit code is on its way to {email}. Send it here within {minutes} "
            "minutes.\n/cancel to stop.",
            15,
            digits=6,
            email="Ann@example.com",
            minutes=15,
        )
        == (await ann.next_reply()).plain
    )
    first = await latest_code(uid)
    code = first.payload["code"]
    assert (first.channel, first.kind, first.dedup_key) == ("email", "email_verification", None)
    assert first.payload == {"email": "Ann@example.com", "code": code}
    assert first.status == NotificationStatus.PENDING and first.monitor_id is None
    user = await User.get(telegram_id=uid)
    assert first.user_id == user.id
    assert user.pending_email == "Ann@example.com" and user.email is None
    assert code not in user.email_code_hash and code_matches(code, user.email_code_hash)
    assert user.email_code_attempts == 0
    left = user.email_code_expires_at - datetime.now(UTC)
    assert timedelta(minutes=14) < left <= CODE_TTL

    # A wrong code uses a try; something that is not a code does not.
    await ann.send(wrong(code))
    assert (
        tr(lang, "That code is wrong. Tries left: {left}.", left=4)
        in (await ann.next_reply()).plain
    )
    await ann.send("12ab")
    assert (
        tr(lang, "Send the {digits}-digit code from the email, or /cancel.", digits=6)
        in (await ann.next_reply()).plain
    )
    assert (await User.get(telegram_id=uid)).email_code_attempts == 1

    # Expired: even the right code no longer works.
    await age_codes(uid, pause=False, expire=True)
    await ann.send(code)
    expired = await ann.next_reply()
    assert tr(lang, "That code has expired.") in expired.plain
    assert (await User.get(telegram_id=uid)).email_verified is False

    # A new code right away is refused (no mailbox flooding); after the pause it comes.
    await ann.press(tr(lang, "📨 Send a new code"))
    wait = tr(lang, "A code was sent a moment ago. Please wait {seconds} s for another one.")
    assert wait.split("{seconds}")[0] in (await ann.next_reply()).plain
    await age_codes(uid)
    await ann.press(tr(lang, "📨 Send a new code"))
    await ann.next_reply()
    second = await latest_code(uid)
    assert second.id != first.id and second.payload["email"] == "Ann@example.com"
    await first.refresh_from_db()
    assert first.status == NotificationStatus.CANCELLED  # the old code is not sent any more
    code = second.payload["code"]
    assert (await User.get(telegram_id=uid)).email_code_attempts == 0

    # Five wrong tries void the code: then even the right one fails.
    for left in range(MAX_ATTEMPTS - 1, 0, -1):
        await ann.send(wrong(code))
        assert (
            tr(lang, "That code is wrong. Tries left: {left}.", left=left)
            in (await ann.next_reply()).plain
        )
    await ann.send(wrong(code))
    assert (
        tr(lang, "That code is wrong, and that was the last try: it no longer works.")
        in (await ann.next_reply()).plain
    )
    await ann.send(code)
    void = await ann.next_reply()
    assert tr(lang, "No code is waiting to be confirmed.") in void.plain
    assert tr(lang, "📨 Send a new code") in ann.buttons(void)
    user = await User.get(telegram_id=uid)
    assert not user.email_verified and user.email is None and user.email_code_hash is None

    # Another address in place of the code starts over; the right code confirms it.
    await age_codes(uid)
    await ann.send("ann+alerts@example.com")
    await ann.next_reply()
    third = await latest_code(uid)
    assert third.payload["email"] == "ann+alerts@example.com"
    await ann.send(" ".join([third.payload["code"][:3], third.payload["code"][3:]]))
    done = await ann.next_reply()
    assert tr(lang, "✅ {email} is confirmed.", email="ann+alerts@example.com") in done.plain
    assert tr(lang, "Email: {email} (verified)", email="ann+alerts@example.com") in done.plain
    user = await User.get(telegram_id=uid)
    assert (user.email, user.email_verified) == ("ann+alerts@example.com", True)
    assert (user.pending_email, user.email_code_hash, user.email_code_expires_at) == (
        None,
        None,
        None,
    )
    assert await Channel.filter(owner_id=user.id, kind="email", target=user.email).exists()
    # The flow is over: text now gets the general hint, not a code check.
    await ann.send("123456")
    assert "/add" in (await ann.next_reply()).plain


async def test_email_with_html_characters_is_refused_or_escaped(telegram: FakeTelegram) -> None:
    uid = 11
    eve = telegram.user(uid, language_code="en")
    await open_settings(eve)
    await eve.press(tr("en", "✉️ Add email"))
    await eve.next_reply()
    await eve.send("a<b>&@example.com")
    refused = await eve.next_reply()
    assert (
        tr("en", 'That address contains characters that are not allowed: < > ( ) [ ] , ; : "')
        in refused.plain
    )
    assert "&lt;" in refused.text  # escaped in the HTML sent
    await eve.send("tom&jerry@example.com")  # "&" is allowed in an address
    sent = await eve.next_reply()
    assert "tom&amp;jerry@example.com" in sent.text and "tom&jerry@example.com" in sent.plain
    screen = await open_settings(eve)
    assert tr("en", "Email: {email} (not verified)", email="tom&jerry@example.com") in screen.plain
    code = (await latest_code(uid)).payload["code"]
    await eve.press(tr("en", "✉️ Change email"))
    await eve.next_reply()
    await eve.send(code)  # in the address step, a code is not an address
    assert tr("en", "Send another address or /cancel.") in (await eve.next_reply()).plain
    await eve.send("/cancel")
    await eve.next_reply()
    user = await User.get(telegram_id=uid)
    assert await email_verification.confirm_code(user, code) == "tom&jerry@example.com"
    screen = await open_settings(eve)
    assert tr("en", "Email: {email} (verified)", email="tom&jerry@example.com") in screen.plain


async def test_remove_email(telegram: FakeTelegram) -> None:
    await User.create(
        telegram_id=12, email="bob@example.com", email_verified=True, pending_email="b@x.io"
    )
    bob = telegram.user(12, language_code="en")
    await open_settings(bob)
    await bob.press(tr("en", "🗑 Remove email"))
    assert (await bob.next_answer())["text"] == tr("en", "Email removed.")
    assert tr("en", "Email: none") in (await bob.next_reply()).plain
    user = await User.get(telegram_id=12)
    assert (user.email, user.email_verified, user.pending_email) == (None, False, None)
    assert not await Channel.filter(owner_id=user.id, kind="email").exists()


async def test_email_is_not_offered_without_a_mail_server(
    telegram_without_mail: FakeTelegram,
) -> None:
    sue = telegram_without_mail.user(13, language_code="en")
    screen = await open_settings(sue)
    assert tr("en", "Email: not available (this server sends no mail)") in screen.plain
    assert tr("en", "✉️ Add email") not in sue.buttons(screen)
    await sue.press_data(SettingsCb(action="email").pack())
    answer = await sue.next_answer()
    assert answer["show_alert"]
    await sue.send("sue@example.com")
    assert "/add" in (await sue.next_reply()).plain  # no address step began
    assert await Notification.all().count() == 0


async def test_cancel_leaves_the_email_step(telegram: FakeTelegram) -> None:
    tim = telegram.user(14, language_code="en")
    await open_settings(tim)
    await tim.press(tr("en", "✉️ Add email"))
    await tim.next_reply()
    await tim.send("/cancel")
    assert tr("en", "Cancelled.") in (await tim.next_reply()).plain
    await tim.send("tim@example.com")
    assert "/add" in (await tim.next_reply()).plain
    assert await Notification.all().count() == 0


# --- alerts and reminders -----------------------------------------------------------


async def test_email_alerts_are_turned_off_and_on_as_a_channel(telegram: FakeTelegram) -> None:
    lang = "ru"
    await User.create(telegram_id=20, email="amy@example.com", email_verified=True)
    amy = telegram.user(20, language_code=lang)
    await open_settings(amy)
    await amy.press(tr(lang, "🔔 Alert channels"))
    await amy.next_reply()
    await amy.press("⭐ " + tr(lang, "Email"))
    assert "amy@example.com" in (await amy.next_reply()).plain
    await amy.press(tr(lang, "🔕 Turn off"))
    assert (await amy.next_answer())["text"] == tr(lang, "Channel off.")
    await amy.next_reply()
    assert not (await Channel.get(target="amy@example.com")).enabled
    await amy.press(tr(lang, "🔔 Turn on"))
    assert (await amy.next_answer())["text"] == tr(lang, "Channel on.")
    await amy.next_reply()
    assert (await Channel.get(target="amy@example.com")).enabled


async def test_reminder_interval_choice(telegram: FakeTelegram) -> None:
    lang = "en"
    max_ = telegram.user(21, language_code=lang)
    screen = await open_settings(max_)
    assert tr(lang, "Reminders while down: off") in screen.plain
    assert "✓ " + tr(lang, "Off") in max_.buttons(screen)
    await max_.press(tr(lang, "6 h"))
    screen = await max_.next_reply()
    interval = fmt_duration(6 * 3600, lang)
    assert tr(lang, "Reminders while down: every {interval}", interval=interval) in screen.plain
    assert "✓ " + tr(lang, "6 h") in max_.buttons(screen)
    assert (await User.get(telegram_id=21)).reminder_interval_minutes == 360
    await max_.press(tr(lang, "24 h"))
    await max_.next_reply()
    assert (await User.get(telegram_id=21)).reminder_interval_minutes == 1440
    await max_.press_data(SettingsCb(action="reminder", value=7).pack())
    answer = await max_.next_answer()
    assert answer["text"] == tr(lang, "That value is not valid.") and answer["show_alert"]
    await max_.press(tr(lang, "Off"))
    await max_.next_reply()
    assert (await User.get(telegram_id=21)).reminder_interval_minutes == 0


# --- API tokens ---------------------------------------------------------------------


def _calls_showing(telegram: FakeTelegram, secret: str) -> int:
    return sum(secret in json.dumps(call.params, ensure_ascii=False) for call in telegram.calls)


async def test_token_create_list_and_revoke(telegram: FakeTelegram) -> None:
    lang = "en"
    uid = 30
    dev = telegram.user(uid, language_code=lang)
    await open_settings(dev)
    await dev.press(tr(lang, "🔑 API tokens"))
    assert tr(lang, "You have no API tokens yet.") in (await dev.next_reply()).plain
    await dev.press(tr(lang, "➕ Create token"))
    await dev.next_reply()
    await dev.send("x" * 65)
    assert (
        tr_n(
            lang,
            "The name is too long (at most {max} character).",
            "The name is too long (at most {max} characters).",
            64,
            max=64,
        )
        in (await dev.next_reply()).plain
    )
    await dev.send("CI <deploy> & co")
    shown = await dev.next_reply()
    token = TOKEN_RE.search(shown.plain).group()
    assert f"<code>{token}</code>" in shown.text
    assert "CI &lt;deploy&gt; &amp; co" in shown.text
    warning = (
        "⚠️ Copy it now: it is shown only this once. Only its hash is stored, so it cannot be "
        "shown again. Send it as the X-API-KEY header."
    )
    assert tr(lang, warning) in shown.plain
    listing = await dev.next_reply()
    assert token not in listing.text and token[:8] in listing.plain
    assert "CI <deploy> & co" in listing.plain and tr(lang, "never") in listing.plain

    # Shown once: one message ever carried it; the database holds only the hash.
    assert _calls_showing(telegram, token) == 1
    row = await ApiToken.get(user__telegram_id=uid)
    assert row.token_hash == hash_token(token) and row.prefix == token[:8]
    assert token not in json.dumps(await ApiToken.all().values(), default=str)  # no column holds it
    assert row.name == "CI <deploy> & co"
    found = await user_for_token(token)
    assert found is not None and found.telegram_id == uid
    assert (await ApiToken.get(id=row.id)).last_used_at is not None

    # A second one with the default name, then the list shows both.
    await dev.press(tr(lang, "➕ Create token"))
    await dev.next_reply()
    await dev.press(tr(lang, "Skip"))
    second = TOKEN_RE.search((await dev.next_reply()).plain).group()
    listing = await dev.next_reply()
    assert "token 2" in listing.plain and tr(lang, "never") in listing.plain
    await dev.press(tr(lang, "⬅️ Back to settings"))
    assert tr(lang, "API tokens: {count}", count=2) in (await dev.next_reply()).plain

    # Revoke the first: asked, confirmed, gone; the token stops working.
    await dev.press(tr(lang, "🔑 API tokens"))
    listing = await dev.next_reply()
    label = next(b for b in dev.buttons(listing) if token[:8] in b)
    await dev.press(label)
    assert token[:8] in (await dev.next_reply()).plain
    await dev.press(tr(lang, "Yes, revoke"))
    assert (await dev.next_answer())["text"] == tr(lang, "Token revoked.")
    listing = await dev.next_reply()
    assert token[:8] not in listing.plain and second[:8] in listing.plain
    assert await ApiToken.filter(id=row.id).count() == 0
    assert await user_for_token(token) is None
    assert (await user_for_token(second)).telegram_id == uid


async def test_forged_revoke_of_someone_elses_token_changes_nothing(
    telegram: FakeTelegram,
) -> None:
    owner = await User.create(telegram_id=31)
    row, token = await create_token(owner, "prod")
    mallory = telegram.user(32, language_code="en")
    await open_settings(mallory)
    for action in ("revoke", "revoke_yes"):
        await mallory.press_data(SettingsCb(action=action, value=row.id).pack())
        answer = await mallory.next_answer()
        assert answer["text"] == tr("en", "Token not found.") and answer["show_alert"]
    assert await ApiToken.filter(id=row.id).count() == 1
    assert (await user_for_token(token)).id == owner.id


# --- core.email_verification --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ann@example.com", "ann@example.com"),
        ("  Ann.Lee+x@Mail.Example.ORG ", "Ann.Lee+x@mail.example.org"),
        ("tom&jerry@example.com", "tom&jerry@example.com"),
        ("a" * 64 + "@" + "b" * 180 + ".com", "a" * 64 + "@" + "b" * 180 + ".com"),
    ],
)
def test_parse_email_accepts(text: str, expected: str) -> None:
    assert parse_email(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "email_empty"),
        ("   ", "email_empty"),
        ("a" * 250 + "@x.io", "email_too_long"),
        ("ann @example.com", "email_spaces"),
        ("ann@example.com\nBcc: x@y.z", "email_spaces"),
        ("a<b>&@example.com", "email_chars"),
        ('"ann"@example.com', "email_chars"),
        ("ann\x00@example.com", "email_chars"),
        ("ann.example.com", "email_at"),
        ("a@b@example.com", "email_at"),
        ("@example.com", "email_at"),
        ("ann@", "email_at"),
        ("ann@localhost", "email_domain"),
        ("ann@example.", "email_domain"),
        ("ann@.example.com", "email_domain"),
        ("ann@example..com", "email_domain"),
    ],
)
def test_parse_email_refuses(text: str, code: str) -> None:
    with pytest.raises(EmailError) as caught:
        parse_email(text)
    assert caught.value.code == code


def test_codes_are_six_random_digits_and_stored_salted() -> None:
    codes = {new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes) and len(codes) > 150
    stored = hash_code("012345")
    assert "012345" not in stored and len(stored) <= 128
    assert hash_code("012345") != stored  # a fresh salt each time
    assert code_matches("012345", stored)
    assert not code_matches("012346", stored)
    assert not code_matches("012345", None) and not code_matches("012345", "zz$00")
    assert not code_matches("012345", stored.split("$")[1])  # no salt
    assert normalize_code(" 012 345 ") == "012345" == normalize_code("012-345")
    for bad in ("12345", "1234567", "abcdef", "١٢٣٤٥٦"):
        with pytest.raises(EmailError, match="code_format"):
            normalize_code(bad)


async def test_request_and_confirm(db) -> None:
    user = await User.create(telegram_id=100)
    t0 = datetime.now(UTC)
    queued = await request_code(user, "Ann@Example.com", now=t0)
    code = queued.payload["code"]
    assert queued.payload == {"email": "Ann@example.com", "code": code}
    assert (queued.channel, queued.kind, queued.dedup_key) == ("email", "email_verification", None)
    assert queued.next_attempt_at == t0 and queued.user_id == user.id
    # The caller's object follows the database.
    assert user.pending_email == "Ann@example.com" and user.email_code_expires_at == t0 + CODE_TTL
    fresh = await User.get(id=user.id)
    assert code_matches(code, fresh.email_code_hash) and fresh.email_code_attempts == 0

    with pytest.raises(EmailError) as caught:
        await confirm_code(user, wrong(code), now=t0)
    assert (caught.value.code, caught.value.params) == ("code_wrong", {"left": 4})
    assert await confirm_code(user, code, now=t0 + CODE_TTL - timedelta(seconds=1)) == (
        "Ann@example.com"
    )
    fresh = await User.get(id=user.id)
    assert (fresh.email, fresh.email_verified, fresh.pending_email) == (
        "Ann@example.com",
        True,
        None,
    )
    assert (fresh.email_code_hash, fresh.email_code_expires_at, fresh.email_code_attempts) == (
        None,
        None,
        0,
    )
    assert user.email_verified  # the caller's object too
    with pytest.raises(EmailError, match="code_none"):
        await confirm_code(user, code, now=t0)
    with pytest.raises(EmailError, match="email_same"):
        await request_code(user, "Ann@EXAMPLE.com", now=t0 + RESEND_AFTER * 2)


async def test_expiry_attempts_and_resend_pause(db) -> None:
    user = await User.create(telegram_id=101)
    t0 = datetime.now(UTC)
    first = await request_code(user, "a@example.com", now=t0)
    with pytest.raises(EmailError) as caught:
        await request_code(user, "b@example.com", now=t0 + timedelta(seconds=10))
    assert caught.value.code == "email_wait" and 0 < caught.value.params["seconds"] <= 60
    with pytest.raises(EmailError, match="code_expired"):
        await confirm_code(user, first.payload["code"], now=t0 + CODE_TTL)
    with pytest.raises(EmailError, match="code_none"):  # void: not even in time again
        await confirm_code(user, first.payload["code"], now=t0)

    t1 = t0 + RESEND_AFTER + timedelta(seconds=1)
    second = await request_code(user, "b@example.com", now=t1)
    assert (await Notification.get(id=first.id)).status == NotificationStatus.CANCELLED
    assert (await Notification.get(id=second.id)).status == NotificationStatus.PENDING
    code = second.payload["code"]
    with pytest.raises(EmailError, match="code_format"):
        await confirm_code(user, "nope", now=t1)
    for left in range(MAX_ATTEMPTS - 1, 0, -1):
        with pytest.raises(EmailError) as caught:
            await confirm_code(user, wrong(code), now=t1)
        assert caught.value.params == {"left": left}
    with pytest.raises(EmailError, match="code_void"):
        await confirm_code(user, wrong(code), now=t1)
    with pytest.raises(EmailError, match="code_none"):
        await confirm_code(user, code, now=t1)
    fresh = await User.get(id=user.id)
    assert (fresh.email, fresh.email_verified, fresh.email_code_attempts) == (None, False, 5)
    assert fresh.pending_email == "b@example.com"  # kept, for "send a new code"

    await remove_email(user)
    fresh = await User.get(id=user.id)
    assert (fresh.email, fresh.pending_email, fresh.email_code_hash) == (None, None, None)
    assert (await Notification.get(id=second.id)).status == NotificationStatus.CANCELLED


async def test_a_new_code_replaces_the_old_one(db) -> None:
    user = await User.create(telegram_id=102)
    t0 = datetime.now(UTC)
    old = await request_code(user, "a@example.com", now=t0)
    t1 = t0 + RESEND_AFTER + timedelta(seconds=1)
    new = await request_code(user, "c@example.com", now=t1)
    if old.payload["code"] != new.payload["code"]:
        with pytest.raises(EmailError, match="code_wrong"):
            await confirm_code(user, old.payload["code"], now=t1)
    assert await confirm_code(user, new.payload["code"], now=t1) == "c@example.com"


# --- core.api_tokens ----------------------------------------------------------------


def test_hash_token_is_sha256_hex() -> None:
    assert hash_token("abc") == ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")


async def test_create_find_and_revoke_tokens(db) -> None:
    ann = await User.create(telegram_id=200)
    bob = await User.create(telegram_id=201)
    row, token = await create_token(ann, "  deploy   script ")
    assert TOKEN_RE.fullmatch(token)
    assert (row.name, row.prefix, row.token_hash) == ("deploy script", token[:8], hash_token(token))
    assert (await create_token(ann, None))[0].name == "token 2"
    assert (await create_token(bob))[0].name == "token 1"
    for name, code in [("x" * 65, "token_name_too_long"), ("a\x07b", "token_name_invalid")]:
        with pytest.raises(TokenError, match=code):
            await create_token(ann, name)

    assert row.last_used_at is None
    t0 = datetime.now(UTC)
    assert (await user_for_token(token, now=t0)).id == ann.id
    assert (await ApiToken.get(id=row.id)).last_used_at == t0
    await user_for_token(token, now=t0 + timedelta(seconds=5))  # within a minute: no write
    assert (await ApiToken.get(id=row.id)).last_used_at == t0
    t1 = t0 + api_tokens.LAST_USED_EVERY
    await user_for_token(token, now=t1)
    assert (await ApiToken.get(id=row.id)).last_used_at == t1
    for junk in (None, "", "um_", token[:-1], token + "x", token[3:], "um_" + "a" * 500, 42):
        assert await user_for_token(junk) is None  # type: ignore[arg-type]

    assert await revoke(bob, row.id) is False  # not bob's
    assert (await user_for_token(token)).id == ann.id
    assert await revoke(ann, row.id) is True
    assert await revoke(ann, row.id) is False
    assert await user_for_token(token) is None
    assert [t.name for t in await api_tokens.list_tokens(ann)] == ["token 2"]


async def test_token_limit(db) -> None:
    user = await User.create(telegram_id=202)
    for _number in range(api_tokens.MAX_TOKENS_PER_USER):
        await create_token(user)
    with pytest.raises(TokenError) as caught:
        await create_token(user, "one more")
    assert (caught.value.code, caught.value.params) == (
        "token_limit",
        {"max": api_tokens.MAX_TOKENS_PER_USER},
    )
