"""The process's Prometheus metrics, defined once so every part counts into the same
objects and `/metrics` (api/) exposes them from the default registry."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

NOTIFICATIONS = Counter(
    "uptime_notifications_total",
    "Notification deliveries by channel and result: sent, retry (a transient failure, "
    "tried again later), rate_limited (429, tried again after retry_after), dead (gave "
    "up), blocked (the recipient blocked the bot), cancelled (nothing to send to).",
    ["channel", "result"],
)

CHECKS = Counter(
    "uptime_checks_total",
    "Checks recorded, by result: ok, or the error kind of a failed check.",
    ["result"],
)
CHECK_LATENCY = Histogram(
    "uptime_check_latency_seconds",
    "Total latency of checks that got a response.",
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
SCHEDULER_LAG = Histogram(
    "uptime_scheduler_lag_seconds",
    "How late a scheduled check started after its due time.",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30),
)
# Read from the database when /metrics is scraped (api/metrics.py).
MONITORS = Gauge("uptime_monitors", "Monitors by state.", ["state"])
OPEN_INCIDENTS = Gauge("uptime_open_incidents", "Incidents not resolved yet.")
OUTBOX_BACKLOG = Gauge(
    "uptime_outbox_backlog", "Notifications waiting or in flight, by channel.", ["channel"]
)


def count_checks(results) -> None:
    """Count recorded results (ProbeResult-like: ok, error_kind, latency_ms)."""
    for result in results:
        CHECKS.labels("ok" if result.ok else (result.error_kind or "unknown")).inc()
        if result.latency_ms is not None:
            CHECK_LATENCY.observe(result.latency_ms / 1000)
