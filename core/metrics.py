"""The process's Prometheus metrics, defined once so every part counts into the same
objects and `/metrics` (api/) exposes them from the default registry."""

from __future__ import annotations

from prometheus_client import Counter

NOTIFICATIONS = Counter(
    "uptime_notifications_total",
    "Notification deliveries by channel and result: sent, retry (a transient failure, "
    "tried again later), rate_limited (429, tried again after retry_after), dead (gave "
    "up), blocked (the recipient blocked the bot), cancelled (nothing to send to).",
    ["channel", "result"],
)
