"""What the bot asks Telegram about a group or channel before linking it or letting
someone press its buttons there: whether a user is an admin of the chat, and whether
the bot may post in a channel. An answer Telegram refuses (the chat is gone, the bot
is not in it, the network) counts as "no": nothing is linked or changed on a doubt."""

from __future__ import annotations

from aiogram import Bot
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Chat, ChatMemberAdministrator

ADMIN_STATUSES = frozenset({ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR})
GROUP_CHATS = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})


def is_private(chat: Chat | None) -> bool:
    return chat is None or chat.type == ChatType.PRIVATE


async def is_chat_admin(bot: Bot, chat_id: int, user_id: int) -> bool:
    """Whether the user is the chat's creator or one of its administrators."""
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except TelegramAPIError:
        return False
    return member.status in ADMIN_STATUSES


async def bot_may_post(bot: Bot, chat_id: int) -> bool:
    """Whether the bot is an administrator of the channel allowed to post messages."""
    try:
        member = await bot.get_chat_member(chat_id, bot.id)
    except TelegramAPIError:
        return False
    return isinstance(member, ChatMemberAdministrator) and bool(member.can_post_messages)
