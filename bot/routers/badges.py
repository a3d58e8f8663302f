"""A monitor's public badges: the card's 🏷 Badges button shows their URLs with
snippets to paste (the badge token is made on that first press), and 🔄 New badge links
replaces them after a confirmation; the old URLs stop at once
(core.badges.rotate_badge_token).

As every card button, the press names a monitor by id, and pressed_monitor checks it
belongs to the presser (or an admin): a forged or stale button changes nothing.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery

from bot import keyboards
from bot.callbacks import MonitorCb
from bot.messages import edit, pressed_monitor
from bot.render import badge_links
from core.badges import badge_token_of, rotate_badge_token
from core.i18n import _
from core.render import cut, esc
from core.runtime import Runtime
from db.models import User

BADGE_ACTIONS = {"badges", "badges_new", "badges_new_yes"}


async def badges(
    callback: CallbackQuery, callback_data: MonitorCb, user: User, is_admin: bool, runtime: Runtime
) -> None:
    monitor = await pressed_monitor(callback, user, callback_data.id, is_admin)
    if monitor is None:
        return
    page = callback_data.page
    if callback_data.action == "badges_new":
        await callback.answer()
        await edit(
            callback,
            _(
                "Make new badge links for <b>{name}</b>? The current ones stop working at "
                "once: every page that shows them needs the new ones."
            ).format(name=esc(cut(monitor.name, 128))),
            keyboards.confirm_new_badges(monitor, page),
        )
        return
    if callback_data.action == "badges_new_yes":
        await rotate_badge_token(monitor)
        await callback.answer(_("New badge links made."))
    else:
        await badge_token_of(monitor)
        await callback.answer()
    await edit(
        callback,
        badge_links(monitor, runtime.settings.public_base_url),
        keyboards.badge_links(monitor, page),
    )


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    router = Router(name="badges")
    router.callback_query.register(badges, MonitorCb.filter(F.action.in_(BADGE_ACTIONS)))
    return router
