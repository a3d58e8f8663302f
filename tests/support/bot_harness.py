"""The real bot (aiogram dispatcher, long polling, our routers and middlewares) running
against the fake Bot API server, as run.py runs it in production."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from pydantic import SecretStr

from core.i18n import _, ngettext, use_locale
from core.probe import Probe
from core.runtime import Runtime
from core.settings import Settings
from tests.support.fake_telegram import FakeTelegram

ADMIN = 999  # the admin of the bot the `telegram` fixture runs
PUBLIC_URL = "https://93.184.216.34/"  # a public literal: no DNS needed, never contacted


@asynccontextmanager
async def running_bot(
    settings: Settings,
    probe: Probe,
    prepare: Callable[[FakeTelegram], None] | None = None,
) -> AsyncIterator[FakeTelegram]:
    """Start the fake server and the real bot polling it; yield the fake. `prepare` runs
    on the started fake before the bot's first call (e.g. to make a method fail)."""
    from bot.in_flight import finish_updates
    from bot.setup import allowed_updates, create_bot, create_dispatcher, register_commands

    telegram = FakeTelegram()
    await telegram.start()
    if prepare is not None:
        prepare(telegram)
    settings = settings.model_copy(
        update={"telegram_bot_token": SecretStr(telegram.token), "telegram_api_url": telegram.url}
    )
    bot = create_bot(settings)
    dispatcher = create_dispatcher(Runtime(settings=settings, probe=probe))
    await register_commands(bot)
    polling = asyncio.create_task(
        dispatcher.start_polling(
            bot,
            handle_signals=False,
            close_bot_session=False,
            polling_timeout=1,
            allowed_updates=allowed_updates(dispatcher),
        )
    )
    try:
        await telegram.wait_for_call("getUpdates")
        yield telegram
    finally:
        with contextlib.suppress(RuntimeError):
            await dispatcher.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(polling, 5)
        await finish_updates(dispatcher, 5)  # as run.py does: answers go out, locks freed
        await bot.session.close()
        await dispatcher.storage.close()
        await telegram.stop()


def tr(lang: str, text: str, **params) -> str:
    """`text` as the bot says it in `lang`: tests compare with the catalog in use instead
    of hard-coding translations."""
    with use_locale(lang):
        translated = _(text)
    return translated.format(**params) if params else translated


def tr_n(lang: str, singular: str, plural: str, n: int, **params) -> str:
    """A counted text ("{days} days") as the bot says it in `lang` for `n`."""
    with use_locale(lang):
        return ngettext(singular, plural, n).format(**params)
