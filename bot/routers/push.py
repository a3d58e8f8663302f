"""A heartbeat's ping URL: the card's 🔑 New ping URL button makes a new one after a
confirmation. The old URL stops working at once (core.monitors.rotate_push_token); the
new one is shown in full this once, with the examples /add showed.

As every card button, the press names a monitor by id, and pressed_monitor checks it
belongs to the presser (or an admin): a forged or stale button changes nothing.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery

from bot import keyboards
from bot.callbacks import MonitorCb
from bot.messages import edit, pressed_monitor
from bot.render import HEARTBEAT, card, ping_instructions, rule_text
from core.i18n import _
from core.monitor_rules import RuleError
from core.monitors import rotate_push_token
from core.render import cut, esc
from core.runtime import Runtime
from db.models import User

NEW_URL_ACTIONS = {"new_url", "new_url_yes"}


async def new_url(
    callback: CallbackQuery, callback_data: MonitorCb, user: User, is_admin: bool, runtime: Runtime
) -> None:
    monitor = await pressed_monitor(callback, user, callback_data.id, is_admin)
    if monitor is None:
        return
    page = callback_data.page
    if callback_data.action == "new_url":
        if monitor.kind != HEARTBEAT:  # no other kind has a ping URL
            await callback.answer(rule_text(RuleError("not_push")), show_alert=True)
            return
        await callback.answer()
        await edit(
            callback,
            _(
                "Make a new ping URL for <b>{name}</b>? The current one stops working at "
                "once: every job that pings it needs the new one."
            ).format(name=esc(cut(monitor.name, 128))),
            keyboards.confirm_new_url(monitor, page),
        )
        return
    try:
        token = await rotate_push_token(monitor)
    except RuleError as refusal:
        await callback.answer(rule_text(refusal), show_alert=True)
        return
    await callback.answer(_("New ping URL made."))
    settings = runtime.settings
    await edit(callback, await card(monitor, settings), keyboards.monitor_card(monitor, page))
    await callback.message.answer(ping_instructions(monitor, token, settings.public_base_url))


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    router = Router(name="push")
    router.callback_query.register(new_url, MonitorCb.filter(F.action.in_(NEW_URL_ACTIONS)))
    return router
