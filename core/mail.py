"""An alert as an email: multipart plain text and HTML, from the same rendered alert."""

from __future__ import annotations

import html
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from core.alerts import RenderedAlert
from core.i18n import _, use_locale

_CONTROL = {i: " " for i in range(32)} | {127: " "}


def one_line(text: str) -> str:
    """Header-safe text: a name with a line break cannot add headers to the message."""
    return " ".join(text.translate(_CONTROL).split())


def build_email(
    sender: str, to: str, alert: RenderedAlert, lang: str, link: str | None = None
) -> EmailMessage:
    """The email of `alert` to `to`. `link` (a deep link into the bot) is added to both
    parts with a translated label."""
    text, body = alert.text, alert.html.replace("\n", "<br>\n")
    if link:
        with use_locale(lang):
            label = _("Open in Telegram")
        text += f"\n\n{label}: {link}"
        body += f'<br>\n<br>\n<a href="{html.escape(link)}">{html.escape(label)}</a>'
    message = EmailMessage()
    message["Subject"] = one_line(alert.subject)
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(text)
    message.add_alternative(
        f'<!doctype html>\n<html lang="{lang}"><body style="font-family: sans-serif">\n'
        f"{body}\n</body></html>\n",
        subtype="html",
    )
    return message
