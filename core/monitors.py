"""Creating, pausing and resuming monitors: the rules the bot and the API share."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from core import kinds
from core import monitor_rules as rules
from core.channels import check_channel_ids, set_monitor_channels
from core.runtime import Runtime
from core.targets import TargetError
from db.claims import first_check_at
from db.connection import current_connection
from db.models import Incident, Monitor, MonitorState, User

log = logging.getLogger(__name__)


async def create_monitor(
    runtime: Runtime,
    owner: User,
    url: str | None = None,
    name: str | None = None,
    *,
    kind: str | None = None,
    paused: bool = False,
    channel_ids: Sequence[int] | None = None,
    **options: Any,
) -> Monitor:
    """Create a monitor of `kind` (default http, whose `url` may come first) with the
    shared rules: the quota, the kind's fields (each parsed by its declaration, core/kinds)
    and its target rule (TargetError: the host must resolve, and be public unless
    allowed), the name and interval rules (RuleError); any other option goes through the
    same rules as an edit. Errors name the field they are about. The first check comes
    soon, with jitter, so that many monitors created together do not fire together. A
    monitor created `paused` is saved as pause_monitor leaves one: no check scheduled.
    `channel_ids`: the channels it alerts (core.channels.set_monitor_channels, in the
    transaction that saves it: a refused id creates nothing); None: its owner's
    defaults.

    Resolving the host takes up to 5 s, so it happens before the transaction: the
    transaction only locks the owner's row, counts the quota and saves, and holds no
    connection (nor, on SQLite, the one writer) while DNS answers. An owner may have
    at most MAX_CREATIONS_IN_FLIGHT creations under way; one more is refused
    (RuleError "creations_in_flight") rather than queued."""
    if runtime.creations.busy(owner.id):
        raise rules.RuleError("creations_in_flight")
    if url is not None:
        options["url"] = url
    with runtime.creations.hold(owner.id):
        monitor = await _new_monitor(runtime, owner, kind, name, paused, options)
        async with in_transaction(current_connection().connection_name):
            # The owner's row is locked so two creations at once cannot both pass the quota.
            await User.filter(id=owner.id).select_for_update().first()
            await rules.check_quota(owner, runtime.settings)
            await monitor.save()
            if channel_ids is not None:
                await set_monitor_channels(monitor, channel_ids)
    return monitor


async def _new_monitor(
    runtime: Runtime,
    owner: User,
    kind: str | None,
    name: str | None,
    paused: bool,
    options: dict[str, Any],
) -> Monitor:
    """The unsaved monitor, every input checked (the host resolved)."""
    settings = runtime.settings
    now = datetime.now(UTC)
    module = kinds.kind_module(kind)
    kind_name = kind or kinds.DEFAULT_KIND
    values = {f.name: f.initial() for f in module.FIELDS if not f.required}
    given = {}
    for declared in module.FIELDS:
        if declared.name in options:
            with _about(declared.name):
                given[declared.name] = _parse(declared, options.pop(declared.name))
        elif declared.required:
            raise rules.RuleError("field_missing", field=declared.name)
    kinds.refuse_together(kind_name, given)
    values |= given
    for declared in module.FIELDS:  # what a new monitor takes from its owner (a zone)
        owned = getattr(owner, declared.from_owner) if declared.from_owner else None
        if owned is not None and declared.name not in given and declared.writable:
            with suppress(rules.RuleError):  # e.g. a zone zoneinfo no longer knows
                values[declared.name] = declared.parse(owned)
    with _about(module.TARGET_FIELDS[0]):
        host = await module.vet(values, runtime.allow_private(owner.telegram_id), runtime.resolve)
    with _about("name"):
        clean_name = rules.parse_name(host if name is None else name)
    probed = getattr(module, "PROBED", True)
    shared = getattr(module, "SHARED_DEFAULTS", {})
    if not probed:  # nobody probes it: its rhythm is the kind's own (and an interval
        interval = shared["interval_seconds"]  # given is refused with the unused fields)
    else:
        with _about("interval_seconds"):
            interval = rules.parse_interval(
                options.pop("interval_seconds", max(60, settings.min_interval_seconds)), settings
            )
    for name, value in shared.items():
        if name not in ("interval_seconds", "retry_interval_seconds"):
            options.setdefault(name, value)
    monitor = Monitor(
        owner=owner,
        kind=kind_name,
        url=module.target(values),
        params={},
        name=clean_name,
        interval_seconds=interval,
        # Failing monitors are rechecked sooner, but never below the minimum interval.
        retry_interval_seconds=shared.get(
            "retry_interval_seconds", max(settings.min_interval_seconds, min(interval, 20))
        ),
        timeout_seconds=rules.default_timeout(interval),
        next_check_at=first_check_at(now, interval) if probed and not paused else None,
    )
    kinds.store(monitor, values)
    if hasattr(module, "on_create"):  # the kind completes its new monitor (a push token)
        module.on_create(monitor)
    if paused:
        monitor.paused = True
        monitor.state = MonitorState.PAUSED
        monitor.state_since = now
    for field, value in (await _clean_all(runtime, monitor, options)).items():
        setattr(monitor, field, value)
    return monitor


def _parse(declared: kinds.Field, raw: Any) -> Any:
    """A kind field's clean value; None clears an optional one."""
    if raw is None:
        if declared.optional:
            return None
        raise rules.RuleError("field_invalid")
    if declared.parse is None:
        raise rules.RuleError("field_invalid")
    return declared.parse(raw)


@contextmanager
def _about(field: str) -> Iterator[None]:
    """Name the input field on a refusal raised inside the block."""
    try:
        yield
    except (rules.RuleError, TargetError) as error:
        error.field = error.field or field
        raise


_STATE_FIELDS = [
    "paused",
    "state",
    "state_since",
    "next_check_at",
    "consecutive_failures",
    "consecutive_successes",
    "failing_since",
    "failing_first_error",
]


async def pause_monitor(monitor: Monitor) -> None:
    """Stop checking. An open incident is closed at this moment, silently: nobody knows
    the state any more, and a resumed monitor starts from unknown. The row is locked
    first, so a result being recorded meanwhile cannot open an incident behind us."""
    now = datetime.now(UTC)
    async with in_transaction(current_connection().connection_name):
        await Monitor.filter(id=monitor.id).select_for_update().first()
        closed = await Incident.filter(monitor_id=monitor.id, resolved_at=None).update(
            resolved_at=now
        )
        monitor.paused = True
        monitor.state = MonitorState.PAUSED
        monitor.state_since = now
        monitor.next_check_at = None
        monitor.consecutive_failures = monitor.consecutive_successes = 0
        monitor.failing_since = monitor.failing_first_error = None
        await monitor.save(update_fields=_STATE_FIELDS)
    if closed:
        log.info("incident closed: monitor %s, paused", monitor.id)


async def resume_monitor(monitor: Monitor) -> None:
    now = datetime.now(UTC)
    monitor.paused = False
    monitor.state = MonitorState.UNKNOWN
    monitor.state_since = now
    probed = getattr(kinds.kind_module(monitor.kind), "PROBED", True)
    # A kind nobody probes (push) waits for its next report instead.
    monitor.next_check_at = (
        first_check_at(now, monitor.interval_seconds, max_jitter_s=5) if probed else None
    )
    await monitor.save(update_fields=_STATE_FIELDS)


# Fields of every kind a user may change after creation, and the rule for each; a
# kind's own fields come from its declaration (core/kinds).
COMMON_FIELDS = {
    "name": rules.parse_name,
    "timeout_seconds": rules.parse_timeout,
    "cert_warning_days": rules.parse_cert_days,
    "failure_threshold": rules.parse_threshold,
    "success_threshold": rules.parse_threshold,
}
INTERVAL_FIELDS = ("interval_seconds", "retry_interval_seconds")


def editable_fields(kind: str) -> tuple[str, ...]:
    """What a user may change on a monitor of `kind`."""
    own = tuple(f.name for f in kinds.fields_of(kind) if f.writable)
    unused = getattr(kinds.kind_module(kind), "UNUSED_SHARED_FIELDS", ())
    shared = (*INTERVAL_FIELDS, *tuple(COMMON_FIELDS)[1:])
    return ("name", *own, *(name for name in shared if name not in unused))


def parse_field(kind: str, field: str, raw: Any) -> Any:
    """The clean value of one option (the fields that need no settings or network)."""
    declared = kinds.field_of(kind, field)
    if declared is not None:
        return _parse(declared, raw)
    if field not in COMMON_FIELDS or raw is None:
        raise rules.RuleError("field_invalid")
    return COMMON_FIELDS[field](raw)


async def _clean(runtime: Runtime, monitor: Monitor, field: str, raw: Any) -> Any:
    if field in INTERVAL_FIELDS and raw is not None:
        return rules.parse_interval(raw, runtime.settings)
    return parse_field(monitor.kind, field, raw)


async def _clean_all(runtime: Runtime, monitor: Monitor, changes: dict[str, Any]) -> dict[str, Any]:
    """Every change validated (errors name their field), the target vetted again when a
    field saying where the check goes changed (its `url` column follows), and the timeout
    kept within the interval: one given explicitly must be; a default one follows a
    shorter one."""
    module = kinds.kind_module(monitor.kind)
    unused = getattr(module, "UNUSED_SHARED_FIELDS", ())
    values: dict[str, Any] = {}
    for field, raw in changes.items():
        with _about(field):
            if field in unused:
                raise rules.RuleError("field_unused")
            values[field] = await _clean(runtime, monitor, field, raw)
    kinds.refuse_together(monitor.kind, values)
    moved = [name for name in module.TARGET_FIELDS if name in values]
    if moved:
        target = kinds.monitor_values(monitor) | {n: values[n] for n in module.TARGET_FIELDS
                                                  if n in values}  # fmt: skip
        await monitor.fetch_related("owner")
        with _about(moved[0]):
            await module.vet(target, runtime.allow_private(monitor.owner.telegram_id),
                             runtime.resolve)  # fmt: skip
        values |= {name: target[name] for name in module.TARGET_FIELDS}
    interval = values.get("interval_seconds", monitor.interval_seconds)
    if "timeout_seconds" in values:
        if values["timeout_seconds"] > interval:
            raise rules.RuleError("timeout_interval", field="timeout_seconds")
    elif monitor.timeout_seconds > interval:
        values["timeout_seconds"] = rules.default_timeout(interval)
    return values


# apply_changes' `channel_ids` when the monitor's channels stay as they are.
KEEP_CHANNELS: Any = object()


async def apply_changes(
    runtime: Runtime,
    monitor: Monitor,
    changes: dict[str, Any],
    channel_ids: Sequence[int] | None = KEEP_CHANNELS,
) -> list[str]:
    """Validate every change with the creation rules, then save them together: a
    refused change (RuleError or TargetError, naming its field) leaves the monitor as
    it was. `None` clears an optional rule; a field set clears the fields it `replaces`
    unless they are changed too (a push monitor's period, its cron). `channel_ids`, when
    given, sets the channels it alerts (None: its owner's defaults), checked and saved
    with the rest (core.channels.set_monitor_channels). Returns the columns written."""
    changes = dict(changes)
    for name, raw in list(changes.items()):
        declared = kinds.field_of(monitor.kind, name)
        if declared is not None and raw is not None:
            for replaced in declared.replaces:
                changes.setdefault(replaced, None)
    values = await _clean_all(runtime, monitor, changes)
    if channel_ids is not KEEP_CHANNELS and channel_ids is not None:
        await check_channel_ids(monitor.owner_id, channel_ids)  # before anything changes
    own = {name: value for name, value in values.items() if kinds.field_of(monitor.kind, name)}
    changed = kinds.store(monitor, own)
    for field, value in values.items():
        if field not in own:
            setattr(monitor, field, value)
            changed.append(field)
    # The shown target may depend on any of the kind's fields (tcp:// or tls://).
    target = kinds.kind_module(monitor.kind).target(kinds.monitor_values(monitor))
    if own and "url" not in changed and target != monitor.url:
        monitor.url = target
        changed.append("url")
    rescheduled = getattr(kinds.kind_module(monitor.kind), "rescheduled", None)
    if own and rescheduled is not None and not monitor.paused:  # a push monitor's deadline
        monitor.next_check_at = rescheduled(kinds.monitor_values(monitor))
        changed.append("next_check_at")
    if "interval_seconds" in values:
        soon = datetime.now(UTC) + timedelta(seconds=values["interval_seconds"])
        if monitor.next_check_at is not None and monitor.next_check_at > soon:
            monitor.next_check_at = soon
            changed.append("next_check_at")
    if channel_ids is KEEP_CHANNELS:
        if changed:
            await monitor.save(update_fields=[*changed, "updated_at"])
        return changed
    async with in_transaction(current_connection().connection_name):
        await set_monitor_channels(monitor, channel_ids)  # checked again, with the writes
        if changed:
            await monitor.save(update_fields=[*changed, "updated_at"])
    return changed


def refuse_without_pings(monitor: Monitor) -> None:
    """RuleError("not_push") unless the monitor's kind is pinged (has a ping token)."""
    if not hasattr(kinds.kind_module(monitor.kind), "issue_token"):
        raise rules.RuleError("not_push")


async def update_monitor(runtime: Runtime, monitor: Monitor, field: str, raw: Any) -> None:
    """One field, as the bot edits them (see apply_changes)."""
    await apply_changes(runtime, monitor, {field: raw})


async def rotate_push_token(monitor: Monitor) -> str:
    """A new ping URL for a push monitor: a new token (core.kinds.push.issue_token)
    saved in place of the old one, which stops working at once (the ping endpoint finds
    monitors by the token's hash). Returns the new token, which is known only now.
    RuleError("not_push") for a monitor of another kind."""
    refuse_without_pings(monitor)
    token = kinds.kind_module(monitor.kind).issue_token(monitor)
    await monitor.save(update_fields=["push_token_hash", "push_token_prefix", "updated_at"])
    return token


PAGE_SIZE = 10


async def monitor_page(owner_id: int, page: int, total: int) -> tuple[list[Monitor], int, int]:
    """One page of an owner's `total` monitors in id order: (monitors, page, pages), with
    the page number clamped to the pages that exist."""
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    monitors = (
        await Monitor.filter(owner_id=owner_id)
        .order_by("id")
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return monitors, page, pages
