"""The card's Edit button: change any field with the same rules as /add."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import keyboards
from bot.callbacks import MonitorCb
from bot.filters import TEXT_INPUT
from bot.messages import pressed_monitor
from bot.render import card_uptime, monitor_card, rule_message
from core import monitor_rules as rules
from core.i18n import _
from core.monitors import update_monitor
from core.runtime import Runtime
from core.targets import TargetError
from core.users import monitor_of
from db.models import Monitor, User


class EditCb(CallbackData, prefix="ed"):
    field: str  # a short key of FIELDS
    id: int
    value: str = ""  # for choices; "-" clears an optional rule


class EditMonitor(StatesGroup):
    value = State()


# Short key (callback data stays small) -> model field.
FIELDS = {
    "n": "name",
    "u": "url",
    "i": "interval_seconds",
    "c": "accepted_status_codes",
    "l": "latency_threshold_ms",
    "k": "keyword",
    "km": "keyword_mode",
    "d": "cert_warning_days",
    "m": "method",
    "f": "failure_threshold",
    "s": "success_threshold",
}
CHOICES = {"km": ("present", "absent"), "m": ("GET", "HEAD", "POST")}
CLEARABLE = {"l", "k"}


def labels() -> dict[str, str]:
    return {
        "n": _("Name"),
        "u": _("Address"),
        "i": _("Interval"),
        "c": _("Status codes"),
        "l": _("Latency threshold"),
        "k": _("Keyword"),
        "km": _("Keyword mode"),
        "d": _("Certificate warnings"),
        "m": _("Method"),
        "f": _("Failures before down"),
        "s": _("Successes before up"),
    }


def questions() -> dict[str, str]:
    return {
        "n": _("Send the new name."),
        "u": _("Send the new address."),
        "i": _("Send the interval, for example 90s, 10m or 2h."),
        "c": _("Which HTTP status codes mean up? For example 200-299,301 (default 200-399)."),
        "l": _("Latency threshold in ms: slower answers count as failures (e.g. 2000)."),
        "k": _("A keyword to look for in the page (plain text, case-sensitive)."),
        "d": _("Days before certificate expiry to warn at (default 14,7,3,1)."),
        "f": _("How many failed checks in a row make the monitor down (1-20)?"),
        "s": _("How many good checks in a row make it up again (1-20)?"),
    }


def fields_keyboard(monitor: Monitor) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for key, label in labels().items():
        kb.button(text=label, callback_data=EditCb(field=key, id=monitor.id))
    kb.button(text=_("⬅️ Back"), callback_data=MonitorCb(action="open", id=monitor.id))
    kb.adjust(2)
    return kb.as_markup()


def value_keyboard(key: str, monitor: Monitor) -> InlineKeyboardMarkup | None:
    kb = InlineKeyboardBuilder()
    for choice in CHOICES.get(key, ()):
        kb.button(text=choice, callback_data=EditCb(field=key, id=monitor.id, value=choice))
    if key in CLEARABLE:
        kb.button(
            text=_("Remove this rule"), callback_data=EditCb(field=key, id=monitor.id, value="-")
        )
    kb.adjust(3)
    return kb.as_markup() if (key in CHOICES or key in CLEARABLE) else None


async def open_editor(
    callback: CallbackQuery, callback_data: MonitorCb, user: User, is_admin: bool
) -> None:
    monitor = await pressed_monitor(callback, user, callback_data.id, is_admin)
    if monitor is None:
        return
    await callback.answer()
    await callback.message.edit_text(
        _("What do you want to change?"), reply_markup=fields_keyboard(monitor)
    )


async def choose_field(
    callback: CallbackQuery,
    callback_data: EditCb,
    state: FSMContext,
    user: User,
    is_admin: bool,
    runtime: Runtime,
) -> None:
    if callback_data.field not in FIELDS:
        await callback.answer(_("Monitor not found."), show_alert=True)
        return
    monitor = await pressed_monitor(callback, user, callback_data.id, is_admin)
    if monitor is None:
        return
    key = callback_data.field
    if callback_data.value:  # a choice, or "-" to clear an optional rule
        await callback.answer()
        raw = None if callback_data.value == "-" and key in CLEARABLE else callback_data.value
        await _apply(runtime, callback.message, state, monitor, key, raw)
        return
    await callback.answer()
    if key in CHOICES:
        await callback.message.answer(labels()[key], reply_markup=value_keyboard(key, monitor))
        return
    await state.set_state(EditMonitor.value)
    await state.update_data(edit_id=monitor.id, edit_field=key)
    await callback.message.answer(
        questions()[key] + "\n/cancel", reply_markup=value_keyboard(key, monitor)
    )


async def got_value(
    message: Message, state: FSMContext, user: User, is_admin: bool, runtime: Runtime
) -> None:
    data = await state.get_data()
    monitor = await monitor_of(user, data.get("edit_id", 0), is_admin)
    if monitor is None:
        await state.clear()
        await message.answer(_("Monitor not found."))
        return
    await _apply(runtime, message, state, monitor, data["edit_field"], message.text)


async def _apply(
    runtime: Runtime,
    message: Message,
    state: FSMContext,
    monitor: Monitor,
    key: str,
    raw: str | None,
) -> None:
    try:
        await update_monitor(runtime, monitor, FIELDS[key], raw)
    except (rules.RuleError, TargetError) as error:
        await message.answer(rule_message(error))
        return
    await state.clear()
    await message.answer(
        _("Saved.") + "\n\n" + monitor_card(monitor, await card_uptime(monitor)),
        reply_markup=keyboards.monitor_card(monitor),
    )


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    router = Router(name="edit")
    router.callback_query.register(open_editor, MonitorCb.filter(F.action == "edit"))
    router.callback_query.register(choose_field, EditCb.filter())
    router.message.register(got_value, StateFilter(EditMonitor.value), TEXT_INPUT)
    return router
