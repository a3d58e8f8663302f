"""Last router: text outside any flow, and unknown commands, get a short hint."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot import keyboards
from core.i18n import _


async def hint(message: Message) -> None:
    await message.answer(
        _("I did not understand that. /add adds a monitor, /monitors lists them, /help explains."),
        reply_markup=keyboards.main_menu(),
    )


async def stale_button(callback: CallbackQuery) -> None:
    await callback.answer(_("This button is no longer valid."), show_alert=True)


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    router = Router(name="fallback")
    router.message.register(hint)
    router.callback_query.register(stale_button)
    return router
