"""The outbox worker: delivers notification rows (every alert is a row first, sent
later, so nothing is lost while Telegram or SMTP is away).

`tick()` is an APScheduler job (every second). On the replica that leads the outbox
(db/leader.py) it starts a drain unless one is running. A drain:
1. makes the rows of a worker that died pending again: at once those claimed under
   an earlier leadership epoch, when this replica has just taken the lead (the
   leader that claimed them is gone: see db/outbox.py), and any whose lease is over;
2. claims due rows (db/outbox.py) and keeps up to `batch` of each kind in hand,
   claiming more of a kind whenever half of its rows are done (at once after a full
   claim, else at most once a second), so the rate limits, not the claims, set the
   pace, and a slow kind's backlog does not hold a fast kind back; before each claim it
   makes sure it still leads, so a replica that lost the lock mid-drain stops, and
   before each send that the claim is still its own (a newer leader may have
   returned it);
3. delivers each recipient's rows (one channel, core/channels.py; or, for rows naming
   none, the user on one transport) in order, through the transport of the channel's
   kind (scheduler/transports/, which this module knows only by its protocol): more
   than GROUP_ABOVE alerts (down, up, reminder, certificate; a transport may say
   fewer for a destination, base.group_above_of: Telegram groups, which take 20
   messages a minute) become one grouped unit where the kind groups, everything else
   goes one unit per row. The transport turns
   a unit into its messages, rendered in the channel's language of now: one, or for
   a grouped Telegram alert as many as its names need, up to five, each standing for
   the rows it names (the last also for those it only counts, which its button
   lists). A destination paused for longer than PAUSE_HELD (a 429) gets its rows back
   at once, due when the pause ends, rather than holding them;
4. marks each row the moment its transport has answered, conditionally on its claim
   (sent, retry at a time from core/delivery.RetryPolicy, dead, cancelled), so a
   crash can repeat a message only in the instant between the transport's acceptance
   and that one UPDATE; the rows of a grouped message share one outcome and one
   retry time, so they come back (and are grouped) together. The messages of a unit
   are marked one by one: when part 2 of 3 fails, part 1's rows are sent already, and
   the rows of parts 2 and 3 take part 2's outcome and come back as a new, smaller
   group; no part that went out is sent again (at least once per part: only the
   crash instant above can repeat one). A destination gone for good (DISABLE_CHANNEL,
   or a Telegram 403 from a group) turns its channel off and tells its owner
   (core/channels.disable_channel); a user who blocked the bot has their private
   chat turned off;
5. ends when nothing is due. A failure to be retried stops that recipient's queue
   for this round: their later rows go back and wait behind it (the claim skips rows
   with an older row backing off), so alerts never overtake each other.

`stop()` (shutdown) lets messages already handed to a transport finish, gives every
other claimed row back, and lets go of the leadership.

Due times, leases, quiet periods, retry times and the pauses between claims and
between write attempts come from a `Clock` (core/clock.py), so tests run the worker
on a manual clock; the HTTP transports pace on it too. Telegram's rate limits
(scheduler/telegram_sender.py) and stop()'s deadline stay on real time: they pace
and bound real network traffic.

A kind whose transport fails with a transient error is logged once as failing, and
once as recovered when a message goes through again (not once per message). Telegram
may join later (`use_telegram`): run.py starts the outbox before Telegram has been
reached, so Telegram rows wait in the queue, without spending attempts, until it is.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiogram import Bot

from core.alerts import deep_link
from core.channels import disable_channel, note_error, note_used
from core.clock import SYSTEM_CLOCK, Clock
from core.delivery import Outcome, Result, RetryPolicy
from core.i18n import language_of
from core.metrics import NOTIFICATIONS
from core.settings import Settings
from core.targets import private_targets_allowed
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
from scheduler.telegram_sender import TelegramSender
from scheduler.transports import TRANSPORTS
from scheduler.transports.base import (
    GROUP_ABOVE,
    AlertItem,
    ChannelTarget,
    Message,
    Transport,
    TransportContext,
    group_above_of,
)
from scheduler.transports.telegram import TelegramTransport

log = logging.getLogger(__name__)

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
# A destination paused (a 429) for longer than this does not hold its rows: they go
# back, due when the pause ends, and the worker goes on with other recipients.
PAUSE_HELD = timedelta(seconds=30)


@dataclass
class Unit:
    """One message: one row, or the rows a grouped message stands for."""

    rows: list[ClaimedNotification]
    grouped: bool = False
    # The message its transport prepared for these rows (see _messages).
    message: Message | None = None
    # That group's later messages: when this one fails, their rows share its outcome
    # (they come back, and are grouped again, together) and they are not sent.
    then: list[Unit] = field(default_factory=list)

    @property
    def first(self) -> ClaimedNotification:
        return self.rows[0]


def units_of(
    rows: list[ClaimedNotification], groups: bool = True, above: int = GROUP_ABOVE
) -> list[Unit]:
    """One recipient's rows (in order) as units: their alerts as one group when there
    are more than `above` of them (placed where the first one was) and the transport
    `groups`, the rest one by one."""
    alerts = [row for row in rows if row.kind in GROUPABLE_KINDS]
    if not groups or len(alerts) <= above:
        return [Unit([row]) for row in rows]
    units: list[Unit] = []
    for row in rows:
        if row.kind not in GROUPABLE_KINDS:
            units.append(Unit([row]))
        elif row is alerts[0]:
            units.append(Unit(alerts, grouped=True))
    return units


def item_of(row: ClaimedNotification) -> AlertItem:
    """What a transport is told of a row: its facts, the incident's id among them."""
    payload = (
        row.payload if row.incident_id is None else {**row.payload, "incident_id": row.incident_id}
    )
    return AlertItem(
        notification_id=row.id,
        kind=row.kind,
        payload=payload,
        created_at=row.created_at,
        monitor_id=row.monitor_id,
    )


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
        self.bot_username = settings.bot_username
        # One transport per channel kind this process can deliver (scheduler/transports).
        self.transports = self._transports(bot)
        self.leadership = Leadership(settings.database_url)
        self.policy = policy or RetryPolicy()
        self.batch = batch
        self.quiet = quiet
        self._drain_task: asyncio.Task | None = None
        self._stopping = False
        self._claim_again_at = 0.0  # the clock's monotonic time; see _claim_due
        self._claimed: dict[int, ClaimedNotification] = {}  # claimed, not yet settled
        self._leases: dict[int, datetime] = {}
        self._in_transport: set[int] = set()  # handed to a transport, no answer yet
        self._returned_epoch: int | None = None  # earlier epochs' claims returned up to
        self._failing: set[str] = set()  # channel kinds whose last message failed
        self._used_noted: dict[int, datetime] = {}  # channel id: last use written

    def _transports(self, bot: Bot | None) -> dict[str, Transport]:
        context = TransportContext(self.settings, self.clock, bot, self._link)
        made = {kind: cls.from_context(context) for kind, cls in TRANSPORTS.items()}
        return {kind: transport for kind, transport in made.items() if transport is not None}

    @property
    def channels(self) -> list[str]:
        """The channel kinds this process can deliver; rows of others wait for one that can."""
        return list(self.transports)

    @property
    def telegram(self) -> TelegramSender | None:
        """The Telegram transport's sender (tests swap it for one of their own)."""
        transport = self.transports.get(NotificationChannel.TELEGRAM)
        return transport.sender if isinstance(transport, TelegramTransport) else None

    @telegram.setter
    def telegram(self, sender: TelegramSender) -> None:
        self.transports[NotificationChannel.TELEGRAM] = TelegramTransport(sender, self._link)

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

    def _held(self) -> Counter[str]:
        return Counter(claim.channel for claim in self._claimed.values())

    def _kinds_with_room(self) -> list[str]:
        """The kinds with at most half their `batch` of rows in hand: each kind has
        its own, so a slow kind's backlog (Telegram, 25 a second) does not keep a
        fast one's rows (webhooks) waiting for room."""
        held = self._held()
        return [kind for kind in self.transports if held[kind] <= self.batch // 2]

    def _claim_due(self, active: set) -> bool:
        """Claim when half a kind's rows in hand are done; after a claim that came back
        short (nothing more was due), not again for a second, so the tail of a drain
        does not ask the database after every message."""
        if not self._kinds_with_room():
            return False
        return not active or self.clock.monotonic() >= self._claim_again_at

    async def _claim(self) -> list[ClaimedNotification]:
        """With nothing in hand, one claim for every kind; with a backlog, one per kind
        with room, each up to its own share."""
        now = self.clock.now()
        lease_until = now + LEASE
        held = self._held()
        kinds = self._kinds_with_room()
        rounds = [kinds] if not self._claimed else [[kind] for kind in kinds]
        claims: list[ClaimedNotification] = []
        short = True
        for group in rounds:
            limit = self.batch - sum(held[kind] for kind in group)
            got = await outbox.claim_notifications(
                now,
                limit=limit,
                lease_until=lease_until,
                epoch=self.leadership.epoch,
                channels=group,
                quiet_before=now - self.quiet,
                hold_before=now - HOLD,
            )
            short = short and len(got) < limit
            claims.extend(got)
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
        transport = self.transports[rows[0].channel]
        channel = self._target(rows[0])
        if isinstance(channel, str):  # nowhere to send to any more
            for row in rows:
                await self._finish(row, Result.CANCELLED, channel)
            return
        units = [
            message
            for unit in units_of(rows, transport.GROUPS, group_above_of(transport, channel))
            for message in self._messages(transport, channel, unit)
        ]
        index = 0
        while index < len(units):
            unit = units[index]
            rest = [row for later in units[index:] for row in later.rows]
            paused = transport.paused_for(channel)
            if paused > PAUSE_HELD.total_seconds():  # not held that long: back, due then
                await self._settle(unit, Outcome(Result.RATE_LIMITED, "paused", paused))
                await self._give_back(rest[len(unit.rows) :])
                return
            if not await self._may_send(transport, channel, unit):
                await self._give_back(rest)
                return
            # Until its outcome is written, a row a transport may have accepted is not
            # given back on shutdown (that could send it twice): its lease decides.
            ids = [row.id for row in unit.rows]
            self._in_transport.update(ids)
            outcome = await self._send(transport, channel, unit)
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
            if outcome.result in (Result.BLOCKED, Result.DISABLE_CHANNEL):
                for row in rest[len(unit.rows) :]:
                    await self._finish(row, Result.CANCELLED, outcome.error)
                return

    def _target(self, row: ClaimedNotification) -> ChannelTarget | str:
        """Where a recipient's rows go, or why they go nowhere: the row's channel, else
        (rows naming none) the user's private chat, or the address a code confirms."""
        lang = language_of(row.language, row.telegram_language)
        if row.alert_channel_id is not None:
            if not row.channel_enabled:
                return "the channel is off"
            address, thread = row.channel_target or "", row.channel_thread_id
        elif row.channel == NotificationChannel.TELEGRAM:
            if row.blocked_bot:
                return "the user has blocked the bot"
            address, thread = str(row.telegram_id), None
        elif row.kind == NotificationKind.EMAIL_VERIFICATION:
            address, thread = row.payload.get("email") or "", None  # not confirmed yet
        else:
            address, thread = (row.email if row.email_verified else "") or "", None
        if not address:
            return "no address to send to"
        return ChannelTarget(
            id=row.alert_channel_id or 0,
            kind=row.channel,
            target=address,
            settings=row.channel_settings,
            language=lang,
            zone=row.timezone,
            allow_private=private_targets_allowed(
                self.settings.allow_private_targets, self.settings.admin_ids, row.telegram_id
            ),
            thread_id=thread,
        )

    async def _may_send(self, transport: Transport, channel: ChannelTarget, unit: Unit) -> bool:
        """Wait for the rate limits; False when the worker is stopping, the lease
        would not cover the send any more, or a newer leader has taken the rows back
        (the rows then go back, as far as they are still this worker's)."""
        if self._stopping:
            return False
        await transport.wait_turn(channel)
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

    def _messages(self, transport: Transport, channel: ChannelTarget, unit: Unit) -> list[Unit]:
        """A unit as the messages its transport sends, each with the rows it names, in
        order; each message's later ones are its `then`."""
        try:
            messages = transport.messages(channel, [item_of(row) for row in unit.rows])
        except Exception:  # a bug must not end the drain: _send meets it, retries
            log.exception("rendering notification %s failed", unit.first.id)
            return [unit]
        by_id = {row.id: row for row in unit.rows}
        units = [
            Unit([by_id[item.notification_id] for item in message.items], unit.grouped, message)
            for message in messages
        ]
        for index, message_unit in enumerate(units):
            message_unit.then = units[index + 1 :]
        return units

    async def _send(self, transport: Transport, channel: ChannelTarget, unit: Unit) -> Outcome:
        try:
            if unit.message is None:  # its rendering failed (logged in _messages)
                raise RuntimeError("the message could not be rendered")
            return await transport.send(channel, unit.message)
        except Exception as exc:  # a bug must not lose the alert: retried, then dead
            log.exception("sending notification %s failed", unit.first.id)
            return Outcome(Result.RETRY, f"{type(exc).__name__}: {exc}")

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
        first = unit.first
        self._note_channel(first.channel, outcome)
        if outcome.result == Result.BLOCKED and not _private_chat(first):
            # A group or channel that removed the bot: that channel is gone, not the user.
            outcome = Outcome(Result.DISABLE_CHANNEL, outcome.error)
        if outcome.result == Result.BLOCKED:
            await self._blocked(first, outcome.error or "blocked")
            outcome = Outcome(Result.CANCELLED, outcome.error)
        elif outcome.result == Result.DISABLE_CHANNEL:
            channel_id = first.alert_channel_id
            if channel_id is not None:
                reason = outcome.error or "failed for good"
                if await _persist(lambda: disable_channel(channel_id, reason), self.clock):
                    log.info("channel %s disabled: %s", channel_id, reason)
            outcome = Outcome(Result.CANCELLED, outcome.error)
        await self._note_use(first, outcome)
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

    async def _blocked(self, row: ClaimedNotification, reason: str) -> None:
        """The user blocked the bot: marked, their private chat off (writing to the bot
        turns it on again, core/users.py), what is queued for it cancelled."""
        user_id, channel_id = row.user_id, row.alert_channel_id
        await _persist(lambda: User.filter(id=user_id).update(blocked_bot=True), self.clock)
        await _persist(lambda: outbox.cancel_pending(user_id, channel_id, reason), self.clock)
        if channel_id is not None:
            await _persist(
                lambda: Channel.filter(id=channel_id).update(
                    enabled=False, disabled_reason=BLOCKED_REASON
                ),
                self.clock,
            )
        log.info("user %s blocked the bot; their Telegram alerts are cancelled", user_id)

    async def _note_use(self, row: ClaimedNotification, outcome: Outcome) -> None:
        """A channel's last use and last error, for its owner to see (at most one write
        a minute per channel for uses: a burst of alerts does not write each time)."""
        channel_id = row.alert_channel_id
        if channel_id is None:
            return
        now = self.clock.now()
        if outcome.result == Result.SENT:
            noted = self._used_noted.get(channel_id)
            if noted is None or now - noted >= timedelta(minutes=1):
                self._used_noted[channel_id] = now
                await _persist(lambda: note_used(channel_id, now), self.clock)
        elif outcome.result in (Result.RETRY, Result.DEAD) and outcome.error:
            error = outcome.error
            await _persist(lambda: note_error(channel_id, error, now), self.clock)

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
        for transport in self.transports.values():
            await transport.close()


def _private_chat(row: ClaimedNotification) -> bool:
    """Whether a Telegram row goes to its user's private chat."""
    return row.alert_channel_id is None or (
        row.channel_target == str(row.telegram_id) and row.channel_thread_id is None
    )


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
