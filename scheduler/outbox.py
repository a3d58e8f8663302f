"""The outbox worker: delivers notification rows (every alert is a row first, sent
later, so nothing is lost while Telegram or SMTP is away).

`tick()` is an APScheduler job (every second). On the replica that leads the outbox
(db/leader.py) it starts a drain unless one is running. A drain:
1. makes the rows of a worker that died pending again: at once those claimed under
   an earlier leadership epoch, when this replica has just taken the lead (the
   leader that claimed them is gone: see db/outbox.py), and any whose lease is over;
2. claims due rows (db/outbox.py) and keeps up to `batch` of them in hand, claiming
   more whenever half are done (at once after a full claim, else at most once a
   second), so the rate limits, not the claims, set the pace; before each claim it
   makes sure it still leads, so a replica that lost the lock mid-drain stops, and
   before each send that the claim is still its own (a newer leader may have
   returned it);
3. delivers each recipient's rows (one user on one channel) in order: more than
   GROUP_ABOVE alerts (down, up, reminder, certificate) become one grouped message,
   everything else goes one message per row; each is rendered in the recipient's
   language of now. A grouped email names every alert; a grouped Telegram alert is
   as many messages as its names need, up to five (core/alerts.render_group), sent
   in order, each standing for the rows it names (the last also for those it only
   counts, which its button lists);
4. marks each row the moment its transport has answered, conditionally on its claim
   (sent, retry at a time from core/delivery.RetryPolicy, dead, cancelled), so a
   crash can repeat a message only in the instant between the transport's acceptance
   and that one UPDATE; the rows of a grouped message share one outcome and one
   retry time, so they come back (and are grouped) together. The messages of a
   grouped Telegram alert are marked one by one: when part 2 of 3 fails, part 1's
   rows are sent already, and the rows of parts 2 and 3 take part 2's outcome and
   come back as a new, smaller group; no part that went out is sent again (at least
   once per part: only the crash instant above can repeat one);
5. ends when nothing is due. A failure to be retried stops that recipient's queue
   for this round: their later rows go back and wait behind it (the claim skips rows
   with an older row backing off), so alerts never overtake each other.

`stop()` (shutdown) lets messages already handed to a transport finish, gives every
other claimed row back, and lets go of the leadership.

Due times, leases, quiet periods, retry times and the pauses between claims and
between write attempts come from a `Clock` (core/clock.py), so tests run the worker
on a manual clock. The transports' rate limits (scheduler/telegram_sender.py) and
stop()'s deadline stay on real time: they pace and bound real network traffic.

A channel whose transport fails with a transient error is logged once as failing, and
once as recovered when a message goes through again (not once per message). Telegram
may join later (`use_telegram`): run.py starts the outbox before Telegram has been
reached, so Telegram rows wait in the queue, without spending attempts, until it is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup

from bot.keyboards import alert_buttons, grouped_alert_buttons
from core.alerts import RenderedAlert, deep_link, render_alert, render_group
from core.clock import SYSTEM_CLOCK, Clock
from core.delivery import Outcome, Result, RetryPolicy
from core.i18n import language_of, use_locale
from core.mail import build_email
from core.metrics import NOTIFICATIONS
from core.settings import Settings
from db import outbox
from db.leader import Leadership
from db.models import (
    BLOCKED_REASON,
    Channel,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    User,
)
from db.outbox import GROUPABLE_KINDS, ClaimedNotification
from scheduler.email_sender import EmailSender
from scheduler.telegram_sender import TelegramSender

log = logging.getLogger(__name__)

GROUP_ABOVE = 5  # more alerts than this for one recipient in one round: one message
# Rows in hand at once (20 s of sending at 25 messages a second, well inside the
# lease). Large enough that one person's burst (300 monitors down together) is
# claimed whole and grouped into one alert instead of one alert per claim.
BATCH = 500
LEASE = timedelta(minutes=5)
# A row is not handed to a transport when less than this is left of its lease: the
# send must end (timeouts of 15 s for Telegram, 30 s for SMTP) before anyone else
# may claim the row again.
LEASE_MARGIN = timedelta(minutes=1)
QUIET = timedelta(seconds=2)  # see db/outbox.py: a burst is claimed (and grouped) whole
HOLD = timedelta(seconds=10)  # ... but nobody waits longer than this for quiet
_MUTABLE_KINDS = (NotificationKind.DOWN, NotificationKind.REMINDER)


@dataclass
class Unit:
    """One message: one row, or the rows a grouped message stands for."""

    rows: list[ClaimedNotification]
    grouped: bool = False
    # One message of a grouped Telegram alert, rendered already (see _telegram_parts).
    html: str | None = None
    markup: InlineKeyboardMarkup | None = None
    # That group's later messages: when this one fails, their rows share its outcome
    # (they come back, and are grouped again, together) and they are not sent.
    then: list[Unit] = field(default_factory=list)

    @property
    def first(self) -> ClaimedNotification:
        return self.rows[0]


def units_of(rows: list[ClaimedNotification]) -> list[Unit]:
    """One recipient's rows (in order) as messages: their alerts as one group when
    there are more than GROUP_ABOVE of them (placed where the first one was), the
    rest one by one."""
    alerts = [row for row in rows if row.kind in GROUPABLE_KINDS]
    if len(alerts) <= GROUP_ABOVE:
        return [Unit([row]) for row in rows]
    units: list[Unit] = []
    for row in rows:
        if row.kind not in GROUPABLE_KINDS:
            units.append(Unit([row]))
        elif row is alerts[0]:
            units.append(Unit(alerts, grouped=True))
    return units


class OutboxWorker:
    def __init__(
        self,
        settings: Settings,
        *,
        bot: Bot | None = None,
        policy: RetryPolicy | None = None,
        batch: int = BATCH,
        quiet: timedelta = QUIET,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.telegram = TelegramSender(bot) if bot is not None else None
        self.email = EmailSender(settings) if settings.smtp_host else None
        self.leadership = Leadership(settings.database_url)
        self.policy = policy or RetryPolicy()
        self.batch = batch
        self.quiet = quiet
        self.bot_username = settings.bot_username
        self._drain_task: asyncio.Task | None = None
        self._stopping = False
        self._claim_again_at = 0.0  # the clock's monotonic time; see _claim_due
        self._claimed: dict[int, ClaimedNotification] = {}  # claimed, not yet settled
        self._leases: dict[int, datetime] = {}
        self._in_transport: set[int] = set()  # handed to a transport, no answer yet
        self._returned_epoch: int | None = None  # earlier epochs' claims returned up to
        self._failing: set[str] = set()  # channels whose last message failed transiently

    @property
    def channels(self) -> list[str]:
        """The channels this process can deliver; rows of others wait for one that can."""
        channels = []
        if self.telegram is not None:
            channels.append(NotificationChannel.TELEGRAM.value)
        if self.email is not None:
            channels.append(NotificationChannel.EMAIL.value)
        return channels

    def use_telegram(self, bot: Bot, username: str | None = None) -> None:
        """Deliver Telegram rows from now on (the bot has reached Telegram); `username`
        serves the deep links unless BOT_USERNAME is set."""
        self.telegram = TelegramSender(bot)
        self.bot_username = self.bot_username or username

    async def start(self) -> None:
        """Learn the bot's username for deep links when BOT_USERNAME is not set."""
        if self.telegram is not None and not self.bot_username:
            try:
                self.bot_username = (await self.telegram.bot.get_me(request_timeout=5)).username
            except Exception as exc:  # links are a nicety; alerts go out without them
                log.warning("could not learn the bot's username for deep links: %s", exc)

    # --- the job ----------------------------------------------------------------------

    async def tick(self) -> None:
        """Start a drain on the leading replica unless one is running (never blocks)."""
        if self._stopping or not self.channels:
            return
        if self._drain_task is not None and not self._drain_task.done():
            return
        if not await self.leadership.check() or self._stopping:  # stop() may have come
            return
        self._drain_task = asyncio.create_task(self._drain_logged(), name="outbox.drain")

    async def _drain_logged(self) -> None:
        try:
            await self.drain()
        except Exception as exc:  # the database went away: the next tick tries again
            log.warning("outbox drain stopped: %s", exc)

    async def drain(self) -> None:
        """Deliver until nothing is due (see the module doc)."""
        await outbox.recover_expired(self.clock.now())
        active: set[asyncio.Task[None]] = set()
        try:
            while not self._stopping:
                if self._claim_due(active):
                    if not await self._lead():
                        log.warning("outbox leadership lost: this replica stops delivering")
                        break
                    for rows in self._by_recipient(await self._claim()):
                        active.add(asyncio.create_task(self._deliver(rows)))
                if not active:
                    break
                done, active = await asyncio.wait(active, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()  # a database failure ends the drain
            if active:  # stopping, or no longer leading: let what is under way finish
                await asyncio.gather(*active)
        finally:
            # Cancelled (stop's deadline) or failed (the database): wind down, and give
            # back every claimed row no transport has seen.
            for task in active:
                task.cancel()
            await asyncio.gather(*active, return_exceptions=True)
            leftover = [c for i, c in self._claimed.items() if i not in self._in_transport]
            self._claimed.clear()
            self._leases.clear()
            self._in_transport.clear()
            if leftover:
                try:
                    await outbox.release(leftover)
                except Exception as exc:  # their leases end, and they go out then
                    log.warning("could not give back %s notifications: %s", len(leftover), exc)

    async def _lead(self) -> bool:
        """Whether this replica still leads; on a new leadership, first return the
        rows claimed under earlier ones (until that has worked, nothing is claimed)."""
        if not await self.leadership.check():
            return False
        epoch = self.leadership.epoch
        if epoch != self._returned_epoch:
            returned = await outbox.return_abandoned(epoch)
            if returned:
                log.info("%s notifications of an earlier outbox leadership queued again", returned)
            self._returned_epoch = epoch
        return True

    def _claim_due(self, active: set) -> bool:
        """Claim when half the rows in hand are done; after a claim that came back short
        (nothing more was due), not again for a second, so the tail of a drain does not
        ask the database after every message."""
        if len(self._claimed) > self.batch // 2:
            return False
        return not active or self.clock.monotonic() >= self._claim_again_at

    async def _claim(self) -> list[ClaimedNotification]:
        now = self.clock.now()
        lease_until = now + LEASE
        limit = self.batch - len(self._claimed)
        claims = await outbox.claim_notifications(
            now,
            limit=limit,
            lease_until=lease_until,
            epoch=self.leadership.epoch,
            channels=self.channels,
            quiet_before=now - self.quiet,
            hold_before=now - HOLD,
        )
        short = len(claims) < limit
        self._claim_again_at = self.clock.monotonic() + (1.0 if short else 0.0)
        for claim in claims:
            self._claimed[claim.id] = claim
            self._leases[claim.id] = lease_until
        return claims

    @staticmethod
    def _by_recipient(claims: list[ClaimedNotification]) -> list[list[ClaimedNotification]]:
        recipients: dict[tuple, list[ClaimedNotification]] = {}
        for claim in claims:  # in claim order (alerts first, then by id): lists stay in order
            recipients.setdefault(claim.recipient, []).append(claim)
        return list(recipients.values())

    # --- one recipient ----------------------------------------------------------------

    async def _deliver(self, rows: list[ClaimedNotification]) -> None:
        """Send one recipient's rows in order."""
        units = [message for unit in units_of(rows) for message in self._messages(unit)]
        index = 0
        while index < len(units):
            unit = units[index]
            rest = [row for later in units[index:] for row in later.rows]
            if not await self._may_send(unit):
                await self._give_back(rest)
                return
            # Until its outcome is written, a row a transport may have accepted is not
            # given back on shutdown (that could send it twice): its lease decides.
            ids = [row.id for row in unit.rows]
            self._in_transport.update(ids)
            outcome = await self._send(unit)
            index += 1
            if outcome.result != Result.SENT and unit.then:
                index += len(unit.then)  # the rest of its group shares the outcome
                later = [row for message in unit.then for row in message.rows]
                unit = Unit(unit.rows + later, grouped=True)
            await self._settle(unit, outcome)
            self._in_transport.difference_update(ids)
            if outcome.result in (Result.RETRY, Result.RATE_LIMITED):
                await self._give_back(rest[len(unit.rows) :])
                return
            if outcome.result == Result.BLOCKED:
                for row in rest[len(unit.rows) :]:
                    await self._finish(row, Result.CANCELLED, outcome.error)
                return

    async def _may_send(self, unit: Unit) -> bool:
        """Wait for the rate limits; False when the worker is stopping, the lease
        would not cover the send any more, or a newer leader has taken the rows back
        (the rows then go back, as far as they are still this worker's)."""
        if self._stopping:
            return False
        if self.telegram is not None and unit.first.channel == NotificationChannel.TELEGRAM:
            await self.telegram.wait_turn(_chat_of(unit.first))
        if self._stopping:
            return False
        now = self.clock.now()
        if not all(now < self._leases[row.id] - LEASE_MARGIN for row in unit.rows):
            return False
        if not await outbox.still_claimed(unit.rows):
            log.warning("notification %s was taken back by a newer outbox leader", unit.first.id)
            return False
        return True

    async def _give_back(self, rows: list[ClaimedNotification]) -> None:
        if rows:
            await outbox.release(rows)
        for row in rows:
            self._forget(row)

    def _forget(self, row: ClaimedNotification) -> None:
        self._claimed.pop(row.id, None)
        self._leases.pop(row.id, None)

    # --- sending ----------------------------------------------------------------------

    def _link(self, monitor_id: int | None) -> str | None:
        return deep_link(self.bot_username, monitor_id)

    def _messages(self, unit: Unit) -> list[Unit]:
        """A grouped Telegram alert as its messages (_telegram_parts); any other unit
        is one message."""
        if unit.grouped and unit.first.channel == NotificationChannel.TELEGRAM:
            try:
                return self._telegram_parts(unit)
            except Exception:  # a bug must not end the drain: _send meets it, retries
                log.exception("rendering grouped notification %s failed", unit.first.id)
        return [unit]

    def _telegram_parts(self, unit: Unit) -> list[Unit]:
        """The messages of a grouped Telegram alert (core/alerts.render_group), each with
        the rows it names, in order; the last also stands for the rows it only counts,
        and carries the button that lists them."""
        first = unit.first
        lang = language_of(first.language, first.telegram_language)
        items = [(row.kind, row.payload) for row in unit.rows]
        parts = render_group(items, lang, self._link)
        messages: list[Unit] = []
        start = 0
        for part in parts:
            rows = unit.rows[start : start + part.named + part.more]
            start += len(rows)
            markup = None
            if part is parts[-1]:
                with use_locale(lang):
                    markup = grouped_alert_buttons([row.id for row in rows[part.named :]])
            messages.append(Unit(rows, grouped=True, html=part.html, markup=markup))
        for index, message in enumerate(messages):
            message.then = messages[index + 1 :]
        return messages

    def _render(self, unit: Unit, lang: str) -> RenderedAlert:
        if unit.grouped:  # an email: one message names every alert
            items = [(row.kind, row.payload) for row in unit.rows]
            return render_group(items, lang, self._link, budget=None)[0]
        first = unit.first
        return render_alert(first.kind, first.payload, lang, first.timezone)

    async def _send(self, unit: Unit) -> Outcome:
        row = unit.first
        lang = language_of(row.language, row.telegram_language)
        try:
            if row.channel == NotificationChannel.TELEGRAM:
                return await self._send_telegram(unit, lang)
            return await self._send_email(unit, lang)
        except Exception as exc:  # a bug must not lose the alert: retried, then dead
            log.exception("sending notification %s failed", row.id)
            return Outcome(Result.RETRY, f"{type(exc).__name__}: {exc}")

    async def _send_telegram(self, unit: Unit, lang: str) -> Outcome:
        assert self.telegram is not None
        row = unit.first
        if row.blocked_bot and row.alert_channel_id is None:
            return Outcome(Result.CANCELLED, "the user has blocked the bot")
        if not row.channel_enabled:
            return Outcome(Result.CANCELLED, "the channel is off")
        if unit.html is not None:  # a message of a grouped alert
            return await self.telegram.send(_chat_of(row), unit.html, unit.markup)
        with use_locale(lang):
            if row.kind in GROUPABLE_KINDS and row.monitor_id is not None:
                markup = alert_buttons(
                    row.monitor_id,
                    mute=row.kind in _MUTABLE_KINDS,
                    check=row.payload.get("probed", True),
                )
            else:
                markup = None
        return await self.telegram.send(_chat_of(row), self._render(unit, lang).html, markup)

    async def _send_email(self, unit: Unit, lang: str) -> Outcome:
        assert self.email is not None
        row = unit.first
        if row.kind == NotificationKind.EMAIL_VERIFICATION:
            address = row.payload.get("email")  # not confirmed yet: that is the point
        elif row.alert_channel_id is not None:
            address = row.channel_target if row.channel_enabled else None
        else:  # a row naming no channel: to the user's confirmed address
            address = row.email if row.email_verified else None
        if not address:
            return Outcome(Result.CANCELLED, "no verified email address")
        link = None if unit.grouped else self._link(row.monitor_id)
        message = build_email(self.email.sender, address, self._render(unit, lang), lang, link)
        return await self.email.send(message)

    # --- outcomes ---------------------------------------------------------------------

    def _note_channel(self, channel: str, outcome: Outcome) -> None:
        """Log a channel's change between working and failing (see the module doc)."""
        if outcome.result == Result.RETRY and channel not in self._failing:
            self._failing.add(channel)
            log.warning("%s channel failing: %s", channel, outcome.error)
        elif outcome.result == Result.SENT and channel in self._failing:
            self._failing.discard(channel)
            log.info("%s channel recovered", channel)

    async def _settle(self, unit: Unit, outcome: Outcome) -> None:
        self._note_channel(unit.first.channel, outcome)
        if outcome.result == Result.BLOCKED:
            user_id = unit.first.user_id
            await _persist(lambda: User.filter(id=user_id).update(blocked_bot=True), self.clock)
            channel_id = unit.first.alert_channel_id
            await _persist(
                lambda: outbox.cancel_pending(user_id, channel_id, outcome.error), self.clock
            )
            if channel_id is not None:
                await _persist(
                    lambda: Channel.filter(id=channel_id).update(
                        enabled=False, disabled_reason=BLOCKED_REASON
                    ),
                    self.clock,
                )
            log.info("user %s blocked the bot; their Telegram alerts are cancelled", user_id)
        result, retry_at = outcome.result, None
        if result in (Result.RETRY, Result.RATE_LIMITED):
            # One decision for the whole message: its rows come back together (and are
            # grouped again), or die together. The oldest row's age decides.
            first = unit.first
            now = self.clock.now()
            retry_at = self.policy.next_attempt(outcome, first.attempts, first.created_at, now)
            if retry_at is None:
                result = Result.DEAD  # failing for too long
        for row in unit.rows:
            await self._finish(row, result, outcome.error, retry_at)

    async def _finish(
        self,
        row: ClaimedNotification,
        result: Result,
        error: str | None,
        retry_at: datetime | None = None,
    ) -> None:
        """Record `result` (RETRY and RATE_LIMITED with `retry_at`) conditionally on the
        claim; a confirmation code leaves the payload whatever the outcome (it lives on
        only as its hash on the user)."""
        payload = None
        if row.kind == NotificationKind.EMAIL_VERIFICATION:
            payload = {k: v for k, v in row.payload.items() if k != "code"}
        if result == Result.SENT:
            now = self.clock.now()
            done = await _persist(lambda: outbox.mark_sent(row, now, payload), self.clock)
        elif result in (Result.RETRY, Result.RATE_LIMITED):
            assert retry_at is not None
            done = await _persist(lambda: outbox.mark_retry(row, retry_at, error), self.clock)
        else:
            status = (
                NotificationStatus.DEAD if result == Result.DEAD else NotificationStatus.CANCELLED
            )
            if result == Result.DEAD:
                log.warning("notification %s is dead: %s", row.id, error)
            done = await _persist(
                lambda: outbox.mark_final(row, status, error, payload), self.clock
            )
        if not done:
            log.warning(
                "notification %s was claimed again meanwhile; outcome %s not kept", row.id, result
            )
        NOTIFICATIONS.labels(row.channel, result).inc()
        self._forget(row)

    # --- shutdown ---------------------------------------------------------------------

    async def stop(self, timeout: float = 3.0) -> None:
        """Stop taking rows. Messages handed to a transport get `timeout` seconds to
        finish; the drain gives every other claimed row back to the queue at once."""
        self._stopping = True
        task = self._drain_task
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout)
            except TimeoutError:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await self.leadership.close()


def _chat_of(row: ClaimedNotification) -> int:
    """The Telegram chat a row goes to: its channel's, else the user's private chat."""
    if row.alert_channel_id is not None and row.channel_target is not None:
        return int(row.channel_target)
    return row.telegram_id


async def _persist(write: Callable[[], Awaitable], clock: Clock, tries: int = 4) -> object:
    """Run a small write, retrying through a short database outage: a mark that is
    lost after a send is what could repeat a message (after the lease)."""
    for attempt in range(tries):
        try:
            return await write()
        except Exception:
            if attempt == tries - 1:
                raise
            await clock.sleep(0.5 * 2**attempt)
    return None
