"""Alert channels in the bot end to end (real aiogram polling the fake Bot API server,
real database): /settings → 🔔 Alert channels, adding channels, each channel's screen,
a monitor card's 🔔 Alerts, and the button under "a channel was turned off".

Expected texts come from the catalogs (`tr`). Refusals whose words live in
core/rule_texts.py are checked by what this router adds to them (the question asked
again) and by what stayed unchanged in the database. The fake refuses invalid HTML and
messages over 4,096 characters, so a name or URL that broke a message fails the test
where it is sent."""

from __future__ import annotations

import json
import re

import pytest

from bot.callbacks import ChannelCb, RouteCb
from bot.keyboards import channel_disabled_buttons
from core import channels as core_channels
from core import targets
from core.channels import MAX_CHANNELS, disable_channel, private_chat
from core.i18n import use_locale
from db.models import Channel, Monitor, MonitorChannel, Notification, NotificationKind, User
from tests.support.bot_harness import ADMIN, PUBLIC_URL, tr
from tests.support.fake_telegram import FakeTelegram, FakeUser

PRIVATE = "This address is on a private or local network, which the monitor may not reach."
SECRET_RE = re.compile(r"<code>([A-Za-z0-9_-]{43})</code>")
PUBLIC_HOOK = "https://93.184.216.34/hooks/uptime"  # a public literal: no DNS needed


async def open_channels(person: FakeUser, lang: str = "en"):
    await person.send("/settings")
    await person.next_reply()
    await person.press(tr(lang, "🔔 Alert channels"))
    return await person.next_reply()


async def open_card_alerts(person: FakeUser, monitor: Monitor, lang: str = "en"):
    await person.send(f"/start m{monitor.id}")
    await person.next_reply()
    await person.press(tr(lang, "🔔 Alerts"))
    return await person.next_reply()


async def webhook(owner: User, name: str = "Hook", **fields) -> Channel:
    """A webhook channel made directly: creation is not what the test is about."""
    values = {"target": PUBLIC_HOOK, "is_default": False, **fields}
    return await Channel.create(owner_id=owner.id, kind="webhook", name=name, **values)


def bold_away(html: str) -> str:
    """A catalog text with <b> in it as the user sees it."""
    return re.sub(r"</?b>", "", html)


def _calls_showing(telegram: FakeTelegram, secret: str) -> int:
    return sum(secret in json.dumps(call.params, ensure_ascii=False) for call in telegram.calls)


# --- the list and a channel's screen ------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_settings_lead_to_the_list_and_a_channel_screen(
    telegram: FakeTelegram, lang: str
) -> None:
    ann = await User.create(telegram_id=1, email="ann@example.com", email_verified=True)
    await webhook(
        ann,
        name="Ops <team> & co",
        target="https://93.184.216.34/" + "x" * 300 + "?a=<b>",
        enabled=False,
        disabled_reason="HTTP 410 <gone> & " + "y" * 300,
        last_error="HTTP 410 <gone>",
    )
    me = telegram.user(1, language_code=lang)
    await me.send("/settings")
    settings = await me.next_reply()
    assert tr(lang, "Alert channels: {count}", count=3) in settings.plain
    listing = await open_channels(me, lang)
    head = tr(lang, "<b>Alert channels</b>: {count} of {max}", count=3, max=MAX_CHANNELS)
    assert bold_away(head) in listing.plain
    lines = listing.plain.splitlines()
    assert f"⭐ {tr(lang, 'Private chat')} · {tr(lang, 'Telegram chat')}: {tr(lang, 'on')}" in lines
    assert f"⭐ {tr(lang, 'Email')} · {tr(lang, 'Email')}: {tr(lang, 'on')}" in lines
    hook_line = next(line for line in lines if line.startswith("▫️ Ops <team> & co"))
    assert "HTTP 410 <gone> & " in hook_line and hook_line.endswith("…")
    assert len(hook_line) < 140  # the reason is shortened in the list
    assert "Ops &lt;team&gt; &amp; co" in listing.text  # escaped in the HTML sent
    buttons = me.buttons(listing)
    assert buttons[:3] == [
        "⭐ " + tr(lang, "Private chat"),
        "⭐ " + tr(lang, "Email"),
        "⛔ Ops <team> & co",
    ]
    assert tr(lang, "➕ Add a channel") in buttons

    await me.press("⛔ Ops <team> & co")
    screen = await me.next_reply()
    assert "Ops <team> & co" in screen.plain.splitlines()[0]
    assert tr(lang, "Kind: {kind}", kind=tr(lang, "Webhook")) in screen.plain
    target_line = next(line for line in screen.plain.splitlines() if "93.184.216.34" in line)
    assert target_line.endswith("…") and len(target_line) < 120
    assert "HTTP 410 <gone> & y" in screen.plain  # the whole reason, up to 300 characters
    assert tr(lang, "Last used: {when}", when=tr(lang, "never")) in screen.plain
    assert "HTTP 410 &lt;gone&gt;" in screen.text
    buttons = me.buttons(screen)
    assert tr(lang, "🔔 Turn on") in buttons and tr(lang, "🗑 Delete") in buttons
    assert tr(lang, "📨 Send a test") not in buttons  # not while it is off
    await me.press(tr(lang, "⬅️ Back"))
    assert (await me.next_reply()).plain == listing.plain
    await me.press(tr(lang, "⬅️ Back to settings"))
    assert tr(lang, "Alert channels: {count}", count=3) in (await me.next_reply()).plain


async def test_the_list_of_the_most_channels_fits_one_message(telegram: FakeTelegram) -> None:
    owner = await User.create(telegram_id=2)
    for number in range(MAX_CHANNELS - 1):
        await webhook(
            owner, name=f"{number:02} " + "<&>" * 40, enabled=False, disabled_reason="z" * 900
        )
    me = telegram.user(2, language_code="ru")
    listing = await open_channels(me, "ru")
    assert len(listing.plain) <= 4096 and listing.plain.endswith("…")
    assert len([b for b in me.buttons(listing) if "<&>" in b]) == MAX_CHANNELS - 1
    assert tr("ru", "➕ Add a channel") not in me.buttons(listing)  # at the most


# --- adding a channel ---------------------------------------------------------------


async def test_add_a_webhook_shows_its_secret_once(telegram: FakeTelegram) -> None:
    lang = "en"
    me = telegram.user(3, language_code=lang)
    await open_channels(me)
    await me.press(tr(lang, "➕ Add a channel"))
    kinds = await me.next_reply()
    assert tr(lang, "Telegram groups and channels: add me there and send /link in the group.") in (
        kinds.plain
    )
    assert me.buttons(kinds)[:4] == [
        tr(lang, "Webhook"), tr(lang, "Slack"), tr(lang, "Discord"), tr(lang, "ntfy")
    ]  # fmt: skip
    await me.press(tr(lang, "Webhook"))
    question = tr(
        lang, "Send the URL to post alerts to (http:// or https://, on a public address)."
    )
    assert question in (await me.next_reply()).plain
    for bad in ("ftp://example.com/hook", "http://127.0.0.1:8080/hook", "x" * 3000):
        await me.send(bad)
        refused = (await me.next_reply()).plain
        assert question in refused and tr(lang, "/cancel to stop.") in refused
    await me.send("http://10.1.2.3/hook")
    assert tr(lang, PRIVATE) in (await me.next_reply()).plain
    assert not await Channel.filter(kind="webhook").exists()

    await me.send(PUBLIC_HOOK)
    shown = await me.next_reply()
    secret = SECRET_RE.search(shown.text).group(1)
    assert "X-Uptime-Signature: sha256=<hex>" in shown.plain
    assert tr(lang, "Copy it now: it is shown only this once.") in shown.plain
    screen = await me.next_reply()
    assert screen.plain.startswith(tr(lang, "✅ Channel added."))
    assert secret not in screen.text
    channel = await Channel.get(kind="webhook")
    assert (channel.target, channel.settings, channel.enabled) == (
        PUBLIC_HOOK,
        {"secret": secret},
        True,
    )
    assert channel.owner_id == (await User.get(telegram_id=3)).id
    assert _calls_showing(telegram, secret) == 1
    # The flow is over: the channel's screen again does not show it.
    await me.press(tr(lang, "⬅️ Back"))
    await me.next_reply()
    await me.press(tr(lang, "Webhook"))
    await me.next_reply()
    assert _calls_showing(telegram, secret) == 1
    await me.send("hello")
    assert "/add" in (await me.next_reply()).plain


async def test_an_admin_may_add_a_loopback_webhook(telegram: FakeTelegram) -> None:
    boss = telegram.user(ADMIN, language_code="en")
    await open_channels(boss)
    await boss.press(tr("en", "➕ Add a channel"))
    await boss.next_reply()
    await boss.press(tr("en", "Webhook"))
    await boss.next_reply()
    await boss.send("http://127.0.0.1:8080/hook")
    await boss.next_reply()  # the secret
    assert tr("en", "✅ Channel added.") in (await boss.next_reply()).plain
    assert await Channel.filter(kind="webhook", target="http://127.0.0.1:8080/hook").exists()


async def test_a_wrong_slack_url_is_refused_and_cancel_leaves(telegram: FakeTelegram) -> None:
    lang = "es"
    me = telegram.user(4, language_code=lang)
    await open_channels(me, lang)
    await me.press(tr(lang, "➕ Add a channel"))
    await me.next_reply()
    await me.press(tr(lang, "Slack"))
    question = tr(lang, "Send the Slack incoming webhook URL: https://hooks.slack.com/services/…")
    assert question in (await me.next_reply()).plain
    for bad in ("https://93.184.216.34/services/T0/B0/x", "http://hooks.slack.com/services/x"):
        await me.send(bad)
        assert question in (await me.next_reply()).plain
    assert await Channel.filter(kind="slack").count() == 0
    await me.send("/cancel")
    assert tr(lang, "Cancelled.") in (await me.next_reply()).plain
    await me.send("https://hooks.slack.com/services/T0/B0/x")
    assert "/add" in (await me.next_reply()).plain
    assert await Channel.filter(kind="slack").count() == 0


async def test_add_slack_and_discord(telegram: FakeTelegram, monkeypatch) -> None:
    """Their hosts resolve from a table (DNS is outside the test machine)."""

    async def table(host: str, port: int) -> list[str]:
        return {"hooks.slack.com": ["34.1.2.3"], "discord.com": ["162.159.1.2"]}[host]

    async def check_with_table(url: str, allow_private: bool, **_: object) -> object:
        return await targets.check_target(url, allow_private, resolver=table)

    monkeypatch.setattr(core_channels, "check_target", check_with_table)
    me = telegram.user(5, language_code="en")
    for kind, url in [
        ("Slack", "https://hooks.slack.com/services/T0/B0/abc"),
        ("Discord", "https://discord.com/api/webhooks/1/abc"),
    ]:
        await open_channels(me)
        await me.press(tr("en", "➕ Add a channel"))
        await me.next_reply()
        await me.press(tr("en", kind))
        await me.next_reply()
        await me.send(url)
        screen = await me.next_reply()  # no secret for these
        assert tr("en", "✅ Channel added.") in screen.plain and "<code>" not in screen.text
        channel = await Channel.get(kind=kind.lower())
        assert (channel.target, channel.settings) == (url, {})


# --- a channel's buttons ------------------------------------------------------------


async def test_send_a_test_queues_one_through_the_outbox(telegram: FakeTelegram) -> None:
    owner = await User.create(telegram_id=6)
    chat = await private_chat(owner)
    me = telegram.user(6, language_code="ru")
    await open_channels(me, "ru")
    await me.press("⭐ " + tr("ru", "Private chat"))
    screen = await me.next_reply()
    assert tr("ru", "🗑 Delete") not in me.buttons(screen)  # the private chat stays
    await me.press(tr("ru", "📨 Send a test"))
    assert (await me.next_answer())["text"] == tr("ru", "Test queued: it arrives in a few seconds")
    queued = await Notification.get(user_id=owner.id)
    assert (queued.kind, queued.alert_channel_id, queued.channel) == (
        NotificationKind.TEST,
        chat.id,
        "telegram",
    )


async def test_turn_off_and_on_and_the_default_toggle(telegram: FakeTelegram) -> None:
    lang = "de"
    owner = await User.create(telegram_id=7)
    hook = await webhook(owner, enabled=False, disabled_reason="HTTP 404")
    me = telegram.user(7, language_code=lang)
    await open_channels(me, lang)
    await me.press("⛔ Hook")
    await me.next_reply()
    await me.press(tr(lang, "🔔 Turn on"))
    assert (await me.next_answer())["text"] == tr(lang, "Channel on.")
    screen = await me.next_reply()
    assert tr(lang, "State: {state}", state=tr(lang, "on")) in screen.plain
    await hook.refresh_from_db()
    assert (hook.enabled, hook.disabled_reason) == (True, None)
    await me.press(tr(lang, "🔕 Turn off"))
    assert (await me.next_answer())["text"] == tr(lang, "Channel off.")
    assert tr(lang, "🔔 Turn on") in me.buttons(await me.next_reply())
    assert not (await Channel.get(id=hook.id)).enabled

    label = tr(lang, "⭐ Use for new monitors")
    await me.press(label)
    screen = await me.next_reply()
    assert "✓ " + label in me.buttons(screen)
    assert tr(
        lang, "⭐ Used for new monitors, and by every monitor that follows your defaults."
    ) in (screen.plain)
    assert (await Channel.get(id=hook.id)).is_default
    await me.press("✓ " + label)
    assert label in me.buttons(await me.next_reply())
    assert not (await Channel.get(id=hook.id)).is_default


async def test_rename(telegram: FakeTelegram) -> None:
    owner = await User.create(telegram_id=8)
    hook = await webhook(owner)
    me = telegram.user(8, language_code="en")
    await open_channels(me)
    await me.press("Hook")
    await me.next_reply()
    await me.press(tr("en", "✏️ Rename"))
    assert tr("en", "Send the new name of {name}.", name="Hook") in (await me.next_reply()).plain
    await me.send("x" * 129)
    assert tr("en", "Try again, or /cancel.") in (await me.next_reply()).plain
    assert (await Channel.get(id=hook.id)).name == "Hook"
    await me.send("Ops <b> & co")
    done = await me.next_reply()
    assert done.plain.startswith(tr("en", "✅ Renamed."))
    assert "Ops &lt;b&gt; &amp; co" in done.text
    assert (await Channel.get(id=hook.id)).name == "Ops <b> & co"


async def test_delete_asks_first(telegram: FakeTelegram) -> None:
    owner = await User.create(telegram_id=9)
    hook = await webhook(owner, name="Old <hook>")
    monitor = await Monitor.create(owner=owner, name="shop", url=PUBLIC_URL, custom_channels=True)
    await MonitorChannel.create(monitor=monitor, channel=hook)
    await core_channels.queue_test(hook)
    me = telegram.user(9, language_code="en")
    await open_channels(me)
    await me.press("Old <hook>")
    await me.next_reply()
    await me.press(tr("en", "🗑 Delete"))
    question = await me.next_reply()
    assert "Old &lt;hook&gt;" in question.text
    await me.press(tr("en", "No, keep it"))
    assert tr("en", "🗑 Delete") in me.buttons(await me.next_reply())
    assert await Channel.filter(id=hook.id).exists()
    await me.press(tr("en", "🗑 Delete"))
    await me.next_reply()
    await me.press(tr("en", "Yes, delete"))
    assert (await me.next_answer())["text"] == tr("en", "Deleted.")
    listing = await me.next_reply()
    assert "Old <hook>" not in listing.plain
    assert not await Channel.filter(id=hook.id).exists()
    assert not await Notification.filter(alert_channel_id=hook.id).exists()
    assert not await MonitorChannel.filter(monitor_id=monitor.id).exists()


async def test_the_private_chat_and_the_email_channel_cannot_be_deleted_here(
    telegram: FakeTelegram,
) -> None:
    owner = await User.create(telegram_id=10, email="bo@example.com", email_verified=True)
    chat = await private_chat(owner)
    email = await Channel.get(owner_id=owner.id, kind="email")
    me = telegram.user(10, language_code="en")
    await open_channels(me)
    await me.press("⭐ " + tr("en", "Email"))
    screen = await me.next_reply()
    assert tr("en", "🗑 Delete") not in me.buttons(screen)
    assert (
        tr("en", "Change or remove the address with the email buttons of /settings.")
        in screen.plain
    )
    await me.press_data(ChannelCb(action="delete_yes", id=chat.id).pack())
    assert (await me.next_answer())["show_alert"]
    assert await Channel.filter(id=chat.id).exists()
    assert await Channel.filter(id=email.id).exists()


# --- a monitor's channels -----------------------------------------------------------


async def test_card_alerts_toggle_channels_and_reset_to_the_defaults(
    telegram: FakeTelegram,
) -> None:
    lang = "en"
    owner = await User.create(telegram_id=11)
    chat = await private_chat(owner)
    hook = await webhook(owner, name="Hook")
    off = await webhook(owner, name="Dead", enabled=False, disabled_reason="HTTP 410")
    monitor = await Monitor.create(owner=owner, name="Shop <1>", url=PUBLIC_URL)
    me = telegram.user(11, language_code=lang)
    screen = await open_card_alerts(me, monitor, lang)
    private, defaults = "⭐ " + tr(lang, "Private chat"), tr(lang, "Use my default channels")
    assert "Shop <1>" in screen.plain
    assert tr(lang, "This monitor follows your default channels (⭐).") in screen.plain
    assert me.buttons(screen) == [
        "✅ " + private,
        "▫️ Hook",
        tr(lang, "⛔ {name} (off)", name="Dead"),
        "✓ " + defaults,
        tr(lang, "⬅️ Back"),
    ]

    # Ticking a channel starts the monitor's own list from what it alerts now.
    await me.press("▫️ Hook")
    screen = await me.next_reply()
    assert "✅ Hook" in me.buttons(screen) and defaults in me.buttons(screen)
    assert tr(lang, "This monitor alerts the channels ticked below: a list of its own.") in (
        screen.plain
    )
    await monitor.refresh_from_db()
    assert monitor.custom_channels
    links = MonitorChannel.filter(monitor_id=monitor.id).order_by("channel_id")
    assert await links.values_list("channel_id", flat=True) == [chat.id, hook.id]
    await me.press("✅ " + private)
    await me.next_reply()
    await me.press("✅ Hook")
    screen = await me.next_reply()
    assert tr(lang, "⚠️ No channel is ticked: this monitor alerts nobody.") in screen.plain
    assert await links.values_list("channel_id", flat=True) == []

    # A channel that is off cannot be ticked: the press says why and changes nothing.
    await me.press(tr(lang, "⛔ {name} (off)", name="Dead"))
    answer = await me.next_answer()
    assert answer["show_alert"] and "/settings" in answer["text"]
    await me.press_data(RouteCb(action="toggle", id=monitor.id, channel=off.id).pack())
    assert (await me.next_answer())["show_alert"]
    assert await links.values_list("channel_id", flat=True) == []

    await me.press(defaults)
    assert (await me.next_answer())["text"] == tr(
        lang, "This monitor follows your default channels now."
    )
    screen = await me.next_reply()
    assert "✓ " + defaults in me.buttons(screen) and "✅ " + private in me.buttons(screen)
    await monitor.refresh_from_db()
    assert not monitor.custom_channels and not await links.exists()
    await me.press(tr(lang, "⬅️ Back"))
    assert tr(lang, "🔔 Alerts") in me.buttons(await me.next_reply())  # the card again


async def test_an_admin_edits_another_users_monitor_with_that_users_channels(
    telegram: FakeTelegram,
) -> None:
    owner = await User.create(telegram_id=12)
    hook = await webhook(owner, name="Their hook")
    await webhook(await User.create(telegram_id=ADMIN), name="Admin hook")
    monitor = await Monitor.create(owner=owner, name="theirs", url=PUBLIC_URL)
    boss = telegram.user(ADMIN, language_code="en")
    screen = await open_card_alerts(boss, monitor)
    assert "▫️ Their hook" in boss.buttons(screen)
    assert not any("Admin hook" in b for b in boss.buttons(screen))
    await boss.press("▫️ Their hook")
    await boss.next_reply()
    linked = await MonitorChannel.filter(monitor_id=monitor.id).values_list("channel_id", flat=True)
    assert hook.id in linked


# --- forged buttons -----------------------------------------------------------------


async def test_forged_buttons_naming_someone_elses_channel_change_nothing(
    telegram: FakeTelegram,
) -> None:
    owner = await User.create(telegram_id=13)
    hook = await webhook(owner, name="theirs", enabled=False, disabled_reason="HTTP 500")
    theirs = await Monitor.create(owner=owner, name="their monitor", url=PUBLIC_URL)
    mallory_user = await User.create(telegram_id=14)
    mine = await Monitor.create(owner=mallory_user, name="mine", url=PUBLIC_URL)
    mallory = telegram.user(14, language_code="en")
    await mallory.send("/start")
    await mallory.next_reply()
    not_found = tr("en", "Channel not found.")
    for action in ("open", "test", "on", "off", "default", "rename", "delete", "delete_yes"):
        for channel_id in (hook.id, 10**9):
            await mallory.press_data(ChannelCb(action=action, id=channel_id).pack())
            answer = await mallory.next_answer()
            assert answer["text"] == not_found and answer["show_alert"], action
    with use_locale("en"):
        reenable = channel_disabled_buttons(hook.id).inline_keyboard[0][0].callback_data
    await mallory.press_data(reenable)
    assert (await mallory.next_answer())["text"] == not_found
    for action in ("toggle", "off"):
        await mallory.press_data(RouteCb(action=action, id=mine.id, channel=hook.id).pack())
        assert (await mallory.next_answer())["text"] == not_found
    for action in ("toggle", "defaults"):
        await mallory.press_data(RouteCb(action=action, id=theirs.id, channel=hook.id).pack())
        assert (await mallory.next_answer())["text"] == tr("en", "Monitor not found.")
    await mallory.send("new name")  # no rename step began
    assert "/add" in (await mallory.next_reply()).plain
    fresh = await Channel.get(id=hook.id)
    assert (fresh.enabled, fresh.is_default, fresh.name) == (False, False, "theirs")
    assert not await Notification.filter(alert_channel_id=hook.id).exists()
    assert not await MonitorChannel.all().exists()
    assert not (await Monitor.get(id=mine.id)).custom_channels


# --- the alert that a channel was turned off ----------------------------------------


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_turn_it_on_again_from_the_alert(telegram: FakeTelegram, lang: str) -> None:
    owner = await User.create(telegram_id=15)
    hook = await webhook(owner)
    assert await disable_channel(hook.id, "HTTP 410 Gone")
    alert = await Notification.get(kind=NotificationKind.CHANNEL_DISABLED)
    assert alert.payload["channel_id"] == hook.id
    with use_locale(lang):  # as the outbox renders the alert: in its reader's language
        button = channel_disabled_buttons(alert.payload["channel_id"]).inline_keyboard[0][0]
    assert button.text == tr(lang, "🔔 Turn it on again")
    me = telegram.user(15, language_code=lang)
    await me.send("/start")  # a message of the bot to press the button under
    await me.next_reply()
    await me.press_data(button.callback_data)
    assert (await me.next_answer())["text"] == tr(lang, "Channel on again.")
    fresh = await Channel.get(id=hook.id)
    assert (fresh.enabled, fresh.disabled_reason) == (True, None)
    assert (await me.next_reply()).reply_markup is None  # the button has done its work
