"""Rows as the API shows them. Times are ISO 8601 in UTC with the offset."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from core import kinds
from core.badges import badge_urls
from core.monitor_rules import quota_of
from core.probe import ProbeResult
from core.settings import Settings
from core.stats import WindowStats
from core.status_pages import Layout, page_json_url, page_url
from db.models import (
    Channel,
    CheckLog,
    Incident,
    MaintenanceWindow,
    Monitor,
    Ping,
    StatusPage,
    User,
)


def when(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def monitor_json(monitor: Monitor, settings: Settings, channel_ids: list[int]) -> dict:
    """A monitor, with the ids of the channels it alerts now (core.channels); its owner
    must be loaded (select_related("owner"))."""
    return {
        "id": monitor.id,
        "owner_telegram_id": monitor.owner.telegram_id,
        "name": monitor.name,
        "kind": monitor.kind,
        "url": monitor.url,
        **kind_json(monitor, settings),
        "interval": monitor.interval_seconds,
        "retry_interval": monitor.retry_interval_seconds,
        "timeout": monitor.timeout_seconds,
        "cert_warning_days": list(monitor.cert_warning_days or []),
        "failure_threshold": monitor.failure_threshold,
        "success_threshold": monitor.success_threshold,
        "paused": monitor.paused,
        "channel_ids": channel_ids,
        "custom_channels": monitor.custom_channels,
        "state": str(monitor.state),
        "state_since": when(monitor.state_since),
        "last_check_at": when(monitor.last_check_at),
        "last_status_code": monitor.last_status_code,
        "last_latency_ms": monitor.last_latency_ms,
        "cert_expires_at": when(monitor.cert_expires_at),
        "created_at": when(monitor.created_at),
        "badges": badges_json(monitor, settings),
    }


def badges_json(monitor: Monitor, settings: Settings) -> dict | None:
    """The badges' URLs once the monitor has a badge token (made by POST .../badge-token
    or the bot's Badges button: reading a monitor writes nothing), else None."""
    if not monitor.badge_token:
        return None
    return badge_urls(settings.public_base_url, monitor.badge_token)


def kind_json(monitor: Monitor, settings: Settings) -> dict:
    """The monitor's own fields, as its kind declares them (a secret only says whether
    one is set), and what else the kind shows, read-only (its `extra_json`)."""
    module = kinds.kind_module(monitor.kind)
    extra = getattr(module, "extra_json", None)
    shown = {
        name: when(value) if isinstance(value, datetime) else value
        for name, value in (extra(monitor, settings) if extra is not None else {}).items()
    }
    return _writable_json(monitor) | shown


def _writable_json(monitor: Monitor) -> dict:
    values = kinds.monitor_values(monitor)
    shown = {}
    for declared in kinds.fields_of(monitor.kind):
        if not declared.writable:
            continue
        if declared.secret:
            shown[f"{declared.name}_set"] = values[declared.name] is not None
        else:
            shown[declared.name] = values[declared.name]
    return shown


def check_json(check: CheckLog | ProbeResult, in_maintenance: bool | None = None) -> dict:
    """A logged check, or a fresh result with the maintenance flag it was recorded with."""
    return {
        "checked_at": when(check.checked_at),
        "ok": check.ok,
        "status_code": check.status_code,
        "latency_ms": check.latency_ms,
        "dns_ms": check.dns_ms,
        "connect_ms": check.connect_ms,
        "tls_ms": check.tls_ms,
        "ttfb_ms": check.ttfb_ms,
        "error_kind": str(check.error_kind) if check.error_kind else None,
        "error_message": check.error_message,
        "cert_expires_at": when(check.cert_expires_at),
        "in_maintenance": (
            check.in_maintenance if isinstance(check, CheckLog) else bool(in_maintenance)
        ),
    }


def ping_json(ping: Ping) -> dict:
    """A push monitor's ping, as received (its body: the first 10 KB, as text)."""
    return {
        "received_at": when(ping.received_at),
        "kind": str(ping.kind),
        "exit_status": ping.exit_status,
        "run_ms": ping.run_ms,
        "body": ping.body,
        "user_agent": ping.user_agent,
        "source": ping.source,
    }


def incident_json(incident: Incident) -> dict:
    end = incident.resolved_at or datetime.now(UTC)
    return {
        "id": incident.id,
        "monitor_id": incident.monitor_id,
        "started_at": when(incident.started_at),
        "resolved_at": when(incident.resolved_at),
        "duration_seconds": max(0, round((end - incident.started_at).total_seconds())),
        "cause": incident.cause,
        "first_error": incident.first_error,
        "last_error": incident.last_error,
        "failed_checks": incident.failed_checks,
    }


def window_json(window: MaintenanceWindow) -> dict:
    """A maintenance window; its owner must be loaded."""
    now = datetime.now(UTC)
    return {
        "id": window.id,
        "owner_telegram_id": window.owner.telegram_id,
        "monitor_id": window.monitor_id,
        "starts_at": when(window.starts_at),
        "ends_at": when(window.ends_at),
        "reason": window.reason,
        "active": window.starts_at <= now < window.ends_at,
    }


def channel_json(channel: Channel) -> dict:
    """An alert channel; its owner must be loaded. A webhook's signing secret is
    write-only: `has_secret` says whether it has one."""
    return {
        "id": channel.id,
        "owner_id": channel.owner_id,
        "owner_telegram_id": channel.owner.telegram_id,
        "kind": str(channel.kind),
        "target": channel.target,
        "thread_id": channel.thread_id,
        "name": channel.name,
        "enabled": channel.enabled,
        "is_default": channel.is_default,
        "verified": channel.verified,
        "disabled_reason": channel.disabled_reason,
        "has_secret": bool((channel.settings or {}).get("secret")),
        "created_at": when(channel.created_at),
        "last_used_at": when(channel.last_used_at),
        "last_error": channel.last_error,
        "last_error_at": when(channel.last_error_at),
    }


def user_json(user: User, settings: Settings) -> dict:
    return {
        "telegram_id": user.telegram_id,
        "username": user.username,
        "display_name": user.display_name,
        "language": user.language,
        "timezone": user.timezone,
        "email_verified": user.email_verified,
        "blocked_bot": user.blocked_bot,
        "monitor_quota": user.monitor_quota,
        "effective_quota": quota_of(user, settings),
        "created_at": when(user.created_at),
        "last_seen_at": when(user.last_seen_at),
    }


def stats_json(stats: WindowStats) -> dict:
    figures = asdict(stats)
    figures["last_check_at"] = when(stats.last_check_at)
    return figures


def page_json(page: StatusPage, layout: Layout, public_url: str) -> dict:
    """A status page as its owner manages it, with its public addresses and its
    monitors in their groups; its owner must be loaded. Text is returned as stored:
    escaping is for whatever renders it."""
    return {
        "id": page.id,
        "owner_telegram_id": page.owner.telegram_id,
        "slug": page.slug,
        "title": page.title,
        "description": page.description,
        "logo_url": page.logo_url,
        "note": page.note,
        "url": page_url(public_url, page.slug),
        "json_url": page_json_url(public_url, page.slug),
        "groups": [
            {
                "name": group.name,
                "monitors": [
                    {"id": shown.monitor_id, "name": shown.name, "show_url": shown.show_url}
                    for shown in group.monitors
                ],
            }
            for group in layout.groups
        ],
        "created_at": when(page.created_at),
        "updated_at": when(page.updated_at),
    }
