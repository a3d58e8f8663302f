"""Monitor statistics shared by the bot and the API."""

from __future__ import annotations

from datetime import datetime

from db.models import CheckLog


async def uptime_since(monitor_id: int, since: datetime) -> float | None:
    """Share of successful checks since `since`, maintenance left out; None without checks."""
    checks = CheckLog.filter(monitor_id=monitor_id, checked_at__gte=since, in_maintenance=False)
    total = await checks.count()
    if not total:
        return None
    return await checks.filter(ok=True).count() / total
