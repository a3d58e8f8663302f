"""Alert channels' transports: one module per channel kind, all behind one protocol
(base.Transport), found by kind in TRANSPORTS.

The outbox knows only the protocol: it builds a `ChannelTarget` from a channel row and
`AlertItem`s from notification rows, asks TRANSPORTS for the channel's kind, and turns
the `Outcome` that `send` returns into the rows' next state. A new kind of channel is
one module here (a class with `kind`, `GROUPS`, `from_context`, `messages`,
`paused_for`, `wait_turn`, `send` and `close`; an HTTP one subclasses
http.HttpTransport and writes its request) plus one line below.
"""

from __future__ import annotations

from scheduler.transports.base import Transport
from scheduler.transports.discord import DiscordTransport
from scheduler.transports.email import EmailTransport
from scheduler.transports.ntfy import NtfyTransport
from scheduler.transports.slack import SlackTransport
from scheduler.transports.telegram import TelegramTransport
from scheduler.transports.webhook import WebhookTransport

TRANSPORTS: dict[str, type[Transport]] = {
    TelegramTransport.kind: TelegramTransport,
    EmailTransport.kind: EmailTransport,
    WebhookTransport.kind: WebhookTransport,
    SlackTransport.kind: SlackTransport,
    DiscordTransport.kind: DiscordTransport,
    NtfyTransport.kind: NtfyTransport,
}

__all__ = ["TRANSPORTS"]
