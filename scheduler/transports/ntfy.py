"""ntfy (https://ntfy.sh or a server of one's own): a push notification to a topic's
phone and desktop subscribers, POSTed to the topic's URL.

The body is the alert's plain text (ntfy shows it as sent: no markup to escape),
headed by its subject; several alerts (GROUPS) are one notification listing up to
MAX_LISTED. Headers carry only ASCII, which is all an HTTP header safely holds: the
priority (urgent for down, default otherwise), tags ntfy shows as emoji, and for one
alert about a web monitor its URL as the notification's click target. A topic that
asks for a login answers 401 or 403: the channel is disabled, as nothing but a change
on the owner's side can fix it; the other answers are judged as for every HTTP kind.
ntfy.sh lets a visitor burst 60 requests, then one every 5 seconds: RATE keeps under it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from core.delivery import Outcome, Result
from core.i18n import _
from core.render import cut
from scheduler.transports.base import EVENT_NAMES, AlertItem, ChannelTarget, UrlForm
from scheduler.transports.chat import group_subject, is_web_url, more_line, render_item
from scheduler.transports.http import Answer, HttpRequest, HttpTransport

MAX_LISTED = 20
BODY_LIMIT = 4000  # characters of a message (ntfy turns longer ones into attachments)
PRIORITY = {"down": "urgent", "reminder": "high"}  # otherwise "default"
TAGS = {
    "down": "rotating_light",
    "reminder": "rotating_light",
    "up": "white_check_mark",
    "certificate": "warning",
    "test": "information_source",
}


def _as_is(_name: str, text: str) -> str:
    return text


def body(channel: ChannelTarget, items: Sequence[AlertItem]) -> str:
    """The notification's text for `items`."""
    listed = items[:MAX_LISTED]
    parts = []
    for item in listed:
        rendered = render_item(item, channel, _as_is)
        parts.append(f"{rendered.subject}\n{rendered.text}")
    if len(items) > len(listed):
        parts.append(more_line(len(items) - len(listed), channel.language))
    if len(items) > 1:
        parts.insert(0, group_subject(items, channel, _as_is))
    return cut("\n\n".join(parts), BODY_LIMIT)


class NtfyTransport(HttpTransport):
    kind: ClassVar[str] = "ntfy"
    GROUPS: ClassVar[bool] = True
    LABEL = staticmethod(lambda: _("ntfy"))
    FORM = UrlForm(
        prompt=lambda: _(
            "Send the URL of your ntfy topic, for example https://ntfy.sh/my-alerts "
            "(a server of your own works too)."
        ),
    )
    RATE: ClassVar[tuple[float, float]] = (1, 5.0)

    def request(self, channel: ChannelTarget, items: Sequence[AlertItem]) -> HttpRequest:
        events = [EVENT_NAMES[item.kind] for item in items]
        worst = "down" if "down" in events else events[0]
        headers = {
            "Content-Type": "text/plain; charset=utf-8",
            "Priority": PRIORITY.get(worst, "default"),
            "Tags": TAGS[worst],
        }
        url = str(items[0].payload.get("url", ""))
        if len(items) == 1 and is_web_url(url) and url.isascii():
            headers["Click"] = url
        return HttpRequest(body(channel, items).encode(), headers)

    def judge(self, answer: Answer) -> Outcome:
        if answer.status in (401, 403):
            return Outcome(Result.DISABLE_CHANNEL, f"ntfy topic refused: {answer.describe()}")
        return super().judge(answer)
