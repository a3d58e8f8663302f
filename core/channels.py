"""Alert channels as data: where a user's alerts go, and which monitor alerts where.

A channel (db.models.Channel) is one destination: the owner's private chat (made with
the user, db/models.py), a confirmed email address (made when the
address is confirmed), a Telegram group, channel or forum topic, or an HTTP endpoint
(webhook, Slack, Discord). Routing:
- a monitor without a list of its own (`custom_channels` false) alerts its owner's
  default channels, as they are when the alert is written: a channel marked default
  later is used by those monitors from then on;
- a monitor with its own list alerts exactly the channels linked to it;
- a disabled channel gets nothing; its monitors' other channels still do.

A channel that failed for good is disabled once (`disable_channel`, a conditional
UPDATE, so replicas and retries tell the owner once), with the reason; turning it on
again (`set_enabled`) clears the reason. Every refusal is a RuleError whose code
core/rule_texts.py turns into words.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tortoise.transactions import in_transaction

from core.monitor_rules import RuleError, parse_name
from core.targets import Resolver, TargetError, check_target, resolve
from db.bulk import id_list
from db.connection import current_connection
from db.models import (
    Channel,
    Monitor,
    MonitorChannel,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    User,
)

if TYPE_CHECKING:
    from scheduler.transports.base import UrlForm

MAX_CHANNELS = 50  # per user
# The kinds made from a URL given in the bot or the API; the others come from a flow of
# their own (a chat linked in Telegram, an address confirmed by its code).


def is_private_chat(channel: Channel, owner: User) -> bool:
    return (
        channel.kind == NotificationChannel.TELEGRAM
        and channel.thread_id is None
        and channel.target == str(owner.telegram_id)
    )


async def private_chat(owner: User) -> Channel | None:
    return await Channel.get_or_none(
        owner_id=owner.id,
        kind=NotificationChannel.TELEGRAM,
        target=str(owner.telegram_id),
        thread_id=None,
    )


async def channels_of(owner: User) -> list[Channel]:
    """The owner's channels, their private chat first, then in the order made."""
    channels = await Channel.filter(owner_id=owner.id).order_by("id")
    return sorted(channels, key=lambda c: not is_private_chat(c, owner))


async def channel_of(owner: User, channel_id: int, is_admin: bool = False) -> Channel | None:
    """The channel if it exists and `owner` may touch it (theirs, or an admin)."""
    channel = await Channel.get_or_none(id=channel_id)
    if channel is None or (channel.owner_id != owner.id and not is_admin):
        return None
    return channel


# --- making and changing channels ---------------------------------------------------


def url_forms() -> dict[str, UrlForm]:
    """The kinds a user adds by giving a URL, and how (each transport declares its
    form: scheduler/transports/). Imported here, not at the top: the transports import
    the rendering and the bot's buttons, which import this module."""
    from scheduler.transports import TRANSPORTS

    return {kind: cls.FORM for kind, cls in TRANSPORTS.items() if cls.FORM is not None}


async def check_channel_url(
    kind: str, raw: str, allow_private: bool, resolver: Resolver = resolve
) -> str:
    """The URL of a new channel of a kind made from a URL, normalised; RuleError or
    TargetError (the monitor's URL rules: http(s), at most 2,048 characters, a public
    host) when it may not be used. A kind whose form names hosts (Slack, Discord)
    takes only https URLs on them, under its path."""
    form = url_forms()[kind]
    url = (await check_target(raw, allow_private, resolver=resolver)).url
    parts = urlsplit(url)
    if form.hosts and not (
        parts.scheme == "https"
        and parts.hostname in form.hosts
        and parts.path.startswith(form.path_prefix)
    ):
        raise RuleError(form.refusal, field="target")
    return url


async def create_url_channel(
    owner: User,
    kind: str,
    url: str,
    *,
    name: str = "",
    is_default: bool = False,
    allow_private: bool = False,
    resolver: Resolver = resolve,
) -> tuple[Channel, str | None]:
    """A channel of a kind made from a URL (webhook, Slack, Discord...); returns it and,
    for a kind that signs (a webhook), its signing secret (shown once: it is stored,
    but never shown again). `resolver` resolves the
    URL's host (the runtime's: tests give a table)."""
    form = url_forms().get(kind)
    if form is None:
        raise RuleError("channel_kind", {"kind": kind}, field="kind")
    name = _channel_name(name)
    try:
        target = await check_channel_url(kind, url, allow_private, resolver)
    except TargetError as exc:
        exc.field = "target"
        raise
    secret = secrets.token_urlsafe(32) if form.signed else None
    async with in_transaction(current_connection().connection_name):
        await User.filter(id=owner.id).select_for_update().first()
        if await Channel.filter(owner_id=owner.id).count() >= MAX_CHANNELS:
            raise RuleError("channel_quota", {"max": MAX_CHANNELS})
        channel = await Channel.create(
            owner_id=owner.id,
            kind=kind,
            target=target,
            name=name,
            is_default=is_default,
            settings={"secret": secret} if secret else {},
        )
    return channel, secret


def _channel_name(name: str) -> str:
    """A channel's name, cleaned ("" for none); RuleError naming the field otherwise."""
    try:
        return parse_name(name) if name.strip() else ""
    except RuleError as error:
        error.field = "name"
        raise


async def change_channel(
    channel: Channel,
    *,
    name: str | None = None,
    enabled: bool | None = None,
    is_default: bool | None = None,
) -> None:
    """Rename a channel, turn it on (forgetting why it was off) or off, make it a
    default one or not: what is given (None: unchanged), checked first and then saved
    together, so a refused name changes nothing."""
    changed = []
    if name is not None:
        channel.name = _channel_name(name)
        changed.append("name")
    if enabled is not None:
        channel.enabled = enabled
        channel.disabled_reason = None
        changed += ["enabled", "disabled_reason"]
    if is_default is not None:
        channel.is_default = is_default
        changed.append("is_default")
    if changed:
        await channel.save(update_fields=changed)


async def set_enabled(channel: Channel, enabled: bool) -> None:
    await change_channel(channel, enabled=enabled)


async def set_default(channel: Channel, is_default: bool) -> None:
    await change_channel(channel, is_default=is_default)


async def rename(channel: Channel, name: str) -> None:
    await change_channel(channel, name=name)


async def delete_channel(owner: User, channel: Channel) -> None:
    """Delete a channel and what is queued for it; the private chat stays (it can be
    turned off)."""
    if is_private_chat(channel, owner):
        raise RuleError("channel_private_chat")
    async with in_transaction(current_connection().connection_name):
        # Explicit: SQLite's notifications table has no foreign key to cascade with.
        await Notification.filter(alert_channel_id=channel.id).delete()
        await channel.delete()


# --- routing ------------------------------------------------------------------------


async def set_monitor_channels(monitor: Monitor, channel_ids: Sequence[int] | None) -> None:
    """Give a monitor its own list of channels, or (None) let it follow its owner's
    defaults. Every channel must be the owner's and enabled; nothing changes otherwise."""
    if channel_ids is None:
        async with in_transaction(current_connection().connection_name):
            await MonitorChannel.filter(monitor_id=monitor.id).delete()
            monitor.custom_channels = False
            await monitor.save(update_fields=["custom_channels"])
        return
    wanted = await check_channel_ids(monitor.owner_id, channel_ids)
    async with in_transaction(current_connection().connection_name):
        await MonitorChannel.filter(monitor_id=monitor.id).delete()
        await MonitorChannel.bulk_create(
            [MonitorChannel(monitor_id=monitor.id, channel_id=i) for i in wanted]
        )
        monitor.custom_channels = True
        await monitor.save(update_fields=["custom_channels"])


async def check_channel_ids(owner_id: int, channel_ids: Sequence[int]) -> list[int]:
    """`channel_ids` without repeats, if a monitor of user `owner_id` may alert them
    all: each the owner's and enabled, at most MAX_CHANNELS; RuleError (about the
    field `channel_ids`, naming the first id refused) otherwise."""
    wanted = list(dict.fromkeys(int(i) for i in channel_ids))
    if len(wanted) > MAX_CHANNELS:  # more than anyone has: refused before any query
        raise RuleError("channel_too_many", {"max": MAX_CHANNELS}, field="channel_ids")
    found = {c.id: c for c in await Channel.filter(id__in=wanted, owner_id=owner_id)}
    for channel_id in wanted:
        channel = found.get(channel_id)
        if channel is None:
            raise RuleError("channel_unknown", {"id": channel_id}, field="channel_ids")
        if not channel.enabled:
            raise RuleError("channel_disabled", {"id": channel_id}, field="channel_ids")
    return wanted


async def monitor_channel_ids(monitor: Monitor) -> list[int]:
    """The channels a monitor alerts now (enabled ones), in id order."""
    return (await channel_ids_of([monitor.id])).get(monitor.id, [])


async def channel_ids_of(monitor_ids: Sequence[int]) -> dict[int, list[int]]:
    """monitor_channel_ids of many monitors in one query (routes_of); a monitor that
    alerts no channel is left out."""
    routes = await routes_of(monitor_ids)
    return {monitor_id: [channel_id for channel_id, _ in found]
            for monitor_id, found in routes.items()}  # fmt: skip


async def routes_of(monitor_ids: Sequence[int], conn: Any = None) -> dict[int, list[tuple]]:
    """For each monitor, the (channel id, kind) of every enabled channel its alerts go
    to (see the module doc), in one query; monitors with none are left out."""
    if not monitor_ids:
        return {}
    conn = conn or current_connection()
    ids, params = id_list(conn, monitor_ids)
    _, rows = await conn.execute_query(
        "SELECT m.id AS monitor_id, c.id AS channel_id, c.kind AS kind"
        " FROM monitors AS m JOIN channels AS c ON c.owner_id = m.owner_id"
        f" WHERE m.id {ids} AND c.enabled AND ("
        "  (NOT m.custom_channels AND c.is_default) OR (m.custom_channels AND EXISTS ("
        "    SELECT 1 FROM monitor_channels AS l"
        "    WHERE l.monitor_id = m.id AND l.channel_id = c.id)))"
        " ORDER BY m.id, c.id",
        params,
    )
    routes: dict[int, list[tuple]] = {}
    for row in rows:
        routes.setdefault(row["monitor_id"], []).append((row["channel_id"], row["kind"]))
    return routes


# --- what the outbox and the flows around it call -----------------------------------


async def queue_test(channel: Channel, now: datetime | None = None) -> Notification:
    """A test alert to `channel`, through the outbox like any alert; a disabled channel
    gets nothing (the outbox would cancel it), so it is refused (RuleError)."""
    if not channel.enabled:
        raise RuleError("channel_disabled", {"id": channel.id})
    return await Notification.create(
        user_id=channel.owner_id,
        channel=channel.kind,
        alert_channel_id=channel.id,
        kind=NotificationKind.TEST,
        payload={"channel_name": channel.name},
        next_attempt_at=now or datetime.now(UTC),
    )


async def disable_channel(channel_id: int, reason: str, now: datetime | None = None) -> bool:
    """Turn off a channel that failed for good, cancel what is queued for it, and tell
    its owner in their private chat (once: only the call that turned it off does,
    unless the channel is that private chat). False when it was off already."""
    now = now or datetime.now(UTC)
    async with in_transaction(current_connection().connection_name):
        changed = await Channel.filter(id=channel_id, enabled=True).update(
            enabled=False, disabled_reason=reason[:1000], last_error=reason, last_error_at=now
        )
        if not changed:
            return False
        channel = await Channel.get(id=channel_id).prefetch_related("owner")
        await Notification.filter(
            alert_channel_id=channel_id, status=NotificationStatus.PENDING
        ).update(status=NotificationStatus.CANCELLED, last_error=f"channel disabled: {reason}")
        owner = channel.owner
        chat = await private_chat(owner)
        if chat is not None and chat.id != channel.id and chat.enabled:
            await Notification.create(
                user_id=owner.id,
                channel=NotificationChannel.TELEGRAM,
                alert_channel_id=chat.id,
                kind=NotificationKind.CHANNEL_DISABLED,
                payload={
                    "channel_id": channel.id,
                    "channel_kind": channel.kind,
                    "channel_name": channel.name,
                    "reason": reason[:300],
                },
                dedup_key=f"channel_disabled:{channel.id}:{now.timestamp():.0f}",
                next_attempt_at=now,
            )
    return True


async def note_used(channel_id: int, now: datetime) -> None:
    await Channel.filter(id=channel_id).update(last_used_at=now)


async def note_error(channel_id: int, error: str, now: datetime) -> None:
    await Channel.filter(id=channel_id).update(last_error=error[:1000], last_error_at=now)


async def set_email_channel(owner: User, address: str) -> Channel:
    """The owner's email channel, pointed at a newly confirmed address (made on the
    first confirmation, a default channel as the private chat is)."""
    channel = await Channel.filter(owner_id=owner.id, kind=NotificationChannel.EMAIL).first()
    if channel is None:
        return await Channel.create(
            owner_id=owner.id, kind=NotificationChannel.EMAIL, target=address, is_default=True
        )
    channel.target = address
    await channel.save(update_fields=["target"])
    return channel


async def remove_email_channel(owner: User) -> None:
    await Channel.filter(owner_id=owner.id, kind=NotificationChannel.EMAIL).delete()
