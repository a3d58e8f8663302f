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
from bot.messages import forget_secret, pressed_monitor
from bot.render import card, field_question, rule_message
from core import kinds
from core import monitor_rules as rules
from core.i18n import _
from core.monitors import editable_fields, update_monitor
from core.runtime import Runtime
from core.targets import TargetError
from core.users import monitor_of
from db.models import Monitor, User


class EditCb(CallbackData, prefix="ed"):
    field: str  # a field the monitor's kind may edit (core.monitors.editable_fields)
    id: int
    value: str = ""  # for choices; "-" clears an optional rule


class EditMonitor(StatesGroup):
    value = State()


# The fields every kind shares that the menu offers (the kind's own come from its
# declaration, core/kinds).
COMMON = ("name", "interval_seconds", "cert_warning_days", "failure_threshold", "success_threshold")


def common_labels() -> dict[str, str]:
    return {
        "name": _("Name"),
        "interval_seconds": _("Interval"),
        "cert_warning_days": _("Certificate warnings"),
        "failure_threshold": _("Failures before down"),
        "success_threshold": _("Successes before up"),
    }


def common_questions() -> dict[str, str]:
    return {
        "name": _("Send the new name."),
        "interval_seconds": _("Send the interval, for example 90s, 10m or 2h."),
        "cert_warning_days": _("Days before certificate expiry to warn at (default 14,7,3,1)."),
        "failure_threshold": _("How many failed checks in a row make the monitor down (1-20)?"),
        "success_threshold": _("How many good checks in a row make it up again (1-20)?"),
    }


def menu_fields(kind: str) -> dict[str, str]:
    """The fields a monitor of `kind` offers to edit, each with its label: the name, the
    kind's writable fields, then the other common ones the kind uses (a heartbeat has
    no interval nor certificate: core.monitors.editable_fields)."""
    editable = set(editable_fields(kind))
    common = {field: label for field, label in common_labels().items() if field in editable}
    own = {f.name: str(f.label) for f in kinds.fields_of(kind) if f.writable}
    return {"name": common.pop("name"), **own, **common}


def fields_keyboard(monitor: Monitor) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for field, label in menu_fields(monitor.kind).items():
        kb.button(text=label, callback_data=EditCb(field=field, id=monitor.id))
    kb.button(text=_("⬅️ Back"), callback_data=MonitorCb(action="open", id=monitor.id))
    kb.adjust(2)
    return kb.as_markup()


def value_keyboard(declared: kinds.Field | None, monitor: Monitor) -> InlineKeyboardMarkup | None:
    """A kind field's choices or suggestions, and "remove" for an optional one; None for
    plain text."""
    if declared is None or not (declared.choices or declared.suggestions or declared.optional):
        return None
    kb = InlineKeyboardBuilder()
    for value, label in (*declared.choices, *declared.suggestions):
        kb.button(
            text=str(label), callback_data=EditCb(field=declared.name, id=monitor.id, value=value)
        )
    if declared.optional:
        kb.button(
            text=_("Remove this rule"),
            callback_data=EditCb(field=declared.name, id=monitor.id, value="-"),
        )
    kb.adjust(3)
    return kb.as_markup()


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
    monitor = await pressed_monitor(callback, user, callback_data.id, is_admin)
    if monitor is None:
        return
    field = callback_data.field
    if field not in menu_fields(monitor.kind):  # forged, or another kind's field
        await callback.answer(_("Monitor not found."), show_alert=True)
        return
    declared = kinds.field_of(monitor.kind, field)
    if callback_data.value:  # a choice, or "-" to clear an optional rule
        await callback.answer()
        clear = callback_data.value == "-" and declared is not None and declared.optional
        await _apply(
            runtime, callback.message, state, monitor, field, None if clear else callback_data.value
        )
        return
    await callback.answer()
    if declared is not None and declared.choices:
        await callback.message.answer(
            str(declared.label), reply_markup=value_keyboard(declared, monitor)
        )
        return
    await state.set_state(EditMonitor.value)
    await state.update_data(edit_id=monitor.id, edit_field=field)
    question = field_question(declared) if declared is not None else common_questions()[field]
    await callback.message.answer(
        question + "\n/cancel", reply_markup=value_keyboard(declared, monitor)
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
    await forget_secret(message, kinds.field_of(monitor.kind, data["edit_field"]))
    await _apply(runtime, message, state, monitor, data["edit_field"], message.text)


async def _apply(
    runtime: Runtime,
    message: Message,
    state: FSMContext,
    monitor: Monitor,
    field: str,
    raw: str | None,
) -> None:
    try:
        await update_monitor(runtime, monitor, field, raw)
    except (rules.RuleError, TargetError) as error:
        await message.answer(rule_message(error))
        return
    await state.clear()
    await message.answer(
        _("Saved.") + "\n\n" + await card(monitor, runtime.settings),
        reply_markup=keyboards.monitor_card(monitor),
    )


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    router = Router(name="edit")
    router.callback_query.register(open_editor, MonitorCb.filter(F.action == "edit"))
    router.callback_query.register(choose_field, EditCb.filter())
    router.message.register(got_value, StateFilter(EditMonitor.value), TEXT_INPUT)
    return router
