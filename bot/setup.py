"""Creating the Bot and the Dispatcher from settings."""

from __future__ import annotations

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from core.settings import Settings


def feature_routers() -> list[Router]:
    """Hook: one Router per feature, added by the bot issue. None yet, so updates that
    arrive are accepted and ignored."""
    return []


def create_bot(settings: Settings) -> Bot:
    """A Bot talking to TELEGRAM_API_URL (Telegram's, or a self-hosted Bot API server)."""
    assert settings.telegram_bot_token is not None
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(
        settings.telegram_bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def create_dispatcher(settings: Settings) -> Dispatcher:
    dispatcher = Dispatcher(settings=settings)
    for router in feature_routers():
        dispatcher.include_router(router)
    return dispatcher
