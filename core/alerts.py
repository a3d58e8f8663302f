"""Alert texts, rendered from a notification row in the recipient's language at send time.

The engine stores facts in the row's payload (names, times, causes); the words come
from here, in the language the recipient has when the message goes out.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

from core.i18n import _, use_locale
from core.render import cut, esc, fmt_datetime, fmt_duration
from db.models import NotificationKind


@dataclass
class RenderedAlert:
    subject: str  # for email: "[DOWN] name"
    html: str  # Telegram HTML; also the email's HTML body
    text: str  # plain text (email)


def cause_words(kind: str | None) -> str:
    """The cause of a failure in words (the same names the bot's cards use)."""
    names = {
        "dns": _("DNS lookup failed"),
        "connect_refused": _("connection refused"),
        "connect_timeout": _("connection timed out"),
        "timeout": _("no response in time"),
        "tls_invalid": _("invalid TLS certificate"),
        "http_status": _("unexpected HTTP status"),
        "too_many_redirects": _("too many redirects"),
        "keyword_missing": _("keyword not found"),
        "keyword_found": _("unwanted keyword found"),
        "slow": _("too slow"),
        "body_too_large": _("page too large to search"),
        "blocked": _("address not allowed"),
        "connection": _("connection error"),
        "internal": _("internal error"),
    }
    return names.get(kind or "", esc(kind) if kind else _("unknown"))


def _when(value: str | None, lang: str) -> str:
    return fmt_datetime(datetime.fromisoformat(value), lang) if value else "—"


def render_alert(kind: str, payload: dict, lang: str) -> RenderedAlert:
    """The alert of `kind` with `payload`, in `lang`."""
    with use_locale(lang):
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
            _("Down for {duration} ({cause}, {checks} failed checks)").format(
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
            _("⚠️ The certificate of <b>{name}</b> expires in {days} days").format(
                name=name, days=p.get("days_left", 0)
            ),
            url,
            _("Expiry: {when}").format(when=_when(p.get("expires_at"), lang)),
        ]
    elif kind == NotificationKind.EMAIL_VERIFICATION:
        subject = _("Your confirmation code")
        lines = [
            _("Your code to confirm this address: <b>{code}</b>").format(
                code=esc(p.get("code", ""))
            ),
            _("It is valid for 15 minutes. If you did not ask for it, ignore this message."),
        ]
    else:  # broadcast: the admin's text, as typed
        subject = _("Announcement")
        lines = [esc(cut(str(p.get("text", "")), 3500))]
    # Every part is cut to its own limit above, so the whole stays under Telegram's 4096.
    body = "\n".join(lines)
    return RenderedAlert(subject=subject, html=body, text=_plain(body))


def _plain(body: str) -> str:
    """The text of our own HTML (only <b> and <code> tags, entities escaped by esc())."""
    for tag in ("<b>", "</b>", "<code>", "</code>"):
        body = body.replace(tag, "")
    return html.unescape(body)
