"""Users as Telegram shows them: registering, refreshing, and who may touch what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.timezones import parse_zone
from db.models import BLOCKED_REASON, Channel, Monitor, User

# last_seen_at is refreshed at most this often, so a busy chat does not write each time.
_SEEN_EVERY = timedelta(minutes=5)


async def touch_user(
    telegram_id: int, username: str | None, display_name: str, language_code: str | None
) -> User:
    """The user's row, created on first contact and refreshed when Telegram's data changed.

    Anyone writing to the bot has not blocked it (any more), so the flag is cleared,
    and their private chat, turned off when they blocked it, is on again.
    """
    now = datetime.now(UTC)
    user, created = await User.get_or_create(
        telegram_id=telegram_id,
        defaults={
            "username": username,
            "display_name": display_name[:256],
            "telegram_language": language_code,
            "last_seen_at": now,
        },
    )
    if created:
        return user
    fresh = {
        "username": username,
        "display_name": display_name[:256],
        "telegram_language": language_code,
        "blocked_bot": False,
    }
    changed = [name for name, value in fresh.items() if getattr(user, name) != value]
    if user.blocked_bot:
        await Channel.filter(
            owner_id=user.id, target=str(telegram_id), disabled_reason=BLOCKED_REASON
        ).update(enabled=True, disabled_reason=None)
    if changed or user.last_seen_at is None or now - user.last_seen_at > _SEEN_EVERY:
        for name in changed:
            setattr(user, name, fresh[name])
        user.last_seen_at = now
        await user.save(update_fields=[*changed, "last_seen_at"])
    return user


async def monitor_of(user: User, monitor_id: int, is_admin: bool = False) -> Monitor | None:
    """The monitor if it exists and `user` may touch it (its owner, or an admin)."""
    monitor = await Monitor.get_or_none(id=monitor_id)
    if monitor is None or (monitor.owner_id != user.id and not is_admin):
        return None
    return monitor


async def set_timezone(user: User, typed: str) -> str:
    """Store the zone `typed` (an IANA name or a UTC offset, core.timezones.parse_zone)
    as the user's; returns the stored name. Invalid input raises RuleError and changes
    nothing."""
    user.timezone = parse_zone(typed)
    await user.save(update_fields=["timezone"])
    return user.timezone
