"""Telegram groups, supergroups (one of their forum topics) and broadcast channels as
alert channels: linking one, choosing which monitors alert it, what a group sees with
/status, and following the chat when it moves (a group upgraded to a supergroup) or
goes (the bot removed).

A linked chat is an ordinary telegram Channel (db/models.py) whose target is the
chat's (negative) id, with `thread_id` for a forum topic, named after the chat's title
and owned by the user who linked it; `settings` remembers the chat's type and title as
Telegram last told them. Linking is done by the bot after it has checked with Telegram
that the user is an admin of the chat (and, for a channel, that the bot may post
there): bot/routers/groups.py. One user's link of a chat or topic is one row: linking
it again turns it on again and refreshes its name, it never makes a second one. A new
link is not a default channel: its owner picks the monitors that alert there.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from core.channels import (
    MAX_CHANNELS,
    disable_channel,
    monitor_channel_ids,
    routes_of,
    set_monitor_channels,
)
from core.monitor_rules import RuleError
from db.connection import current_connection
from db.models import Channel, Monitor, NotificationChannel, User

GROUP_TYPES = frozenset({"group", "supergroup"})
CHANNEL_TYPE = "channel"
# Why a chat's channels are off after the bot was removed (shown to their owners).
REMOVED_REASON = "the bot was removed from the chat"


async def registered_user(telegram_id: int) -> User | None:
    """The user with this Telegram id if they have started the bot (groups never
    register anyone: bot/middlewares.py)."""
    return await User.get_or_none(telegram_id=telegram_id)


async def link_chat(
    owner: User, chat_id: int, title: str, chat_type: str, thread_id: int | None = None
) -> tuple[Channel, bool]:
    """The owner's channel for this chat (or topic of it), made, or turned on again
    and renamed; returns it and whether it is new. RuleError("channel_quota") when the
    owner has MAX_CHANNELS already. Only groups and channels (negative ids) are linked
    this way: a private chat is its user's own channel."""
    if chat_id >= 0:
        raise ValueError(f"not a group or channel: {chat_id}")
    name = title.strip()[:128]
    settings = {"chat_type": chat_type, "title": title[:256]}
    async with in_transaction(current_connection().connection_name):
        await User.filter(id=owner.id).select_for_update().first()
        channel = await Channel.get_or_none(
            owner_id=owner.id,
            kind=NotificationChannel.TELEGRAM,
            target=str(chat_id),
            thread_id=thread_id,
        )
        if channel is not None:
            channel.name, channel.settings, channel.verified = name, settings, True
            channel.enabled, channel.disabled_reason = True, None
            await channel.save(
                update_fields=["name", "settings", "verified", "enabled", "disabled_reason"]
            )
            return channel, False
        if await Channel.filter(owner_id=owner.id).count() >= MAX_CHANNELS:
            raise RuleError("channel_quota", {"max": MAX_CHANNELS})
        channel = await Channel.create(
            owner_id=owner.id,
            kind=NotificationChannel.TELEGRAM,
            target=str(chat_id),
            thread_id=thread_id,
            name=name,
            verified=True,
            is_default=False,
            settings=settings,
        )
    return channel, True


async def linked_channel(owner: User, channel_id: int) -> Channel | None:
    """One of the owner's group or channel links (not their private chat, not another
    kind), for the monitor picker."""
    channel = await Channel.get_or_none(
        id=channel_id, owner_id=owner.id, kind=NotificationChannel.TELEGRAM
    )
    if channel is None or not channel.target.startswith("-"):
        return None
    return channel


# --- which monitors alert a chat -------------------------------------------------------


async def monitor_choices(owner: User, channel: Channel) -> list[tuple[Monitor, bool]]:
    """The owner's monitors (by name) and whether each alerts `channel` now."""
    monitors = await Monitor.filter(owner_id=owner.id).order_by("name", "id")
    routes = await routes_of([m.id for m in monitors])
    return [(m, any(cid == channel.id for cid, _kind in routes.get(m.id, []))) for m in monitors]


async def toggle_monitor(owner: User, channel: Channel, monitor_id: int) -> bool | None:
    """Turn `channel` on or off for one of the owner's monitors; returns whether it
    alerts the channel now (None: no such monitor of theirs, or the channel is off).

    A monitor that follows the owner's defaults gets a list of its own: the channels
    it alerts now plus (or minus) this one. A list that comes out equal to the
    defaults goes back to following them."""
    monitor = await Monitor.get_or_none(id=monitor_id, owner_id=owner.id)
    if monitor is None or not channel.enabled:
        return None
    current = await monitor_channel_ids(monitor)
    if channel.id in current:
        wanted = [i for i in current if i != channel.id]
    else:
        wanted = [*current, channel.id]
    defaults = await Channel.filter(owner_id=owner.id, is_default=True, enabled=True).values_list(
        "id", flat=True
    )
    await set_monitor_channels(monitor, None if set(wanted) == set(defaults) else wanted)
    return channel.id in wanted


async def linked_monitors(chat_id: int) -> list[Monitor]:
    """The monitors (of any owner) whose alerts go to this chat now, any topic of it,
    by name: what /status shows the group."""
    channels = await Channel.filter(
        kind=NotificationChannel.TELEGRAM, target=str(chat_id), enabled=True
    )
    if not channels:
        return []
    ids = {c.id for c in channels}
    monitors = await Monitor.filter(owner_id__in={c.owner_id for c in channels}).order_by(
        "name", "id"
    )
    routes = await routes_of([m.id for m in monitors])
    return [m for m in monitors if any(cid in ids for cid, _kind in routes.get(m.id, []))]


# --- the chat moves or goes ------------------------------------------------------------


async def move_chat(old_chat_id: int, new_chat_id: int) -> int:
    """A group became the supergroup `new_chat_id`: every channel that pointed at the
    old id points at the new one (its topics too). Returns how many moved; a second
    call (the other service message, another replica) moves none."""
    return await Channel.filter(kind=NotificationChannel.TELEGRAM, target=str(old_chat_id)).update(
        target=str(new_chat_id)
    )


async def chat_removed(chat_id: int, reason: str = REMOVED_REASON) -> int:
    """The bot was removed from a chat: each enabled channel pointing there is turned
    off and its owner told once (core/channels.disable_channel). Returns how many."""
    channels = await Channel.filter(
        kind=NotificationChannel.TELEGRAM, target=str(chat_id), enabled=True
    ).values_list("id", flat=True)
    turned_off = 0
    for channel_id in channels:
        turned_off += await disable_channel(channel_id, reason)
    return turned_off
