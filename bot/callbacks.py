"""Callback data of every inline button. Packed strings stay well under Telegram's 64 bytes."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from core.stats import Window


class MenuCb(CallbackData, prefix="menu"):
    item: str  # add | list | stats | maint | settings | help


class MonitorCb(CallbackData, prefix="m"):
    action: str  # open | check | pause | resume | delete | delete_yes | stats | channels
    id: int
    page: int = 0


class AlertCb(CallbackData, prefix="al"):
    """The buttons under an alert: they answer with new messages, the alert stays."""

    action: str  # open | check | mute
    id: int


class GroupCb(CallbackData, prefix="ag"):
    """The alerts a grouped message counted without naming: the presser's alert rows
    with ids from `first` to `last` (core/unnamed_alerts.py). At most 53 bytes packed
    ("ag:open:" and two 19-digit ids and a page)."""

    action: str  # open (under the alert: a new message) | page (turns the list's page)
    first: int
    last: int
    page: int = 0


class StatsCb(CallbackData, prefix="st"):
    """A period of a monitor's statistics (core.stats.WINDOWS): any other name does
    not unpack, so the button filter rejects it (the fallback calls it stale)."""

    id: int
    window: Window


class PageCb(CallbackData, prefix="pg"):
    page: int


class HelpCb(CallbackData, prefix="help"):
    topic: str


class LangCb(CallbackData, prefix="lang"):
    code: str


class AddCb(CallbackData, prefix="add"):
    step: str  # interval | advanced | mode | save | cancel
    value: str = ""


class AdminCb(CallbackData, prefix="adm"):
    action: str  # broadcast_send | broadcast_cancel


class ChannelCb(CallbackData, prefix="ch"):
    """The alert channels of /settings (bot/routers/channels.py), and the button under
    the alert that a channel was turned off (`reenable`)."""

    # list | open | test | on | off | default | rename | delete | delete_yes | add |
    # kind (`kind`: which one to add) | reenable
    action: str
    id: int = 0
    kind: str = ""


class RouteCb(CallbackData, prefix="rt"):
    """A monitor's alert channels (its card's 🔔 Alerts): `id` the monitor, `channel` the
    channel a toggle names."""

    action: str  # toggle | off (a disabled channel: why it cannot be picked) | defaults
    id: int
    channel: int = 0
    page: int = 0


class ChatLinkCb(CallbackData, prefix="cl"):
    """The monitor picker of a linked group, topic or channel (bot/routers/groups.py):
    turn one monitor's alerts there on or off, turn the page, or finish."""

    action: str  # toggle | page | done
    channel: int
    monitor: int = 0
    page: int = 0


class StatusPageCb(CallbackData, prefix="sp"):
    """Status pages (bot/routers/pages.py): `id` the page, `monitor` and `group` what
    an action names on it, `what` the field an edit is about, `n` a list's page."""

    action: str
    id: int = 0
    monitor: int = 0
    group: int = 0
    what: str = ""
    n: int = 0
