"""Sending one message to Telegram under Telegram's limits, and what came of it.

Limits, through aiolimiter's leaky buckets (no hand-made sleeps):
- overall: `overall_rate` messages a second (default 25, under Telegram's about 30),
  as a bucket of capacity 2: messages are evenly spaced, and the room for a second one
  absorbs the event loop's timer delays, which a bucket of 1 turns into lost sends
  (bench/alerts.py, 10,000 alerts: 24.2/s with 1, 24.96/s with 2). No second ever holds
  more than overall_rate + 2;
- per chat: one message per `chat_interval` seconds (default 1.1, Telegram allows 1,
  the margin absorbs network jitter between our clock and Telegram's);
- per group, supergroup or channel (a negative chat id), on top of that: Telegram
  allows about GROUP_LIMIT (20) messages a minute there. A bucket of GROUP_BURST
  messages that refills one every GROUP_SPACING seconds never puts more than
  GROUP_BURST + 60 / GROUP_SPACING (19.2) into any minute, so a short burst goes at
  once and a long one never meets Telegram's limit (a bucket of 20 refilling 20 a
  minute would let 40 through in the first minute);
- at the moment of sending, the same limits measured on the messages that actually
  went (`_hold`): a message whose chat's turn came while it then waited for the
  overall bucket is held until its chat's last message is CHAT_INTERVAL old, so the
  buckets' turns cannot drift into two messages to one chat a second apart
  (bench/alerts.py --mix saw 40 of Telegram's 429s out of 12,960 alerts without it).
A 429 (TelegramRetryAfter) pauses every send of this process for exactly retry_after
seconds: Telegram says so when the bot as a whole is too fast, and the message is
tried again by the caller after that time.

Exceptions map to outcomes (core/delivery.py): 403 blocked, 400 dead, network errors,
timeouts, 5xx and anything unexpected retry. A group that became a supergroup answers
400 with its new id (TelegramMigrateToChat): that is `Migrated`, a DEAD outcome that
carries the new id, so the Telegram transport can move the channel and send there
(scheduler/transports/telegram.py) while any other caller sees a permanent failure.

An answer with `"ok": true` whose result aiogram cannot decode (a field Telegram
added, a proxy rewriting the body) is SENT: Telegram accepted the message, and retrying
would deliver it again on every backoff step. The decoding problem is logged once per process.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardMarkup
from aiolimiter import AsyncLimiter

from core.delivery import Outcome, Result

log = logging.getLogger(__name__)

OVERALL_RATE = 25.0
OVERALL_BURST = 2
CHAT_INTERVAL = 1.1
GROUP_LIMIT = 20  # messages a minute to one group or channel, as Telegram allows
GROUP_BURST = 3
GROUP_SPACING = 3.6  # seconds: 3 + 60 / 3.6 = 19.2 messages in any minute, under 20
# At the moment of sending (see _hold): at most this many messages in any second.
SECOND_MAX = 27
REQUEST_TIMEOUT = 15  # seconds for one sendMessage
_PRUNE_ABOVE = 5000  # idle per-chat buckets are dropped beyond this many


@dataclass(frozen=True)
class Migrated(Outcome):
    """The group became a supergroup: DEAD for this chat id, `chat_id` is its new one."""

    chat_id: int = 0


class TelegramSender:
    def __init__(self, bot: Bot, *, overall_rate: float = OVERALL_RATE) -> None:
        self.bot = bot
        self._overall = AsyncLimiter(OVERALL_BURST, OVERALL_BURST / overall_rate)
        self._chats: dict[int, AsyncLimiter] = {}
        self._groups: dict[int, AsyncLimiter] = {}
        self._paused_until = 0.0  # loop time
        self._decode_problem_logged = False
        # When messages went (loop time): the last second's, each chat's last, and
        # each group's last minute's (_hold).
        self._second: deque[float] = deque()
        self._last_to: dict[int, float] = {}
        self._minute_to: dict[int, deque[float]] = {}

    def _chat_limiter(self, chat_id: int) -> AsyncLimiter:
        return _bucket(self._chats, chat_id, 1, CHAT_INTERVAL)

    def _group_limiter(self, chat_id: int) -> AsyncLimiter:
        return _bucket(self._groups, chat_id, GROUP_BURST, GROUP_BURST * GROUP_SPACING)

    async def _wait_out_pause(self) -> None:
        loop = asyncio.get_running_loop()
        # A loop, not an Event: another 429 meanwhile moves the end of the pause later.
        while (left := self._paused_until - loop.time()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(left)

    async def wait_turn(self, chat_id: int) -> None:
        """Wait until a message to `chat_id` may go: its chat's bucket (and, for a
        group or channel, its minute's), the end of any 429 pause, then the overall
        bucket. Safe to cancel: nothing was sent."""
        await self._chat_limiter(chat_id).acquire()
        if chat_id < 0:
            await self._group_limiter(chat_id).acquire()
        await self._wait_out_pause()
        await self._overall.acquire()
        await self._hold(chat_id)

    async def _hold(self, chat_id: int) -> None:
        """The buckets give turns, but a message that got its chat's turn may then
        wait long for the overall one (a backlog), so two messages to one chat could
        leave closer together than their turns were. Measured at the moment of
        sending, this holds a message until its chat's last one is CHAT_INTERVAL old,
        its group's last minute has room (GROUP_LIMIT - 1) and the last second holds
        fewer than SECOND_MAX, then notes it as sent (checks and note with no await
        between them, so two tasks cannot both pass on the same room)."""
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            wait = self._last_to.get(chat_id, -CHAT_INTERVAL) + CHAT_INTERVAL - now
            minute = None
            if chat_id < 0:
                minute = _recent(self._minute_to.setdefault(chat_id, deque()), now - 60.0)
                if len(minute) >= GROUP_LIMIT - 1:
                    wait = max(wait, minute[0] + 60.0 - now)
            second = _recent(self._second, now - 1.0)
            if len(second) >= SECOND_MAX:
                wait = max(wait, second[0] + 1.0 - now)
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        second.append(now)
        if minute is not None:
            minute.append(now)
        if len(self._last_to) > _PRUNE_ABOVE:
            self._last_to = {c: t for c, t in self._last_to.items() if t > now - CHAT_INTERVAL}
            self._minute_to = {c: m for c, m in self._minute_to.items() if m and m[-1] > now - 60}
        self._last_to[chat_id] = now

    def paused_for(self) -> float:
        """Seconds left of a pause Telegram asked for (0 when none)."""
        return max(0.0, self._paused_until - asyncio.get_running_loop().time())

    async def send(
        self,
        chat_id: int,
        html: str,
        markup: InlineKeyboardMarkup | None = None,
        thread_id: int | None = None,
    ) -> Outcome:
        """Send now (after `wait_turn`); `thread_id`: a forum topic of the chat."""
        try:
            await self.bot.send_message(
                chat_id,
                html,
                message_thread_id=thread_id,
                reply_markup=markup,
                request_timeout=REQUEST_TIMEOUT,
            )
        except TelegramRetryAfter as exc:
            loop = asyncio.get_running_loop()
            self._paused_until = max(self._paused_until, loop.time() + exc.retry_after)
            log.warning("Telegram asks to wait %s s (429); sends paused", exc.retry_after)
            return Outcome(Result.RATE_LIMITED, exc.message, retry_after=exc.retry_after)
        except TelegramMigrateToChat as exc:
            return Migrated(Result.DEAD, exc.message, chat_id=exc.migrate_to_chat_id)
        except TelegramForbiddenError as exc:
            return Outcome(Result.BLOCKED, exc.message)
        except TelegramBadRequest as exc:
            return Outcome(Result.DEAD, exc.message)
        except ClientDecodeError as exc:
            if not accepted(exc):
                return Outcome(Result.RETRY, f"ClientDecodeError: {exc.message}")
            self._log_decode_problem(exc)
        except AiogramError as exc:  # network, 5xx, an undecodable answer, 401, 404...
            return Outcome(Result.RETRY, f"{type(exc).__name__}: {exc}")
        except TimeoutError:
            return Outcome(Result.RETRY, "timeout")
        return Outcome.sent()

    def _log_decode_problem(self, exc: ClientDecodeError) -> None:
        if self._decode_problem_logged:
            log.debug("Telegram's answer to sendMessage could not be decoded: %s", exc.original)
            return
        self._decode_problem_logged = True
        problem = str(exc.original).splitlines()[0] if str(exc.original) else type(exc.original)
        log.warning(
            "Telegram accepted a message but its answer could not be decoded (%s); "
            "taken as sent, further cases are logged at DEBUG",
            problem,
        )


def _recent(times: deque[float], since: float) -> deque[float]:
    """`times` without those before `since` (oldest first)."""
    while times and times[0] <= since:
        times.popleft()
    return times


def _bucket(buckets: dict[int, AsyncLimiter], chat_id: int, size: int, period: float):
    limiter = buckets.get(chat_id)
    if limiter is None:
        if len(buckets) > _PRUNE_ABOVE:
            # A bucket with room again is as good as a new one: dropping it is safe.
            kept = {c: b for c, b in buckets.items() if not b.has_capacity()}
            buckets.clear()
            buckets.update(kept)
        limiter = buckets[chat_id] = AsyncLimiter(size, period)
    return limiter


def accepted(exc: ClientDecodeError) -> bool:
    """Whether Telegram said `"ok": true` in the answer aiogram could not decode."""
    return isinstance(exc.data, dict) and exc.data.get("ok") is True
