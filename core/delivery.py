"""What a delivery attempt came to, and when a failed one is tried again.

Transports (scheduler/telegram_sender.py, scheduler/email_sender.py, and the channel
transports of scheduler/transports/) turn their library's answers and exceptions into
an `Outcome`; the outbox worker turns the outcome into the row's next status with
`RetryPolicy`. Keeping the classification next to the policy makes the rule visible in
one place:

- SENT: the transport accepted the message.
- RETRY: a transient failure (network, timeout, 5xx, SMTP 4xx). Tried again after an
  exponential backoff with jitter until the row is RetryPolicy.give_up_after old,
  then DEAD with the last error.
- RATE_LIMITED: a 429 (Telegram, a webhook). Tried again after exactly `retry_after`
  seconds; it does not bring the row nearer to dead (the message is fine, we were too
  fast).
- DEAD: a permanent failure (Telegram 400, SMTP 5xx): retrying cannot help.
- BLOCKED: the recipient blocked the bot (Telegram 403 in a private chat): the user
  is marked, their private chat turned off, its queued rows cancelled. From a group
  or a channel the same answer means the bot was removed: that channel is disabled.
- CANCELLED: nothing to send to any more (email alerts without a verified address).
- DISABLE_CHANNEL: the destination is gone for good (a deleted Slack or Discord webhook,
  an archived Slack channel, an HTTP 410): the channel is disabled with the error as
  its reason and its owner is told once; its queued rows are not tried again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Result(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    RATE_LIMITED = "rate_limited"
    DEAD = "dead"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"
    DISABLE_CHANNEL = "disable_channel"


@dataclass(frozen=True)
class Outcome:
    result: Result
    error: str | None = None
    retry_after: float | None = None  # seconds, for RATE_LIMITED

    @classmethod
    def sent(cls) -> Outcome:
        return cls(Result.SENT)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with "equal jitter": attempt n waits between half and all of
    min(cap, base * 2^(n-1)). The jitter spreads the retries of many rows that failed
    together (Telegram down for a minute) so they do not all come back in one burst.
    With the defaults the waits are about 5 s, 10 s, 20 s ... 10 min, and a row gives
    up after failing for an hour (about 12 attempts)."""

    base: float = 5.0
    cap: float = 600.0
    give_up_after: timedelta = timedelta(hours=1)

    def delay(self, attempts: int) -> float:
        ceiling = min(self.cap, self.base * 2 ** max(0, attempts - 1))
        return random.uniform(ceiling / 2, ceiling)

    def next_attempt(
        self, outcome: Outcome, attempts: int, created_at: datetime, now: datetime
    ) -> datetime | None:
        """When to try again after `outcome`, or None when the row should be dead."""
        if outcome.result == Result.RATE_LIMITED:
            return now + timedelta(seconds=outcome.retry_after or 1)
        if now - created_at >= self.give_up_after:
            return None
        return now + timedelta(seconds=self.delay(attempts))
