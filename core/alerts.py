"""Alert texts, rendered from a notification row in the recipient's language at send time.

The engine stores facts in the row's payload (names, times, causes); the words come
from here, in the language and time zone the recipient has when the message goes out.
"""

from __future__ import annotations

import html
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
    }
    return names.get(kind or "", esc(kind) if kind else _("unknown"))


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
        if p.get("error"):
            lines.append(f"<code>{esc(cut(str(p['error']), 500))}</code>")
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
    else:  # broadcast: the admin's text, as typed
        subject = _("Announcement")
        lines = [esc(cut(str(p.get("text", "")), 3500))]
    # Every part is cut to its own limit above, so the whole stays under Telegram's 4096.
    body = "\n".join(lines)
    return RenderedAlert(subject=subject, html=body, text=_plain(body))


def deep_link(bot_username: str | None, monitor_id: int | None) -> str | None:
    """https://t.me/<bot>?start=m<id>: opens the monitor's card in the bot (/start m<id>)."""
    if not bot_username or monitor_id is None:
        return None
    return f"https://t.me/{bot_username.lstrip('@')}?start=m{monitor_id}"


# A grouped message stops listing at this length and says how many more there are, so
# it stays under Telegram's 4,096 characters whatever the names.
_GROUP_TEXT_BUDGET = 3500
_GROUP_EMOJI = {
    NotificationKind.DOWN: "🔴",
    NotificationKind.UP: "🟢",
    NotificationKind.REMINDER: "🔴",
    NotificationKind.CERT_EXPIRING: "⚠️",
}


def _group_line(kind: NotificationKind, p: dict, lang: str) -> str:
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
    items: list[tuple[str, dict]], lang: str, link: Callable[[int | None], str | None]
) -> RenderedAlert:
    """Several alerts for one recipient as one message: a count per kind, then one line
    per alert (the monitor's name linked to its card when `link` gives a URL)."""
    with use_locale(lang):
        kinds = [NotificationKind(kind) for kind, _payload in items]
        summary = ", ".join(
            _kind_count(kind, kinds.count(kind)) for kind in _GROUP_EMOJI if kind in kinds
        )
        subject = _("[ALERTS] {summary}").format(summary=summary)
        html_lines = [
            ngettext(
                "🚨 <b>{count} alert</b>: {summary}",
                "🚨 <b>{count} alerts</b>: {summary}",
                len(items),
            ).format(count=len(items), summary=summary)
        ]
        text_lines = [_plain(html_lines[0])]
        used = len(html_lines[0])
        for shown, (kind, (_kind, p)) in enumerate(zip(kinds, items, strict=True)):
            name = cut(str(p.get("name", "")), 64)
            url = link(p.get("monitor_id"))
            what = _group_line(kind, p, lang)  # HTML: cause_words escapes what it does not know
            linked = f'<a href="{esc(url)}">{esc(name)}</a>' if url else f"<b>{esc(name)}</b>"
            line = f"{_GROUP_EMOJI[kind]} {linked}: {what}"
            if used + len(line) > _GROUP_TEXT_BUDGET:
                more = _("…and {count} more").format(count=len(items) - shown)
                html_lines.append(more)
                text_lines.append(more)
                break
            used += len(line) + 1
            html_lines.append(line)
            plain = f"{_GROUP_EMOJI[kind]} {name}: {html.unescape(what)}"
            text_lines.append(plain + (f" ({url})" if url else ""))
    return RenderedAlert(subject=subject, html="\n".join(html_lines), text="\n".join(text_lines))


def _plain(body: str) -> str:
    """The text of our own HTML (only <b> and <code> tags, entities escaped by esc())."""
    for tag in ("<b>", "</b>", "<code>", "</code>"):
        body = body.replace(tag, "")
    return html.unescape(body)
