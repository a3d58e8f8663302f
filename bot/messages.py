"""Sending helpers shared by the routers."""

from __future__ import annotations

from contextlib import suppress

from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from core.i18n import _
from core.kinds import Field
from core.users import monitor_of
from db.models import Monitor, User


async def edit(callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Edit the pressed message in place; an unchanged message is not an error."""
    try:
        await callback.message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        if "not modified" not in exc.message:
            raise


async def pressed_monitor(
    callback: CallbackQuery, user: User, monitor_id: int, is_admin: bool
) -> Monitor | None:
    """The monitor a button names, if the user may touch it. Otherwise the press is
    answered "Monitor not found." and None returned: a forged or stale button changes
    nothing."""
    monitor = await monitor_of(user, monitor_id, is_admin)
    if monitor is None:
        await callback.answer(_("Monitor not found."), show_alert=True)
    return monitor


async def please_send_text(message: Message) -> None:
    """A flow asked for text and got something else (a photo, a sticker...)."""
    await message.answer(_("Please send text, or /cancel."))


async def forget_secret(message: Message, declared: Field | None) -> None:
    """A secret typed into the chat is deleted once read: it then lives only in the
    database, which never shows it (a failed deletion is not worth an error)."""
    if declared is not None and declared.secret:
        with suppress(TelegramAPIError):
            await message.delete()
