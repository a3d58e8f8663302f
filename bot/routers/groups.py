"""Telegram groups, supergroups, forum topics and channels as alert channels.

- The bot added to a group posts one message there: what it does, and how to link it.
- /link in a group (in a forum topic: that topic), by an admin of the group who has
  started the bot: the group becomes one of their alert channels, and in their private
  chat they pick the monitors that alert there (toggles, then Done).
- A channel: the user makes the bot an administrator allowed to post, then forwards a
  post of it to the bot, or sends its @username.
- /status in a group lists the monitors alerting it, to everyone, read only (buttons
  pressed in a group answer only its admins who are users: bot/middlewares.py).
- A group upgraded to a supergroup keeps its alerts (the service messages move the
  channels); the bot removed or kicked turns the chat's channels off, and each owner
  is told once.

What is linked, and how, is core/telegram_chats.py; what Telegram says about admins,
bot/chats.py.
"""

from __future__ import annotations

import math

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import (
    JOIN_TRANSITION,
    LEAVE_TRANSITION,
    ChatMemberUpdatedFilter,
    Command,
    StateFilter,
)
from aiogram.types import (
    CallbackQuery,
    Chat,
    ChatFullInfo,
    ChatMemberUpdated,
    InlineKeyboardMarkup,
    Message,
)

from bot import keyboards
from bot.callbacks import ChatLinkCb
from bot.chats import GROUP_CHATS, bot_may_post, is_chat_admin
from bot.messages import edit
from bot.render import state_name
from core.i18n import _, ngettext
from core.monitor_rules import RuleError
from core.render import cut, esc, state_emoji
from core.telegram_chats import (
    CHANNEL_TYPE,
    chat_removed,
    link_chat,
    linked_channel,
    linked_monitors,
    monitor_choices,
    move_chat,
    toggle_monitor,
)
from db.models import Channel, User

PICKER_PAGE = 8  # monitors a page of the picker
STATUS_MAX = 50  # monitors /status lists by name
IN_GROUPS = F.chat.type.in_(GROUP_CHATS)
IN_PRIVATE = F.chat.type == "private"
CHANNEL_USERNAME = r"^@[A-Za-z][A-Za-z0-9_]{3,31}$"


def chat_label(channel: Channel) -> str:
    """The chat's title as its owner sees it, escaped; a topic says which."""
    title = esc(cut(channel.name or channel.target, 64))
    if channel.thread_id is None:
        return title
    return _("{chat}, topic {topic}").format(chat=title, topic=channel.thread_id)


async def start_link(bot: Bot) -> str:
    username = (await bot.me()).username
    return f"https://t.me/{username}" if username else ""


# --- the bot joins or leaves ------------------------------------------------------------


async def bot_added(event: ChatMemberUpdated, bot: Bot) -> None:
    text = _(
        "Hello! I am an uptime monitor: I watch websites and servers and post here when "
        "one goes down and when it is back.\n\n"
        "A group admin who uses this bot sends /link here (in a topic, to get the alerts "
        "in that topic), then picks the monitors in a private chat with me. "
        "/status shows the monitors alerting this chat."
    )
    try:
        await bot.send_message(event.chat.id, text)
    except TelegramAPIError:  # not allowed to write here: /link still works
        return


async def bot_removed(event: ChatMemberUpdated) -> None:
    await chat_removed(event.chat.id)


async def group_migrated(message: Message) -> None:
    """The old group's last message: it is now the supergroup migrate_to_chat_id."""
    await move_chat(message.chat.id, message.migrate_to_chat_id)


async def supergroup_created(message: Message) -> None:
    """The new supergroup's first message (the other half of the same move)."""
    await move_chat(message.migrate_from_chat_id, message.chat.id)


# --- linking ---------------------------------------------------------------------------


async def link_in_group(message: Message, user: User | None, bot: Bot) -> None:
    sender = message.from_user
    if sender is None or sender.is_bot:  # an anonymous admin: we cannot tell who
        await message.reply(_("Send /link as yourself, not anonymously."))
        return
    if user is None:
        link = await start_link(bot)
        await message.reply(
            _("Start a private chat with me first: {link}\nThen send /link here again.").format(
                link=link
            )
        )
        return
    if not await is_chat_admin(bot, message.chat.id, sender.id):
        await message.reply(_("Only group admins can do this."))
        return
    thread = message.message_thread_id if message.is_topic_message else None
    channel = await linked(message, user, message.chat, thread)
    if channel is None:
        return
    if await offer_picker(bot, user, channel):
        text = _("✅ Linked. {name} picks in a private chat with me which monitors alert here.")
    else:
        text = _(
            "✅ Linked, but I cannot write to {name} privately. Start a chat with me, "
            "then send /link here again to pick the monitors."
        )
    await message.reply(text.format(name=esc(user.display_name or user.username or "")))


async def linked(
    message: Message, user: User, chat: Chat | ChatFullInfo, thread: int | None = None
) -> Channel | None:
    """The user's channel for `chat`, made or turned on again; None (and the reason
    said where `message` was written) when they have too many channels."""
    try:
        channel, _new = await link_chat(user, chat.id, chat.title or "", chat.type, thread)
    except RuleError as error:
        most = int(error.params.get("max", 0))
        await message.answer(
            ngettext(
                "You have {max} alert channel, the most allowed. Delete one first.",
                "You have {max} alert channels, the most allowed. Delete one first.",
                most,
            ).format(max=most)
        )
        return None
    return channel


async def link_help(message: Message) -> None:
    """/link in a private chat: how to link a group or a channel."""
    await message.answer(
        _(
            "<b>Alerts in a group or a channel</b>\n"
            "• A group: add me to it and send /link there (in a forum topic, to get the "
            "alerts in that topic). Only the group's admins can link it.\n"
            "• A channel: make me an administrator of it allowed to post messages, then "
            "forward me a post from it, or send its @username."
        )
    )


async def link_forwarded_channel(message: Message, user: User, bot: Bot) -> None:
    await link_channel(message, user, bot, message.forward_origin.chat.id)


async def link_channel_by_name(message: Message, user: User, bot: Bot) -> None:
    await link_channel(message, user, bot, message.text.strip())


async def link_channel(message: Message, user: User, bot: Bot, ref: int | str) -> None:
    """A channel the user named: the bot must be an administrator allowed to post
    there, and the user one of its admins."""
    try:
        chat = await bot.get_chat(ref)
    except TelegramAPIError:
        await message.answer(
            _(
                "I cannot find {chat}. Check the @username, or forward me a post from "
                "the channel instead."
            ).format(chat=esc(str(ref)))
        )
        return
    title = esc(cut(chat.title or str(chat.id), 64))
    if chat.type != CHANNEL_TYPE:
        await message.answer(
            _(
                "<b>{chat}</b> is not a channel. For a group, add me there and send /link in it."
            ).format(chat=title)
        )
        return
    if not await bot_may_post(bot, chat.id):
        await message.answer(
            _(
                "I am not an administrator of <b>{chat}</b> allowed to post messages. Add me "
                "as an administrator with “Post messages”, then forward me a post again."
            ).format(chat=title)
        )
        return
    if not await is_chat_admin(bot, chat.id, user.telegram_id):
        await message.answer(_("Only the admins of <b>{chat}</b> can link it.").format(chat=title))
        return
    channel = await linked(message, user, chat)
    if channel is not None:
        await message.answer(_("✅ <b>{chat}</b> is linked.").format(chat=title))
        await offer_picker(bot, user, channel)


# --- the monitor picker (private chat) -------------------------------------------------


async def picker_page(user: User, channel: Channel, page: int) -> tuple[str, InlineKeyboardMarkup]:
    """The picker's text and buttons at `page`."""
    choices = await monitor_choices(user, channel)
    pages = max(1, math.ceil(len(choices) / PICKER_PAGE))
    page = min(max(page, 0), pages - 1)
    text = _(
        "Which monitors alert <b>{chat}</b>? Tap one to turn it on ✅ or off, then Done."
    ).format(chat=chat_label(channel))
    if not choices:
        text += "\n\n" + _("You have no monitors yet. Add one with /add.")
    shown = choices[page * PICKER_PAGE : (page + 1) * PICKER_PAGE]
    return text, keyboards.chat_monitor_toggles(shown, channel.id, page, pages)


async def offer_picker(bot: Bot, user: User, channel: Channel) -> bool:
    """Send the picker to the user's private chat; False when Telegram refuses."""
    text, markup = await picker_page(user, channel, 0)
    try:
        await bot.send_message(user.telegram_id, text, reply_markup=markup)
    except TelegramAPIError:
        return False
    return True


async def picker_press(callback: CallbackQuery, callback_data: ChatLinkCb, user: User) -> None:
    channel = await linked_channel(user, callback_data.channel)
    if channel is None:
        await callback.answer(_("This chat is not linked any more."), show_alert=True)
        return
    toggled = callback_data.action == "toggle"
    if toggled and await toggle_monitor(user, channel, callback_data.monitor) is None:
        await callback.answer(_("Monitor not found."), show_alert=True)
        return
    await callback.answer()
    if callback_data.action == "done":
        count = sum(on for _monitor, on in await monitor_choices(user, channel))
        await edit(
            callback,
            ngettext(
                "Done: {count} monitor alerts <b>{chat}</b>.",
                "Done: {count} monitors alert <b>{chat}</b>.",
                count,
            ).format(count=count, chat=chat_label(channel)),
            None,
        )
        return
    text, markup = await picker_page(user, channel, callback_data.page)
    await edit(callback, text, markup)


# --- /status in a group ----------------------------------------------------------------


async def group_status(message: Message) -> None:
    monitors = await linked_monitors(message.chat.id)
    if not monitors:
        await message.answer(
            _(
                "No monitors alert this chat yet. A group admin who uses this bot links it "
                "with /link."
            )
        )
        return
    lines = [_("<b>Monitors alerting this chat</b>: {count}").format(count=len(monitors))]
    lines += [
        f"{state_emoji(m.state)} {esc(cut(m.name, 64))} — {state_name(m.state)}"
        for m in monitors[:STATUS_MAX]
    ]
    if len(monitors) > STATUS_MAX:
        more = len(monitors) - STATUS_MAX
        lines.append(_("…and {count} more").format(count=more))
    await message.answer("\n".join(lines))


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    router = Router(name="groups")
    router.my_chat_member.register(bot_added, IN_GROUPS, ChatMemberUpdatedFilter(JOIN_TRANSITION))
    router.my_chat_member.register(bot_removed, ChatMemberUpdatedFilter(LEAVE_TRANSITION))
    router.message.register(group_migrated, F.migrate_to_chat_id)
    router.message.register(supergroup_created, F.migrate_from_chat_id)
    router.message.register(link_in_group, IN_GROUPS, Command("link"))
    router.message.register(group_status, IN_GROUPS, Command("status"))
    router.message.register(link_help, IN_PRIVATE, Command("link"))
    router.message.register(
        link_forwarded_channel, IN_PRIVATE, StateFilter(None), F.forward_origin.type == "channel"
    )
    router.message.register(
        link_channel_by_name, IN_PRIVATE, StateFilter(None), F.text.regexp(CHANNEL_USERNAME)
    )
    router.callback_query.register(picker_press, ChatLinkCb.filter())
    return router
