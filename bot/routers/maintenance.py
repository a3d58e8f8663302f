"""/maintenance: start a window now (15 min, 1 h, 4 h or a typed length), schedule one
(start and end typed in the user's time zone), and list the running and upcoming windows with an End
button each. Entry points: the command, the main menu's button and the monitor card's.

The scope of a new window is one monitor (picked from the user's, or the card's) or all
of the user's monitors. Every button that names a monitor or a window is checked with
`monitor_of` / `window_of`, so a forged or stale one gets "not found" and changes nothing.
The rules (lengths, times, limits) live in core.maintenance; this module parses, calls
and renders.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import keyboards
from bot.callbacks import MenuCb, MonitorCb
from bot.filters import TEXT_INPUT
from bot.messages import edit, please_send_text, pressed_monitor
from bot.render import locale
from core.i18n import _, ngettext
from core.maintenance import (
    MAX_WINDOW,
    WindowError,
    count_current_windows,
    current_windows,
    end_window,
    format_time,
    open_window,
    parse_length,
    parse_start,
    parse_time,
    start_window,
    window_of,
)
from core.monitors import monitor_page
from core.render import cut, esc, fmt_datetime
from core.rule_texts import window_message
from core.timezones import current_zone, is_repeated, zone_name
from core.users import monitor_of
from db.models import MaintenanceWindow, Monitor, User

LIST_SIZE = 10  # windows shown in the list; the rest are counted
QUICK_LENGTHS = (15 * 60, 3600, 4 * 3600)
ALL = 0  # the `monitor` of a callback or of the flow's data: every monitor of the user


class MaintCb(CallbackData, prefix="mnt"):
    action: str  # home | pick | list | scope | now | custom | schedule
    monitor: int = ALL
    seconds: int = 0
    page: int = 0


class WindowCb(CallbackData, prefix="mwin"):
    id: int


class MaintFlow(StatesGroup):
    length = State()
    starts = State()
    ends = State()


# --- texts ------------------------------------------------------------------------------


def scope_text(monitor: Monitor | None) -> str:
    if monitor is None:
        return _("all your monitors")
    return f"<b>{esc(cut(monitor.name, 128))}</b>"


def reason_text(reason: str) -> str:
    """The stored reason; the one core.maintenance.pause_alerts writes is translated."""
    return {"alerts paused": _("alerts paused")}.get(reason, reason)


def example_time() -> str:
    """A time to show in prompts: the next full hour, in the user's zone."""
    next_hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return format_time(next_hour, current_zone())


def typing_hints(**extra: str) -> dict[str, str]:
    """What refusals of a typed time name: the user's zone and an example in it."""
    return {"zone": zone_name(current_zone()), "example": example_time(), **extra}


def repeated_note(moment: datetime) -> str:
    """A line saying which of two equal wall times was taken, when clocks go back then."""
    if not is_repeated(moment, current_zone()):
        return ""
    return "\n" + _(
        "That time occurs twice in {zone} because the clocks go back; I took the first "
        "one, {moment}."
    ).format(zone=zone_name(current_zone()), moment=fmt_datetime(moment, locale()))


def started_text(window: MaintenanceWindow, monitor: Monitor | None) -> str:
    return _(
        "🛠 Maintenance is on for {scope} until {end}. Checks keep running; no alerts until then."
    ).format(scope=scope_text(monitor), end=fmt_datetime(window.ends_at, locale()))


def scheduled_text(window: MaintenanceWindow, monitor: Monitor | None) -> str:
    loc = locale()
    return _("🗓 Maintenance scheduled for {scope}: {start} – {end}.").format(
        scope=scope_text(monitor),
        start=fmt_datetime(window.starts_at, loc),
        end=fmt_datetime(window.ends_at, loc),
    )


# --- views (text and buttons) -------------------------------------------------------------


async def home_view(user: User) -> tuple[str, InlineKeyboardMarkup]:
    monitors = await Monitor.filter(owner_id=user.id).count()
    total = await count_current_windows(user)
    lines = [
        _(
            "<b>Maintenance</b>\nDuring a window checks still run and are logged, but no "
            "incident opens and no alert is sent."
        ),
        _("Running or upcoming windows: {count}").format(count=total),
        "",
        _("What should a new window cover?")
        if monitors
        else _("You have no monitors yet. Add one with /add."),
    ]
    kb = InlineKeyboardBuilder()
    if monitors:
        kb.button(text=_("🖥 One monitor"), callback_data=MaintCb(action="pick"))
        kb.button(text=_("🌐 All my monitors"), callback_data=MaintCb(action="scope"))
    kb.button(text=_("📋 Running and upcoming"), callback_data=MaintCb(action="list"))
    kb.adjust(2, 1)
    return "\n".join(lines), kb.as_markup()


async def pick_view(user: User, page: int) -> tuple[str, InlineKeyboardMarkup]:
    total = await Monitor.filter(owner_id=user.id).count()
    if not total:
        return await home_view(user)
    monitors, page, pages = await monitor_page(user.id, page, total)
    kb = keyboards.monitor_picker(
        monitors,
        page,
        pages,
        lambda monitor: MaintCb(action="scope", monitor=monitor.id, page=page),
        lambda target: MaintCb(action="pick", page=target),
    )
    back = InlineKeyboardBuilder()
    back.button(text=_("⬅️ Back"), callback_data=MaintCb(action="home"))
    kb.attach(back)
    text = _("Which monitor should the window cover? (page {page}/{pages})").format(
        page=page + 1, pages=pages
    )
    return text, kb.as_markup()


def scope_view(monitor: Monitor | None, back: CallbackData) -> tuple[str, InlineKeyboardMarkup]:
    """What to do for one monitor (or all): start now for a length, or schedule."""
    target = monitor.id if monitor is not None else ALL
    text = "\n".join(
        [
            _("🛠 Maintenance for {scope}").format(scope=scope_text(monitor)),
            _("Start a window now, or schedule one for later. Checks keep running; no alerts."),
        ]
    )
    labels = {15 * 60: _("15 min"), 3600: _("1 h"), 4 * 3600: _("4 h")}
    kb = InlineKeyboardBuilder()
    for seconds in QUICK_LENGTHS:
        kb.button(
            text=labels[seconds],
            callback_data=MaintCb(action="now", monitor=target, seconds=seconds),
        )
    kb.button(text=_("✏️ Other length"), callback_data=MaintCb(action="custom", monitor=target))
    kb.button(text=_("🗓 Schedule"), callback_data=MaintCb(action="schedule", monitor=target))
    kb.button(text=_("⬅️ Back"), callback_data=back)
    kb.adjust(3, 2, 1)
    return text, kb.as_markup()


def done_markup(window: MaintenanceWindow | None = None) -> InlineKeyboardMarkup:
    """After a window was made: end it at once (when it runs), or see them all."""
    kb = InlineKeyboardBuilder()
    if window is not None:
        kb.button(text=_("⏹ End now"), callback_data=WindowCb(id=window.id))
    kb.button(text=_("📋 Running and upcoming"), callback_data=MaintCb(action="list"))
    kb.adjust(1)
    return kb.as_markup()


async def list_view(user: User) -> tuple[str, InlineKeyboardMarkup]:
    windows, total = await current_windows(user, limit=LIST_SIZE)
    kb = InlineKeyboardBuilder()
    if not windows:
        kb.button(text=_("➕ New window"), callback_data=MaintCb(action="home"))
        return _("No maintenance window is running or scheduled."), kb.as_markup()
    loc, now = locale(), datetime.now(UTC)
    lines = [_("<b>Maintenance windows</b>, running or upcoming: {count}").format(count=total)]
    for number, window in enumerate(windows, 1):
        running = window.starts_at <= now
        status = _("running") if running else _("upcoming")
        scope = (
            _("all your monitors")
            if window.monitor is None
            else f"<b>{esc(cut(window.monitor.name, 64))}</b>"
        )
        lines.append("")
        lines.append(f"{number}. {'🛠' if running else '🗓'} {scope} ({status})")
        lines.append(f"{fmt_datetime(window.starts_at, loc)} – {fmt_datetime(window.ends_at, loc)}")
        if window.reason:
            lines.append(f"<i>{esc(cut(reason_text(window.reason), 100))}</i>")
        kb.button(
            text=_("⏹ End {number}").format(number=number), callback_data=WindowCb(id=window.id)
        )
    if total > len(windows):
        lines.append("")
        lines.append(_("…and {count} more.").format(count=total - len(windows)))
    kb.adjust(3)
    new = InlineKeyboardBuilder()
    new.button(text=_("➕ New window"), callback_data=MaintCb(action="home"))
    kb.attach(new)
    return "\n".join(lines), kb.as_markup()


# --- helpers ----------------------------------------------------------------------------


async def leave_flow(state: FSMContext) -> None:
    """Forget a half-typed maintenance window (other features' flows are left alone)."""
    if await state.get_state() in MaintFlow:
        await state.clear()


async def flow_monitor(
    message: Message, state: FSMContext, user: User, is_admin: bool
) -> tuple[bool, Monitor | None]:
    """The scope kept in the flow, checked again (the monitor may be gone by now)."""
    monitor_id = (await state.get_data()).get("monitor", ALL)
    if monitor_id == ALL:
        return True, None
    monitor = await monitor_of(user, monitor_id, is_admin)
    if monitor is None:
        await state.clear()
        await message.answer(_("Monitor not found."))
        return False, None
    return True, monitor


# --- handlers ---------------------------------------------------------------------------


async def maintenance_command(message: Message, state: FSMContext, user: User) -> None:
    await state.clear()
    text, markup = await home_view(user)
    await message.answer(text, reply_markup=markup)


async def maintenance_from_menu(callback: CallbackQuery, state: FSMContext, user: User) -> None:
    await leave_flow(state)
    await callback.answer()
    text, markup = await home_view(user)
    await callback.message.answer(text, reply_markup=markup)


async def from_card(
    callback: CallbackQuery, callback_data: MonitorCb, state: FSMContext, user: User, is_admin: bool
) -> None:
    monitor = await pressed_monitor(callback, user, callback_data.id, is_admin)
    if monitor is None:
        return
    await leave_flow(state)
    await callback.answer()
    back = MonitorCb(action="open", id=monitor.id, page=callback_data.page)
    await edit(callback, *scope_view(monitor, back))


async def maint_action(
    callback: CallbackQuery, callback_data: MaintCb, state: FSMContext, user: User, is_admin: bool
) -> None:
    monitor = None
    if callback_data.monitor != ALL:
        monitor = await pressed_monitor(callback, user, callback_data.monitor, is_admin)
        if monitor is None:
            return
    action = callback_data.action
    await leave_flow(state)
    if action == "home":
        await callback.answer()
        await edit(callback, *await home_view(user))
    elif action == "pick":
        await callback.answer()
        await edit(callback, *await pick_view(user, callback_data.page))
    elif action == "list":
        await callback.answer()
        await edit(callback, *await list_view(user))
    elif action == "scope":
        back = (
            MaintCb(action="pick", page=callback_data.page)
            if monitor is not None
            else MaintCb(action="home")
        )
        await callback.answer()
        await edit(callback, *scope_view(monitor, back))
    elif action == "now":
        try:
            length = parse_length(callback_data.seconds)
            window = await start_window(user, length, monitor=monitor)
        except WindowError as error:
            await callback.answer(window_message(error), show_alert=True)
            return
        await callback.answer(_("Maintenance started."))
        await edit(callback, started_text(window, monitor), done_markup(window))
    elif action == "custom":
        await state.set_state(MaintFlow.length)
        await state.update_data(monitor=callback_data.monitor)
        await callback.answer()
        await callback.message.answer(
            ngettext(
                "How long should maintenance last for {scope}? Send a length such as 90m, "
                "2h or 1d (at most {days} day).\n/cancel to stop.",
                "How long should maintenance last for {scope}? Send a length such as 90m, "
                "2h or 1d (at most {days} days).\n/cancel to stop.",
                MAX_WINDOW.days,
            ).format(scope=scope_text(monitor), days=MAX_WINDOW.days)
        )
    elif action == "schedule":
        await state.set_state(MaintFlow.starts)
        await state.update_data(monitor=callback_data.monitor)
        await callback.answer()
        await callback.message.answer(
            _(
                "When should maintenance for {scope} start? Send the date and time in your "
                "time zone ({zone}) as YYYY-MM-DD HH:MM, for example {example}.\n"
                "/cancel to stop."
            ).format(scope=scope_text(monitor), **typing_hints())
        )
    else:
        await callback.answer(_("This button is no longer valid."), show_alert=True)


async def got_length(message: Message, state: FSMContext, user: User, is_admin: bool) -> None:
    try:
        length = parse_length(message.text)
    except WindowError as error:
        await message.answer(window_message(error) + "\n" + _("Try again, or /cancel."))
        return
    found, monitor = await flow_monitor(message, state, user, is_admin)
    if not found:
        return
    try:
        window = await start_window(user, length, monitor=monitor)
    except WindowError as error:
        await message.answer(window_message(error) + "\n" + _("Try again, or /cancel."))
        return
    await state.clear()
    await message.answer(started_text(window, monitor), reply_markup=done_markup(window))


async def got_start(message: Message, state: FSMContext) -> None:
    try:
        starts_at = parse_start(message.text, tz=current_zone())
    except WindowError as error:
        await message.answer(
            window_message(error, **typing_hints()) + "\n" + _("Try again, or /cancel.")
        )
        return
    await state.update_data(starts_at=starts_at.isoformat())
    await state.set_state(MaintFlow.ends)
    await message.answer(
        ngettext(
            "Starts {start}. When should it end? Send the date and time in your time zone "
            "({zone}) as YYYY-MM-DD HH:MM (at most {days} day later).",
            "Starts {start}. When should it end? Send the date and time in your time zone "
            "({zone}) as YYYY-MM-DD HH:MM (at most {days} days later).",
            MAX_WINDOW.days,
        ).format(
            start=fmt_datetime(starts_at, locale()),
            zone=zone_name(current_zone()),
            days=MAX_WINDOW.days,
        )
        + repeated_note(starts_at)
    )


async def got_end(message: Message, state: FSMContext, user: User, is_admin: bool) -> None:
    starts_at = datetime.fromisoformat((await state.get_data())["starts_at"])
    reasons = typing_hints(start=fmt_datetime(starts_at, locale()))
    try:
        ends_at = parse_time(message.text, current_zone())
    except WindowError as error:
        await message.answer(window_message(error, **reasons) + "\n" + _("Try again, or /cancel."))
        return
    found, monitor = await flow_monitor(message, state, user, is_admin)
    if not found:
        return
    try:
        window = await open_window(user, starts_at, ends_at, monitor=monitor)
    except WindowError as error:
        await message.answer(window_message(error, **reasons) + "\n" + _("Try again, or /cancel."))
        return
    await state.clear()
    running = window.starts_at <= datetime.now(UTC)
    text = started_text(window, monitor) if running else scheduled_text(window, monitor)
    markup = done_markup(window if running else None)
    await message.answer(text + repeated_note(ends_at), reply_markup=markup)


async def end(callback: CallbackQuery, callback_data: WindowCb, user: User, is_admin: bool) -> None:
    window = await window_of(user, callback_data.id, is_admin)
    if window is None:
        await callback.answer(_("Maintenance window not found."), show_alert=True)
        return
    dropped = await end_window(window)
    await callback.answer(_("Scheduled window cancelled.") if dropped else _("Maintenance ended."))
    await edit(callback, *await list_view(user))


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    router = Router(name="maintenance")
    router.message.register(maintenance_command, Command("maintenance"))
    router.callback_query.register(maintenance_from_menu, MenuCb.filter(F.item == "maint"))
    router.callback_query.register(from_card, MonitorCb.filter(F.action == "maint"))
    router.callback_query.register(maint_action, MaintCb.filter())
    router.callback_query.register(end, WindowCb.filter())
    router.message.register(got_length, MaintFlow.length, TEXT_INPUT)
    router.message.register(got_start, MaintFlow.starts, TEXT_INPUT)
    router.message.register(got_end, MaintFlow.ends, TEXT_INPUT)
    router.message.register(
        please_send_text, StateFilter(MaintFlow.length, MaintFlow.starts, MaintFlow.ends)
    )
    return router
