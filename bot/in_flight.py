"""Updates being handled, so that shutdown lets them finish before closing what they use.

aiogram handles each update in a task of its own (polling with handle_as_tasks, the
webhook handler in the background) and does not wait for those tasks when it stops;
its polling even closes the FSM storage on the way out. Closing the bot session and
the storage under a running handler loses the user's answer (the update is already
acknowledged, so Telegram never sends it again) and its change of state, and with
Redis it leaves the chat's isolation lock held for a minute, so the user's next
message waits on the other replica. Shutdown therefore goes:

1. stop taking updates (polling stopped, web app closed);
2. `finish()`: wait, within a deadline, for the tasks this middleware saw start;
3. cancel those still running at the deadline and let them unwind, which releases
   their FSM locks while the storage is still open;
4. only then close the bot session and the storage.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import TelegramObject

log = logging.getLogger(__name__)

# How long cancelled handlers get to run their clean-up (lock release, a last write).
UNWIND_SECONDS = 0.5


class UpdatesInFlight(BaseMiddleware):
    """An outer update middleware that remembers the task handling each update."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await handler(event, data)

    @property
    def count(self) -> int:
        return len(self._tasks)

    async def finish(self, timeout: float) -> int:
        """Wait up to `timeout` s for the updates in flight; cancel the rest and give
        them UNWIND_SECONDS to unwind. Returns how many had to be cancelled."""
        tasks = self._tasks - {asyncio.current_task()}
        if not tasks:
            return 0
        _done, pending = await asyncio.wait(tasks, timeout=timeout)
        if pending:
            log.warning("cancelling %d update(s) still being handled at shutdown", len(pending))
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=UNWIND_SECONDS)
        return len(pending)


def track_updates(dispatcher: Dispatcher) -> UpdatesInFlight:
    """Install the tracker on `dispatcher`, and keep the FSM storage open until the owner
    closes it after `finish()` (aiogram would close it as soon as polling stops)."""
    in_flight = UpdatesInFlight()
    dispatcher.update.outer_middleware(in_flight)
    dispatcher.shutdown.handlers[:] = [
        h for h in dispatcher.shutdown.handlers if h.callback != dispatcher.fsm.close
    ]
    dispatcher["updates_in_flight"] = in_flight
    return in_flight


async def finish_updates(dispatcher: Dispatcher, timeout: float) -> int:
    """`UpdatesInFlight.finish` for a dispatcher made by bot.setup.create_dispatcher."""
    return await dispatcher["updates_in_flight"].finish(timeout)
