"""/help: topics as buttons, one short page each."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot import keyboards
from bot.callbacks import HelpCb, MenuCb
from core.i18n import _


def intro() -> str:
    return _("What would you like to know?")


def topic_text(topic: str) -> str:
    texts = {
        "add": _(
            "<b>Adding monitors</b>\n/add starts a guided flow: the kind (a website, a TCP "
            "port...), its address, name, how often to check, and optional rules. "
            "/add https://example.com adds one with defaults at once. A heartbeat is the other "
            "way round: your cron job or script calls its URL each time it runs, and silence "
            "past its schedule and grace time is the alert. /monitors lists them; "
            "tap one to check it now, pause or delete it."
        ),
        "alerts": _(
            "<b>Alert rules</b>\nA monitor is down after 3 failed checks in a row (checked "
            "more often while failing) and up again after 2 good ones, so a single blip never "
            "wakes you. A check fails on a network error, an unexpected HTTP status, a missing "
            "(or unwanted) keyword, a slow answer over your threshold, or a bad certificate. "
            "Certificates are watched too: you are warned 14, 7 and 3 days and 1 day before expiry."
        ),
        "maintenance": _(
            "<b>Maintenance</b>\nDuring a maintenance window checks still run and are logged, "
            "but no incident opens and no alert is sent; uptime leaves that time out."
        ),
        "stats": _(
            "<b>Statistics</b>\nEach monitor's card shows its uptime over 24 hours; /stats "
            "sends a chart (latency over 24 hours or 7 days, daily uptime over 30 or 90 "
            "days; buttons switch the period) with uptime, incidents, downtime, time to "
            "recover and latency."
        ),
        "email": _(
            "<b>Email alerts</b>\nIn /settings add an email address and confirm it with the "
            "code we send; alerts then go there too."
        ),
        "api": _(
            "<b>API token</b>\nIn /settings create a token for the REST API; it is shown "
            "once, so keep it safe. Send it as the X-API-KEY header."
        ),
        "pages": _(
            "<b>Status pages</b>\nA status page shows your customers the state of the "
            "monitors you choose, at a public address, with 90 days of uptime. /pages makes "
            "one (a title, then its address), puts monitors on it in groups, and sets its "
            "description, logo and a note. Addresses and errors of monitors stay private "
            "unless you show a monitor's URL."
        ),
        "language": _(
            "<b>Languages</b>\nI speak English, Russian, Spanish and German. Choose with "
            "/language; otherwise I follow your Telegram language."
        ),
    }
    return texts.get(topic, intro())


async def help_command(message: Message) -> None:
    await message.answer(intro(), reply_markup=keyboards.help_topics())


async def help_from_menu(callback: CallbackQuery) -> None:
    await callback.answer()
    await callback.message.answer(intro(), reply_markup=keyboards.help_topics())


async def help_topic(callback: CallbackQuery, callback_data: HelpCb) -> None:
    await callback.answer()
    await callback.message.answer(
        topic_text(callback_data.topic), reply_markup=keyboards.help_topics()
    )


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    router = Router(name="help")
    router.message.register(help_command, Command("help"))
    router.callback_query.register(help_from_menu, MenuCb.filter(F.item == "help"))
    router.callback_query.register(help_topic, HelpCb.filter())
    return router
