"""Alert words for the chat transports (Slack, Discord): the bot's own texts
(core/alerts.render_alert) in the channel's language and zone, with the parts a user or
a target wrote (the monitor's name and URL, the check's error) put through the chat's
escaping first, so a monitor named `<!channel>` or `**x**` is shown, not obeyed; a test
alert's words; the colour of each state; the line counting alerts left out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from core.alerts import RenderedAlert, render_alert, render_group
from core.i18n import _, ngettext, use_locale
from scheduler.transports.base import EVENT_NAMES, TEST_KIND, AlertItem, ChannelTarget

# The payload fields (core/recording.py) whose text came from a user or a target.
USER_FIELDS = ("name", "url", "error", "message")

# (field name, its text) -> the text as the chat's markup shows it literally.
FieldMarkup = Callable[[str, str], str]

# By the webhook event name (base.EVENT_NAMES): red for down, green for up, amber for a
# certificate, grey for a test. As 0xRRGGBB numbers; Slack takes them as "#rrggbb".
COLORS = {
    "down": 0xD93025,
    "reminder": 0xD93025,
    "up": 0x1E8E3E,
    "certificate": 0xF9AB00,
    "test": 0x9AA0A6,
}
MORE_COLOR = COLORS["test"]  # the line counting alerts left out


def is_web_url(text: str) -> bool:
    """Whether a monitor's URL can be a link (a TCP or DNS monitor's "host:port" cannot)."""
    return text.startswith(("http://", "https://"))


def color_of(item: AlertItem) -> int:
    return COLORS[EVENT_NAMES[item.kind]]


def render_item(item: AlertItem, channel: ChannelTarget, markup: FieldMarkup) -> RenderedAlert:
    """`item`'s subject and plain text in the channel's language and zone, its
    user-controlled fields written by `markup`."""
    if item.kind == TEST_KIND:
        with use_locale(channel.language):
            subject = _("Test alert")
            text = _("This is a test: alerts of your monitors will arrive here.")
        return RenderedAlert(subject=subject, html=text, text=text)
    payload = dict(item.payload)
    for name in USER_FIELDS:
        if isinstance(payload.get(name), str):
            payload[name] = markup(name, payload[name])
    return render_alert(item.kind, payload, channel.language, channel.zone)


def group_subject(items: Sequence[AlertItem], channel: ChannelTarget, markup: FieldMarkup) -> str:
    """One line for several alerts, such as "[ALERTS] 3 down, 1 up" (the grouped
    Telegram and email subject); for one alert its own subject."""
    alerts = [(item.kind, dict(item.payload)) for item in items if item.kind != TEST_KIND]
    if len(items) == 1 or not alerts:
        return render_item(items[0], channel, markup).subject
    return render_group(alerts, channel.language, lambda _monitor: None, budget=None)[0].subject


def more_line(count: int, language: str) -> str:
    """The line counting the alerts a message does not list."""
    with use_locale(language):
        return ngettext("…and {count} more alert", "…and {count} more alerts", count).format(
            count=count
        )
