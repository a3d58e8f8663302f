"""Admin commands (ADMIN_IDS only): /admin, /quota, /broadcast.

The router's filter lets only admins in; for anyone else these commands fall through
to the fallback hint, exactly like any unknown command, revealing nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import AdminCb
from bot.states import Broadcast
from core.broadcasts import Progress, broadcast_progress, queue_broadcast
from core.i18n import _, ngettext
from core.monitor_rules import MAX_QUOTA
from core.render import cut, esc
from db.models import (
    CheckLog,
    Incident,
    Monitor,
    Notification,
    NotificationStatus,
    User,
)
from db.outbox import recent_dead

BROADCAST_LIMIT = 3500
PROGRESS_EVERY = 2.0
DEAD_SHOWN = 5  # seconds between progress checks
log = logging.getLogger(__name__)


class IsAdmin(Filter):
    async def __call__(self, event: TelegramObject, is_admin: bool = False, **_: Any) -> bool:
        return is_admin


async def overview(message: Message) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    figures = {
        "users": await User.all().count(),
        "monitors": await Monitor.all().count(),
        "checks": await CheckLog.filter(checked_at__gte=since).count(),
        "incidents": await Incident.filter(resolved_at=None).count(),
        "dead": await Notification.filter(status=NotificationStatus.DEAD).count(),
    }
    text = _(
        "<b>Admin</b>\nUsers: {users}\nMonitors: {monitors}\nChecks in the last minute: "
        "{checks}\nOpen incidents: {incidents}\nDead notifications: {dead}"
    ).format(**figures)
    dead = await recent_dead(DEAD_SHOWN)
    if dead:
        lines = [_("Latest dead notifications:")]
        lines += [
            f"#{row.id} → {row.user.telegram_id} ({row.channel}, {row.kind}): "
            f"<code>{esc(cut(row.last_error or '', 200))}</code>"
            for row in dead
        ]
        text += "\n\n" + "\n".join(lines)
    await message.answer(text)


async def set_quota(message: Message, command: CommandObject) -> None:
    parts = (command.args or "").split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or int(parts[1]) > MAX_QUOTA:
        await message.answer(esc(_("Usage: /quota <telegram id> <number of monitors>")))
        return
    target = await User.get_or_none(telegram_id=int(parts[0]))
    if target is None:
        await message.answer(_("No user with that Telegram id has started the bot."))
        return
    target.monitor_quota = int(parts[1])
    await target.save(update_fields=["monitor_quota"])
    await message.answer(_("Quota of {user} is now {quota}.").format(user=parts[0], quota=parts[1]))


async def broadcast_start(message: Message, state: FSMContext) -> None:
    await state.set_state(Broadcast.text)
    await message.answer(_("Send the message to broadcast to every user (/cancel to stop)."))


async def broadcast_preview(message: Message, state: FSMContext) -> None:
    text = cut(message.text, BROADCAST_LIMIT)
    await state.update_data(text=text)
    await state.set_state(Broadcast.confirm)
    recipients = await User.filter(blocked_bot=False).count()
    kb = InlineKeyboardBuilder()
    kb.button(
        text=ngettext("Send to {n} user", "Send to {n} users", recipients).format(n=recipients),
        callback_data=AdminCb(action="send"),
    )
    kb.button(text=_("Cancel"), callback_data=AdminCb(action="cancel"))
    await message.answer(_("Preview:") + "\n\n" + esc(text), reply_markup=kb.adjust(1).as_markup())


async def broadcast_send(callback: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    text = (await state.get_data())["text"]
    await state.clear()
    broadcast_id, total = await queue_broadcast(text)
    await callback.answer()
    await callback.message.edit_text(progress_text(Progress(total, 0, 0)))
    task = asyncio.create_task(
        follow_progress(bot, callback.message.chat.id, callback.message.message_id, broadcast_id)
    )
    _followers.add(task)
    task.add_done_callback(_followers.discard)


def progress_text(progress: Progress) -> str:
    text = _("Broadcast: {sent} of {total} sent, {failed} failed.").format(
        sent=progress.sent, total=progress.total, failed=progress.failed
    )
    if progress.finished:
        text += "\n" + _("Done.")
    return text


_followers: set[asyncio.Task] = set()


async def follow_progress(
    bot: Bot, chat_id: int, message_id: int, broadcast_id: str, every: float = PROGRESS_EVERY
) -> None:
    """Edit the admin's message as the delivery worker sends the broadcast, until every
    row is sent or failed (or a day has passed)."""
    shown = None
    deadline = time.monotonic() + 24 * 3600
    while time.monotonic() < deadline:
        await asyncio.sleep(every)
        try:
            progress = await broadcast_progress(broadcast_id)
            if progress != shown:
                await bot.edit_message_text(
                    progress_text(progress), chat_id=chat_id, message_id=message_id
                )
                shown = progress
        except Exception as exc:  # a progress message is not worth crashing over
            log.warning("broadcast progress update failed: %s", exc)
        if shown is not None and shown.finished:
            return


async def broadcast_cancel(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await callback.answer()
    await callback.message.edit_text(_("Cancelled."))


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    router = Router(name="admin")
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.register(overview, Command("admin"))
    router.message.register(set_quota, Command("quota"))
    router.message.register(broadcast_start, Command("broadcast"))
    router.message.register(broadcast_preview, Broadcast.text, F.text)
    router.callback_query.register(
        broadcast_send, Broadcast.confirm, AdminCb.filter(F.action == "send")
    )
    router.callback_query.register(
        broadcast_cancel, Broadcast.confirm, AdminCb.filter(F.action == "cancel")
    )
    return router
