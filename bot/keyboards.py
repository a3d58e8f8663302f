"""Inline keyboards. Labels are translated when the keyboard is built (never lazily)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import (
    AddCb,
    AlertCb,
    ChannelCb,
    GroupCb,
    HelpCb,
    LangCb,
    MenuCb,
    MonitorCb,
    PageCb,
)
from core import kinds
from core.i18n import LANGUAGES, _, ngettext
from core.render import cut, state_emoji
from db.models import Monitor, MonitorState


def main_menu() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("➕ Add monitor"), callback_data=MenuCb(item="add"))
    kb.button(text=_("📋 My monitors"), callback_data=MenuCb(item="list"))
    kb.button(text=_("🛠 Maintenance"), callback_data=MenuCb(item="maint"))
    kb.button(text=_("⚙️ Settings"), callback_data=MenuCb(item="settings"))
    kb.button(text=_("🌐 Language"), callback_data=MenuCb(item="language"))
    kb.button(text=_("❓ Help"), callback_data=MenuCb(item="help"))
    kb.adjust(2)
    return kb.as_markup()


def help_topics() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for topic, label in help_topic_labels().items():
        kb.button(text=label, callback_data=HelpCb(topic=topic))
    kb.adjust(2)
    return kb.as_markup()


def help_topic_labels() -> dict[str, str]:
    return {
        "add": _("Adding monitors"),
        "alerts": _("Alert rules"),
        "maintenance": _("Maintenance"),
        "stats": _("Statistics"),
        "email": _("Email alerts"),
        "api": _("API token"),
        "language": _("Languages"),
        "pages": _("Status pages"),
    }


def languages() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for code, name in LANGUAGES.items():
        kb.button(text=name, callback_data=LangCb(code=code))
    kb.adjust(2)
    return kb.as_markup()


def monitor_picker(
    monitors: list[Monitor],
    page: int,
    pages: int,
    pick: Callable[[Monitor], CallbackData],
    turn: Callable[[int], CallbackData],
) -> InlineKeyboardBuilder:
    """One button per monitor (state emoji and name) calling `pick(monitor)`, then ◀️ ▶️
    calling `turn(page)`: the paged list of /monitors and of every "which monitor?"."""
    kb = InlineKeyboardBuilder()
    for monitor in monitors:
        kb.button(
            text=f"{state_emoji(monitor.state)} {cut(monitor.name, 40)}",
            callback_data=pick(monitor),
        )
    kb.adjust(1)
    nav = InlineKeyboardBuilder()
    if page > 0:
        nav.button(text="◀️", callback_data=turn(page - 1))
    if page + 1 < pages:
        nav.button(text="▶️", callback_data=turn(page + 1))
    kb.attach(nav)
    return kb


def monitor_list(monitors: list[Monitor], page: int, pages: int) -> InlineKeyboardMarkup:
    return monitor_picker(
        monitors,
        page,
        pages,
        lambda monitor: MonitorCb(action="open", id=monitor.id, page=page),
        lambda target: PageCb(page=target),
    ).as_markup()


def monitor_card(monitor: Monitor, page: int = 0) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()

    def button(text: str, action: str) -> None:
        kb.button(text=text, callback_data=MonitorCb(action=action, id=monitor.id, page=page))

    module = kinds.kind_module(monitor.kind)
    if getattr(module, "PROBED", True):  # a heartbeat waits for pings: nothing to check
        button(_("🔄 Check now"), "check")
    if hasattr(module, "issue_token"):  # a heartbeat's ping URL
        button(_("🔑 New ping URL"), "new_url")
    if monitor.paused or monitor.state == MonitorState.PAUSED:
        button(_("▶️ Resume"), "resume")
    else:
        button(_("⏸ Pause"), "pause")
    button(_("✏️ Edit"), "edit")
    button(_("📊 Stats"), "stats")
    button(_("🛠 Maintenance"), "maint")
    button(_("🔔 Alerts"), "channels")
    button(_("🏷 Badges"), "badges")
    button(_("🗑 Delete"), "delete")
    button(_("⬅️ Back to list"), "back")
    kb.adjust(2)
    return kb.as_markup()


def alert_buttons(monitor_id: int, *, mute: bool, check: bool = True) -> InlineKeyboardMarkup:
    """Under an alert: open the monitor's card, check it now (`check`: not for a kind
    nobody probes), and (for a monitor that is down) pause its alerts for an hour with a
    quick maintenance window."""
    kb = InlineKeyboardBuilder()
    kb.button(text=_("📋 Open monitor"), callback_data=AlertCb(action="open", id=monitor_id))
    if check:
        kb.button(text=_("🔄 Check now"), callback_data=AlertCb(action="check", id=monitor_id))
    if mute:
        kb.button(
            text=_("🔕 Pause alerts 1 h"), callback_data=AlertCb(action="mute", id=monitor_id)
        )
    kb.adjust(2)
    return kb.as_markup()


def channel_disabled_buttons(channel_id: int) -> InlineKeyboardMarkup:
    """Under the alert that a channel was turned off (NotificationKind.CHANNEL_DISABLED):
    turn it on again in one tap (bot/routers/channels.py checks it is the presser's)."""
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("🔔 Turn it on again"), callback_data=ChannelCb(action="reenable", id=channel_id)
    )
    return kb.as_markup()


def grouped_alert_buttons(unnamed: Sequence[int] = ()) -> InlineKeyboardMarkup:
    """Under the last message of a grouped alert: a list of the alerts it counted
    without naming (`unnamed`: their row ids, in order), and the user's monitors."""
    kb = InlineKeyboardBuilder()
    if unnamed:
        kb.button(
            text=ngettext("📋 Show {count} more", "📋 Show {count} more", len(unnamed)).format(
                count=len(unnamed)
            ),
            callback_data=GroupCb(action="open", first=unnamed[0], last=unnamed[-1]),
        )
    kb.button(text=_("📋 My monitors"), callback_data=MenuCb(item="list"))
    kb.adjust(1)
    return kb.as_markup()


def unnamed_alert_pages(first: int, last: int, page: int, pages: int) -> InlineKeyboardMarkup:
    """◀️ ▶️ under a page of the alerts a grouped message did not name."""
    kb = InlineKeyboardBuilder()
    if page > 0:
        kb.button(
            text="◀️", callback_data=GroupCb(action="page", first=first, last=last, page=page - 1)
        )
    if page + 1 < pages:
        kb.button(
            text="▶️", callback_data=GroupCb(action="page", first=first, last=last, page=page + 1)
        )
    return kb.as_markup()


def _confirm(
    monitor: Monitor, page: int, yes: str, action: str, back: str = "open"
) -> InlineKeyboardMarkup:
    """Yes (`action`) or "No, keep it" (`back`: the card, unless the question came from
    another screen of it), under a card's question."""
    kb = InlineKeyboardBuilder()
    kb.button(text=yes, callback_data=MonitorCb(action=action, id=monitor.id, page=page))
    kb.button(text=_("No, keep it"), callback_data=MonitorCb(action=back, id=monitor.id, page=page))
    kb.adjust(2)
    return kb.as_markup()


def confirm_delete(monitor: Monitor, page: int) -> InlineKeyboardMarkup:
    return _confirm(monitor, page, _("Yes, delete"), "delete_yes")


def confirm_new_url(monitor: Monitor, page: int) -> InlineKeyboardMarkup:
    return _confirm(monitor, page, _("Yes, make a new URL"), "new_url_yes")


def badge_links(monitor: Monitor, page: int) -> InlineKeyboardMarkup:
    """Under a monitor's badge links: make new ones (asked first), or back to the card."""
    kb = InlineKeyboardBuilder()
    for text, action in ((_("🔄 New badge links"), "badges_new"), (_("⬅️ Back"), "open")):
        kb.button(text=text, callback_data=MonitorCb(action=action, id=monitor.id, page=page))
    kb.adjust(2)
    return kb.as_markup()


def confirm_new_badges(monitor: Monitor, page: int) -> InlineKeyboardMarkup:
    return _confirm(monitor, page, _("Yes, make new links"), "badges_new_yes", back="badges")


def intervals(choices: tuple[int, ...]) -> InlineKeyboardMarkup:
    labels = {30: _("30 s"), 60: _("1 min"), 300: _("5 min"), 900: _("15 min")}
    kb = InlineKeyboardBuilder()
    for seconds in choices:
        kb.button(
            text=labels.get(seconds, f"{seconds} s"),
            callback_data=AddCb(step="interval", value=str(seconds)),
        )
    kb.button(text=_("Custom"), callback_data=AddCb(step="interval", value="custom"))
    kb.adjust(len(choices), 1)
    return kb.as_markup()


def advanced_choice() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Use defaults"), callback_data=AddCb(step="advanced", value="no"))
    kb.button(text=_("Advanced settings"), callback_data=AddCb(step="advanced", value="yes"))
    kb.adjust(2)
    return kb.as_markup()


def monitor_kinds() -> InlineKeyboardMarkup:
    """/add's first question: one button per registered kind and per preset."""
    kb = InlineKeyboardBuilder()
    for value, label, _help in kinds.add_choices():
        kb.button(text=str(label), callback_data=AddCb(step="kind", value=value))
    kb.adjust(2)
    return kb.as_markup()


def pasted_kinds(found: dict[str, dict[str, Any]]) -> InlineKeyboardMarkup:
    """The kinds a pasted text was understood as, each with its target."""
    kb = InlineKeyboardBuilder()
    for name, values in found.items():
        module = kinds.kind_module(name)
        shown = ", ".join(str(v) for v in values.values())
        kb.button(text=f"{module.LABEL}: {shown}", callback_data=AddCb(step="pasted", value=name))
    kb.adjust(1)
    return kb.as_markup()


def field_answers(
    declared: kinds.Field | kinds.Question, needed: bool = False
) -> InlineKeyboardMarkup | None:
    """The buttons under a field's (or a question's) question: its choices or
    suggestions, else "use the default" (with the value) when it has one, and "skip"
    when it may stay unset (and is not `needed`)."""
    kb = InlineKeyboardBuilder()
    offered = (*declared.choices, *declared.suggestions)
    for value, label in offered:
        kb.button(text=str(label), callback_data=AddCb(step="choice", value=value))
    if not offered and not declared.required and declared.default is not None:
        kb.button(
            text=_("Use the default: {value}").format(value=declared.default),
            callback_data=AddCb(step="default"),
        )
    if declared.optional and not needed:
        kb.button(text=_("Skip"), callback_data=AddCb(step="skip"))
    kb.adjust(3)
    return kb.as_markup() if list(kb.buttons) else None


def skip() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Skip"), callback_data=AddCb(step="skip"))
    return kb.as_markup()


def keyword_modes() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Must be present"), callback_data=AddCb(step="mode", value="present"))
    kb.button(text=_("Must be absent"), callback_data=AddCb(step="mode", value="absent"))
    kb.adjust(2)
    return kb.as_markup()


def methods() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for method in ("GET", "HEAD", "POST"):
        kb.button(text=method, callback_data=AddCb(step="method", value=method))
    kb.adjust(3)
    return kb.as_markup()


def save_or_cancel() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("✅ Save"), callback_data=AddCb(step="save"))
    kb.button(text=_("✖️ Cancel"), callback_data=AddCb(step="cancel"))
    kb.adjust(2)
    return kb.as_markup()


def monitor_toggles(
    choices: Sequence[tuple[Monitor, bool]],
    page: int,
    pages: int,
    toggle: Callable[[Monitor], CallbackData],
    turn: Callable[[int], CallbackData],
    done: CallbackData,
) -> InlineKeyboardMarkup:
    """A monitor picker of toggles: one button per monitor (✅ when it is in, ▫️ when
    not) calling `toggle(monitor)`, ◀️ ▶️ calling `turn(page)`, and Done (`done`)."""
    kb = InlineKeyboardBuilder()
    for monitor, on in choices:
        kb.button(
            text=f"{'✅' if on else '▫️'} {cut(monitor.name, 40)}", callback_data=toggle(monitor)
        )
    kb.adjust(1)
    nav = InlineKeyboardBuilder()
    if page > 0:
        nav.button(text="◀️", callback_data=turn(page - 1))
    if page + 1 < pages:
        nav.button(text="▶️", callback_data=turn(page + 1))
    kb.attach(nav)
    finish = InlineKeyboardBuilder()
    finish.button(text=_("✔️ Done"), callback_data=done)
    kb.attach(finish)
    return kb.as_markup()


def chat_monitor_toggles(
    choices: Sequence[tuple[Monitor, bool]], channel_id: int, page: int, pages: int
) -> InlineKeyboardMarkup:
    """The monitor picker of a linked chat: a monitor is ✅ when it alerts the chat."""
    from bot.callbacks import ChatLinkCb

    return monitor_toggles(
        choices,
        page,
        pages,
        lambda monitor: ChatLinkCb(
            action="toggle", channel=channel_id, monitor=monitor.id, page=page
        ),
        lambda target: ChatLinkCb(action="page", channel=channel_id, page=target),
        ChatLinkCb(action="done", channel=channel_id),
    )
