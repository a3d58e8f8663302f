"""Alert channels in the bot: /settings → 🔔 Alert channels (the list, each channel's
screen, adding a webhook, Slack or Discord channel), a monitor card's 🔔 Alerts (which
channels that monitor alerts), and the button under the alert that a channel was
turned off.

The rules live in core.channels; handlers parse, call it and render. Every callback
names a channel or a monitor by id and goes through an ownership check
(core.channels.channel_of, bot.messages.pressed_monitor): a forged or stale button gets
"not found" and changes nothing. Names, addresses, URLs and failure reasons come from
users and servers: every one is escaped.
"""

from __future__ import annotations

from contextlib import suppress

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import ChannelCb, MonitorCb, RouteCb
from bot.filters import TEXT_INPUT
from bot.messages import edit, please_send_text, pressed_monitor
from bot.render import locale, rule_message, rule_text
from bot.routers.settings import SettingsCb
from core.alerts import channel_label
from core.channels import (
    MAX_CHANNELS,
    channel_of,
    channels_of,
    create_url_channel,
    delete_channel,
    is_private_chat,
    monitor_channel_ids,
    queue_test,
    rename,
    set_default,
    set_enabled,
    set_monitor_channels,
    url_forms,
)
from core.i18n import _
from core.monitor_rules import RuleError
from core.render import MESSAGE_LIMIT, cut, esc, fmt_ago
from core.runtime import Runtime
from core.settings import Settings
from core.targets import TargetError
from db.models import Channel, Monitor, NotificationChannel, User

# The actions of ChannelCb that name a channel and are handled by `channel_action`.
CHANNEL_ACTIONS = {"open", "test", "on", "off", "default", "rename", "delete", "delete_yes"}
# How much of a channel's words each place shows (cut before escaping).
LIST_NAME = 40
LIST_REASON = 60
TARGET_SHOWN = 80
REASON_SHOWN = 300
BUTTON_NAME = 40
# Room kept free under Telegram's limit for the lines after the list ("…").
LIST_ROOM = MESSAGE_LIMIT - 200


class ChannelFlow(StatesGroup):
    url = State()  # data: channel_kind
    name = State()  # data: channel_id


# --- texts --------------------------------------------------------------------------


def kind_word(kind: str) -> str:
    return channel_label(kind, "")


def channel_title(channel: Channel, owner: User) -> str:
    """A channel's name as plain text: its own, else "Private chat" or its kind's word."""
    if not channel.name and is_private_chat(channel, owner):
        return _("Private chat")
    return channel_label(channel.kind, channel.name)


def target_text(channel: Channel, owner: User) -> str:
    """Where a channel's alerts go, as HTML: the chat, the address, the URL (shortened)."""
    if is_private_chat(channel, owner):
        return _("this chat with me")
    if channel.kind == NotificationChannel.TELEGRAM:
        chat = f"<code>{esc(channel.target)}</code>"
        if channel.thread_id is None:
            return chat
        return _("{chat}, topic {topic}").format(chat=chat, topic=channel.thread_id)
    return esc(cut(channel.target, TARGET_SHOWN))


def state_text(channel: Channel, reason_shown: int) -> str:
    """On, or off with why (the reason cut to `reason_shown`), as HTML."""
    if channel.enabled:
        return _("on")
    if channel.disabled_reason:
        return _("off: {reason}").format(reason=esc(cut(channel.disabled_reason, reason_shown)))
    return _("off")


def url_prompt(kind: str) -> str:
    """What the add flow asks for a channel of `kind` (its transport's form)."""
    return url_forms()[kind].prompt() + "\n" + _("/cancel to stop.")


def secret_text(secret: str) -> str:
    """A new webhook's signing secret, in full only this once, and how requests are signed."""
    header = "<code>X-Uptime-Signature: sha256=&lt;hex&gt;</code>"
    return "\n".join(
        [
            _("🔑 The signing secret of this webhook:"),
            f"<code>{esc(secret)}</code>",
            _("Copy it now: it is shown only this once."),
            _(
                "Every request carries the header {header}: the HMAC-SHA256 of the request "
                "body, keyed with this secret, in hex. Compute it and compare before you "
                "trust a request."
            ).format(header=header),
        ]
    )


def fit(lines: list[str], limit: int = LIST_ROOM) -> list[str]:
    """As many of `lines` as fit in `limit` characters, and "…" when some were left out
    (the buttons below still name every channel)."""
    kept, size = [], 0
    for line in lines:
        size += len(line) + 1
        if size > limit:
            return [*kept, "…"]
        kept.append(line)
    return kept


# --- screens ------------------------------------------------------------------------


def _button(kb: InlineKeyboardBuilder, text: str, action: str, channel_id: int = 0) -> None:
    kb.button(text=text, callback_data=ChannelCb(action=action, id=channel_id))


async def list_screen(user: User) -> tuple[str, InlineKeyboardMarkup]:
    channels = await channels_of(user)
    head = [
        _("<b>Alert channels</b>: {count} of {max}").format(count=len(channels), max=MAX_CHANNELS),
        _(
            "⭐ marks the defaults: every monitor without a list of its own alerts them "
            "(a monitor's own list: 🔔 Alerts on its card)."
        ),
        "",
    ]
    lines = [
        f"{'⭐' if channel.is_default else '▫️'} "
        f"<b>{esc(cut(channel_title(channel, user), LIST_NAME))}</b> · "
        f"{kind_word(channel.kind)}: {state_text(channel, LIST_REASON)}"
        for channel in channels
    ]
    kb = InlineKeyboardBuilder()
    for channel in channels:
        mark = ("⭐ " if channel.is_default else "") + ("" if channel.enabled else "⛔ ")
        _button(kb, mark + cut(channel_title(channel, user), BUTTON_NAME), "open", channel.id)
    if len(channels) < MAX_CHANNELS:
        _button(kb, _("➕ Add a channel"), "add")
    kb.button(text=_("⬅️ Back to settings"), callback_data=SettingsCb(action="show"))
    kb.adjust(1)
    return "\n".join(fit(head + lines)), kb.as_markup()


async def channel_screen(channel: Channel, owner: User) -> tuple[str, InlineKeyboardMarkup]:
    loc = locale()
    private = is_private_chat(channel, owner)
    email = channel.kind == NotificationChannel.EMAIL
    lines = [
        f"<b>{esc(channel_title(channel, owner))}</b>",
        _("Kind: {kind}").format(kind=kind_word(channel.kind)),
        _("Target: {target}").format(target=target_text(channel, owner)),
        _("State: {state}").format(state=state_text(channel, REASON_SHOWN)),
        _("⭐ Used for new monitors, and by every monitor that follows your defaults.")
        if channel.is_default
        else _("Not used for new monitors: only monitors that picked it alert it."),
        _("Last used: {when}").format(
            when=fmt_ago(channel.last_used_at, loc) if channel.last_used_at else _("never")
        ),
    ]
    if channel.last_error:
        lines.append(
            _("Last error ({when}): {error}").format(
                when=fmt_ago(channel.last_error_at, loc),
                error=esc(cut(channel.last_error, REASON_SHOWN)),
            )
        )
    if email:
        lines.append(_("Change or remove the address with the email buttons of /settings."))
    kb = InlineKeyboardBuilder()
    if channel.enabled:
        _button(kb, _("📨 Send a test"), "test", channel.id)
        _button(kb, _("🔕 Turn off"), "off", channel.id)
    else:
        _button(kb, _("🔔 Turn on"), "on", channel.id)
    _button(
        kb,
        ("✓ " if channel.is_default else "") + _("⭐ Use for new monitors"),
        "default",
        channel.id,
    )
    _button(kb, _("✏️ Rename"), "rename", channel.id)
    if not (private or email):  # those two come and go with the user and the address
        _button(kb, _("🗑 Delete"), "delete", channel.id)
    _button(kb, _("⬅️ Back"), "list")
    kb.adjust(2)
    return "\n".join(lines), kb.as_markup()


def add_screen(settings: Settings) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        _("<b>Add a channel</b>: which kind?"),
        _("Telegram groups and channels: add me there and send /link in the group."),
    ]
    if settings.smtp_host:
        lines.append(_("Email: add your address with ✉️ Add email in /settings."))
    kb = InlineKeyboardBuilder()
    kinds = list(url_forms())
    for kind in kinds:
        kb.button(text=kind_word(kind), callback_data=ChannelCb(action="kind", kind=kind))
    _button(kb, _("⬅️ Back"), "list")
    kb.adjust(len(kinds), 1)
    return "\n".join(lines), kb.as_markup()


async def routes_screen(
    monitor: Monitor, owner: User, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    """A monitor's channels as toggles, and "use my default channels"."""
    channels = await channels_of(owner)
    chosen = set(await monitor_channel_ids(monitor))
    lines = [
        _("🔔 <b>Alerts of {name}</b>").format(name=esc(cut(monitor.name, 128))),
        _("This monitor alerts the channels ticked below: a list of its own.")
        if monitor.custom_channels
        else _("This monitor follows your default channels (⭐)."),
        _("Tap a channel to add it to this monitor or take it away."),
    ]
    if not chosen:
        lines.append(_("⚠️ No channel is ticked: this monitor alerts nobody."))
    kb = InlineKeyboardBuilder()

    def route(text: str, action: str, channel_id: int = 0) -> None:
        kb.button(
            text=text,
            callback_data=RouteCb(action=action, id=monitor.id, channel=channel_id, page=page),
        )

    for channel in channels:
        name = ("⭐ " if channel.is_default else "") + cut(
            channel_title(channel, owner), BUTTON_NAME
        )
        if not channel.enabled:
            route(_("⛔ {name} (off)").format(name=name), "off", channel.id)
        else:
            route(("✅ " if channel.id in chosen else "▫️ ") + name, "toggle", channel.id)
    route(("" if monitor.custom_channels else "✓ ") + _("Use my default channels"), "defaults")
    kb.button(text=_("⬅️ Back"), callback_data=MonitorCb(action="open", id=monitor.id, page=page))
    kb.adjust(1)
    return "\n".join(lines), kb.as_markup()


# --- the list and a channel's screen ------------------------------------------------


async def pressed_channel(callback: CallbackQuery, owner: User, channel_id: int) -> Channel | None:
    """The channel a button names if it is `owner`'s; else the press is answered
    "Channel not found." and None returned."""
    channel = await channel_of(owner, channel_id)
    if channel is None:
        await callback.answer(_("Channel not found."), show_alert=True)
    return channel


async def show_list(callback: CallbackQuery, state: FSMContext, user: User) -> None:
    await state.clear()
    await callback.answer()
    await edit(callback, *await list_screen(user))


async def channel_action(
    callback: CallbackQuery, callback_data: ChannelCb, state: FSMContext, user: User
) -> None:
    channel = await pressed_channel(callback, user, callback_data.id)
    if channel is None:
        return
    action = callback_data.action
    if action == "test":
        await queue_test(channel)
        await callback.answer(_("Test queued: it arrives in a few seconds"))
        return
    if action == "rename":
        await callback.answer()
        await state.set_state(ChannelFlow.name)
        await state.update_data(channel_id=channel.id)
        await callback.message.answer(
            _("Send the new name of {name}.").format(name=esc(channel_title(channel, user)))
            + "\n"
            + _("/cancel to stop.")
        )
        return
    if action == "delete":
        await callback.answer()
        kb = InlineKeyboardBuilder()
        _button(kb, _("Yes, delete"), "delete_yes", channel.id)
        _button(kb, _("No, keep it"), "open", channel.id)
        await edit(
            callback,
            _(
                "Delete the channel <b>{name}</b>? Alerts waiting to go there are dropped, "
                "and no monitor alerts it any more."
            ).format(name=esc(channel_title(channel, user))),
            kb.as_markup(),
        )
        return
    if action == "delete_yes":
        try:
            await delete_channel(user, channel)
        except RuleError as error:
            await callback.answer(rule_text(error), show_alert=True)
            return
        await callback.answer(_("Deleted."))
        await edit(callback, *await list_screen(user))
        return
    if action in ("on", "off"):
        await set_enabled(channel, action == "on")
        await callback.answer(_("Channel on.") if channel.enabled else _("Channel off."))
    elif action == "default":
        await set_default(channel, not channel.is_default)
        await callback.answer()
    else:  # open
        await state.clear()
        await callback.answer()
    await edit(callback, *await channel_screen(channel, user))


async def got_name(message: Message, state: FSMContext, user: User) -> None:
    channel = await channel_of(user, (await state.get_data()).get("channel_id", 0))
    if channel is None:  # deleted meanwhile
        await state.clear()
        await message.answer(_("Channel not found."))
        return
    try:
        await rename(channel, message.text)
    except RuleError as error:
        await message.answer(rule_message(error) + "\n" + _("Try again, or /cancel."))
        return
    await state.clear()
    text, markup = await channel_screen(channel, user)
    await message.answer(_("✅ Renamed.") + "\n\n" + text, reply_markup=markup)


# --- adding a channel ---------------------------------------------------------------


async def add_start(callback: CallbackQuery, state: FSMContext, settings: Settings) -> None:
    await state.clear()
    await callback.answer()
    await edit(callback, *add_screen(settings))


async def pick_kind(callback: CallbackQuery, callback_data: ChannelCb, state: FSMContext) -> None:
    if callback_data.kind not in url_forms():
        await callback.answer(_("That value is not valid."), show_alert=True)
        return
    await callback.answer()
    await state.set_state(ChannelFlow.url)
    await state.update_data(channel_kind=callback_data.kind)
    await callback.message.answer(url_prompt(callback_data.kind))


async def got_url(message: Message, state: FSMContext, user: User, runtime: Runtime) -> None:
    kind = (await state.get_data()).get("channel_kind", "")
    if kind not in url_forms():  # state from an older version of the flow
        await state.clear()
        await message.answer(_("That value is not valid."))
        return
    try:
        channel, secret = await create_url_channel(
            user,
            kind,
            message.text,
            allow_private=runtime.allow_private(user.telegram_id),
            resolver=runtime.resolve,
        )
    except (RuleError, TargetError) as error:
        if error.code == "channel_quota":  # trying again cannot help
            await state.clear()
            await message.answer(rule_message(error))
        else:
            await message.answer(rule_message(error) + "\n" + url_prompt(kind))
        return
    await state.clear()
    if secret is not None:
        await message.answer(secret_text(secret))
    text, markup = await channel_screen(channel, user)
    await message.answer(_("✅ Channel added.") + "\n\n" + text, reply_markup=markup)


# --- a monitor's channels -----------------------------------------------------------


async def _owner_of(monitor: Monitor, user: User) -> User:
    """The monitor's owner: the presser, or (for an admin) whoever it is."""
    return user if monitor.owner_id == user.id else await User.get(id=monitor.owner_id)


async def routes_from_card(
    callback: CallbackQuery, callback_data: MonitorCb, user: User, is_admin: bool
) -> None:
    monitor = await pressed_monitor(callback, user, callback_data.id, is_admin)
    if monitor is None:
        return
    await callback.answer()
    owner = await _owner_of(monitor, user)
    await edit(callback, *await routes_screen(monitor, owner, callback_data.page))


async def route_action(
    callback: CallbackQuery, callback_data: RouteCb, user: User, is_admin: bool
) -> None:
    monitor = await pressed_monitor(callback, user, callback_data.id, is_admin)
    if monitor is None:
        return
    owner = await _owner_of(monitor, user)
    if callback_data.action == "defaults":
        await set_monitor_channels(monitor, None)
        await callback.answer(_("This monitor follows your default channels now."))
    else:
        channel = await pressed_channel(callback, owner, callback_data.channel)
        if channel is None:
            return
        if callback_data.action == "off":
            await callback.answer(
                _(
                    "This channel is off, so it cannot alert for this monitor. Turn it on "
                    "first: /settings, 🔔 Alert channels."
                ),
                show_alert=True,
            )
            return
        chosen = set(await monitor_channel_ids(monitor)) ^ {channel.id}
        try:
            await set_monitor_channels(monitor, sorted(chosen))
        except RuleError as error:
            await callback.answer(rule_text(error), show_alert=True)
            return
        await callback.answer()
    await edit(callback, *await routes_screen(monitor, owner, callback_data.page))


# --- the button under "a channel was turned off" ------------------------------------


async def reenable(callback: CallbackQuery, callback_data: ChannelCb, user: User) -> None:
    channel = await pressed_channel(callback, user, callback_data.id)
    if channel is None:
        return
    await set_enabled(channel, True)
    await callback.answer(_("Channel on again."))
    # The button has done its work; the alert stays as a record of what happened.
    with suppress(TelegramBadRequest):
        await callback.message.edit_reply_markup(reply_markup=None)


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    router = Router(name="channels")
    router.callback_query.register(show_list, ChannelCb.filter(F.action == "list"))
    router.callback_query.register(add_start, ChannelCb.filter(F.action == "add"))
    router.callback_query.register(pick_kind, ChannelCb.filter(F.action == "kind"))
    router.callback_query.register(reenable, ChannelCb.filter(F.action == "reenable"))
    router.callback_query.register(channel_action, ChannelCb.filter(F.action.in_(CHANNEL_ACTIONS)))
    router.callback_query.register(routes_from_card, MonitorCb.filter(F.action == "channels"))
    router.callback_query.register(route_action, RouteCb.filter())
    router.message.register(got_url, ChannelFlow.url, TEXT_INPUT)
    router.message.register(got_name, ChannelFlow.name, TEXT_INPUT)
    router.message.register(please_send_text, StateFilter(ChannelFlow.url, ChannelFlow.name))
    return router
