"""/cancel leaves any flow from any step. Included first, so it wins over every state."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.keyboards import main_menu
from core.i18n import _


async def cancel(message: Message, state: FSMContext) -> None:
    was = await state.get_state()
    await state.clear()
    text = _("Cancelled.") if was else _("Nothing to cancel.")
    await message.answer(text, reply_markup=main_menu())


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    router = Router(name="cancel")
    router.message.register(cancel, Command("cancel"), StateFilter("*"))
    return router
