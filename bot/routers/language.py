"""/language: English, Russian, Spanish or German; stored on the user."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot import keyboards
from bot.callbacks import LangCb, MenuCb
from core.i18n import LANGUAGES, _, i18n
from db.models import User


async def language_command(message: Message) -> None:
    await message.answer(_("Choose your language:"), reply_markup=keyboards.languages())


async def language_from_menu(callback: CallbackQuery) -> None:
    await callback.answer()
    await callback.message.answer(_("Choose your language:"), reply_markup=keyboards.languages())


async def choose(callback: CallbackQuery, callback_data: LangCb, user: User) -> None:
    if callback_data.code not in LANGUAGES:
        await callback.answer(_("Unknown language."), show_alert=True)
        return
    user.language = callback_data.code
    await user.save(update_fields=["language"])
    with i18n.use_locale(callback_data.code):
        await callback.answer()
        await callback.message.edit_text(
            _("Language: {name}").format(name=LANGUAGES[callback_data.code]),
        )
        await callback.message.answer(_("What next?"), reply_markup=keyboards.main_menu())


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    router = Router(name="language")
    router.message.register(language_command, Command("language"))
    router.callback_query.register(language_from_menu, MenuCb.filter(F.item == "language"))
    router.callback_query.register(choose, LangCb.filter())
    return router
