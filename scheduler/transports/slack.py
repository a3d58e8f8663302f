"""Slack, through an incoming webhook (https://hooks.slack.com/services/...).

One message for one or several alerts: a top-level `text` (what notifications and
clients without Block Kit show: the subject), and one attachment per alert, coloured
by its state, holding a section block with the alert's words. At most MAX_LISTED
alerts are listed; a last attachment counts the rest.

Slack's mrkdwn reads `&`, `<` and `>` as markup (`<!channel>` pings everyone,
`<https://x|y>` is a link), so the parts a user or a target wrote are escaped; the
monitor's URL becomes a link when it is http(s).

Slack answers 200 "ok". A webhook whose channel was archived or deleted, or whose app
was removed, answers 403/404/410 with one of GONE_REASONS: the channel is disabled.
Slack allows about one message a second per webhook: RATE.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from core.delivery import Outcome, Result
from core.i18n import _
from core.render import cut
from scheduler.transports.base import AlertItem, ChannelTarget, UrlForm
from scheduler.transports.chat import (
    MORE_COLOR,
    color_of,
    group_subject,
    is_web_url,
    more_line,
    render_item,
)
from scheduler.transports.http import Answer, HttpRequest, HttpTransport

MAX_LISTED = 20
SECTION_LIMIT = 3000  # characters of a section block's text
GONE_REASONS = frozenset({"channel_is_archived", "no_service", "no_active_hooks", "invalid_token"})


def escape(text: str) -> str:
    """Literal text in Slack's mrkdwn (https://api.slack.com/reference/surfaces/formatting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def field_markup(name: str, text: str) -> str:
    """A user-controlled payload field as mrkdwn: the URL as a link when it is one."""
    if name == "url" and is_web_url(text):
        return f"<{escape(text)}>"
    return escape(text)


def _attachment(item: AlertItem, channel: ChannelTarget) -> dict[str, Any]:
    rendered = render_item(item, channel, field_markup)
    words = cut(f"*{rendered.subject}*\n{rendered.text}", SECTION_LIMIT)
    return {
        "color": f"#{color_of(item):06x}",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": words}}],
    }


def message(channel: ChannelTarget, items: Sequence[AlertItem]) -> dict[str, Any]:
    """The webhook's JSON for `items`."""
    listed = items[:MAX_LISTED]
    attachments = [_attachment(item, channel) for item in listed]
    if len(items) > len(listed):
        more = escape(more_line(len(items) - len(listed), channel.language))
        attachments.append(
            {
                "color": f"#{MORE_COLOR:06x}",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": more}}],
            }
        )
    return {"text": group_subject(items, channel, field_markup), "attachments": attachments}


class SlackTransport(HttpTransport):
    kind: ClassVar[str] = "slack"
    GROUPS: ClassVar[bool] = True
    LABEL = staticmethod(lambda: _("Slack"))
    FORM = UrlForm(
        prompt=lambda: _("Send the Slack incoming webhook URL: https://hooks.slack.com/services/…"),
        hosts=frozenset({"hooks.slack.com"}),
        path_prefix="/services/",
        refusal="slack_url",
    )
    RATE: ClassVar[tuple[float, float]] = (1, 1.0)

    def request(self, channel: ChannelTarget, items: Sequence[AlertItem]) -> HttpRequest:
        return HttpRequest.of_json(message(channel, items))

    def judge(self, answer: Answer) -> Outcome:
        if answer.status == 404 or (
            answer.status in (403, 410) and answer.text.strip() in GONE_REASONS
        ):
            return Outcome(Result.DISABLE_CHANNEL, f"Slack webhook gone: {answer.describe()}")
        return super().judge(answer)
