"""Finding what a caller may touch: anything of someone else's is simply not found."""

from __future__ import annotations

from typing import TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from api.auth import Caller
from api.errors import ApiError, not_found
from core.i18n import _
from db.models import Channel, MaintenanceWindow, Monitor, StatusPage, User

M = TypeVar("M", bound=Model)


def scoped(
    rows: QuerySet[M],
    caller: Caller,
    owner: int | None = None,
    path: str = "owner",
    owner_key: str = "telegram_id",
) -> QuerySet[M]:
    """`rows` the caller may see: a user key's own only; the admin key's all, or only
    those of the user `owner` (their Telegram id, or their `owner_key`: "id" for
    channels, which show their owner's row id). `path` leads from a row to its owner
    ("monitor__owner" for incidents). A user key naming an owner is refused (403)."""
    if not caller.admin:
        if owner is not None:
            caller.require_admin()
        assert caller.user is not None
        return rows.filter(**{f"{path}_id": caller.user.id})
    if owner is not None:
        return rows.filter(**{f"{path}__{owner_key}": owner})
    return rows


async def monitor_for(caller: Caller, monitor_id: int) -> Monitor:
    monitor = await Monitor.get_or_none(id=monitor_id).select_related("owner")
    if monitor is None or not caller.owns(monitor.owner_id):
        raise not_found()
    return monitor


async def window_for(caller: Caller, window_id: int) -> MaintenanceWindow:
    window = await MaintenanceWindow.get_or_none(id=window_id).select_related("owner")
    if window is None or not caller.owns(window.owner_id):
        raise not_found()
    return window


async def channel_for(caller: Caller, channel_id: int) -> Channel:
    channel = await Channel.get_or_none(id=channel_id).select_related("owner")
    if channel is None or not caller.owns(channel.owner_id):
        raise not_found()
    return channel


async def page_for(caller: Caller, page_id: int) -> StatusPage:
    page = await StatusPage.get_or_none(id=page_id).select_related("owner")
    if page is None or not caller.owns(page.owner_id):
        raise not_found()
    return page


async def user_for(caller: Caller, telegram_id: int) -> User:
    user = await User.get_or_none(telegram_id=telegram_id)
    if user is None or not caller.owns(user.id):
        raise not_found()
    return user


async def owner_for(caller: Caller, owner_telegram_id: int | None) -> User:
    """Whose new object it is: a user key's own user; the admin key must name one."""
    if not caller.admin:
        assert caller.user is not None
        if owner_telegram_id not in (None, caller.user.telegram_id):
            message = _("Only the admin key may name another owner.")
            raise ApiError(422, "owner_forbidden", message, {"owner_telegram_id": message})
        return caller.user
    if owner_telegram_id is None:
        message = _("The admin key must name the owner.")
        raise ApiError(422, "field_missing", message, {"owner_telegram_id": message})
    owner = await User.get_or_none(telegram_id=owner_telegram_id)
    if owner is None:
        message = _("No user with that Telegram id has started the bot.")
        raise ApiError(422, "owner_unknown", message, {"owner_telegram_id": message})
    return owner
