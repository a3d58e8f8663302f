"""/start: registration (done by the user middleware), the main menu, and deep links."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot import keyboards
from bot.render import card
from core.i18n import _
from core.render import esc
from core.settings import Settings
from core.users import monitor_of
from db.models import User


def welcome(user: User) -> str:
    return _(
        "Hello, {name}! I watch your websites and APIs and tell you here the moment one "
        "goes down, and again when it is back.\n\nAdd a monitor with /add or pick below."
    ).format(name=esc(user.display_name or user.username or ""))


async def start(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    user: User,
    is_admin: bool,
    settings: Settings,
) -> None:
    await state.clear()
    args = (command.args or "").strip()
    if args.startswith("m") and args[1:].isdigit():
        monitor = await monitor_of(user, int(args[1:]), is_admin)
        if monitor is None:
            await message.answer(_("Monitor not found."))
            return
        await message.answer(
            await card(monitor, settings),
            reply_markup=keyboards.monitor_card(monitor),
        )
        return
    await message.answer(welcome(user), reply_markup=keyboards.main_menu())


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    router = Router(name="start")
    router.message.register(start, CommandStart())
    return router
