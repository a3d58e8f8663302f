"""/stats, /stats_<id> and the card's Stats button: figures from core.stats."""

from __future__ import annotations

import re

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import MonitorCb
from bot.messages import pressed_monitor
from bot.render import stats_text
from core.i18n import _
from core.render import cut, state_emoji
from core.stats import last_incident, monitor_stats
from core.users import monitor_of
from db.models import Monitor, User

PICK_LIMIT = 100  # Telegram shows at most 100 inline buttons


async def render(monitor: Monitor) -> str:
    return stats_text(monitor, await monitor_stats(monitor.id), await last_incident(monitor.id))


def back_to_card(monitor: Monitor, page: int = 0):
    kb = InlineKeyboardBuilder()
    kb.button(text=_("⬅️ Back"), callback_data=MonitorCb(action="open", id=monitor.id, page=page))
    return kb.as_markup()


async def stats_command(message: Message, user: User) -> None:
    """Without a number: pick a monitor (or show the only one)."""
    monitors = await Monitor.filter(owner_id=user.id).order_by("id").limit(PICK_LIMIT)
    if not monitors:
        await message.answer(_("You have no monitors yet. Add one with /add."))
        return
    if len(monitors) == 1:
        await message.answer(await render(monitors[0]), reply_markup=back_to_card(monitors[0]))
        return
    kb = InlineKeyboardBuilder()
    for monitor in monitors:
        kb.button(
            text=f"{state_emoji(monitor.state)} {cut(monitor.name, 40)}",
            callback_data=MonitorCb(action="stats", id=monitor.id),
        )
    await message.answer(_("Statistics of which monitor?"), reply_markup=kb.adjust(1).as_markup())


async def stats_of(message: Message, command: CommandObject, user: User, is_admin: bool) -> None:
    """/stats_<id>"""
    monitor = await monitor_of(user, int(command.regexp_match.group(1)), is_admin)
    if monitor is None:
        await message.answer(_("Monitor not found."))
        return
    await message.answer(await render(monitor), reply_markup=back_to_card(monitor))


async def stats_button(
    callback: CallbackQuery, callback_data: MonitorCb, user: User, is_admin: bool
) -> None:
    monitor = await pressed_monitor(callback, user, callback_data.id, is_admin)
    if monitor is None:
        return
    await callback.answer()
    await callback.message.edit_text(
        await render(monitor), reply_markup=back_to_card(monitor, callback_data.page)
    )


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    router = Router(name="stats")
    router.message.register(stats_of, Command(re.compile(r"stats_(\d{1,9})")))
    router.message.register(stats_command, Command("stats"))
    router.callback_query.register(stats_button, MonitorCb.filter(F.action == "stats"))
    return router
