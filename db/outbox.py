"""The notification outbox as a queue: claiming due rows and marking what became of them.

A row goes pending -> sending (claimed) -> sent | pending (retry) | dead | cancelled.

The claim (`claim_notifications`), in one statement on PostgreSQL:
1. Finds the recipients with due rows that are ready (a recipient is one channel,
   core/channels.py, or for rows that name none the user on one transport): their
   newest alert is at least the quiet period old (so a burst of alerts that the
   engine writes over a second or two is claimed, and grouped, together), or their
   oldest due row has waited the longest hold (a steady trickle still goes out), or
   they have no alert rows at all (a confirmation code or a broadcast does not wait).
2. Picks those recipients' due rows, oldest first but alerts before broadcasts (an
   alert must not wait behind a broadcast to every user), skipping any row that has an older
   row of the same recipient still in flight (claimed by someone) or backing off
   (pending, not due yet): each recipient's messages go out in the order they were
   written, across restarts and takeovers. `FOR UPDATE SKIP LOCKED`: concurrent
   claimers take disjoint rows and never wait for each other, so no row is sent twice;
   the order, though, assumes one claimer at a time (a second one does not see a row
   the first has locked but not yet committed), which the outbox leadership
   (db/leader.py) provides.
3. Marks them `sending` with a lease and the leader's epoch (db/leader.py) and counts
   the attempt, returning what sending needs, the recipient's language and addresses
   included.

Every later change is conditional on `status = 'sending' AND attempts = <the claimed
attempt> AND claim_epoch = <the claim's epoch>`: attempt and epoch are the claim's
fencing token. A worker whose claim was returned and claimed again cannot overwrite
the newer claim's outcome, and it checks that the claim is still its own right before
each send (`still_claimed`).

A `sending` row whose claimer is gone holds back that recipient's later rows (step 2),
so abandoned claims go back quickly:
1. A leader dies (kill -9, a lost machine) or loses the lock: PostgreSQL ends its
   session and releases the lock. Whatever it had claimed stays `sending`.
2. The next leader takes the lock and counts up the epoch; before its first claim it
   returns, in one statement (`return_abandoned`), every `sending` row of an earlier
   epoch to pending (they were due already, so they are claimed at once). On SQLite
   the worker's start is the new leadership.
3. Those rows go out again within seconds. This is the at-least-once case: a row whose
   message Telegram had accepted when its leader died is sent twice, since nothing
   tells an accepted send from one never made. The dead claim's attempt had no
   outcome, so it is not counted: the row goes back with `attempts` as it was before
   that claim, and the new claim counts the attempt once (retry backoff and the dead
   letter see one attempt per outcome). The old token cannot match the new claim:
   its epoch is older.
4. An earlier leader that is still alive (two leaders overlap: its lock connection
   ended but the process runs on) finds its claims gone at its next send and drops
   them, and stops at its next leadership check. Within one epoch the lease still
   fences: a claim is not handed to a transport when its lease is nearly over, and
   `recover_expired` returns rows whose lease ended (counting the attempt, which is
   then the only part of the token that changes). Rows claimed before epochs existed
   (NULL) also wait for their lease.

SQLite runs in one process: a SELECT and an UPDATE in one transaction do the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from db.bulk import is_postgres
from db.claims import db_json, db_time, sqlite_time
from db.connection import current_connection
from db.models import Notification, NotificationChannel, NotificationKind, NotificationStatus

# Kinds written by the engine in bursts, which a quiet period lets us group.
GROUPABLE_KINDS = (
    NotificationKind.DOWN,
    NotificationKind.UP,
    NotificationKind.REMINDER,
    NotificationKind.CERT_EXPIRING,
)
_KINDS_SQL = ", ".join(f"'{kind}'" for kind in GROUPABLE_KINDS)

_RETURNED = """n.id, n.user_id, n.channel, n.kind, n.monitor_id, n.payload, n.attempts,
    n.claim_epoch, n.created_at, u.telegram_id, u.language, u.telegram_language, u.timezone,
    u.email, u.email_verified, u.blocked_bot, n.alert_channel_id, n.incident_id,
    c.target AS channel_target, c.thread_id AS channel_thread_id,
    c.settings AS channel_settings, c.enabled AS channel_enabled"""
# A recipient: one channel row, or (for rows naming none) the user on one transport.
_SAME_RECIPIENT = """o.user_id = n.user_id AND o.channel = n.channel
          AND COALESCE(o.alert_channel_id, 0) = COALESCE(n.alert_channel_id, 0)"""


def _candidates(p: list[str]) -> str:
    """The SELECT of steps 1 and 2; `p` names the placeholders for now, quiet_before,
    hold_before and the channel list (in that order)."""
    now, quiet_before, hold_before, channels = p
    newest_alert = f"max(CASE WHEN kind IN ({_KINDS_SQL}) THEN created_at END)"
    return f"""
    WITH ready AS (
        SELECT user_id, channel, COALESCE(alert_channel_id, 0) AS target FROM notifications
        WHERE status = 'pending' AND next_attempt_at <= {now} AND channel IN ({channels})
        GROUP BY user_id, channel, COALESCE(alert_channel_id, 0)
        HAVING {newest_alert} IS NULL OR {newest_alert} <= {quiet_before}
            OR min(created_at) <= {hold_before}
    )
    SELECT n.id, n.user_id, n.alert_channel_id FROM notifications AS n
    JOIN ready AS r ON r.user_id = n.user_id AND r.channel = n.channel
        AND r.target = COALESCE(n.alert_channel_id, 0)
    WHERE n.status = 'pending' AND n.next_attempt_at <= {now}
      AND NOT EXISTS (
        SELECT 1 FROM notifications AS o
        WHERE {_SAME_RECIPIENT} AND o.id < n.id
          AND (o.status = 'sending' OR (o.status = 'pending' AND o.next_attempt_at > {now})))
    ORDER BY CASE WHEN n.kind = 'broadcast' THEN 1 ELSE 0 END, n.next_attempt_at, n.id
    """


@dataclass
class ClaimedNotification:
    id: int
    user_id: int
    channel: str
    kind: str
    monitor_id: int | None
    payload: dict = field(repr=False)
    attempts: int  # including this one: with `epoch`, the claim's fencing token
    epoch: int  # the leadership epoch the row was claimed under
    created_at: datetime
    telegram_id: int
    language: str | None
    telegram_language: str | None
    timezone: str
    email: str | None
    email_verified: bool
    blocked_bot: bool
    # The Channel it goes to (null: to the user as such) and that channel's columns.
    alert_channel_id: int | None = None
    incident_id: int | None = None
    channel_target: str | None = None
    channel_thread_id: int | None = None
    channel_settings: dict = field(default_factory=dict, repr=False)
    channel_enabled: bool = True

    @property
    def recipient(self) -> tuple[int, str, int | None]:
        """Whose queue the row is in: rows of one recipient go out in order."""
        return (self.user_id, self.channel, self.alert_channel_id)


def _claimed(row: dict) -> ClaimedNotification:
    return ClaimedNotification(
        id=row["id"],
        user_id=row["user_id"],
        channel=row["channel"],
        kind=row["kind"],
        monitor_id=row["monitor_id"],
        payload=db_json(row["payload"]) or {},
        attempts=row["attempts"],
        epoch=row["claim_epoch"],
        created_at=db_time(row["created_at"]),
        telegram_id=row["telegram_id"],
        language=row["language"],
        telegram_language=row["telegram_language"],
        timezone=row["timezone"],
        email=row["email"],
        email_verified=bool(row["email_verified"]),
        blocked_bot=bool(row["blocked_bot"]),
        alert_channel_id=row["alert_channel_id"],
        incident_id=row["incident_id"],
        channel_target=row["channel_target"],
        channel_thread_id=row["channel_thread_id"],
        channel_settings=db_json(row["channel_settings"]) or {},
        channel_enabled=row["channel_enabled"] is None or bool(row["channel_enabled"]),
    )


async def claim_notifications(
    now: datetime,
    *,
    limit: int,
    lease_until: datetime,
    epoch: int,
    channels: Sequence[str],
    quiet_before: datetime,
    hold_before: datetime,
) -> list[ClaimedNotification]:
    """Claim up to `limit` due rows for `channels` under leadership `epoch` (see the
    module doc), oldest first."""
    if limit <= 0 or not channels:
        return []
    conn = current_connection()
    if is_postgres(conn):
        candidates = _candidates(["$1::timestamptz", "$2::timestamptz", "$3::timestamptz",
                                  "SELECT unnest($4::text[])"])  # fmt: skip
        sql = f"""
        WITH due AS ({candidates} LIMIT $5 FOR UPDATE OF n SKIP LOCKED)
        UPDATE notifications AS n
        SET status = 'sending', attempts = n.attempts + 1, lease_until = $6::timestamptz,
            claim_epoch = $7
        FROM due JOIN users AS u ON u.id = due.user_id
            LEFT JOIN channels AS c ON c.id = due.alert_channel_id
        WHERE n.id = due.id
        RETURNING {_RETURNED}
        """
        params = [now, quiet_before, hold_before, list(channels), limit, lease_until, epoch]
        _, rows = await conn.execute_query(sql, params)
        claimed = [_claimed(dict(r)) for r in rows]
    else:
        candidates = _candidates(["?", "?", "?", ", ".join("?" for _ in channels)])
        stamp = sqlite_time(now)
        # In text order: now, the channels, quiet, hold, then now in the outer WHERE
        # and in the NOT EXISTS, and the limit.
        params = [stamp, *channels, sqlite_time(quiet_before), sqlite_time(hold_before)]
        params += [stamp, stamp, limit]
        async with in_transaction(conn.connection_name) as tx:
            _, id_rows = await tx.execute_query(f"{candidates} LIMIT ?", params)
            ids = [r["id"] for r in id_rows]
            if not ids:
                return []
            marks = ", ".join("?" for _ in ids)
            await tx.execute_query(
                f"UPDATE notifications SET status = 'sending', attempts = attempts + 1, "
                f"lease_until = ?, claim_epoch = ? WHERE id IN ({marks}) AND status = 'pending'",
                [sqlite_time(lease_until), epoch, *ids],
            )
            _, rows = await tx.execute_query(
                f"SELECT {_RETURNED} FROM notifications AS n JOIN users AS u "
                f"ON u.id = n.user_id LEFT JOIN channels AS c ON c.id = n.alert_channel_id "
                f"WHERE n.id IN ({marks})",
                ids,
            )
        claimed = [_claimed(dict(r)) for r in rows]
    # The claim's order (alerts first, then by id); each recipient's rows stay in order.
    claimed.sort(key=lambda c: (c.kind == NotificationKind.BROADCAST, c.id))
    return claimed


def _claimed_row(claim: ClaimedNotification):
    return Notification.filter(
        id=claim.id,
        status=NotificationStatus.SENDING,
        attempts=claim.attempts,
        claim_epoch=claim.epoch,
    )


async def still_claimed(claims: Sequence[ClaimedNotification]) -> bool:
    """Whether every one of `claims` is still this claim (not returned by a newer
    leader, nor expired and claimed again): checked right before a send."""
    rows = await Notification.filter(
        id__in=[c.id for c in claims], status=NotificationStatus.SENDING
    ).values_list("id", "attempts", "claim_epoch")
    held = {(id_, attempts, epoch) for id_, attempts, epoch in rows}
    return all((c.id, c.attempts, c.epoch) in held for c in claims)


async def mark_sent(claim: ClaimedNotification, now: datetime, payload: dict | None = None) -> bool:
    """The transport accepted the message. `payload` replaces the stored one (e.g.
    without the confirmation code, which must not outlive its sending)."""
    changes: dict = {"status": NotificationStatus.SENT, "sent_at": now, "lease_until": None}
    if payload is not None:
        changes["payload"] = payload
    return bool(await _claimed_row(claim).update(**changes))


async def mark_retry(claim: ClaimedNotification, at: datetime, error: str | None) -> bool:
    return bool(
        await _claimed_row(claim).update(
            status=NotificationStatus.PENDING,
            next_attempt_at=at,
            lease_until=None,
            last_error=error,
        )
    )


async def mark_final(
    claim: ClaimedNotification,
    status: NotificationStatus,
    error: str | None,
    payload: dict | None = None,
) -> bool:
    """dead or cancelled, with the reason; `payload` as for mark_sent."""
    changes: dict = {"status": status, "lease_until": None, "last_error": error}
    if payload is not None:
        changes["payload"] = payload
    return bool(await _claimed_row(claim).update(**changes))


async def release(claims: Sequence[ClaimedNotification]) -> None:
    """Give back claims that were never tried (shutdown): pending again at once, the
    attempt not counted. One UPDATE per attempt number and epoch (all claims of one
    drain usually share them), still conditional on each claim."""
    by_token: dict[tuple[int, int], list[int]] = {}
    for claim in claims:
        by_token.setdefault((claim.attempts, claim.epoch), []).append(claim.id)
    for (attempts, epoch), ids in by_token.items():
        await Notification.filter(
            id__in=ids, status=NotificationStatus.SENDING, attempts=attempts, claim_epoch=epoch
        ).update(status=NotificationStatus.PENDING, attempts=attempts - 1, lease_until=None)


async def cancel_pending(user_id: int, alert_channel_id: int | None, reason: str) -> int:
    """Cancel what is queued for a user's private chat (they blocked the bot): the rows
    of that channel, and the Telegram rows naming no channel (broadcasts)."""
    rows = Q(alert_channel_id=None, channel=NotificationChannel.TELEGRAM)
    if alert_channel_id is not None:
        rows |= Q(alert_channel_id=alert_channel_id)
    return await Notification.filter(
        rows, user_id=user_id, status=NotificationStatus.PENDING
    ).update(status=NotificationStatus.CANCELLED, last_error=reason)


async def return_abandoned(epoch: int) -> int:
    """On taking the lead under `epoch`: the rows claimed under earlier epochs are
    pending again, their unfinished attempt not counted (steps 2 and 3 of the module
    doc). They were due when claimed, so they are due at once, ahead of newer rows.
    One statement."""
    return await Notification.filter(
        status=NotificationStatus.SENDING, claim_epoch__lt=epoch
    ).update(
        status=NotificationStatus.PENDING,
        attempts=F("attempts") - 1,
        lease_until=None,
    )


async def recover_expired(now: datetime) -> int:
    """Rows claimed by a worker that died: pending again once their lease has ended."""
    return await Notification.filter(status=NotificationStatus.SENDING, lease_until__lt=now).update(
        status=NotificationStatus.PENDING, lease_until=None
    )


async def recent_dead(limit: int = 5) -> list[Notification]:
    """The latest rows that gave up, with their recipient, for admins to look into."""
    return (
        await Notification.filter(status=NotificationStatus.DEAD)
        .order_by("-id")
        .limit(limit)
        .prefetch_related("user")
    )
