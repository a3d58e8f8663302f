"""The whole data model.

Indexes follow the queries that run most:
- the scheduler's claim reads monitors by `next_check_at` (a paused monitor has none),
  through an index kept outside the model (db/due_queue.py: on PostgreSQL a narrow table
  that triggers keep, so that the many updates of a monitor row change no index);
- statistics and the monitor card read check logs by (monitor, checked_at);
- the engine finds a monitor's open incident by (monitor, resolved_at IS NULL);
- the outbox worker reads notifications by (status, next_attempt_at), and a recipient's
  queue by (user, channel, status).

Python-side defaults (`default=`) fill new rows; columns added by a migration to tables
that may already hold rows also carry `db_default`, so the ALTER works on them.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model
from tortoise.signals import post_save

DEFAULT_ACCEPTED_STATUS_CODES = "200-399"
DEFAULT_CERT_WARNING_DAYS = [14, 7, 3, 1]


class MonitorState(StrEnum):
    UNKNOWN = "unknown"
    UP = "up"
    DOWN = "down"
    PAUSED = "paused"


class HttpMethod(StrEnum):
    GET = "GET"
    HEAD = "HEAD"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"
    OPTIONS = "OPTIONS"


class KeywordMode(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"


class NotificationChannel(StrEnum):
    """The channel kinds built in (Channel.kind, Notification.channel). The columns
    are plain text: a kind is whatever scheduler/transports registers, so a new one
    needs no change here."""

    TELEGRAM = "telegram"
    EMAIL = "email"
    WEBHOOK = "webhook"
    SLACK = "slack"
    DISCORD = "discord"


class NotificationKind(StrEnum):
    DOWN = "down"
    UP = "up"
    CERT_EXPIRING = "cert_expiring"
    REMINDER = "reminder"
    BROADCAST = "broadcast"
    EMAIL_VERIFICATION = "email_verification"
    TEST = "test"  # "send a test" of a channel
    CHANNEL_DISABLED = "channel_disabled"  # told to the owner once, in their private chat


class NotificationStatus(StrEnum):
    PENDING = "pending"  # waiting for next_attempt_at
    SENDING = "sending"  # claimed by a worker until lease_until
    SENT = "sent"
    DEAD = "dead"  # gave up; last_error says why; visible to admins
    CANCELLED = "cancelled"  # e.g. the recipient blocked the bot


class User(Model):
    id = fields.IntField(primary_key=True)
    telegram_id = fields.BigIntField(unique=True)
    username = fields.CharField(max_length=64, null=True)
    display_name = fields.CharField(max_length=256, default="")
    # The language the user chose; null means "use Telegram's language_code".
    language = fields.CharField(max_length=8, null=True)
    telegram_language = fields.CharField(max_length=8, null=True)
    # The zone times are shown and typed in: an IANA name or "UTC+05:30" (core.timezones).
    timezone = fields.CharField(max_length=64, default="UTC", db_default="UTC")

    email = fields.CharField(max_length=254, null=True)
    email_verified = fields.BooleanField(default=False)
    # An address waiting for its code; the code itself is stored hashed.
    pending_email = fields.CharField(max_length=254, null=True)
    email_code_hash = fields.CharField(max_length=128, null=True)
    email_code_expires_at = fields.DatetimeField(null=True)
    email_code_attempts = fields.SmallIntField(default=0)

    blocked_bot = fields.BooleanField(default=False)
    # Null means DEFAULT_MONITOR_QUOTA.
    monitor_quota = fields.IntField(null=True)

    # Where alerts go is the user's channels (Channel): their private chat is one,
    # created with the user (core/channels.py), a confirmed email another.
    # Minutes between "still down" reminders; 0 means off. A monitor may override it.
    reminder_interval_minutes = fields.IntField(default=0)

    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField(null=True)

    monitors: fields.ReverseRelation[Monitor]

    class Meta:
        table = "users"


class Monitor(Model):
    id = fields.IntField(primary_key=True)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="monitors", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=128)
    # What is checked (core/kinds): http, tcp, ... Never changes after creation.
    kind = fields.CharField(max_length=16, default="http", db_default="http")
    # What the monitor points at: the URL of an http monitor; for other kinds the
    # target as cards and alerts show it (core/kinds, `target`).
    url = fields.CharField(max_length=2048)
    method = fields.CharEnumField(HttpMethod, max_length=8, default=HttpMethod.GET)
    headers = fields.JSONField(default=dict)
    body = fields.TextField(null=True)
    # The fields of kinds other than http (core/kinds: those not declared on a column).
    params = fields.JSONField(null=True)

    interval_seconds = fields.IntField(default=60)
    # Used instead of the interval while the monitor is failing (before and while down).
    retry_interval_seconds = fields.IntField(default=20)
    timeout_seconds = fields.FloatField(default=10.0)
    # Ranges and lists, e.g. "200-299,301".
    accepted_status_codes = fields.CharField(max_length=128, default=DEFAULT_ACCEPTED_STATUS_CODES)
    latency_threshold_ms = fields.IntField(null=True)
    keyword = fields.CharField(max_length=256, null=True)
    keyword_mode = fields.CharEnumField(KeywordMode, max_length=8, default=KeywordMode.PRESENT)
    cert_warning_days = fields.JSONField(default=lambda: list(DEFAULT_CERT_WARNING_DAYS))
    failure_threshold = fields.SmallIntField(default=3)
    success_threshold = fields.SmallIntField(default=2)
    # Null means the owner's preference.
    reminder_interval_minutes = fields.IntField(null=True)

    paused = fields.BooleanField(default=False)
    # False: alerts go to the owner's default channels (as they are at the time of the
    # alert); True: to the channels linked in monitor_channels (MonitorChannel).
    custom_channels = fields.BooleanField(default=False, db_default=False)
    state = fields.CharEnumField(MonitorState, max_length=8, default=MonitorState.UNKNOWN)
    state_since = fields.DatetimeField(null=True)
    consecutive_failures = fields.IntField(default=0)
    consecutive_successes = fields.IntField(default=0)
    # The current failure streak: when it began and its first error (an incident that
    # opens later is dated from here).
    failing_since = fields.DatetimeField(null=True)
    failing_first_error = fields.CharField(max_length=512, null=True)

    # The scheduler's queue: null while paused.
    # Indexed outside the model (db/due_queue.py), so updates of this row stay HOT.
    next_check_at = fields.DatetimeField(null=True)
    last_check_at = fields.DatetimeField(null=True)
    # When the last check by hand was claimed (core/checks.py): the one claim in
    # MANUAL_CHECK_GAP, taken with a conditional UPDATE so replicas agree on it.
    hand_check_at = fields.DatetimeField(null=True)
    # The last result, so lists and cards need no query into check_logs.
    last_ok = fields.BooleanField(null=True)
    last_status_code = fields.SmallIntField(null=True)
    last_latency_ms = fields.IntField(null=True)
    last_error_kind = fields.CharField(max_length=32, null=True)
    last_reminder_at = fields.DatetimeField(null=True)

    cert_expires_at = fields.DatetimeField(null=True)
    # The smallest warning threshold (in days) already announced for this certificate.
    cert_warned_days = fields.IntField(null=True)

    # A push monitor's (core/kinds/push.py) token, hashed (SHA-256, hex) so that a dump
    # of the database hands out no working ping URL, and its first characters to show.
    push_token_hash = fields.CharField(max_length=64, null=True, unique=True)
    push_token_prefix = fields.CharField(max_length=8, null=True)
    # What the pings said lately (core/ping_intake.py writes them with the pings).
    push_last_ping_at = fields.DatetimeField(null=True)
    push_last_success_at = fields.DatetimeField(null=True)
    push_started_at = fields.DatetimeField(null=True)  # a /start not yet ended
    push_last_body = fields.TextField(null=True)

    # The monitor's public badges (/badge/<token>/...): made when first asked for,
    # replaced on rotation. Kept in the clear, as a badge shows only public figures.
    badge_token = fields.CharField(max_length=32, null=True, unique=True)

    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "monitors"
        indexes = (("owner_id", "id"),)


class MaintenanceWindow(Model):
    id = fields.IntField(primary_key=True)
    # The user whose monitors the window covers.
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="maintenance_windows", on_delete=fields.CASCADE
    )
    # Null means every monitor of the owner.
    monitor: fields.ForeignKeyNullableRelation[Monitor] = fields.ForeignKeyField(
        "models.Monitor", related_name="maintenance_windows", null=True, on_delete=fields.CASCADE
    )
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    reason = fields.CharField(max_length=256, default="")
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="created_windows", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "maintenance_windows"
        indexes = (("owner_id", "ends_at"),)


class CheckLog(Model):
    id = fields.BigIntField(primary_key=True)
    monitor: fields.ForeignKeyRelation[Monitor] = fields.ForeignKeyField(
        "models.Monitor", related_name="checks", on_delete=fields.CASCADE, db_index=False
    )
    checked_at = fields.DatetimeField()
    ok = fields.BooleanField()
    status_code = fields.SmallIntField(null=True)
    latency_ms = fields.IntField(null=True)
    dns_ms = fields.IntField(null=True)
    connect_ms = fields.IntField(null=True)
    tls_ms = fields.IntField(null=True)
    ttfb_ms = fields.IntField(null=True)
    error_kind = fields.CharField(max_length=32, null=True)
    error_message = fields.CharField(max_length=512, null=True)
    cert_expires_at = fields.DatetimeField(null=True)
    # Set only when the final URL differs from the monitor's.
    final_url = fields.CharField(max_length=2048, null=True)
    in_maintenance = fields.BooleanField(default=False)

    class Meta:
        table = "check_logs"
        indexes = (Index(fields=("monitor_id", "checked_at"), name="idx_check_logs_monitor_time"),)


class Incident(Model):
    id = fields.IntField(primary_key=True)
    monitor: fields.ForeignKeyRelation[Monitor] = fields.ForeignKeyField(
        "models.Monitor", related_name="incidents", on_delete=fields.CASCADE, db_index=False
    )
    started_at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True)
    cause = fields.CharField(max_length=32)
    first_error = fields.CharField(max_length=512, default="")
    last_error = fields.CharField(max_length=512, default="")
    failed_checks = fields.IntField(default=0)

    class Meta:
        table = "incidents"
        indexes = (Index(fields=("monitor_id", "resolved_at"), name="idx_incidents_monitor_open"),)


class Channel(Model):
    """One place alerts go (core/channels.py): a Telegram chat (the owner's private
    chat, a group, a channel, or one forum topic of a group), an email address, or an
    HTTP endpoint (webhook, Slack, Discord). Disabled when it failed for good
    (`disabled_reason`), until its owner turns it on again."""

    id = fields.IntField(primary_key=True)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="channels", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=16)  # a transport's kind (NotificationChannel)
    # The chat id, the address or the URL.
    target = fields.CharField(max_length=2048)
    thread_id = fields.BigIntField(null=True)  # a forum topic of a Telegram group
    name = fields.CharField(max_length=128, default="")
    verified = fields.BooleanField(default=True)
    enabled = fields.BooleanField(default=True)
    # "Use for new monitors": the channels of every monitor that has no list of its own.
    is_default = fields.BooleanField(default=True)
    # Per kind, e.g. a webhook's {"secret": ...} (never shown again after creation).
    settings = fields.JSONField(default=dict)
    disabled_reason = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    last_error_at = fields.DatetimeField(null=True)

    class Meta:
        table = "channels"
        indexes = (("owner_id", "kind"),)


class MonitorChannel(Model):
    """A channel a monitor with its own list (Monitor.custom_channels) alerts."""

    id = fields.IntField(primary_key=True)
    monitor: fields.ForeignKeyRelation[Monitor] = fields.ForeignKeyField(
        "models.Monitor", related_name="channel_links", on_delete=fields.CASCADE, db_index=False
    )
    channel: fields.ForeignKeyRelation[Channel] = fields.ForeignKeyField(
        "models.Channel", related_name="monitor_links", on_delete=fields.CASCADE
    )

    class Meta:
        table = "monitor_channels"
        unique_together = (("monitor_id", "channel_id"),)


class Notification(Model):
    """One alert to one recipient on one channel: a row of the outbox."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="notifications", on_delete=fields.CASCADE
    )
    channel = fields.CharField(max_length=16)  # the transport's kind (NotificationChannel)
    # The Channel row it goes to; null for what goes to the user as such (their private
    # chat, or the address being confirmed): broadcasts, confirmation codes.
    alert_channel: fields.ForeignKeyNullableRelation[Channel] = fields.ForeignKeyField(
        "models.Channel",
        related_name="notifications",
        null=True,
        on_delete=fields.CASCADE,
        db_index=False,
    )
    kind = fields.CharEnumField(NotificationKind, max_length=32)
    monitor: fields.ForeignKeyNullableRelation[Monitor] = fields.ForeignKeyField(
        "models.Monitor", related_name="notifications", null=True, on_delete=fields.SET_NULL
    )
    incident: fields.ForeignKeyNullableRelation[Incident] = fields.ForeignKeyField(
        "models.Incident", related_name="notifications", null=True, on_delete=fields.SET_NULL
    )
    # What the message says, rendered in the recipient's language at send time.
    payload = fields.JSONField(default=dict)
    # Unique when set, so the same alert can never be queued twice.
    dedup_key = fields.CharField(max_length=128, null=True, unique=True)
    status = fields.CharEnumField(
        NotificationStatus, max_length=16, default=NotificationStatus.PENDING
    )
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    lease_until = fields.DatetimeField(null=True)
    # The outbox leadership epoch (OutboxLeadership) the row was claimed under, with
    # `attempts` the claim's fencing token; a newer leader returns older claims at once.
    claim_epoch = fields.BigIntField(null=True)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notifications"
        indexes = (
            Index(fields=("status", "next_attempt_at"), name="idx_notifications_due"),
            # The worker keeps each recipient's alerts in order: it looks for an older
            # unsent row of the same recipient and channel before claiming a newer one.
            Index(fields=("user_id", "channel", "status"), name="idx_notifications_recipient"),
            Index(fields=("alert_channel_id", "status"), name="idx_notifications_channel"),
        )


class OutboxLeadership(Model):
    """The outbox's leadership epoch, counted up by each new leader.

    One row (id 1), counted up by every process that takes the lead of the outbox
    (db/leader.py), so claims made under an earlier leadership are known abandoned
    (db/outbox.py)."""

    id = fields.IntField(primary_key=True)
    epoch = fields.BigIntField(default=0)

    class Meta:
        table = "outbox_leadership"


class Rollup(Model):
    """Aggregates of one monitor's checks over one period (an hour or a day).

    `failures` and the latency figures leave checks in maintenance out, as uptime does;
    `buckets` is a core/histogram.py histogram of the latencies of successful checks.
    Every column adds up across periods, so any window is a sum of rows.
    """

    id = fields.BigIntField(primary_key=True)
    monitor: fields.ForeignKeyRelation[Monitor] = fields.ForeignKeyField(
        "models.Monitor", on_delete=fields.CASCADE, db_index=False
    )
    period_start = fields.DatetimeField()
    checks = fields.IntField(default=0)
    failures = fields.IntField(default=0)
    maintenance = fields.IntField(default=0)
    latency_count = fields.IntField(default=0)
    latency_sum = fields.BigIntField(default=0)
    latency_min = fields.IntField(null=True)
    latency_max = fields.IntField(null=True)
    buckets = fields.JSONField(default=dict)

    class Meta:
        abstract = True


class HourlyRollup(Rollup):
    class Meta:
        table = "rollups_hourly"
        unique_together = (("monitor_id", "period_start"),)


class DailyRollup(Rollup):
    class Meta:
        table = "rollups_daily"
        unique_together = (("monitor_id", "period_start"),)


class RollupState(Model):
    """How far the rollup job (scheduler.rollups) has got in check_logs."""

    name = fields.CharField(max_length=32, primary_key=True)
    # Rows with id <= done_id are in the rollups.
    done_id = fields.BigIntField(default=0)
    # The highest id seen at the previous run: the next run rolls up to here.
    seen_id = fields.BigIntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "rollup_state"


class ApiToken(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="api_tokens", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=64, default="")
    # SHA-256 hex of the token; the token itself is shown once and never stored.
    token_hash = fields.CharField(max_length=64, unique=True)
    # The first characters, so a user can tell tokens apart.
    prefix = fields.CharField(max_length=12)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_tokens"


class PingKind(StrEnum):
    SUCCESS = "success"
    FAIL = "fail"
    START = "start"


class Ping(Model):
    """One report from a push monitor's job, kept for the card and the history."""

    id = fields.BigIntField(primary_key=True)
    monitor: fields.ForeignKeyRelation[Monitor] = fields.ForeignKeyField(
        "models.Monitor", related_name="pings", on_delete=fields.CASCADE
    )
    received_at = fields.DatetimeField()
    kind = fields.CharEnumField(PingKind, max_length=8)
    exit_status = fields.SmallIntField(null=True)  # /ping/<token>/<0-255>
    run_ms = fields.BigIntField(null=True)  # from the /start before it
    body = fields.TextField(null=True)  # the first 10 KB of a POST body
    user_agent = fields.CharField(max_length=256, null=True)
    source = fields.CharField(max_length=64, null=True)  # the client's address

    class Meta:
        table = "pings"
        indexes = (("monitor_id", "received_at"),)


class StatusPage(Model):
    """A public status page (/status/<slug>): its owner's chosen monitors in groups."""

    id = fields.IntField(primary_key=True)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="status_pages", on_delete=fields.CASCADE
    )
    slug = fields.CharField(max_length=64, unique=True)
    title = fields.CharField(max_length=128)
    description = fields.TextField(default="")
    logo_url = fields.CharField(max_length=2048, null=True)
    # A public note from the owner, shown above the incidents (an announcement).
    note = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "status_pages"
        indexes = (("owner_id", "id"),)


class StatusPageGroup(Model):
    """A named group of monitors on a page, in the page's order."""

    id = fields.IntField(primary_key=True)
    page: fields.ForeignKeyRelation[StatusPage] = fields.ForeignKeyField(
        "models.StatusPage", related_name="groups", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=64, default="")
    position = fields.IntField(default=0)

    class Meta:
        table = "status_page_groups"
        indexes = (("page_id", "position"),)


class StatusPageMonitor(Model):
    """A monitor on a page: in one group, at a position, with its URL shown or not."""

    id = fields.IntField(primary_key=True)
    page: fields.ForeignKeyRelation[StatusPage] = fields.ForeignKeyField(
        "models.StatusPage", related_name="items", on_delete=fields.CASCADE, db_index=False
    )
    group: fields.ForeignKeyRelation[StatusPageGroup] = fields.ForeignKeyField(
        "models.StatusPageGroup", related_name="items", on_delete=fields.CASCADE, db_index=True
    )
    monitor: fields.ForeignKeyRelation[Monitor] = fields.ForeignKeyField(
        "models.Monitor", related_name="page_items", on_delete=fields.CASCADE, db_index=True
    )
    position = fields.IntField(default=0)
    show_url = fields.BooleanField(default=False)

    class Meta:
        table = "status_page_monitors"
        unique_together = (("page_id", "monitor_id"),)


# Why a private chat is off while its user has blocked the bot: writing to the bot again
# turns it back on (core/users.py).
BLOCKED_REASON = "the user has blocked the bot"


@post_save(User)
async def _private_chat_for_new_user(
    _sender: type[User], user: User, created: bool, using_db, _update_fields
) -> None:
    """Every user has their private chat as a channel, a default one, from the start
    (in the transaction that made the user, when there is one); a user made with a
    confirmed address has it as a channel too (later confirmations make theirs:
    core/email_verification.py)."""
    if not created:
        return
    await Channel.create(
        owner_id=user.id,
        kind=NotificationChannel.TELEGRAM,
        target=str(user.telegram_id),
        is_default=True,
        enabled=not user.blocked_bot,
        disabled_reason=BLOCKED_REASON if user.blocked_bot else None,
        using_db=using_db,
    )
    if user.email and user.email_verified:
        await Channel.create(
            owner_id=user.id,
            kind=NotificationChannel.EMAIL,
            target=user.email,
            is_default=True,
            using_db=using_db,
        )
