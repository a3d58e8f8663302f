"""The per-monitor state machine: what one check result does to a monitor's state.

Pure functions over a `Monitor` row and a `ProbeResult`; core/recording.py runs them
inside the transaction that persists their effects, so a state change and the alerts
it causes are written together or not at all.

Rules:
1. A success resets the failure streak; a failure resets the success streak.
2. unknown -> up on the first success (a new monitor never announces "up").
3. unknown/up -> down when the failure streak reaches failure_threshold: an incident
   opens, dated from the first failure of the streak, and a `down` alert is due.
4. down -> up when the success streak reaches success_threshold: the incident closes
   and an `up` alert is due.
5. During a maintenance window the streaks still count, but the state does not change,
   no incident opens or closes, and nothing is sent. When the window ends, rules 3 and 4
   apply to the streaks as they are, so the real state takes over at the next check.
6. While down, a `reminder` is due every reminder interval (0 = never).
7. A certificate warning is due once per threshold crossed (default 14/7/3/1 days):
   5 days left warns once, for 7. A new certificate (a different expiry) re-arms them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.probe import ProbeResult
from db.models import Monitor, MonitorState

# A certificate whose expiry moved by more than this is a new certificate.
_CERT_CHANGE = timedelta(hours=1)


@dataclass
class Effects:
    """What a result caused, for the recorder to persist."""

    went_down: bool = False
    came_up: bool = False
    still_down: bool = False
    reminder: bool = False
    cert_warning_days: int | None = None
    changed_state: bool = False


def is_failing(monitor: Monitor) -> bool:
    """Whether the monitor should be checked at its retry interval."""
    return monitor.state == MonitorState.DOWN or monitor.consecutive_failures > 0


def apply_result(
    monitor: Monitor,
    result: ProbeResult,
    *,
    in_maintenance: bool,
    reminder_minutes: int,
) -> Effects:
    """Update `monitor` (in memory) for one result and return the effects."""
    effects = Effects()
    at = result.checked_at
    monitor.last_check_at = at
    monitor.last_ok = result.ok
    monitor.last_status_code = result.status_code
    monitor.last_latency_ms = result.latency_ms
    monitor.last_error_kind = result.error_kind

    if result.ok:
        monitor.consecutive_successes += 1
        monitor.consecutive_failures = 0
        monitor.failing_since = None
        monitor.failing_first_error = None
    else:
        if monitor.consecutive_failures == 0:
            monitor.failing_since = at
            monitor.failing_first_error = _error_text(result)
        monitor.consecutive_failures += 1
        monitor.consecutive_successes = 0

    if result.cert_expires_at is not None:
        effects.cert_warning_days = _cert_warning(
            monitor, result.cert_expires_at, at, in_maintenance
        )

    if in_maintenance:
        return effects

    state = monitor.state
    if state == MonitorState.UNKNOWN and result.ok:
        _set_state(monitor, MonitorState.UP, at)
        effects.changed_state = True
    elif state in (MonitorState.UNKNOWN, MonitorState.UP) and not result.ok:
        if monitor.consecutive_failures >= monitor.failure_threshold:
            _set_state(monitor, MonitorState.DOWN, monitor.failing_since or at)
            monitor.last_reminder_at = None
            effects.went_down = effects.changed_state = True
    elif state == MonitorState.DOWN:
        if result.ok and monitor.consecutive_successes >= monitor.success_threshold:
            _set_state(monitor, MonitorState.UP, at)
            monitor.last_reminder_at = None
            effects.came_up = effects.changed_state = True
        else:
            effects.still_down = True
            if reminder_minutes > 0 and not result.ok:
                since = monitor.last_reminder_at or monitor.state_since or at
                if at - since >= timedelta(minutes=reminder_minutes):
                    monitor.last_reminder_at = at
                    effects.reminder = True
    return effects


def _set_state(monitor: Monitor, state: MonitorState, since: datetime) -> None:
    monitor.state = state
    monitor.state_since = since


def _cert_warning(
    monitor: Monitor, expires_at: datetime, at: datetime, in_maintenance: bool
) -> int | None:
    """The threshold to warn about now, if any; records it as warned."""
    previous = monitor.cert_expires_at
    if previous is None or abs(previous - expires_at) > _CERT_CHANGE:
        monitor.cert_warned_days = None
    monitor.cert_expires_at = expires_at
    days_left = (expires_at - at) / timedelta(days=1)
    if days_left <= 0 or in_maintenance:
        return None
    crossed = [t for t in (monitor.cert_warning_days or []) if days_left <= t]
    if not crossed:
        return None
    threshold = min(crossed)
    if monitor.cert_warned_days is not None and threshold >= monitor.cert_warned_days:
        return None
    monitor.cert_warned_days = threshold
    return threshold


def _error_text(result: ProbeResult) -> str:
    text = result.error_message or result.error_kind or "failed"
    return text[:512]
