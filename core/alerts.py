"""Alert texts, rendered from a notification row in the recipient's language at send time.

The engine stores facts in the row's payload (names, times, causes); the words come
from here, in the language and time zone the recipient has when the message goes out.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core.email_verification import CODE_TTL
from core.i18n import _, ngettext, use_locale
from core.probe import ErrorKind
from core.render import cut, esc, fmt_datetime, fmt_duration
from core.timezones import use_zone
from db.models import NotificationKind

CODE_MINUTES = int(CODE_TTL.total_seconds() // 60)


@dataclass
class RenderedAlert:
    subject: str  # for email: "[DOWN] name"
    html: str  # Telegram HTML; also the email's HTML body
    text: str  # plain text (email)


def cause_words(kind: str | None) -> str:
    """The cause of a failure in words (the same names the bot's cards and Check now use):
    one short translated text per probe ErrorKind; an unknown kind is shown escaped."""
    names = {
        ErrorKind.DNS: _("DNS lookup failed"),
        ErrorKind.CONNECT_REFUSED: _("connection refused"),
        ErrorKind.CONNECT_TIMEOUT: _("connection timed out"),
        ErrorKind.TIMEOUT: _("no response in time"),
        ErrorKind.TLS_INVALID: _("invalid TLS certificate"),
        ErrorKind.HTTP_STATUS: _("unexpected HTTP status"),
        ErrorKind.TOO_MANY_REDIRECTS: _("too many redirects"),
        ErrorKind.KEYWORD_MISSING: _("keyword not found"),
        ErrorKind.KEYWORD_FOUND: _("unwanted keyword found"),
        ErrorKind.SLOW: _("too slow"),
        ErrorKind.BODY_TOO_LARGE: _("page too large to search"),
        ErrorKind.BLOCKED: _("address not allowed"),
        ErrorKind.CONNECTION: _("connection error"),
        ErrorKind.INTERNAL: _("internal error"),
        ErrorKind.NXDOMAIN: _("domain does not exist"),
        ErrorKind.NO_ANSWER: _("no record of that type"),
        ErrorKind.UNEXPECTED_ANSWER: _("unexpected DNS answer"),
        ErrorKind.UNREACHABLE: _("host unreachable"),
        ErrorKind.PACKET_LOSS: _("packet loss"),
        ErrorKind.PING_NOT_PERMITTED: _("ping not permitted on the server"),
        ErrorKind.JSON_INVALID: _("answer is not JSON"),
        ErrorKind.JSON_QUERY_FAILED: _("JSON check failed"),
        ErrorKind.UNEXPECTED_UP: _("reachable, but should not be"),
        ErrorKind.MISSED: _("no ping in time"),
        ErrorKind.REPORTED_FAILURE: _("the job reported a failure"),
        ErrorKind.NEVER_FINISHED: _("started, never finished"),
    }
    return names.get(kind or "", esc(kind) if kind else _("unknown"))


# Causes a push monitor's job reports or its silence shows: what its alert quotes is
# the last ping's body, said so.
PUSH_CAUSES = frozenset({ErrorKind.MISSED, ErrorKind.REPORTED_FAILURE, ErrorKind.NEVER_FINISHED})


def _down_details(p: dict, lang: str) -> list[str]:
    """The DOWN alert's lines under the cause: the check's message, quoted (labelled as
    the last ping's words for a push cause), and for a run never finished, its start."""
    cause = p.get("cause")
    if cause not in PUSH_CAUSES:
        return [f"<code>{esc(cut(str(p['error']), 500))}</code>"] if p.get("error") else []
    lines = []
    # Rows queued before "message" existed carry only "error", the cause's code when
    # the check had no words.
    message = p["message"] if "message" in p else p.get("error")
    if message and message != cause:
        quoted = f"<code>{esc(cut(str(message), 500))}</code>"
        lines.append(_("Last ping said: {said}").format(said=quoted))
    started = (p.get("details") or {}).get("started_at")
    if cause == ErrorKind.NEVER_FINISHED and started:
        when = _when(started, lang)
        lines.append(_("The run started at {when} and reported no end").format(when=when))
    return lines


def _when(value: str | None, lang: str) -> str:
    return fmt_datetime(datetime.fromisoformat(value), lang) if value else "—"


def render_alert(kind: str, payload: dict, lang: str, zone: str | None = None) -> RenderedAlert:
    """The alert of `kind` with `payload`, in `lang`, its times in `zone` (a stored
    core.timezones name; None: UTC)."""
    with use_locale(lang), use_zone(zone):
        return _render(NotificationKind(kind), payload, lang)


def _render(kind: NotificationKind, p: dict, lang: str) -> RenderedAlert:
    name = esc(cut(str(p.get("name", "")), 128))
    url = esc(str(p.get("url", "")))
    plain_name = cut(str(p.get("name", "")), 128)
    if kind == NotificationKind.DOWN:
        subject = _("[DOWN] {name}").format(name=plain_name)
        lines = [
            _("🔴 <b>{name}</b> is down").format(name=name),
            url,
            _("Cause: {cause}").format(cause=cause_words(p.get("cause"))),
        ]
        lines.extend(_down_details(p, lang))
        lines.append(_("Since {since}").format(since=_when(p.get("since"), lang)))
    elif kind == NotificationKind.UP:
        subject = _("[UP] {name}").format(name=plain_name)
        lines = [
            _("🟢 <b>{name}</b> is up again").format(name=name),
            url,
            ngettext(
                "Down for {duration} ({cause}, {checks} failed check)",
                "Down for {duration} ({cause}, {checks} failed checks)",
                p.get("failed_checks", 0),
            ).format(
                duration=fmt_duration(p.get("downtime_seconds", 0), lang),
                cause=cause_words(p.get("cause")),
                checks=p.get("failed_checks", 0),
            ),
        ]
    elif kind == NotificationKind.REMINDER:
        subject = _("[STILL DOWN] {name}").format(name=plain_name)
        lines = [
            _("🔴 <b>{name}</b> is still down").format(name=name),
            url,
            _("Down for {duration}: {cause}").format(
                duration=fmt_duration(p.get("down_seconds", 0), lang),
                cause=cause_words(p.get("cause")),
            ),
        ]
    elif kind == NotificationKind.CERT_EXPIRING:
        subject = _("[CERTIFICATE] {name}").format(name=plain_name)
        lines = [
            ngettext(
                "⚠️ The certificate of <b>{name}</b> expires in {days} day",
                "⚠️ The certificate of <b>{name}</b> expires in {days} days",
                p.get("days_left", 0),
            ).format(name=name, days=p.get("days_left", 0)),
            url,
            _("Expiry: {when}").format(when=_when(p.get("expires_at"), lang)),
        ]
    elif kind == NotificationKind.EMAIL_VERIFICATION:
        subject = _("Your confirmation code")
        lines = [
            _("Your code to confirm this address: <b>{code}</b>").format(
                code=esc(p.get("code", ""))
            ),
            ngettext(
                "It is valid for {minutes} minute. If you did not ask for it, ignore this message.",
                "It is valid for {minutes} minutes. If you did not ask for it, ignore this "
                "message.",
                CODE_MINUTES,
            ).format(minutes=CODE_MINUTES),
        ]
    elif kind == NotificationKind.TEST:
        subject = _("Test alert")
        lines = [_("This is a test: alerts of your monitors will arrive here.")]
    elif kind == NotificationKind.CHANNEL_DISABLED:
        subject = _("An alert channel was turned off")
        lines = [
            _("⚠️ Alerts to <b>{channel}</b> failed for good, so that channel is off.").format(
                channel=esc(channel_label(p.get("channel_kind", ""), p.get("channel_name", "")))
            ),
            _("Reason: {reason}").format(reason=esc(cut(str(p.get("reason", "")), 300))),
            _("Fix it, then turn it on again with the button below."),
        ]
    else:  # broadcast: the admin's text, as typed
        subject = _("Announcement")
        lines = [esc(cut(str(p.get("text", "")), 3500))]
    # Every part is cut to its own limit above, so the whole stays under Telegram's 4096.
    body = "\n".join(lines)
    return RenderedAlert(subject=subject, html=body, text=_plain(body))


def channel_label(kind: str, name: str) -> str:
    """How a channel is called in messages: its name, else its kind's word (each
    transport names its kind; imported here, not at the top: the transports import
    this module)."""
    if name:
        return cut(name, 128)
    from scheduler.transports import TRANSPORTS

    transport = TRANSPORTS.get(kind)
    return transport.LABEL() if transport is not None else kind


def deep_link(bot_username: str | None, monitor_id: int | None) -> str | None:
    """https://t.me/<bot>?start=m<id>: opens the monitor's card in the bot (/start m<id>)."""
    if not bot_username or monitor_id is None:
        return None
    return f"https://t.me/{bot_username.lstrip('@')}?start=m{monitor_id}"


# A grouped alert goes to Telegram as up to GROUP_MAX_PARTS messages, each filled up to
# GROUP_PART_BUDGET characters as Telegram counts them (the text after entity parsing,
# in UTF-16 code units): a safe margin under its 4,096. Beyond that the last message
# counts the alerts it could not name (a button lists them: bot/routers/alerts.py).
GROUP_PART_BUDGET = 3800
GROUP_MAX_PARTS = 5
_GROUP_EMOJI = {
    NotificationKind.DOWN: "🔴",
    NotificationKind.UP: "🟢",
    NotificationKind.REMINDER: "🔴",
    NotificationKind.CERT_EXPIRING: "⚠️",
}
_TAG = re.compile(r"<[^>]*>")


@dataclass
class GroupPart(RenderedAlert):
    """One message of a grouped alert: it names the next `named` alerts (in the order
    given), and the last one also counts the `more` alerts no message names."""

    named: int = 0
    more: int = 0


def _group_what(kind: NotificationKind, p: dict, lang: str) -> str:
    if kind == NotificationKind.DOWN:
        return _("down: {cause}").format(cause=cause_words(p.get("cause")))
    if kind == NotificationKind.UP:
        return _("up again after {duration}").format(
            duration=fmt_duration(p.get("downtime_seconds", 0), lang)
        )
    if kind == NotificationKind.REMINDER:
        return _("still down, for {duration}").format(
            duration=fmt_duration(p.get("down_seconds", 0), lang)
        )
    days = p.get("days_left", 0)
    return ngettext(
        "certificate expires in {days} day", "certificate expires in {days} days", days
    ).format(days=days)


def group_line(
    kind: str, p: dict, lang: str, link: Callable[[int | None], str | None]
) -> tuple[str, str]:
    """One alert as a line of a grouped message, (HTML, plain text): the monitor's name
    (linked to its card when `link` gives a URL) and what happened. Call it inside
    use_locale(lang)."""
    kind = NotificationKind(kind)
    name = cut(str(p.get("name", "")), 64)
    url = link(p.get("monitor_id"))
    what = _group_what(kind, p, lang)  # HTML: cause_words escapes what it does not know
    linked = f'<a href="{esc(url)}">{esc(name)}</a>' if url else f"<b>{esc(name)}</b>"
    plain = f"{_GROUP_EMOJI[kind]} {name}: {html.unescape(what)}" + (f" ({url})" if url else "")
    return f"{_GROUP_EMOJI[kind]} {linked}: {what}", plain


def _kind_count(kind: NotificationKind, count: int) -> str:
    """One kind's part of a grouped message's summary, such as "3 down"."""
    if kind == NotificationKind.DOWN:
        text = ngettext("{count} down", "{count} down", count)
    elif kind == NotificationKind.UP:
        text = ngettext("{count} up", "{count} up", count)
    elif kind == NotificationKind.REMINDER:
        text = ngettext("{count} still down", "{count} still down", count)
    else:
        text = ngettext("{count} certificate expiring", "{count} certificates expiring", count)
    return text.format(count=count)


def render_group(
    items: list[tuple[str, dict]],
    lang: str,
    link: Callable[[int | None], str | None],
    *,
    budget: int | None = GROUP_PART_BUDGET,
    max_parts: int = GROUP_MAX_PARTS,
) -> list[GroupPart]:
    """Several alerts for one recipient as messages: a count per kind, then one line per
    alert (group_line). The lines fill messages of at most `budget` visible characters,
    split between lines only (so every HTML tag closes in the message it opens in), up
    to `max_parts` messages; what does not fit is counted in the last one. With
    `budget` None (email) it is one message naming every alert."""
    with use_locale(lang):
        kinds = [NotificationKind(kind) for kind, _payload in items]
        summary = ", ".join(
            _kind_count(kind, kinds.count(kind)) for kind in _GROUP_EMOJI if kind in kinds
        )
        subject = _("[ALERTS] {summary}").format(summary=summary)
        title = ngettext(
            "🚨 <b>{count} alert</b>: {summary}",
            "🚨 <b>{count} alerts</b>: {summary}",
            len(items),
        ).format(count=len(items), summary=summary)
        lines = [group_line(kind, p, lang, link) for kind, p in items]
        if budget is None:
            counts = [len(lines)]
        else:
            # Room for the longest header ("(part 5 of 5)") and the longest count line.
            header = _visible_length(_part_title(title, max_parts, max_parts))
            more = _visible_length(_("…and {count} more").format(count=len(items)))
            sizes = [_visible_length(line) for line, _plain_line in lines]
            counts = _pack(sizes, budget - header - 1, max_parts, more + 1) or [0]
        parts: list[GroupPart] = []
        start = 0
        for number, count in enumerate(counts, 1):
            head = title if len(counts) == 1 else _part_title(title, number, len(counts))
            chosen = lines[start : start + count]
            start += count
            html_lines = [head, *(line for line, _plain_line in chosen)]
            text_lines = [_plain(head), *(plain for _line, plain in chosen)]
            left = len(items) - start if number == len(counts) else 0
            if left:
                counted = _("…and {count} more").format(count=left)
                html_lines.append(counted)
                text_lines.append(counted)
            parts.append(
                GroupPart(
                    subject=subject,
                    html="\n".join(html_lines),
                    text="\n".join(text_lines),
                    named=count,
                    more=left,
                )
            )
    return parts


def render_unnamed_page(
    items: list[tuple[str, dict]],
    total: int,
    page: int,
    pages: int,
    lang: str,
    link: Callable[[int | None], str | None],
) -> str:
    """A page of the alerts a grouped message counted without naming (its button's
    list): `items` are this page's, of `total`, on page `page` (from 0) of `pages`."""
    with use_locale(lang):
        title = ngettext(
            "📋 <b>{count} more alert</b> (page {page}/{pages})",
            "📋 <b>{count} more alerts</b> (page {page}/{pages})",
            total,
        ).format(count=total, page=page + 1, pages=pages)
        lines = [group_line(kind, p, lang, link)[0] for kind, p in items]
    return "\n".join([title, *lines])


def _part_title(title: str, part: int, parts: int) -> str:
    return _("{title} (part {part} of {parts})").format(title=title, part=part, parts=parts)


def _pack(sizes: list[int], room: int, max_parts: int, reserve: int) -> list[int]:
    """How many lines each message takes: greedily, in order, each message up to `room`
    (a line counts its size and a line break). When the lines need more than
    `max_parts` messages, the last one takes fewer, keeping `reserve` for the line
    that counts the rest."""
    counts: list[int] = []
    used = 0
    for size in sizes:
        if not counts or used + size + 1 > room:
            if len(counts) == max_parts:
                break
            counts.append(0)
            used = 0
        counts[-1] += 1
        used += size + 1
    taken = sum(counts)
    if taken < len(sizes):
        while counts[-1] and used + reserve > room:
            taken -= 1
            counts[-1] -= 1
            used -= sizes[taken] + 1
    return counts


def _visible_length(markup: str) -> int:
    """The length Telegram gives our HTML (only tags and escaped text, from esc()):
    its visible text in UTF-16 code units, the unit Telegram counts in."""
    return len(html.unescape(_TAG.sub("", markup)).encode("utf-16-le")) // 2


def _plain(body: str) -> str:
    """The text of our own HTML (only <b> and <code> tags, entities escaped by esc())."""
    for tag in ("<b>", "</b>", "<code>", "</code>"):
        body = body.replace(tag, "")
    return html.unescape(body)
