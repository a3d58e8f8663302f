"""The push kind (heartbeats): nobody probes; a job, script or device reports in.

A push monitor has a secret token (core/push_tokens.py); `/ping/<token>` and its
variants (api/ping.py) report a success, a failure, a start or an exit status, and the
ping intake (core/ping_intake.py) writes each report with the check result it causes,
in one transaction, through the same recording as every other kind.

Silence is judged here, by the scheduler, like any check:
1. A push monitor's `next_check_at` is its deadline: the next expected ping after the
   last success (the period later, or the cron expression's next time in `tz`) plus
   the grace time, or a run's start plus the grace if that is sooner. Every recorded
   result sets it (ProbeResult.next_due_at); a new monitor has none, so it waits for
   its first ping and never alerts before it.
2. When the claim finds the deadline passed, `check` judges what the claimed row says:
   a /start older than the grace with no end is "never finished"; otherwise no success
   since the deadline is "missed". The first failure is dated at the deadline it
   judges; a failure judged again while the silence lasts is dated now (its deadline
   was judged already). The next judgement comes at the next deadline after now, or at
   the end of the grace of a run under way, if sooner.
3. A row claimed before its deadline (an edit or a resume rescheduled it) is not
   judged: `check` returns None and nothing is recorded.

Races between a ping and a judgement. The engine claims a row up to its horizon (1.5 s)
ahead, judges it at the deadline from the row as claimed, and writes the result a tick
later; the ping intake writes each ping with its result under the row's lock. Pings
always win, whichever commits first:
- a ping written before the judgement (it may have arrived after the claim but before
  the deadline): the judgement carries the last check the claim saw
  (ProbeResult.void_if_checked_after) and recording drops it, unlogged, since a check
  was recorded after that. The ping's result has set the next deadline.
- a ping written after the judgement, even one received before the judgement's date
  (its batch was slow, or waited for the lock): its result is dated no earlier than the
  monitor's last check (core/ping_intake.py), so recording takes it as the news it is
  instead of discarding it as stale. A success then brings the monitor up at once.
The ping's own time (the pings row, the run time, the next deadline) stays the time it
arrived.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core import push_schedule, push_tokens
from core.i18n import __
from core.kinds.fields import Field, Question
from core.monitor_rules import RuleError
from core.probe import CHECKED_NEVER, ErrorKind, Probe, ProbeResult
from core.render import cut, fmt_exact_duration
from core.targets import Resolver
from core.timezones import DEFAULT_ZONE

LABEL = __("Heartbeat (cron job, script)")
HELP = __("A job pings a URL when it runs: silence past the schedule and grace is the alert.")
MESSAGES = {
    "not_probed": __("There is nothing to check now: a heartbeat waits for its job's pings."),
    "not_push": __("Only a heartbeat monitor has a ping URL."),
    "push_period_and_cron": __("Give either a period or a cron expression, not both."),
}
# Nobody probes a push monitor: "Check now", the interval, the timeout and certificates
# do not apply to it.
PROBED = False
UNUSED_SHARED_FIELDS = (
    "interval_seconds", "retry_interval_seconds", "timeout_seconds", "cert_warning_days",
)  # fmt: skip
# The rhythm at which the scheduler may look at it, and failures count at once: the
# deadline already includes the grace time.
SHARED_DEFAULTS = {
    "interval_seconds": 60,
    "retry_interval_seconds": 60,
    "failure_threshold": 1,
    "success_threshold": 1,
}
DEFAULT_PERIOD = 86400  # a daily job, when neither a period nor a cron is given
# The first characters of a ping's body an alert quotes.
ALERT_BODY_CHARS = 300
# The bot's buttons for a period (or a schedule) and a grace time; others are typed.
PERIODS = ((str(5 * 60), __("5 min")), (str(3600), __("1 hour")), (str(86400), __("1 day")))
GRACES = ((str(5 * 60), __("5 min")), (str(15 * 60), __("15 min")), (str(3600), __("1 hour")))

FIELDS = (
    Field(
        "period",
        {
            "type": "integer",
            "minimum": push_schedule.MIN_PERIOD,
            "maximum": push_schedule.MAX_PERIOD,
            "description": "Seconds between runs, or give cron (not both; neither: a day)",
        },
        push_schedule.parse_period,
        default=None,
        optional=True,
        prompt=__("How often does the job run? For example 5m, 1h or 1d."),
        label=__("Period"),
        suggestions=PERIODS,
        show=fmt_exact_duration,
        replaces=("cron",),  # a cron expression replaces a period in `vet`
    ),
    Field(
        "cron",
        {"type": "string", "maxLength": 100, "description": "5 fields: 0 3 * * * (or period)"},
        push_schedule.parse_cron,
        default=None,
        optional=True,
        prompt=__("A cron expression such as 0 3 * * * (minute hour day month weekday)."),
        label=__("Cron"),
    ),
    Field(
        "tz",
        {
            "type": "string",
            "maxLength": 64,
            "description": "The cron's time zone: an IANA name or a UTC offset (default: "
            "the owner's)",
        },
        push_schedule.parse_tz,
        default=DEFAULT_ZONE,
        prompt=__("The cron expression's time zone, for example Europe/Berlin."),
        label=__("Time zone"),
        shown_with="cron",
        from_owner="timezone",
    ),
    Field(
        "grace",
        {
            "type": "integer",
            "minimum": push_schedule.MIN_GRACE,
            "maximum": push_schedule.MAX_GRACE,
            "description": "Seconds a run may be late before it counts as missed",
        },
        push_schedule.parse_grace,
        default=3600,
        prompt=__("How late may a run be before I alert? For example 10m or 1h."),
        label=__("Grace time"),
        suggestions=GRACES,
        show=fmt_exact_duration,
    ),
    # What the pings said lately: written by the ping intake, read by `check`.
    Field("last_success_at", {"type": "string", "format": "date-time"},
          column="push_last_success_at", default=None, optional=True),
    Field("started_at", {"type": "string", "format": "date-time"},
          column="push_started_at", default=None, optional=True),
    Field("last_ping_at", {"type": "string", "format": "date-time"},
          column="push_last_ping_at", default=None, optional=True),
    Field("last_body", {"type": "string"},
          column="push_last_body", default=None, optional=True),
    Field("last_check_at", {"type": "string", "format": "date-time"},
          column="last_check_at", default=None, optional=True),
)  # fmt: skip
# A push monitor reaches no host; its schedule is vetted as a whole instead.
TARGET_FIELDS = ("period", "cron")
# One schedule at a time: both in one creation or edit is refused (the code names the
# second); one given clears the other (a period `replaces` a cron expression, `vet`
# drops the period for a cron expression), so an edit switches from one to the other.
EXCLUSIVE_FIELDS = {("period", "cron"): "push_period_and_cron"}
# The first characters of the last ping's body a monitor's JSON shows (its pings, up to
# 10 KB each, are listed on their own).
LAST_BODY_CHARS = 300
_MOMENT = {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]}
_TEXT = {"anyOf": [{"type": "string"}, {"type": "null"}]}
# What the API shows of a push monitor besides its writable fields, all read-only
# (extra_json's keys; api/openapi.py documents them from this). Only `ping_url` may be
# absent: the token is known only when it was just issued.
READ_ONLY_JSON = {
    "ping_url": {
        "type": "string",
        "description": "The URL to ping, with its secret token: only in the answer that "
        "created the monitor or rotated its token (POST /api/v1/monitors/{id}/rotate-token).",
    },
    "ping_url_prefix": {
        **_TEXT,
        "description": "The ping URL up to the token's first characters (ping_url starts "
        "with it): which URL the monitor has, without the secret.",
    },
    "masked_ping_url": {**_TEXT, "description": "The ping URL as cards show it: ping_url_prefix…"},
    "last_ping_at": {**_MOMENT, "description": "The last ping of any kind."},
    "last_success_at": {**_MOMENT, "description": "The last ping that reported a success."},
    "started_at": {**_MOMENT, "description": "A /start not followed by an end yet."},
    "next_due_at": {
        **_MOMENT,
        "description": "When silence becomes a failure (the next expected ping plus the "
        "grace time); null before the first ping and while paused.",
    },
    "last_body": {
        **_TEXT,
        "description": f"The first {LAST_BODY_CHARS} characters of the last ping's body "
        "(the whole of it: GET /api/v1/monitors/{id}/pings).",
    },
}
DEFAULT_NAME = __("Heartbeat")


def read_schedule(raw: object) -> dict[str, Any]:
    """The bot's one schedule question: a text with spaces, or an @alias, is a cron
    expression (read in the zone the monitor starts with: its owner's); anything else is
    a period. Words that are no cron expression but a duration ("2 h", "5 мин") are a
    period too."""
    text = raw.strip() if isinstance(raw, str) else raw
    if isinstance(text, str) and (text.startswith("@") or len(text.split()) > 1):
        try:
            return {"cron": push_schedule.parse_cron(text), "period": None}
        except RuleError as refusal:
            if refusal.code != "cron_fields":
                raise
            try:
                return {"period": push_schedule.parse_period(text), "cron": None}
            except RuleError:
                raise refusal from None
    return {"period": push_schedule.parse_period(raw), "cron": None}


# The bot's /add: the name, the schedule (a period or a cron expression), the grace time.
QUESTIONS = (
    Question(
        "schedule",
        read_schedule,
        fields=("period", "cron"),
        prompt=__(
            "When does the job run? Choose, or send a period such as 10m, 2h or 1d, or a "
            "cron expression such as 0 3 * * * (read in your time zone, see /settings)."
        ),
        label=__("Schedule"),
        suggestions=PERIODS,
    ),
)
ASKS = ("name", "schedule", "grace")


@dataclass(frozen=True)
class Spec:
    period: int | None
    cron: str | None
    tz: str
    grace: int
    last_success_at: datetime | None = None
    started_at: datetime | None = None
    last_ping_at: datetime | None = None
    last_body: str | None = None
    last_check_at: datetime | None = None  # the last judgement recorded
    timeout: float = 10.0
    allow_private: bool = False


def schedule_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments core/push_schedule needs, from field values or a Spec."""
    get = values.get if isinstance(values, Mapping) else values.__getattribute__
    return {"period": get("period"), "cron": get("cron"), "tz": get("tz") or DEFAULT_ZONE}


def deadline_after(values: Any, moment: datetime) -> datetime:
    """When silence after a ping at `moment` becomes a failure."""
    get = values.get if isinstance(values, Mapping) else values.__getattribute__
    return push_schedule.deadline(moment, grace=get("grace"), **schedule_of(values))


def said(body: str | None) -> str | None:
    """What an alert quotes of a ping's body: its first ALERT_BODY_CHARS characters."""
    return cut(body.strip(), ALERT_BODY_CHARS) if body and body.strip() else None


def target(values: Mapping[str, Any]) -> str:
    """What lists and alerts show: the schedule, compactly (no words to translate)."""
    if values.get("cron"):
        return f"cron {values['cron']} ({values.get('tz') or DEFAULT_ZONE})"
    return f"every {_compact(values.get('period') or DEFAULT_PERIOD)}"


def _compact(seconds: int) -> str:
    """90 -> 90s, 300 -> 5m, 86400 -> 1d: the largest unit that divides it."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


async def vet(values: dict[str, Any], allow_private: bool, resolver: Resolver) -> str:
    """The schedule: a cron expression, when set, replaces the period (so one edit
    switches from one to the other); with neither, the default period."""
    if values.get("cron"):
        values["period"] = None
    else:
        values["period"] = values.get("period") or DEFAULT_PERIOD
    return str(DEFAULT_NAME)


def on_create(monitor: Any) -> None:
    """A new push monitor's token; the monitor carries it (`ping_token`, not stored) so
    the creator can be shown its URL once."""
    issue_token(monitor)


def issue_token(monitor: Any) -> str:
    """A new token for `monitor` (creation, or rotation: the old one stops at once when
    the row is saved)."""
    token = push_tokens.new_token()
    monitor.push_token_hash = push_tokens.token_hash(token)
    monitor.push_token_prefix = push_tokens.token_prefix(token)
    monitor.ping_token = token
    return token


def extra_json(monitor: Any, settings: Any) -> dict[str, Any]:
    """READ_ONLY_JSON's values for `monitor` (times as datetimes). The token itself is
    shown only while the monitor carries it (just issued); never its hash."""
    public = settings.public_base_url
    prefix = monitor.push_token_prefix
    shown: dict[str, Any] = {}
    token = getattr(monitor, "ping_token", None)
    if token is not None:
        shown["ping_url"] = push_tokens.ping_url(public, token)
    body = monitor.push_last_body
    return shown | {
        "ping_url_prefix": push_tokens.ping_url(public, prefix) if prefix else None,
        "masked_ping_url": push_tokens.masked_ping_url(public, prefix) if prefix else None,
        "last_ping_at": monitor.push_last_ping_at,
        "last_success_at": monitor.push_last_success_at,
        "started_at": monitor.push_started_at,
        "next_due_at": monitor.next_check_at,
        "last_body": cut(body, LAST_BODY_CHARS) if body is not None else None,
    }


def rescheduled(values: Mapping[str, Any]) -> datetime | None:
    """The deadline after an edit of the schedule: from the last success (or ping);
    none before the first ping."""
    anchor = values.get("last_success_at") or values.get("last_ping_at")
    return deadline_after(values, anchor) if anchor is not None else None


async def check(spec: Spec, probe: Probe) -> ProbeResult | None:
    """Judge silence (module doc, steps 2 and 3)."""
    now = probe.clock.now()
    unfinished_at = _unfinished_at(spec)
    if unfinished_at is not None and unfinished_at <= now:
        return _failure(spec, ErrorKind.NEVER_FINISHED, unfinished_at, now)
    if spec.last_success_at is None and spec.last_ping_at is None:
        return None  # waiting for the first ping
    anchor = spec.last_success_at or spec.last_ping_at
    due = deadline_after(spec, anchor)
    if due > now:
        return None
    return _failure(spec, ErrorKind.MISSED, due, now, unfinished_at)


def _unfinished_at(spec: Spec) -> datetime | None:
    """When a run under way (the last ping was a /start) becomes "never finished"."""
    if spec.started_at is None:
        return None
    if spec.last_ping_at is not None and spec.last_ping_at > spec.started_at:
        return None
    return spec.started_at + timedelta(seconds=spec.grace)


def _failure(
    spec: Spec, kind: ErrorKind, at: datetime, now: datetime, run_due: datetime | None = None
) -> ProbeResult:
    """A failure dated `at` (now, if `at` was judged already: module doc, step 2); the
    monitor is next judged at the following deadline, or at `run_due` (a run under way)
    if sooner. Void if a check is recorded after the one the claim saw (module doc)."""
    if spec.last_check_at is not None and at <= spec.last_check_at:
        at = now
    next_due = deadline_after(spec, now)
    if run_due is not None and run_due < next_due:
        next_due = run_due
    return ProbeResult(
        checked_at=at,
        ok=False,
        error_kind=kind,
        error_message=said(spec.last_body),
        next_due_at=next_due,
        void_if_checked_after=spec.last_check_at or CHECKED_NEVER,
        details=_run_details(spec) if kind == ErrorKind.NEVER_FINISHED else None,
    )


def _run_details(spec: Spec) -> dict[str, Any] | None:
    """What a "never finished" alert tells: when the run started."""
    return {"started_at": spec.started_at.isoformat()} if spec.started_at else None
