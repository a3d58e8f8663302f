"""Admin broadcasts: one notification row per user, delivered by the outbox worker under
Telegram's limits, and their progress."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.functions import Count

from db.models import (
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    User,
)


@dataclass
class Progress:
    total: int
    sent: int
    failed: int

    @property
    def finished(self) -> bool:
        return self.sent + self.failed >= self.total


def _prefix(broadcast_id: str) -> str:
    return f"broadcast:{broadcast_id}:"


async def queue_broadcast(text: str) -> tuple[str, int]:
    """Queue `text` for every user who has not blocked the bot; returns (id, count).

    Each row's dedup key names the broadcast and the user, so the same broadcast can
    never reach anyone twice, and its progress can be counted.
    """
    broadcast_id = uuid.uuid4().hex[:12]
    now = datetime.now(UTC)
    ids = await User.filter(blocked_bot=False).values_list("id", flat=True)
    await Notification.bulk_create(
        [
            Notification(
                user_id=user_id,
                channel=NotificationChannel.TELEGRAM,
                kind=NotificationKind.BROADCAST,
                payload={"text": text},
                dedup_key=f"{_prefix(broadcast_id)}{user_id}",
                next_attempt_at=now,
            )
            for user_id in ids
        ],
        batch_size=1000,
    )
    return broadcast_id, len(ids)


async def broadcast_progress(broadcast_id: str) -> Progress:
    counts = dict(
        await Notification.filter(dedup_key__startswith=_prefix(broadcast_id))
        .annotate(n=Count("id"))
        .group_by("status")
        .values_list("status", "n")
    )
    return Progress(
        total=sum(counts.values()),
        sent=counts.get(NotificationStatus.SENT, 0),
        failed=counts.get(NotificationStatus.DEAD, 0) + counts.get(NotificationStatus.CANCELLED, 0),
    )
