"""Outer middlewares: who is writing (their User row), in which language to answer, and
in which time zone to show times; and who may press the bot's buttons in a group.

In a private chat the sender is registered on first contact. In a group, supergroup or
channel nobody is: a member is a user once they have started the bot privately, and
until then handlers there get `user` None (bot/routers/groups.py tells them so)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, TelegramObject
from aiogram.utils.i18n import I18nMiddleware

from bot.chats import is_chat_admin, is_private
from core.i18n import _, language_of
from core.settings import Settings
from core.telegram_chats import registered_user
from core.timezones import use_zone
from core.users import touch_user


class UserMiddleware(BaseMiddleware):
    """Puts the sender's User row in `data["user"]` (registering them on first contact)
    and whether they are an admin in `data["is_admin"]`; times rendered while the update
    is handled are in the sender's zone."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        sender = data.get("event_from_user")
        if not is_private(data.get("event_chat")):
            known = sender is not None and not sender.is_bot
            data["user"] = await registered_user(sender.id) if known else None
            data["is_admin"] = known and self.settings.is_admin(sender.id)
            with use_zone(data["user"].timezone if data["user"] else None):
                return await handler(event, data)
        if sender is None or sender.is_bot:
            return None  # bots: nothing for us to do
        data["user"] = await touch_user(
            sender.id, sender.username, sender.full_name, sender.language_code
        )
        data["is_admin"] = self.settings.is_admin(sender.id)
        with use_zone(data["user"].timezone):
            return await handler(event, data)


class UserLocaleMiddleware(I18nMiddleware):
    """The user's chosen language, else Telegram's language_code, else English."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user = data.get("user")
        sender = data.get("event_from_user")
        return language_of(
            user.language if user else None, sender.language_code if sender else None
        )


class GroupButtonsMiddleware(BaseMiddleware):
    """A button pressed in a group or channel (an alert's Check now, Pause alerts...)
    does something only for an admin of that chat who is a user; anyone else is
    answered and nothing changes. What an admin may touch is then decided as in a
    private chat: their own monitors only (bot/messages.pressed_monitor)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat = data.get("event_chat")
        if not isinstance(event, CallbackQuery) or is_private(chat):
            return await handler(event, data)
        if not await is_chat_admin(event.bot, chat.id, event.from_user.id):
            await event.answer(_("Only group admins can do this."), show_alert=True)
            return None
        if data.get("user") is None:
            await event.answer(_("Start a private chat with me first."), show_alert=True)
            return None
        return await handler(event, data)
