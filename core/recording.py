"""Persisting check results: the logs, the state they cause, and the alerts, together.

`record_results()` takes a batch of results (the engine's buffer, or one from
`check_now`) and, in ONE transaction:
1. locks the batch's monitors (`FOR UPDATE`, in id order so two batches cannot
   deadlock) and reads, in the same statement, their owners and whether a maintenance
   window may cover the batch's time span (then it reads those), then the open
   incidents of those that are down;
2. runs the state machine (core/evaluation.py) over the results in time order;
3. inserts the check logs, updates the monitors, opens/updates/closes incidents (one
   statement on PostgreSQL: db.bulk.Writes), and inserts the notification rows the
   transitions caused.
So a crash leaves either everything or nothing: an alert is never lost nor queued
twice (each row also carries a unique dedup key, inserted with ON CONFLICT DO NOTHING),
and after a restart the persisted state means a known state is not announced again.

A result older than the monitor's last recorded check (a `check_now` racing a scheduled
check) is logged but does not move the state backwards. A judgement of the row as it was
claimed (ProbeResult.void_if_checked_after: a push monitor's silence) is dropped, not
even logged, when a check was recorded since: a ping landed between the claim and the
judgement, and the silence it judged did not happen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from core.channels import routes_of
from core.evaluation import Effects, apply_result, is_failing
from core.kinds import kind_module
from core.metrics import count_checks
from core.probe import ProbeResult
from db.bulk import (
    CHECK_LOG_COLUMNS,
    INCIDENT_CHANGE_COLUMNS,
    INCIDENT_COLUMNS,
    MONITOR_STATE_COLUMNS,
    Row,
    Writes,
    select_monitor_rows,
    windows_overlapping,
)
from db.connection import current_connection
from db.models import (
    Incident,
    MaintenanceWindow,
    Monitor,
    MonitorState,
    Notification,
    NotificationKind,
    User,
)

log = logging.getLogger(__name__)

# What recording reads of a monitor (core/evaluation.py and the alerts), and of its owner.
RECORDING_COLUMNS = (
    "id", "owner_id", "kind", "name", "url", "paused", "failure_threshold", "success_threshold",
    "retry_interval_seconds", "reminder_interval_minutes", "cert_warning_days",
    *(name for name, _ in MONITOR_STATE_COLUMNS),
)  # fmt: skip
OWNER_COLUMNS = ("id", "reminder_interval_minutes")


async def lock_monitors(
    conn: BaseDBAsyncClient,
    columns: Sequence[str],
    where: str,
    values: Sequence,
    pg_type: str = "int",
    *,
    since: datetime,
    undecoded: Collection[str] = (),
) -> list[Row]:
    """Step 1: the monitors whose `where` column is one of `values`, locked, as Rows
    of `columns` (at least RECORDING_COLUMNS) with their owner and whether a
    maintenance window may cover a check made since `since` (JSON columns in
    `undecoded` as text)."""
    return await select_monitor_rows(
        conn, Monitor, User, columns, OWNER_COLUMNS, where, values, pg_type, for_update=True,
        windows_since=since, undecoded=undecoded,
    )  # fmt: skip


@dataclass
class RecordedCheck:
    monitor_id: int
    result: ProbeResult
    in_maintenance: bool
    state: str | None  # None when the monitor no longer exists
    effects: Effects | None  # None when the result was logged without evaluation


def reminder_minutes(monitor: Monitor | Row, owner: User | Row) -> int:
    if monitor.reminder_interval_minutes is not None:
        return monitor.reminder_interval_minutes
    return owner.reminder_interval_minutes


def _covered(windows: list[MaintenanceWindow], monitor: Row, at: datetime) -> bool:
    for window in windows:
        if not (window.starts_at <= at < window.ends_at):
            continue
        if window.monitor_id == monitor.id or (
            window.monitor_id is None and window.owner_id == monitor.owner_id
        ):
            return True
    return False


def _log_row(monitor_id: int, result: ProbeResult, in_maintenance: bool) -> tuple:
    """A check_logs row in db.bulk.CHECK_LOG_COLUMNS order."""
    return (
        monitor_id,
        result.checked_at,
        result.ok,
        result.status_code,
        result.latency_ms,
        result.dns_ms,
        result.connect_ms,
        result.tls_ms,
        result.ttfb_ms,
        result.error_kind and str(result.error_kind),
        result.error_message[:512] if result.error_message else None,
        result.cert_expires_at,
        result.final_url[:2048] if result.final_url else None,
        in_maintenance,
    )


class _Batch:
    """The rows one transaction loads and the changes it accumulates. Incidents opened
    and alerts are kept in memory and written after the walk, each kind in one
    statement: a batch where many monitors change state costs no query per change."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.logs: list[tuple] = []
        self.changed: dict[int, Row] = {}
        self.new_incidents: list[Row] = []  # opened here: no id until written
        self.dirty_incidents: dict[int, Incident] = {}  # open before, changed here
        # Alerts: Notification fields but the incident's id, and the dedup key with
        # "{incident}" where that id goes.
        self.alerts: list[tuple[dict, str, Incident | Row | None]] = []
        self.incident_lines: list[tuple[str, tuple]] = []  # logged once committed

    def opened(self, incident: Row) -> None:
        self.new_incidents.append(incident)
        self.incident_lines.append(
            ("incident opened: monitor %s, cause %s", (incident.monitor_id, incident.cause))
        )

    def changed_incident(self, incident: Incident | Row) -> None:
        if incident.id is not None:  # one opened in this batch is written as it ends
            self.dirty_incidents[incident.id] = incident

    def closed(self, incident: Incident | Row) -> None:
        assert incident.resolved_at is not None
        self.changed_incident(incident)
        duration = incident.resolved_at.replace(microsecond=0) - incident.started_at.replace(
            microsecond=0
        )
        self.incident_lines.append(
            (
                "incident closed: monitor %s, cause %s, down for %s",
                (incident.monitor_id, incident.cause, duration),
            )
        )

    def notify(
        self,
        owner: Row,
        monitor: Row,
        kind: NotificationKind,
        payload: dict,
        key: str,
        incident: Incident | Row | None = None,
    ) -> None:
        """Queue an alert; `key` may hold "{incident}" for the incident's id."""
        base = {
            "monitor_id": monitor.id, "name": monitor.name, "url": monitor.url,
            "kind": monitor.kind,
        }  # fmt: skip
        if not getattr(kind_module(monitor.kind), "PROBED", True):
            base["probed"] = False  # no Check now under its alert (a push monitor)
        fields = {
            "user_id": owner.id,
            "kind": kind,
            "monitor_id": monitor.id,
            "payload": {**base, **payload},
            "next_attempt_at": self.now,
        }
        self.alerts.append((fields, key, incident))

    async def write(self, conn: BaseDBAsyncClient, writes: Writes) -> None:
        """Step 3: `writes` (the caller's, and the logs and monitors added to it), the
        incidents, then the alerts naming them."""
        writes.insert("check_logs", CHECK_LOG_COLUMNS, self.logs)
        writes.update(
            "incidents",
            INCIDENT_CHANGE_COLUMNS,
            [
                (i.id, [getattr(i, name) for name, _ in INCIDENT_CHANGE_COLUMNS])
                for i in self.dirty_incidents.values()
            ],
        )
        writes.insert_returning_ids(
            "incidents",
            INCIDENT_COLUMNS,
            [[getattr(i, name) for name, _ in INCIDENT_COLUMNS] for i in self.new_incidents],
        )
        ids = await writes.run(conn)
        for incident, incident_id in zip(self.new_incidents, ids, strict=True):
            incident.id = incident_id
        if self.alerts:
            # One row per channel the monitor alerts now (core/channels.py), read only
            # for batches that alert: most batches do not.
            routes = await routes_of(sorted({f["monitor_id"] for f, _, _ in self.alerts}), conn)
            await Notification.bulk_create(
                [
                    Notification(
                        **fields,
                        channel=channel_kind,
                        alert_channel_id=channel_id,
                        incident_id=incident.id if incident else None,
                        dedup_key=f"{key.format(incident=incident.id if incident else None)}"
                        f":c{channel_id}",
                    )
                    for fields, key, incident in self.alerts
                    for channel_id, channel_kind in routes.get(fields["monitor_id"], ())
                ],
                ignore_conflicts=True,
                using_db=conn,
            )


async def record_results(
    items: Sequence[tuple[int, ProbeResult]], now: datetime | None = None
) -> list[RecordedCheck]:
    """Persist results and everything they cause, in one transaction (see module doc)."""
    if not items:
        return []
    async with in_transaction(current_connection().connection_name) as conn:
        recorded, committed = await record_results_in(conn, items, now)
    committed()
    return recorded


async def record_results_in(
    conn: BaseDBAsyncClient,
    items: Sequence[tuple[int, ProbeResult]],
    now: datetime | None = None,
    *,
    locked: Mapping[int, Row] | None = None,
    also: Sequence[tuple[str, str]] = (),
    writes: Writes | None = None,
) -> tuple[list[RecordedCheck], Callable[[], None]]:
    """record_results inside the caller's transaction `conn` (the ping intake writes
    the pings and the results they cause in one). Returns what was recorded and what
    to do once the transaction has committed (count the checks, log the incidents).

    `locked`: the monitors of `items` as the caller already locked and read them
    (`lock_monitors`, with a `since` no later than the earliest result): no second
    read. `also`: more columns of theirs to write in the same statement as the state,
    for every monitor in `locked`, results or not (the ping intake's push columns).
    `writes`: the caller's own inserts and updates, sent with the batch's."""
    if not items and not (locked and also):
        if writes is not None:
            await writes.run(conn)
        return [], lambda: None
    batch = _Batch(now or datetime.now(UTC))
    ordered = sorted(items, key=lambda item: item[1].checked_at)
    recorded: list[RecordedCheck] = []
    if locked is None:
        ids = sorted({monitor_id for monitor_id, _ in ordered})
        rows = await lock_monitors(
            conn, RECORDING_COLUMNS, "id", ids, since=ordered[0][1].checked_at
        )
        locked = {row.id: row for row in rows}
    monitors = locked
    windows = []
    if ordered and any(m.maintenance for m in monitors.values()):
        windows = await windows_overlapping(
            conn,
            MaintenanceWindow,
            list(monitors),
            sorted({m.owner_id for m in monitors.values()}),
            ordered[0][1].checked_at,
            ordered[-1][1].checked_at,
        )
    # Read now that the monitors are locked: the lock's statement may see them as they
    # were before a recording it waited for (db.bulk.select_monitor_rows).
    down = [m.id for m in monitors.values() if m.state == MonitorState.DOWN]
    incidents = (
        {i.monitor_id: i for i in await Incident.filter(monitor_id__in=down, resolved_at=None)}
        if down and ordered
        else {}
    )
    counted: list[ProbeResult] = []
    for monitor_id, result in ordered:
        monitor = monitors.get(monitor_id)
        if monitor is not None and _void(monitor, result):
            recorded.append(RecordedCheck(monitor_id, result, False, monitor.state, None))
            continue
        counted.append(result)
        if monitor is None:
            recorded.append(RecordedCheck(monitor_id, result, False, None, None))
            continue
        in_maintenance = _covered(windows, monitor, result.checked_at)
        batch.logs.append(_log_row(monitor_id, result, in_maintenance))
        stale = monitor.last_check_at is not None and result.checked_at < monitor.last_check_at
        if monitor.paused or stale:
            recorded.append(RecordedCheck(monitor_id, result, in_maintenance, monitor.state, None))
            continue
        owner = monitor.owner
        effects = apply_result(
            monitor,
            result,
            in_maintenance=in_maintenance,
            reminder_minutes=reminder_minutes(monitor, owner),
        )
        if result.next_due_at is not None:  # the kind's own schedule (a push deadline)
            monitor.next_check_at = result.next_due_at
        else:
            _schedule_retry(monitor, result)
        batch.changed[monitor.id] = monitor
        await _apply_effects(batch, monitor, owner, result, effects, incidents)
        recorded.append(RecordedCheck(monitor_id, result, in_maintenance, monitor.state, effects))

    writes = writes if writes is not None else Writes()
    columns = (*MONITOR_STATE_COLUMNS, *also)
    writes.update(
        "monitors",
        columns,
        [
            (m.id, [getattr(m, name) for name, _ in columns])
            for m in (monitors.values() if also else batch.changed.values())
        ],
    )
    await batch.write(conn, writes)

    def committed() -> None:
        count_checks(counted)  # counted once
        for line, args in batch.incident_lines:
            log.info(line, *args)

    return recorded, committed


def _void(monitor: Row, result: ProbeResult) -> bool:
    """Whether `result` judged the row as it was before a check recorded since (module
    doc)."""
    seen = result.void_if_checked_after
    return seen is not None and monitor.last_check_at is not None and monitor.last_check_at > seen


def _schedule_retry(monitor: Row, result: ProbeResult) -> None:
    """While failing, the next check comes after the retry interval, not the interval."""
    if monitor.next_check_at is None or not is_failing(monitor):
        return
    retry_at = result.checked_at + timedelta(seconds=monitor.retry_interval_seconds)
    if retry_at < monitor.next_check_at:
        monitor.next_check_at = retry_at


async def _apply_effects(
    batch: _Batch,
    monitor: Row,
    owner: Row,
    result: ProbeResult,
    effects: Effects,
    incidents: dict[int, Incident | Row],  # open before (models), or opened here (Rows)
) -> None:
    at = result.checked_at
    error = (result.error_message or result.error_kind or "")[:512]
    incident = incidents.get(monitor.id)
    if effects.went_down:
        if incident is None:
            incident = Row(
                id=None,
                monitor_id=monitor.id,
                started_at=monitor.state_since or at,
                resolved_at=None,
                cause=result.error_kind or "unknown",
                first_error=monitor.failing_first_error or error,
                last_error=error,
                failed_checks=monitor.consecutive_failures,
            )
            incidents[monitor.id] = incident
            batch.opened(incident)
        batch.notify(
            owner,
            monitor,
            NotificationKind.DOWN,
            {
                "cause": incident.cause,
                "error": error,
                # The check's own words (None when it had none, where `error` falls back
                # on the cause's code), and the facts it added for the alert.
                "message": result.error_message[:512] if result.error_message else None,
                "details": result.details,
                "status_code": result.status_code,
                "since": incident.started_at.isoformat(),
                "failed_checks": incident.failed_checks,
            },
            key="down:{incident}",
            incident=incident,
        )
    elif effects.still_down and incident is not None and not result.ok:
        incident.last_error = error
        incident.failed_checks += 1
        batch.changed_incident(incident)
    if effects.came_up:
        started = incident.started_at if incident else at
        if incident is not None:
            incident.resolved_at = at
            batch.closed(incident)
            del incidents[monitor.id]
        batch.notify(
            owner,
            monitor,
            NotificationKind.UP,
            {
                "cause": incident.cause if incident else None,
                "since": started.isoformat(),
                "resolved_at": at.isoformat(),
                "downtime_seconds": round((at - started).total_seconds()),
                "failed_checks": incident.failed_checks if incident else 0,
            },
            key=f"up:{'{incident}' if incident else monitor.id}:{int(at.timestamp())}",
            incident=incident,
        )
    if effects.reminder and incident is not None:
        batch.notify(
            owner,
            monitor,
            NotificationKind.REMINDER,
            {
                "cause": incident.cause,
                "error": error,
                "since": incident.started_at.isoformat(),
                "down_seconds": round((at - incident.started_at).total_seconds()),
            },
            key=f"reminder:{{incident}}:{int(at.timestamp())}",
            incident=incident,
        )
    if effects.cert_warning_days is not None and monitor.cert_expires_at is not None:
        expires = monitor.cert_expires_at
        batch.notify(
            owner,
            monitor,
            NotificationKind.CERT_EXPIRING,
            {
                "threshold_days": effects.cert_warning_days,
                "days_left": max(0, int((expires - at) / timedelta(days=1))),
                "expires_at": expires.isoformat(),
            },
            key=f"cert:{monitor.id}:{expires.date().isoformat()}:{effects.cert_warning_days}",
        )
