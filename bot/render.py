"""Texts the bot sends, rendered in the current locale (set by the i18n middleware)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiogram.utils.i18n import get_i18n

from core.alerts import cause_words
from core.i18n import _
from core.monitor_rules import RuleError
from core.probe import ProbeResult
from core.render import cut, esc, fmt_ago, fmt_datetime, fmt_duration, fmt_percent, state_emoji
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


def rule_text(error: RuleError | TargetError) -> str:
    """A translated reason for a refused input, as plain text (callback alerts)."""
    params = getattr(error, "params", {}) or {}
    messages = {
        "url_empty": _("Send a web address, for example https://example.com."),
        "url_too_long": _("That address is too long (at most 2048 characters)."),
        "url_invalid": _("That does not look like a web address."),
        "url_scheme": _("Only http:// and https:// addresses can be monitored."),
        "url_credentials": _("Please leave the user name and password out of the address."),
        "dns": _("This host name does not resolve. Check the spelling."),
        "private_address": _(
            "This address is on a private or local network, which the monitor may not reach."
        ),
        "name_empty": _("The name cannot be empty."),
        "name_too_long": _("The name is too long (at most {max} characters)."),
        "name_invalid": _("The name contains characters that are not allowed."),
        "duration_invalid": _("Send a duration such as 90, 90s, 5m or 2h."),
        "interval_range": _("The interval must be between {min} and {max} seconds."),
        "status_codes_invalid": _(
            "Send status codes between 100 and 599, as a list or ranges: 200-299,301"
        ),
        "latency_invalid": _("Send the threshold in milliseconds, for example 1500."),
        "latency_range": _("The threshold must be between {min} and {max} ms."),
        "keyword_empty": _("The keyword cannot be empty."),
        "keyword_too_long": _("The keyword is too long (at most {max} characters)."),
        "cert_days_invalid": _("Send up to 6 numbers of days between 1 and 365: 14,7,3,1"),
        "method_invalid": _("Choose one of: {allowed}."),
        "check_too_soon": _("Checked just now; try again in {seconds} s."),
        "threshold_invalid": _("Send a whole number."),
        "threshold_range": _("Send a number between {min} and {max}."),
        "email_empty": _("Send an email address, for example name@example.com."),
        "email_too_long": _("That address is too long (at most {max} characters)."),
        "email_spaces": _("An email address cannot contain spaces."),
        "email_chars": _(
            'That address contains characters that are not allowed: < > ( ) [ ] , ; : "'
        ),
        "email_at": _(
            "An email address needs exactly one @ with text on both sides, like name@example.com."
        ),
        "email_domain": _("The part after @ must be a domain with a dot, like example.com."),
        "email_same": _("That address is already confirmed."),
        "email_wait": _("A code was sent a moment ago. Please wait {seconds} s for another one."),
        "code_format": _("Send the {digits}-digit code from the email, or /cancel."),
        "code_wrong": _("That code is wrong. Tries left: {left}."),
        "code_void": _("That code is wrong, and that was the last try: it no longer works."),
        "code_expired": _("That code has expired."),
        "code_none": _("No code is waiting to be confirmed."),
        "token_name_invalid": _("The name contains characters that are not allowed."),
        "token_limit": _("You already have {max} tokens. Revoke one to create another."),
        "token_name_too_long": _("The name is too long (at most {max} characters)."),
        "quota": _(
            "You have reached your limit of {limit} monitors. Delete one or ask an admin "
            "for a higher quota."
        ),
    }
    text = messages.get(error.code, _("That value is not valid."))
    return text.format(**params)


def rule_message(error: RuleError | TargetError) -> str:
    """The reason, escaped for an HTML message."""
    return esc(rule_text(error))


def monitor_card(monitor: Monitor, uptime_24h: float | None) -> str:
    loc = locale()
    lines = [
        f"{state_emoji(monitor.state)} <b>{esc(cut(monitor.name, 128))}</b>",
        f"🔗 {esc(monitor.url)}",
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
        latency = f"{monitor.last_latency_ms} ms" if monitor.last_latency_ms is not None else "—"
        lines.append(
            _("Last check: {status}, {latency}, {ago}").format(
                status=esc(status), latency=latency, ago=fmt_ago(monitor.last_check_at, loc)
            )
        )
    lines.append(_("Uptime 24 h: {uptime}").format(uptime=fmt_percent(uptime_24h, loc)))
    return "\n".join(lines)


def check_result(monitor: Monitor, result: ProbeResult) -> str:
    loc = locale()
    head = f"{state_emoji(monitor.state)} <b>{esc(cut(monitor.name, 128))}</b>"
    if result.ok:
        body = _("✅ OK: HTTP {status} in {latency} ms").format(
            status=result.status_code, latency=result.latency_ms
        )
    else:
        body = _("❌ Failed: {kind}").format(kind=error_kind_name(result.error_kind))
        if result.error_message:
            body += f"\n<code>{esc(cut(result.error_message, 300))}</code>"
    return f"{head}\n{body}\n{fmt_datetime(result.checked_at, loc)}"


async def card_uptime(monitor: Monitor) -> float | None:
    return await uptime_since(monitor.id, datetime.now(UTC) - timedelta(hours=24))


def stats_text(monitor: Monitor, windows: list[WindowStats], last: LastIncident | None) -> str:
    loc = locale()
    labels = {"24h": _("Last 24 hours"), "7d": _("Last 7 days"), "30d": _("Last 30 days")}
    lines = [f"📊 <b>{esc(cut(monitor.name, 128))}</b>"]
    for stats in windows:
        lines.append(f"\n<b>{labels[stats.window]}</b>")
        lines.append(_("Uptime: {uptime}").format(uptime=fmt_percent(stats.uptime, loc)))
        lines.append(
            _("Incidents: {count}, downtime {downtime}").format(
                count=stats.incidents, downtime=fmt_duration(stats.downtime_seconds, loc)
            )
        )
        if stats.avg_latency_ms is not None:
            lines.append(
                _("Latency: average {avg} ms, 95th percentile {p95} ms").format(
                    avg=round(stats.avg_latency_ms), p95=stats.p95_latency_ms
                )
            )
    if last is None:
        lines.append("\n" + _("No incidents so far."))
    else:
        ended = (
            _("resolved after {duration}").format(
                duration=fmt_duration((last.resolved_at - last.started_at).total_seconds(), loc)
            )
            if last.resolved_at
            else _("still open")
        )
        lines.append(
            "\n"
            + _("Last incident: {when}, {cause}, {ended}").format(
                when=fmt_datetime(last.started_at, loc),
                cause=error_kind_name(last.cause),
                ended=ended,
            )
        )
    return "\n".join(lines)
