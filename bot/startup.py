"""Reaching Telegram at start-up, for as long as it takes.

Monitoring must not depend on Telegram: while it cannot be reached (network down,
TELEGRAM_API_URL pointing at a server that is away), the scheduler, the API and the
outbox run, and the bot's start is tried again with exponential backoff (1 s, 2 s,
4 s ... up to TELEGRAM_RETRY_MAX_SECONDS). The log gets one line when Telegram turns
out to be unreachable and one when it answers, not one per attempt.

A token Telegram refuses (401 Unauthorized) is different: no retry can fix it, so it
is a configuration error (run.py exits with code 2).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiogram.exceptions import TelegramUnauthorizedError

from core.settings import ConfigError

log = logging.getLogger(__name__)

T = TypeVar("T")
FIRST_DELAY = 1.0  # seconds before the second attempt


class TokenRefused(ConfigError):
    """Telegram answered 401 to TELEGRAM_BOT_TOKEN."""


async def until_telegram_answers(
    attempt: Callable[[], Awaitable[T]],
    max_delay: float,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> T:
    """Run `attempt` until it succeeds, waiting between tries (see the module doc);
    raise TokenRefused on a 401."""
    delay = min(FIRST_DELAY, max_delay)
    failing = False
    while True:
        try:
            result = await attempt()
        except TelegramUnauthorizedError:
            raise TokenRefused(
                "TELEGRAM_BOT_TOKEN: Telegram refused the token (401 Unauthorized)"
            ) from None
        except Exception as exc:  # network errors, timeouts, 5xx: Telegram is away
            if not failing:
                failing = True
                log.warning(
                    "Telegram cannot be reached (%s); monitoring, the API and email keep "
                    "running, the bot starts when Telegram answers",
                    _describe(exc),
                )
            else:
                log.debug("Telegram still unreachable: %s", _describe(exc))
            await sleep(delay)
            delay = min(delay * 2, max_delay)
            continue
        if failing:
            log.info("Telegram answers again: starting the bot")
        return result


def _describe(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
