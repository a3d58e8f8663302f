"""The alerts a grouped Telegram message counted without naming ("…and 40 more"), page
by page, for the button under that message.

The button carries the first and last id of those notification rows (they are the
tail of the group, in id order). A press reads, at that time, the presser's own sent
Telegram alert rows in that id range: a forged range shows nothing of anyone else,
and the list is the one the message counted (the rows stay in the outbox table), not
whatever happens to be down when the button is pressed.
"""

from __future__ import annotations

from dataclasses import dataclass

from db.models import Notification, NotificationChannel, NotificationStatus
from db.outbox import GROUPABLE_KINDS

PAGE_SIZE = 15


@dataclass
class AlertPage:
    items: list[tuple[str, dict]]  # (kind, payload) of this page's alerts, oldest first
    total: int
    page: int  # from 0, within the pages there are
    pages: int


async def unnamed_alerts(user_id: int, first: int, last: int, page: int) -> AlertPage | None:
    """Page `page` (clamped to the pages there are) of `user_id`'s alerts from row
    `first` to row `last`; None when there are none (not theirs, or a made-up range)."""
    rows = Notification.filter(
        user_id=user_id,
        channel=NotificationChannel.TELEGRAM,
        status=NotificationStatus.SENT,
        kind__in=GROUPABLE_KINDS,
        id__gte=first,
        id__lte=last,
    )
    total = await rows.count()
    if not total:
        return None
    pages = -(-total // PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    found = (
        await rows.order_by("id")
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .values_list("kind", "payload")
    )
    return AlertPage([(kind, payload or {}) for kind, payload in found], total, page, pages)
