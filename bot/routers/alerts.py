"""The buttons under an alert: Open monitor, Check now, Pause alerts 1 h; and under a
grouped alert too long to name every monitor, the list of those it only counted.

They answer with new messages (the card, the check's result) and leave the alert as
it was, so the chat keeps a true record of what happened. Each press checks that the
monitor is the user's (bot/messages.pressed_monitor): an alert forwarded to someone
else, or a stale one, opens nothing; the list of a grouped alert shows only the
presser's own alerts (core/unnamed_alerts.py).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery

from bot import keyboards
from bot.callbacks import AlertCb, GroupCb
from bot.messages import edit, pressed_monitor
from bot.render import card, locale
from bot.routers.monitors import manual_check
from core.alerts import deep_link, render_unnamed_page
from core.i18n import _
from core.kinds import kind_module
from core.maintenance import WindowError, pause_alerts
from core.render import cut, esc, fmt_datetime
from core.rule_texts import window_message
from core.runtime import Runtime
from core.unnamed_alerts import unnamed_alerts
from db.models import User

MUTE_MINUTES = 60


async def alert_action(
    callback: CallbackQuery, callback_data: AlertCb, user: User, is_admin: bool, runtime: Runtime
) -> None:
    monitor = await pressed_monitor(callback, user, callback_data.id, is_admin)
    if monitor is None:
        return
    if callback_data.action == "open":
        await callback.answer()
        await callback.message.answer(
            await card(monitor, runtime.settings),
            reply_markup=keyboards.monitor_card(monitor),
        )
    elif callback_data.action == "check":
        text = await manual_check(runtime, callback, monitor)
        if text is not None:
            await callback.message.answer(text, reply_markup=keyboards.monitor_card(monitor))
    elif callback_data.action == "mute":
        try:
            window = await pause_alerts(monitor, MUTE_MINUTES, by=user)
        except WindowError as error:  # the owner's cap of windows is reached
            await callback.answer(window_message(error), show_alert=True)
            return
        await callback.answer(_("Alerts paused."))
        # The button has done its work: without it a second press cannot stack windows.
        await callback.message.edit_reply_markup(
            reply_markup=keyboards.alert_buttons(
                monitor.id, mute=False, check=getattr(kind_module(monitor.kind), "PROBED", True)
            )
        )
        until = fmt_datetime(window.ends_at, locale())
        await callback.message.answer(
            _("🔕 Alerts for <b>{name}</b> are paused until {until}.").format(
                name=esc(cut(monitor.name, 128)), until=until
            )
            + "\n"
            + _("Checks go on; /maintenance ends the pause sooner.")
        )
    else:
        await callback.answer(_("Monitor not found."), show_alert=True)


async def unnamed_alert_list(callback: CallbackQuery, callback_data: GroupCb, user: User) -> None:
    """A page of the alerts a grouped message counted without naming: a new message
    from the alert's button (the alert stays as it was), the same message edited by
    ◀️ ▶️."""
    found = await unnamed_alerts(
        user.id, callback_data.first, callback_data.last, callback_data.page
    )
    if found is None:
        await callback.answer(_("These alerts are not available."), show_alert=True)
        return
    await callback.answer()
    username = (await callback.bot.me()).username
    text = render_unnamed_page(
        found.items,
        found.total,
        found.page,
        found.pages,
        locale(),
        lambda monitor_id: deep_link(username, monitor_id),
    )
    markup = keyboards.unnamed_alert_pages(
        callback_data.first, callback_data.last, found.page, found.pages
    )
    if callback_data.action == "page":
        await edit(callback, text, markup)
    else:
        await callback.message.answer(text, reply_markup=markup)


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    router = Router(name="alerts")
    router.callback_query.register(alert_action, AlertCb.filter())
    router.callback_query.register(unnamed_alert_list, GroupCb.filter())
    return router
