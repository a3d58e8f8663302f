"""The one protocol every alert channel's transport implements, and what it is given.

The outbox (scheduler/outbox.py) knows a channel only as a `ChannelTarget` and an
alert only as an `AlertItem`; it finds the channel's transport by kind in the registry
(scheduler/transports/__init__.py) and drives it through the protocol. The contract:

- `messages(channel, items)` says how a unit of the outbox goes out: one message for
  one item; for several (only when `GROUPS`) one or more messages, each naming the
  items it stands for, prepared already (rendered in the channel's language and time
  zone, escaped for its markup, within its size limits). The outbox sends them in
  order and marks each message's rows as soon as it is answered, so a failure half
  way sends nothing twice.
- `paused_for(channel)` is how long the destination is paused (after a 429) from
  now. The outbox does not hold rows through a long pause: it gives them back with
  that retry time.
- `wait_turn(channel)` waits for a place under the destination's rate limits (short
  waits); the outbox then checks its claim on the rows is still good, and `send`s.
- `send(channel, message)` never raises for a delivery failure (an answer it did not
  want, a network error, a timeout, an address the SSRF guard refuses): it returns an
  `Outcome` (core/delivery.py) and the outbox decides what comes next from it. Only
  cancellation and bugs propagate.
- `group_above(channel)` (optional): a transport that GROUPS may group sooner for
  some destinations than GROUP_ABOVE alerts; the outbox asks `group_above_of`.
- `LABEL` names the kind; `FORM`, for kinds a user adds by giving a URL, says what
  the bot asks and which URLs are the kind's (core/channels.py checks them).
- `from_context(context)` makes the transport for this process (None: it cannot
  deliver here, e.g. email without an SMTP server); `close` releases its connections
  at shutdown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

from core.clock import Clock
from core.delivery import Outcome
from db.models import NotificationKind

# More alerts than this for one recipient in one round become one grouped unit (for a
# transport that GROUPS), unless its `group_above(channel)` says otherwise.
GROUP_ABOVE = 5

# The kind of a test alert, sent from the channel's settings: not a NotificationKind,
# since no monitor caused it.
TEST_KIND = "test"

# The alert kinds a channel is sent, and the name each has outside (the webhook event's
# "event"). Verification codes and broadcasts are for the bot and email only.
EVENT_NAMES = {
    NotificationKind.DOWN.value: "down",
    NotificationKind.UP.value: "up",
    NotificationKind.REMINDER.value: "reminder",
    NotificationKind.CERT_EXPIRING.value: "certificate",
    TEST_KIND: "test",
}


@dataclass(frozen=True)
class ChannelTarget:
    """Where one channel's alerts go, and for whom they are written."""

    id: int
    kind: str  # "webhook", "slack", "discord"...
    target: str  # the URL
    settings: Mapping[str, Any]  # per kind: a webhook's {"secret": str}
    language: str  # the owner's, for the words
    zone: str | None  # the owner's time zone (core.timezones), None: UTC
    allow_private: bool  # may reach private addresses (an admin's channel)
    thread_id: int | None = None  # a forum topic of a Telegram group


@dataclass(frozen=True)
class AlertItem:
    """One alert to deliver: the facts of a notification row, rendered by the transport."""

    notification_id: int
    kind: str  # a NotificationKind value, or TEST_KIND
    payload: Mapping[str, Any]  # as core/recording.py wrote it
    created_at: datetime
    monitor_id: int | None = None


@dataclass(frozen=True)
class Message:
    """One message a transport will send: the items it stands for, and what the
    transport prepared for it (None: it renders them at `send`)."""

    items: tuple[AlertItem, ...]
    body: Any = None


@dataclass(frozen=True)
class UrlForm:
    """How a channel of a kind made from a URL is asked for and checked (the bot's
    form, the API), for kinds whose channels a user adds by giving a URL."""

    prompt: Callable[[], str]  # what the bot asks, translated at call time
    hosts: frozenset[str] = frozenset()  # its URLs' hosts (https only); empty: any
    path_prefix: str = ""  # ... and the start of their path
    refusal: str = "url_invalid"  # the RuleError code for a URL that is not theirs
    signed: bool = False  # the channel gets a signing secret, shown once


@dataclass(frozen=True)
class TransportContext:
    """What a process offers the transports it makes (`from_context`)."""

    settings: Any  # core.settings.Settings
    clock: Clock
    bot: Any = None  # an aiogram Bot, when this process talks to Telegram
    # A deep link into the bot for a monitor (None: no link).
    link: Callable[[int | None], str | None] = lambda _monitor: None


class Transport(Protocol):
    kind: ClassVar[str]
    GROUPS: ClassVar[bool]
    # The kind's name in messages and forms (translated at call time), and for kinds
    # a user adds by giving a URL, how (None: made by a flow of its own, e.g. a
    # Telegram chat linked with /link, an address confirmed with its code).
    LABEL: ClassVar[Callable[[], str]]
    FORM: ClassVar[UrlForm | None]

    @classmethod
    def from_context(cls, context: TransportContext) -> Transport | None: ...

    def messages(self, channel: ChannelTarget, items: Sequence[AlertItem]) -> list[Message]:
        """How `items` (one, unless GROUPS) go out: the messages, in order."""
        ...

    def paused_for(self, channel: ChannelTarget) -> float: ...

    async def wait_turn(self, channel: ChannelTarget) -> None: ...

    async def send(self, channel: ChannelTarget, message: Message) -> Outcome:
        """Send one message (after `wait_turn`); what came of it."""
        ...

    async def close(self) -> None: ...


def group_above_of(transport: Transport, channel: ChannelTarget) -> int:
    """How many alerts `channel` gets one by one before they are grouped: the
    transport's `group_above(channel)` when it has one, else GROUP_ABOVE."""
    group_above = getattr(transport, "group_above", None)
    return GROUP_ABOVE if group_above is None else group_above(channel)
