"""/monitors: the paged list, the monitor card and its buttons.

Every callback names a monitor by id; `monitor_of` checks it belongs to the user (or
the user is an admin), so a forged or stale button gets "not found" and changes nothing.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from tortoise.functions import Count

from bot import keyboards
from bot.callbacks import MenuCb, MonitorCb, PageCb
from bot.messages import edit, pressed_monitor
from bot.render import card, check_result, rule_text
from core.checks import MANUAL_CHECK_GAP, check_now, claim_check_by_hand
from core.i18n import _
from core.monitor_rules import RuleError
from core.monitors import monitor_page, pause_monitor, resume_monitor
from core.render import cut, esc
from core.runtime import Runtime
from core.settings import Settings
from db.models import Monitor, MonitorState, User

# The card's own buttons; Stats and Maintenance belong to their features' routers.
CARD_ACTIONS = {"open", "check", "pause", "resume", "delete", "delete_yes", "back"}


async def list_page(user: User, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of one page of the user's monitors (10 a page)."""
    counts = dict(
        await Monitor.filter(owner_id=user.id)
        .annotate(n=Count("id"))
        .group_by("state")
        .values_list("state", "n")
    )
    total = sum(counts.values())
    if not total:
        return _("You have no monitors yet. Add one with /add."), keyboards.main_menu()
    monitors, page, pages = await monitor_page(user.id, page, total)
    header = _(
        "<b>Your monitors</b>: {total} · 🟢 {up} · 🔴 {down} · ⏸ {paused} (page {page}/{pages})"
    ).format(
        total=total,
        up=counts.get(MonitorState.UP, 0),
        down=counts.get(MonitorState.DOWN, 0),
        paused=counts.get(MonitorState.PAUSED, 0),
        page=page + 1,
        pages=pages,
    )
    return header, keyboards.monitor_list(monitors, page, pages)


async def show_card(
    callback: CallbackQuery, monitor: Monitor, page: int, settings: Settings
) -> None:
    await edit(callback, await card(monitor, settings), keyboards.monitor_card(monitor, page))


async def manual_check(runtime: Runtime, callback: CallbackQuery, monitor: Monitor) -> str | None:
    """A check by hand from a button: refused (with the reason, as an alert) within
    MANUAL_CHECK_GAP of the last one; else the result's text, the monitor refreshed."""
    try:
        await claim_check_by_hand(monitor, MANUAL_CHECK_GAP)
    except RuleError as error:
        await callback.answer(rule_text(error), show_alert=True)
        return None
    await callback.answer(_("Checking…"))
    recorded = await check_now(runtime, monitor)
    await monitor.refresh_from_db()
    return check_result(monitor, recorded.result)


async def monitors_command(message: Message, user: User) -> None:
    text, markup = await list_page(user, 0)
    await message.answer(text, reply_markup=markup)


async def monitors_from_menu(callback: CallbackQuery, user: User) -> None:
    await callback.answer()
    text, markup = await list_page(user, 0)
    await callback.message.answer(text, reply_markup=markup)


async def turn_page(callback: CallbackQuery, callback_data: PageCb, user: User) -> None:
    await callback.answer()
    text, markup = await list_page(user, callback_data.page)
    await edit(callback, text, markup)


async def monitor_action(
    callback: CallbackQuery, callback_data: MonitorCb, user: User, is_admin: bool, runtime: Runtime
) -> None:
    monitor = await pressed_monitor(callback, user, callback_data.id, is_admin)
    if monitor is None:
        return
    action, page = callback_data.action, callback_data.page
    if action == "open":
        await callback.answer()
        await show_card(callback, monitor, page, runtime.settings)
    elif action == "check":
        text = await manual_check(runtime, callback, monitor)
        if text is not None:
            await edit(callback, text, keyboards.monitor_card(monitor, page))
    elif action == "pause":
        await pause_monitor(monitor)
        await callback.answer(_("Paused."))
        await show_card(callback, monitor, page, runtime.settings)
    elif action == "resume":
        await resume_monitor(monitor)
        await callback.answer(_("Resumed."))
        await show_card(callback, monitor, page, runtime.settings)
    elif action == "delete":
        await callback.answer()
        await edit(
            callback,
            _("Delete <b>{name}</b> and its whole history?").format(
                name=esc(cut(monitor.name, 128))
            ),
            keyboards.confirm_delete(monitor, page),
        )
    elif action == "delete_yes":
        await monitor.delete()
        await callback.answer(_("Deleted."))
        text, markup = await list_page(user, page)
        await edit(callback, text, markup)
    elif action == "back":
        await callback.answer()
        text, markup = await list_page(user, page)
        await edit(callback, text, markup)
    else:
        await callback.answer(_("Monitor not found."), show_alert=True)


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    router = Router(name="monitors")
    router.message.register(monitors_command, Command("monitors"))
    router.callback_query.register(monitors_from_menu, MenuCb.filter(F.item == "list"))
    router.callback_query.register(turn_page, PageCb.filter())
    router.callback_query.register(monitor_action, MonitorCb.filter(F.action.in_(CARD_ACTIONS)))
    return router
