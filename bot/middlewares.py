"""Outer middlewares: who is writing (their User row), in which language to answer, and
in which time zone to show times."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from aiogram.utils.i18n import I18nMiddleware

from core.i18n import language_of
from core.settings import Settings
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
        if sender is None or sender.is_bot:
            return None  # channel posts and bots: nothing for us to do
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
