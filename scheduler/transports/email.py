"""Email: a confirmed address (or, for a confirmation code, the address being
confirmed), through the SMTP_* settings (scheduler/email_sender.py reads the server's
answers).

One alert is one email, with a link into the bot; several (GROUPS) are one email that
names every alert (core/alerts.render_group without a size budget). Both parts,
plain text and HTML, are built by core/mail.py, which keeps header injection out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from core.alerts import RenderedAlert, render_alert, render_group
from core.delivery import Outcome
from core.i18n import _
from core.mail import build_email
from scheduler.email_sender import EmailSender
from scheduler.transports.base import AlertItem, ChannelTarget, Message, TransportContext


class EmailTransport:
    kind: ClassVar[str] = "email"
    GROUPS: ClassVar[bool] = True
    LABEL = staticmethod(lambda: _("Email"))
    FORM = None  # an address is confirmed with its code (/settings)

    def __init__(self, sender: EmailSender, link=lambda _monitor: None) -> None:
        self.sender = sender
        self.link = link

    @classmethod
    def from_context(cls, context: TransportContext) -> EmailTransport | None:
        if not context.settings.smtp_host:
            return None
        return cls(EmailSender(context.settings), context.link)

    def messages(self, channel: ChannelTarget, items: Sequence[AlertItem]) -> list[Message]:
        return [Message(tuple(items))]

    def paused_for(self, channel: ChannelTarget) -> float:
        return 0.0

    async def wait_turn(self, channel: ChannelTarget) -> None:
        return None  # the sender's sessions are the only limit

    def _render(self, channel: ChannelTarget, items: Sequence[AlertItem]) -> RenderedAlert:
        if len(items) > 1:
            pairs = [(item.kind, dict(item.payload)) for item in items]
            return render_group(pairs, channel.language, self.link, budget=None)[0]
        item = items[0]
        return render_alert(item.kind, dict(item.payload), channel.language, channel.zone)

    async def send(self, channel: ChannelTarget, message: Message) -> Outcome:
        items = message.items
        link = self.link(items[0].monitor_id) if len(items) == 1 else None
        email = build_email(
            self.sender.sender, channel.target, self._render(channel, items), channel.language, link
        )
        return await self.sender.send(email)

    async def close(self) -> None:
        return None
