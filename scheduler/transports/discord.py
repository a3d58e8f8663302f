"""Discord, through a channel webhook (https://discord.com/api/webhooks/<id>/<token>).

One message for one or several alerts: one embed per alert (title the subject, the
alert's words, its state's colour, the monitor's URL as the title's link when it is
http(s), the alert's time). Discord takes at most MAX_EMBEDS embeds a message and
TOTAL_LIMIT characters over all of them: beyond MAX_EMBEDS alerts the last embed
counts the rest, and each embed's text is cut to its share of the total.

Names, URLs and errors are a user's or a target's words: their markdown is escaped,
and `allowed_mentions` parses nothing, so a monitor named "@everyone" pings nobody.

A 404 means the webhook was deleted: the channel is disabled. A 429 carries
`retry_after` (seconds, a float) in its JSON body, preferred to the header; and every
answer's `X-RateLimit-Remaining: 0` with `X-RateLimit-Reset-After` pauses the webhook
until its bucket refills, before Discord has to say 429. Discord allows about 5
messages per 2 seconds per webhook: RATE.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC
from typing import Any, ClassVar

from core.delivery import Outcome, Result
from core.i18n import _
from core.render import cut
from scheduler.transports.base import AlertItem, ChannelTarget, UrlForm
from scheduler.transports.chat import MORE_COLOR, color_of, is_web_url, more_line, render_item
from scheduler.transports.http import MAX_PAUSE, Answer, HttpRequest, HttpTransport

MAX_EMBEDS = 10
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
TOTAL_LIMIT = 6000  # characters of all embeds' titles and descriptions together
_MARKDOWN = re.compile(r"([\\*_~`|>#\-\[\]()<@])")


def escape(text: str) -> str:
    """Literal text in Discord's markdown: every markup character backslash-escaped."""
    return _MARKDOWN.sub(r"\\\1", text)


def _embed(item: AlertItem, channel: ChannelTarget, room: int) -> dict[str, Any]:
    rendered = render_item(item, channel, lambda _name, text: escape(text))
    title = cut(rendered.subject, TITLE_LIMIT)
    embed: dict[str, Any] = {
        "title": title,
        "description": cut(rendered.text, min(DESCRIPTION_LIMIT, room - len(title))),
        "color": color_of(item),
        "timestamp": item.created_at.astimezone(UTC).isoformat(),
    }
    url = item.payload.get("url")
    if isinstance(url, str) and is_web_url(url):
        embed["url"] = url
    return embed


def message(channel: ChannelTarget, items: Sequence[AlertItem]) -> dict[str, Any]:
    """The webhook's JSON for `items`."""
    listed = items if len(items) <= MAX_EMBEDS else items[: MAX_EMBEDS - 1]
    count = len(listed) + (len(items) > len(listed))
    room = TOTAL_LIMIT // count - 1
    embeds = [_embed(item, channel, room) for item in listed]
    if len(items) > len(listed):
        more = more_line(len(items) - len(listed), channel.language)
        embeds.append({"title": cut(more, TITLE_LIMIT), "color": MORE_COLOR})
    return {"content": None, "embeds": embeds, "allowed_mentions": {"parse": []}}


class DiscordTransport(HttpTransport):
    kind: ClassVar[str] = "discord"
    GROUPS: ClassVar[bool] = True
    LABEL = staticmethod(lambda: _("Discord"))
    FORM = UrlForm(
        prompt=lambda: _("Send the Discord webhook URL: https://discord.com/api/webhooks/…"),
        hosts=frozenset({"discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com"}),
        path_prefix="/api/webhooks/",
        refusal="discord_url",
    )
    RATE: ClassVar[tuple[float, float]] = (5, 2.0)

    def request(self, channel: ChannelTarget, items: Sequence[AlertItem]) -> HttpRequest:
        return HttpRequest.of_json(message(channel, items))

    def judge(self, answer: Answer) -> Outcome:
        if answer.status == 404:
            return Outcome(Result.DISABLE_CHANNEL, f"Discord webhook gone: {answer.describe()}")
        return super().judge(answer)

    def retry_after(self, answer: Answer) -> float:
        data = answer.json()
        wait = data.get("retry_after") if isinstance(data, dict) else None
        if isinstance(wait, int | float) and not isinstance(wait, bool) and wait >= 0:
            return min(MAX_PAUSE, float(wait))
        return super().retry_after(answer)

    def pause_after(self, answer: Answer, outcome: Outcome) -> float | None:
        pause = super().pause_after(answer, outcome)
        if pause is None and answer.headers.get("X-RateLimit-Remaining") == "0":
            try:
                pause = max(0.0, float(answer.headers.get("X-RateLimit-Reset-After", "")))
            except ValueError:
                pause = None
        return pause
