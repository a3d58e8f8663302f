"""Texts the bot sends, rendered in the current locale (set by the i18n middleware)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiogram.utils.i18n import get_i18n

from core import kinds
from core.alerts import cause_words
from core.i18n import _
from core.monitor_rules import RuleError
from core.probe import ProbeResult
from core.render import cut, esc, fmt_ago, fmt_datetime, fmt_duration, fmt_percent, state_emoji
from core.rule_texts import rule_text
from core.stats import LastIncident, WindowStats, uptime_since
from core.targets import TargetError
from db.models import Monitor, MonitorState


def locale() -> str:
    return get_i18n().current_locale


def state_name(state: str) -> str:
    return {
        MonitorState.UP: _("up"),
        MonitorState.DOWN: _("down"),
        MonitorState.UNKNOWN: _("not checked yet"),
        MonitorState.PAUSED: _("paused"),
    }[MonitorState(state)]


def error_kind_name(kind: str | None) -> str:
    return cause_words(kind) if kind else ""


def rule_message(error: RuleError | TargetError) -> str:
    """The reason, escaped for an HTML message."""
    return esc(rule_text(error))


def monitor_card(monitor: Monitor, uptime_24h: float | None) -> str:
    loc = locale()
    lines = [
        f"{state_emoji(monitor.state)} <b>{esc(cut(monitor.name, 128))}</b>",
        f"🔗 {esc(monitor.url)}",
        *kind_lines(monitor),
        _("State: {state}, since {since}").format(
            state=state_name(monitor.state), since=fmt_ago(monitor.state_since, loc)
        )
        if monitor.state_since
        else _("State: {state}").format(state=state_name(monitor.state)),
        _("Checked every {interval}").format(interval=fmt_duration(monitor.interval_seconds, loc)),
    ]
    if monitor.last_check_at is not None:
        status = (
            str(monitor.last_status_code)
            if monitor.last_status_code is not None
            else error_kind_name(monitor.last_error_kind)
        )
        latency = (
            _("{latency} ms").format(latency=monitor.last_latency_ms)
            if monitor.last_latency_ms is not None
            else "—"
        )
        lines.append(
            _("Last check: {status}, {latency}, {ago}").format(
                status=esc(status), latency=latency, ago=fmt_ago(monitor.last_check_at, loc)
            )
        )
    lines.append(_("Uptime 24 h: {uptime}").format(uptime=fmt_percent(uptime_24h, loc)))
    return "\n".join(lines)


def kind_lines(monitor: Monitor) -> list[str]:
    """A kind's fields, as its declaration labels them. The address line already says
    where an http monitor goes, and most of its many fields keep their defaults: its
    card shows the ones changed (a JSON rule, headers, credentials set, ...)."""
    values = kinds.monitor_values(monitor)
    if monitor.kind != kinds.DEFAULT_KIND:
        return field_lines(monitor.kind, values)
    module = kinds.kind_module(monitor.kind)
    changed = {
        f.name: values[f.name]
        for f in module.FIELDS
        if f.name not in module.TARGET_FIELDS and values[f.name] != f.initial()
    }
    return field_lines(monitor.kind, changed)


def field_question(declared: kinds.Field) -> str:
    """What the bot asks for a kind's field: its prompt, or at least its label."""
    return str(declared.prompt or declared.label or declared.name)


# A field's value on the card is cut to this (a body may be 16 KiB, a message 4,096).
FIELD_VALUE_SHOWN = 64


def field_lines(kind: str, values: dict) -> list[str]:
    """One "Label: value" line per set field of `kind` (a secret only says it is set, a
    choice shows its words, headers their names): the card and the /add summary show a
    kind's fields the same way."""
    lines = []
    for declared in kinds.fields_of(kind):
        value = values.get(declared.name)
        if not declared.writable or value is None:
            continue
        choices = {choice: str(label) for choice, label in declared.choices}
        if declared.secret:
            value = "••••"
        elif isinstance(value, bool):
            value = _("Yes") if value else _("No")
        elif isinstance(value, str) and value in choices:
            value = choices[value]
        elif isinstance(value, dict):
            value = ", ".join(str(name) for name in value)  # a header's value may be a key
        elif isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        lines.append(f"{declared.label}: {esc(cut(str(value), FIELD_VALUE_SHOWN))}")
    return lines


def check_result(monitor: Monitor, result: ProbeResult) -> str:
    loc = locale()
    head = f"{state_emoji(monitor.state)} <b>{esc(cut(monitor.name, 128))}</b>"
    if result.ok:
        if result.status_code is not None:
            body = _("✅ OK: HTTP {status} in {latency} ms").format(
                status=result.status_code, latency=result.latency_ms
            )
        else:  # kinds without a status (tcp, dns, ping)
            body = _("✅ OK in {latency} ms").format(latency=result.latency_ms)
    else:
        body = _("❌ Failed: {kind}").format(kind=error_kind_name(result.error_kind))
        if result.error_message:
            body += f"\n<code>{esc(cut(result.error_message, 300))}</code>"
    return f"{head}\n{body}\n{fmt_datetime(result.checked_at, loc)}"


async def card_uptime(monitor: Monitor) -> float | None:
    return await uptime_since(monitor.id, datetime.now(UTC) - timedelta(hours=24))


def window_label(window: str) -> str:
    return {
        "24h": _("Last 24 hours"),
        "7d": _("Last 7 days"),
        "30d": _("Last 30 days"),
        "90d": _("Last 90 days"),
    }[window]


def stats_caption(
    monitor: Monitor, shown: WindowStats, windows: list[WindowStats], last: LastIncident | None
) -> str:
    """The figures of the shown period, the uptime of every period and the last
    incident: short enough for a photo's caption (1,024 characters)."""
    loc = locale()
    lines = [f"📊 <b>{esc(cut(monitor.name, 64))}</b> · {window_label(shown.window)}"]
    lines.append(_("Uptime: {uptime}").format(uptime=fmt_percent(shown.uptime, loc)))
    lines.append(
        _("Incidents: {count}, downtime {downtime}").format(
            count=shown.incidents, downtime=fmt_duration(shown.downtime_seconds, loc)
        )
    )
    if shown.longest_incident_seconds is not None:
        lines.append(
            _("Time to recover: {mttr} on average, longest incident {longest}").format(
                mttr=fmt_duration(shown.mttr_seconds, loc) if shown.mttr_seconds else "—",
                longest=fmt_duration(shown.longest_incident_seconds, loc),
            )
        )
    if shown.avg_latency_ms is not None:
        lines.append(
            _("Latency: average {avg} ms, 95th percentile {p95} ms").format(
                avg=round(shown.avg_latency_ms), p95=shown.p95_latency_ms
            )
        )
    lines.append(_("Last check: {when}").format(when=fmt_ago(shown.last_check_at, loc)))
    lines.append(
        _("Uptime {windows}: {values}").format(
            windows=" / ".join(w.window for w in windows),
            values=" · ".join(fmt_percent(w.uptime, loc) for w in windows),
        )
    )
    if last is None:
        lines.append(_("No incidents so far."))
    else:
        ended = (
            _("resolved after {duration}").format(
                duration=fmt_duration((last.resolved_at - last.started_at).total_seconds(), loc)
            )
            if last.resolved_at
            else _("still open")
        )
        lines.append(
            _("Last incident: {when}, {cause}, {ended}").format(
                when=fmt_datetime(last.started_at, loc),
                cause=error_kind_name(last.cause),
                ended=ended,
            )
        )
    return "\n".join(lines)
