"""What the HTTP transports (webhook, Slack, Discord) share: one guarded session, a
capped read of the answer, the answer's meaning as an Outcome, and per-target pacing.

The session. One aiohttp ClientSession per transport, on the probe's `GuardedConnector`
(core/probe.py): the SSRF rule runs at connect time, after DNS, exactly as for a
monitor's check, so a channel URL whose name later resolves to 10.0.0.1 is refused
too. A channel with `allow_private` (an admin's) is exempt, through the same
`private_addresses_allowed` the probe uses. Connections are not kept (`force_close`):
one opened for a channel allowed private addresses could otherwise be reused for
another's, and alerts are rare enough that a fresh connection costs nothing.

A request has TIMEOUT seconds in all; the answer's body is read up to BODY_LIMIT bytes
(enough for an error message), so a receiver streaming megabytes neither holds the
worker nor fills memory. Redirects are not followed: a webhook that moved answers 3xx,
and its owner must give the new URL (following it would send the alert, and its
signature, to a place nobody chose).

An answer means (`judge`; a transport adds its own cases):
- 2xx SENT;
- 410 DISABLE_CHANNEL: the receiver says it is gone for good;
- 429 RATE_LIMITED, retry_after from `Retry-After` (seconds or an HTTP date), and
  that target is paused until then;
- 408 and 425 RETRY (the receiver's own "try again"), any other 3xx and 4xx DEAD;
- 5xx, network errors and timeouts RETRY;
- an address the SSRF guard refuses DEAD: it will not get better by waiting.

Pacing: a leaky bucket per target URL (aiolimiter, as scheduler/telegram_sender.py's
per-chat buckets), of the transport's RATE; a 429 pauses that target until its
retry_after, and the next deliver to it waits for the end of the pause.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from importlib import metadata
from typing import Any, ClassVar

import aiohttp
from aiohttp.abc import AbstractResolver
from aiolimiter import AsyncLimiter
from multidict import CIMultiDict

from core.clock import SYSTEM_CLOCK, Clock
from core.delivery import Outcome, Result
from core.probe import BlockedAddressError, GuardedConnector, private_addresses_allowed
from core.targets import TargetError, is_public_address
from scheduler.transports.base import (
    EVENT_NAMES,
    AlertItem,
    ChannelTarget,
    Message,
    TransportContext,
)

TIMEOUT = 10.0  # seconds for one whole request, answer included
BODY_LIMIT = 4096  # bytes of an answer read
DEFAULT_RETRY_AFTER = 5.0  # a 429 that does not say how long
MAX_PAUSE = 3600.0  # a Retry-After longer than this is taken as this
_ERROR_BODY = 200  # characters of an answer quoted in an error
_PRUNE_ABOVE = 5000  # idle per-target buckets are dropped beyond this many


def _user_agent() -> str:
    try:
        return f"uptime-monitor/{metadata.version('uptime-monitor')}"
    except metadata.PackageNotFoundError:
        return "uptime-monitor/1"


USER_AGENT = _user_agent()


@dataclass(frozen=True)
class HttpRequest:
    """What a transport posts: the exact body bytes (a webhook signs them) and headers."""

    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of_json(cls, data: Any, headers: Mapping[str, str] | None = None) -> HttpRequest:
        return cls(json_body(data), {"Content-Type": "application/json", **(headers or {})})


def json_body(data: Any) -> bytes:
    """`data` as the bytes sent (compact UTF-8 JSON)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Answer:
    """A receiver's answer: its status, headers (looked up in any case: proxies
    lower-case them) and the first BODY_LIMIT bytes."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON, or None when it is not (or was cut)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def describe(self) -> str:
        """For an Outcome's error: the status and the start of the body."""
        text = " ".join(self.text.split())[:_ERROR_BODY]
        return f"HTTP {self.status}: {text}" if text else f"HTTP {self.status}"


def retry_after_header(value: str | None, clock: Clock) -> float | None:
    """Seconds to wait from a `Retry-After` header: a number of seconds or an HTTP date
    (RFC 9110 10.2.3); None when absent or unreadable. Never negative."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - clock.now()).total_seconds())


class Pacer:
    """Per-target pacing: a bucket of `rate` requests per `period` seconds for each
    target, and pauses set after a 429. Times come from `clock`, so a test moves a
    ManualClock instead of sleeping through a pause."""

    def __init__(self, rate: float, period: float, clock: Clock) -> None:
        self.rate = rate
        self.period = period
        self.clock = clock
        self._buckets: dict[str, AsyncLimiter] = {}
        self._paused_until: dict[str, float] = {}  # clock.monotonic()

    def bucket(self, target: str) -> AsyncLimiter:
        bucket = self._buckets.get(target)
        if bucket is None:
            if len(self._buckets) > _PRUNE_ABOVE:
                # A bucket with room again is as good as a new one: dropping it is safe.
                self._buckets = {t: b for t, b in self._buckets.items() if not b.has_capacity()}
            bucket = self._buckets[target] = AsyncLimiter(self.rate, self.period)
        return bucket

    def pause(self, target: str, seconds: float) -> None:
        """No request to `target` before `seconds` from now (a later pause wins)."""
        now = self.clock.monotonic()
        until = now + min(seconds, MAX_PAUSE)
        self._paused_until = {t: u for t, u in self._paused_until.items() if u > now}
        self._paused_until[target] = max(self._paused_until.get(target, 0.0), until)

    def paused_for(self, target: str) -> float:
        """Seconds left of `target`'s pause (0 when not paused)."""
        return max(0.0, self._paused_until.get(target, 0.0) - self.clock.monotonic())

    async def wait_turn(self, target: str) -> None:
        """Wait out `target`'s pause, then take a place in its bucket. Safe to cancel:
        nothing was sent."""
        # A loop: another 429 meanwhile moves the end of the pause later.
        while (left := self.paused_for(target)) > 0:
            await self.clock.sleep(left)
        await self.bucket(target).acquire()


class HttpTransport:
    """The base of the HTTP transports: a subclass sets `kind`, `GROUPS` and `RATE`
    and writes `request`; it may refine `judge` and `pause_after`."""

    kind: ClassVar[str]
    GROUPS: ClassVar[bool]
    RATE: ClassVar[tuple[float, float]]  # requests per seconds, per target URL

    def __init__(
        self,
        *,
        timeout: float = TIMEOUT,
        body_limit: int = BODY_LIMIT,
        clock: Clock = SYSTEM_CLOCK,
        resolver: AbstractResolver | None = None,
        is_public: Callable[[str], bool] = is_public_address,
    ) -> None:
        """`resolver` and `is_public` exist for tests, as the probe's do."""
        self.timeout = timeout
        self.body_limit = body_limit
        self.clock = clock
        self.pacer = Pacer(*self.RATE, clock)
        self._resolver = resolver
        self._is_public = is_public
        self._session: aiohttp.ClientSession | None = None

    def request(self, channel: ChannelTarget, items: Sequence[AlertItem]) -> HttpRequest:
        raise NotImplementedError

    @property
    def session(self) -> aiohttp.ClientSession:
        """Made on first use: a ClientSession belongs to the running event loop."""
        if self._session is None:
            connector = GuardedConnector(
                force_close=True,
                ttl_dns_cache=30,
                resolver=self._resolver,
                is_public=self._is_public,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                headers={"User-Agent": USER_AGENT},
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @classmethod
    def from_context(cls, context: TransportContext) -> HttpTransport:
        return cls(clock=context.clock)

    def messages(self, channel: ChannelTarget, items: Sequence[AlertItem]) -> list[Message]:
        return [Message(tuple(items))]

    def paused_for(self, channel: ChannelTarget) -> float:
        return self.pacer.paused_for(channel.target)

    async def wait_turn(self, channel: ChannelTarget) -> None:
        await self.pacer.wait_turn(channel.target)

    async def deliver(self, channel: ChannelTarget, items: Sequence[AlertItem]) -> Outcome:
        """Post `items` to `channel` in its turn; never raises for a failed delivery."""
        await self.wait_turn(channel)
        return await self.send(channel, Message(tuple(items)))

    async def send(self, channel: ChannelTarget, message: Message) -> Outcome:
        """Post the message's items now (after `wait_turn`)."""
        items = message.items
        unknown = sorted({item.kind for item in items if item.kind not in EVENT_NAMES})
        if unknown:
            return Outcome(Result.DEAD, f"not sent to {self.kind} channels: {', '.join(unknown)}")
        if not items:
            return Outcome.sent()
        request = self.request(channel, items)
        try:
            answer = await self.post(channel, request)
        except (BlockedAddressError, TargetError) as exc:
            return Outcome(Result.DEAD, f"address not allowed: {exc}")
        except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError) as exc:
            return Outcome(Result.DEAD, f"invalid URL: {exc}")
        except TimeoutError:
            return Outcome(Result.RETRY, f"no complete answer in {self.timeout:g} s")
        except (aiohttp.ClientError, OSError) as exc:
            return Outcome(Result.RETRY, f"{type(exc).__name__}: {exc}")
        outcome = self.judge(answer)
        pause = self.pause_after(answer, outcome)
        if pause is not None:
            self.pacer.pause(channel.target, pause)
        return outcome

    async def post(self, channel: ChannelTarget, request: HttpRequest) -> Answer:
        """POST without following redirects; the answer with its capped body."""
        with private_addresses_allowed(channel.allow_private):
            async with self.session.post(
                channel.target, data=request.body, headers=request.headers, allow_redirects=False
            ) as response:
                body = await read_capped(response, self.body_limit)
                return Answer(response.status, CIMultiDict(response.headers), body)

    def judge(self, answer: Answer) -> Outcome:
        """What `answer` means (the module doc's list)."""
        status = answer.status
        if 200 <= status < 300:
            return Outcome.sent()
        if status == 410:
            return Outcome(Result.DISABLE_CHANNEL, f"gone: {answer.describe()}")
        if status == 429:
            wait = self.retry_after(answer)
            return Outcome(Result.RATE_LIMITED, answer.describe(), retry_after=wait)
        if 300 <= status < 400:
            where = answer.headers.get("Location", "?")
            return Outcome(
                Result.DEAD, f"HTTP {status}: redirected to {where}; redirects are not followed"
            )
        if status in (408, 425) or status >= 500:
            return Outcome(Result.RETRY, answer.describe())
        if 400 <= status < 500:
            return Outcome(Result.DEAD, answer.describe())
        return Outcome(Result.RETRY, answer.describe())

    def retry_after(self, answer: Answer) -> float:
        """How long a 429 asks to wait (at most MAX_PAUSE: a receiver asking for a day
        would otherwise hold the alert that long)."""
        wait = retry_after_header(answer.headers.get("Retry-After"), self.clock)
        return min(MAX_PAUSE, DEFAULT_RETRY_AFTER if wait is None else wait)

    def pause_after(self, answer: Answer, outcome: Outcome) -> float | None:
        """Seconds to pause the target after `answer`, or None."""
        return outcome.retry_after if outcome.result == Result.RATE_LIMITED else None


async def read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """At most `limit` bytes of the body; the rest is never read (the connection is
    closed with the response)."""
    body = bytearray()
    while len(body) < limit:
        chunk = await response.content.read(limit - len(body))
        if not chunk:
            break
        body += chunk
    return bytes(body)
