"""The one protocol every alert channel's transport implements, and what it is given.

The outbox knows a channel only as a `ChannelTarget` and an alert only as an
`AlertItem`; it picks the transport class by the channel's kind (the registry in
scheduler/transports/__init__.py) and calls `deliver`. The contract:

- `deliver` never raises for a delivery failure (an answer it did not want, a network
  error, a timeout, an address the SSRF guard refuses): it returns an `Outcome`
  (core/delivery.py), and the outbox decides what comes next from it. Only
  cancellation and bugs propagate.
- Each transport owns its destination's rate limits (it waits for its turn inside
  `deliver`, and after a 429 pauses that destination) and its formatting (words in
  the channel's language and time zone, escaping for its markup, its size limits).
- `GROUPS` says whether several items may go as one message. When it is False the
  caller sends items one at a time (a webhook receiver expects one event per request);
  when True it may pass several, and the transport decides how many it names.
- `close` releases the transport's connections; the outbox calls it once at shutdown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

from core.delivery import Outcome
from db.models import NotificationKind

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


@dataclass(frozen=True)
class AlertItem:
    """One alert to deliver: the facts of a notification row, rendered by the transport."""

    notification_id: int
    kind: str  # a NotificationKind value, or TEST_KIND
    payload: Mapping[str, Any]  # as core/recording.py wrote it
    created_at: datetime


class Transport(Protocol):
    kind: ClassVar[str]
    GROUPS: ClassVar[bool]

    async def deliver(self, channel: ChannelTarget, items: Sequence[AlertItem]) -> Outcome:
        """Send `items` (one, unless GROUPS) to `channel`; what came of it."""
        ...

    async def close(self) -> None: ...
