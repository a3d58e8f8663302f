"""Creating the Bot and the Dispatcher from settings, and the command menu."""

from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ChatType, ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.types import BotCommand, BotCommandScopeAllGroupChats

from bot.in_flight import track_updates
from bot.middlewares import GroupButtonsMiddleware, UserLocaleMiddleware, UserMiddleware
from bot.routers import (
    add,
    admin,
    alerts,
    badges,
    cancel,
    channels,
    edit,
    fallback,
    groups,
    help,
    language,
    maintenance,
    monitors,
    pages,
    push,
    settings,
    start,
    stats,
)
from core.i18n import LANGUAGES, _, i18n, use_locale
from core.runtime import Runtime
from core.settings import Settings

log = logging.getLogger(__name__)


def feature_routers() -> list[Router]:
    """One Router per feature. /cancel comes first (it works in every state), the
    fallback hint last (it takes whatever nobody else did). Messages in groups and
    channels go to the groups router only (/link, /status, the chat's moves): the
    others answer private chats. Buttons pressed in a group reach every router, past
    the admin check of GroupButtonsMiddleware."""
    features = (
        cancel,
        start,
        admin,
        help,
        language,
        add,
        monitors,
        push,
        badges,
        alerts,
        edit,
        stats,
        maintenance,
        settings,
        channels,
        pages,
        groups,
        fallback,
    )
    routers = [feature.create_router() for feature in features]
    for router in routers:
        if router.name != "groups":
            router.message.filter(F.chat.type == ChatType.PRIVATE)
    return routers


def create_bot(settings: Settings) -> Bot:
    """A Bot talking to TELEGRAM_API_URL (Telegram's, or a self-hosted Bot API server)."""
    assert settings.telegram_bot_token is not None
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(
        settings.telegram_bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def create_storage(settings: Settings) -> BaseStorage:
    """Conversation state: in memory, or in Redis so several replicas share it."""
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(settings.redis_url)
    return MemoryStorage()


def create_dispatcher(runtime: Runtime) -> Dispatcher:
    """The dispatcher with every feature router. Handlers reach the process's shared
    objects as workflow data: a `settings` or `runtime` parameter gets them."""
    settings = runtime.settings
    storage = create_storage(settings)
    # One update of a user at a time: a double tap on Save or Send must not run twice.
    isolation = storage.create_isolation() if settings.redis_url else SimpleEventIsolation()
    dispatcher = Dispatcher(
        storage=storage, events_isolation=isolation, settings=settings, runtime=runtime
    )
    track_updates(dispatcher)  # shutdown lets running handlers finish (bot/in_flight.py)
    users = UserMiddleware(settings)
    dispatcher.message.outer_middleware(users)
    dispatcher.callback_query.outer_middleware(users)
    UserLocaleMiddleware(i18n).setup(dispatcher)
    # After the locale: its refusals are in the presser's language.
    dispatcher.callback_query.outer_middleware(GroupButtonsMiddleware())
    for router in feature_routers():
        dispatcher.include_router(router)
    return dispatcher


def commands() -> list[BotCommand]:
    """The command menu in the current locale."""
    items = [
        ("start", _("Main menu")),
        ("add", _("Add a monitor")),
        ("monitors", _("Your monitors")),
        ("stats", _("Statistics")),
        ("maintenance", _("Maintenance windows")),
        ("settings", _("Settings")),
        ("pages", _("Public status pages")),
        ("link", _("Alerts in a group or channel")),
        ("language", _("Language")),
        ("help", _("Help")),
        ("cancel", _("Cancel the current step")),
    ]
    return [BotCommand(command=name, description=text) for name, text in items]


def group_commands() -> list[BotCommand]:
    """The command menu of groups, in the current locale."""
    items = [
        ("link", _("Send alerts of your monitors here (admins)")),
        ("status", _("Monitors alerting this chat")),
    ]
    return [BotCommand(command=name, description=text) for name, text in items]


def allowed_updates(dispatcher: Dispatcher) -> list[str]:
    """The update types the bot asks Telegram for: those its handlers take, with
    my_chat_member (the bot added to or removed from a group or channel) always."""
    return sorted({*dispatcher.resolve_used_update_types(), "my_chat_member"})


async def register_commands(bot: Bot) -> None:
    """setMyCommands for every language, in private chats and in groups; a failure
    is logged, never fatal."""
    groups = BotCommandScopeAllGroupChats()
    for code in LANGUAGES:
        with use_locale(code):
            menus = ((commands(), None), (group_commands(), groups))
        for menu, scope in menus:
            try:
                await bot.set_my_commands(
                    menu, scope=scope, language_code=None if code == "en" else code
                )
            except Exception as exc:
                log.warning("could not register the command menu for %s: %s", code, exc)
