"""/stats, /stats_<id> and the card's Stats button: a chart with the figures.

The statistics come as a photo (core/charts.py) with the figures of the shown period
as its caption and buttons to switch period: 24 h and 7 d show latency, 30 d and
90 d the daily uptime bars. Switching edits the photo in place (editMessageMedia).
"""

from __future__ import annotations

import re

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import AlertCb, MonitorCb, StatsCb
from bot.messages import pressed_monitor
from bot.render import locale, stats_caption
from core.charts import chart_png
from core.i18n import _
from core.render import cut, state_emoji
from core.settings import Settings
from core.stats import WINDOWS, last_incident, monitor_stats
from core.timezones import current_zone
from core.users import monitor_of
from db.models import Monitor, User

PICK_LIMIT = 100  # Telegram shows at most 100 inline buttons
FIRST_WINDOW = "24h"
CHART_KIND = {"24h": "latency", "7d": "latency", "30d": "uptime", "90d": "uptime"}


def period_buttons(monitor: Monitor, shown: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for window in WINDOWS:
        label = f"• {window} •" if window == shown else window
        kb.button(text=label, callback_data=StatsCb(id=monitor.id, window=window))
    kb.button(text=_("📋 Open monitor"), callback_data=AlertCb(action="open", id=monitor.id))
    kb.adjust(len(WINDOWS), 1)
    return kb.as_markup()


async def chart(monitor: Monitor, window: str, settings: Settings) -> tuple[BufferedInputFile, str]:
    """The photo and caption of `window`."""
    retention = settings.raw_retention_days
    windows = await monitor_stats(monitor.id, raw_retention_days=retention)
    shown = next(w for w in windows if w.window == window)
    caption = stats_caption(monitor, shown, windows, await last_incident(monitor.id))
    png = await chart_png(
        monitor,
        CHART_KIND[window],
        window,
        locale(),
        shown,
        tz=current_zone(),
        raw_retention_days=retention,
    )
    return BufferedInputFile(png, filename=f"monitor-{monitor.id}-{window}.png"), caption


async def send_stats(message: Message, monitor: Monitor, settings: Settings) -> None:
    photo, caption = await chart(monitor, FIRST_WINDOW, settings)
    await message.answer_photo(
        photo, caption=caption, reply_markup=period_buttons(monitor, FIRST_WINDOW)
    )


async def stats_command(message: Message, user: User, settings: Settings) -> None:
    """Without a number: pick a monitor (or show the only one)."""
    monitors = await Monitor.filter(owner_id=user.id).order_by("id").limit(PICK_LIMIT)
    if not monitors:
        await message.answer(_("You have no monitors yet. Add one with /add."))
        return
    if len(monitors) == 1:
        await send_stats(message, monitors[0], settings)
        return
    kb = InlineKeyboardBuilder()
    for monitor in monitors:
        kb.button(
            text=f"{state_emoji(monitor.state)} {cut(monitor.name, 40)}",
            callback_data=MonitorCb(action="stats", id=monitor.id),
        )
    await message.answer(_("Statistics of which monitor?"), reply_markup=kb.adjust(1).as_markup())


async def stats_of(
    message: Message, command: CommandObject, user: User, is_admin: bool, settings: Settings
) -> None:
    """/stats_<id>"""
    monitor = await monitor_of(user, int(command.regexp_match.group(1)), is_admin)
    if monitor is None:
        await message.answer(_("Monitor not found."))
        return
    await send_stats(message, monitor, settings)


async def stats_button(
    callback: CallbackQuery,
    callback_data: MonitorCb,
    user: User,
    is_admin: bool,
    settings: Settings,
) -> None:
    """The card's (or the picker's) Stats button: the chart as a new message."""
    monitor = await pressed_monitor(callback, user, callback_data.id, is_admin)
    if monitor is None:
        return
    await callback.answer()
    await send_stats(callback.message, monitor, settings)


async def switch_period(
    callback: CallbackQuery, callback_data: StatsCb, user: User, is_admin: bool, settings: Settings
) -> None:
    monitor = await pressed_monitor(callback, user, callback_data.id, is_admin)
    if monitor is None:
        return
    await callback.answer()
    photo, caption = await chart(monitor, callback_data.window, settings)
    await callback.message.edit_media(
        InputMediaPhoto(media=photo, caption=caption),
        reply_markup=period_buttons(monitor, callback_data.window),
    )


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    router = Router(name="stats")
    router.message.register(stats_of, Command(re.compile(r"stats_(\d{1,9})")))
    router.message.register(stats_command, Command("stats"))
    router.callback_query.register(stats_button, MonitorCb.filter(F.action == "stats"))
    router.callback_query.register(switch_period, StatsCb.filter())
    return router
