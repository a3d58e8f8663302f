"""Telegram: a user's private chat, a group, a supergroup (one of its forum topics), or
a channel, through the bot (scheduler/telegram_sender.py keeps Telegram's limits and
reads its answers).

One alert is one message, with its buttons: the monitor's card, a check now, and a
pause of its alerts for a monitor that is down (bot/keyboards.py); the notice that a
channel was turned off carries the button that turns it on again. Several alerts
(GROUPS) are one grouped alert of up to five messages (core/alerts.render_group), each
naming the alerts it stands for; the last also stands for those it only counts, and
its button lists them. Everything a user or a target wrote is escaped by the
rendering (core/alerts.py).

A group or channel (a negative chat id) groups above GROUP_ABOVE_CHATS alerts, not
GROUP_ABOVE: Telegram takes about 20 messages a minute there. A group upgraded to a
supergroup answers with its new id (telegram_sender.Migrated): the channel rows that
pointed at the old id are moved to the new one (core/telegram_chats.move_chat) and the
message is sent once more, to the new chat; later messages of this process go there
directly. Nothing is lost (the old chat refused the message) and nothing doubled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from bot.keyboards import alert_buttons, channel_disabled_buttons, grouped_alert_buttons
from core.alerts import render_alert, render_group
from core.delivery import Outcome
from core.i18n import _, use_locale
from core.telegram_chats import move_chat
from db.models import NotificationKind
from db.outbox import GROUPABLE_KINDS
from scheduler.telegram_sender import Migrated, TelegramSender
from scheduler.transports.base import (
    GROUP_ABOVE,
    AlertItem,
    ChannelTarget,
    Message,
    TransportContext,
)

_MUTABLE_KINDS = (NotificationKind.DOWN, NotificationKind.REMINDER)
GROUP_ABOVE_CHATS = 2  # a group, supergroup or channel: more alerts are one message


class TelegramTransport:
    kind: ClassVar[str] = "telegram"
    GROUPS: ClassVar[bool] = True
    LABEL = staticmethod(lambda: _("Telegram chat"))
    FORM = None  # chats are linked in Telegram (/link, a forwarded post)

    def __init__(self, sender: TelegramSender, link=lambda _monitor: None) -> None:
        self.sender = sender
        self.link = link
        self._moved: dict[int, int] = {}  # old group id: its supergroup's, seen here

    @classmethod
    def from_context(cls, context: TransportContext) -> TelegramTransport | None:
        if context.bot is None:
            return None
        return cls(TelegramSender(context.bot), context.link)

    def messages(self, channel: ChannelTarget, items: Sequence[AlertItem]) -> list[Message]:
        if len(items) == 1:
            return [self._single(channel, items[0])]
        parts = render_group(
            [(item.kind, dict(item.payload)) for item in items], channel.language, self.link
        )
        messages, start = [], 0
        for part in parts:
            named = items[start : start + part.named + part.more]
            start += len(named)
            markup = None
            if part is parts[-1]:
                with use_locale(channel.language):
                    unnamed = [item.notification_id for item in named[part.named :]]
                    markup = grouped_alert_buttons(unnamed)
            messages.append(Message(tuple(named), (part.html, markup)))
        return messages

    def _single(self, channel: ChannelTarget, item: AlertItem) -> Message:
        rendered = render_alert(item.kind, dict(item.payload), channel.language, channel.zone)
        markup = None
        with use_locale(channel.language):
            if item.kind in GROUPABLE_KINDS and item.monitor_id is not None:
                markup = alert_buttons(
                    item.monitor_id,
                    mute=item.kind in _MUTABLE_KINDS,
                    check=item.payload.get("probed", True),
                )
            elif item.kind == NotificationKind.CHANNEL_DISABLED:
                markup = channel_disabled_buttons(item.payload["channel_id"])
        return Message((item,), (rendered.html, markup))

    def group_above(self, channel: ChannelTarget) -> int:
        return GROUP_ABOVE_CHATS if int(channel.target) < 0 else GROUP_ABOVE

    def paused_for(self, channel: ChannelTarget) -> float:
        return self.sender.paused_for()

    def _chat(self, channel: ChannelTarget) -> int:
        chat = int(channel.target)
        return self._moved.get(chat, chat)

    async def wait_turn(self, channel: ChannelTarget) -> None:
        await self.sender.wait_turn(self._chat(channel))

    async def send(self, channel: ChannelTarget, message: Message) -> Outcome:
        html, markup = message.body
        chat = self._chat(channel)
        outcome = await self.sender.send(chat, html, markup, channel.thread_id)
        if isinstance(outcome, Migrated) and outcome.chat_id:
            await move_chat(chat, outcome.chat_id)
            self._moved[chat] = outcome.chat_id
            await self.sender.wait_turn(outcome.chat_id)
            outcome = await self.sender.send(outcome.chat_id, html, markup, channel.thread_id)
        return outcome

    async def close(self) -> None:
        return None
