"""A generic webhook: one signed JSON event per alert, POSTed to the channel's URL.

The event (version VERSION; its JSON schema is `WebhookEvent` in api/openapi.py):

    {"version": 1, "event": "down" | "up" | "reminder" | "certificate" | "test",
     "id": <notification id>, "time": <when the alert was raised, ISO 8601 UTC>,
     "monitor": {"id", "name", "url", "kind"} | null,
     "incident": {"id", "started_at", "resolved_at", "cause", "failed_checks",
                  "downtime_seconds"} | null,
     "check": {"cause", "error", "message", "status_code", "details"} | null,
     "certificate": {"expires_at", "days_left", "threshold_days"} | null}

Every value comes from the alert's payload as core/recording.py writes it (the outbox
adds the row's incident id); a fact the payload does not hold is null, never guessed
(alerts queued before the monitor's kind was written into payloads have none). The
words are the receiver's to choose: the event carries facts, not text.

Headers: `X-Uptime-Event` (the event), `X-Uptime-Delivery` (the notification id: the
same on every retry, so a receiver drops a second copy), and, when the channel has a
secret, `X-Uptime-Signature: sha256=<hex HMAC-SHA256 of the raw body>` (`sign`); a
receiver checks it with `verify` over the bytes it received, before parsing them.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC
from typing import Any, ClassVar

from core.i18n import _
from scheduler.transports.base import EVENT_NAMES, AlertItem, ChannelTarget, UrlForm
from scheduler.transports.http import HttpRequest, HttpTransport

VERSION = 1
SIGNATURE_PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The X-Uptime-Signature value for `body`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` is the signature of exactly `body` (in constant time)."""
    return header is not None and hmac.compare_digest(sign(secret, body), header)


def _monitor(p: Mapping[str, Any]) -> dict[str, Any] | None:
    if p.get("monitor_id") is None:
        return None
    return {
        "id": p["monitor_id"],
        "name": p.get("name"),
        "url": p.get("url"),
        "kind": p.get("kind"),
    }


def _incident(event: str, p: Mapping[str, Any]) -> dict[str, Any] | None:
    if event not in ("down", "up", "reminder"):
        return None
    return {
        "id": p.get("incident_id"),
        "started_at": p.get("since"),
        "resolved_at": p.get("resolved_at"),
        "cause": p.get("cause"),
        "failed_checks": p.get("failed_checks"),
        # Up: how long it was down; a reminder: how long it has been down so far.
        "downtime_seconds": p.get("downtime_seconds", p.get("down_seconds")),
    }


def _check(event: str, p: Mapping[str, Any]) -> dict[str, Any] | None:
    """The failed check behind a down alert or a reminder (an up alert's payload holds
    nothing of the check that came up)."""
    if event not in ("down", "reminder"):
        return None
    return {
        "cause": p.get("cause"),
        "error": p.get("error"),
        "message": p.get("message"),
        "status_code": p.get("status_code"),
        "details": p.get("details"),
    }


def _certificate(event: str, p: Mapping[str, Any]) -> dict[str, Any] | None:
    if event != "certificate":
        return None
    return {
        "expires_at": p.get("expires_at"),
        "days_left": p.get("days_left"),
        "threshold_days": p.get("threshold_days"),
    }


def event(item: AlertItem) -> dict[str, Any]:
    """The event for `item` (the module doc's format)."""
    name = EVENT_NAMES[item.kind]
    p = item.payload
    return {
        "version": VERSION,
        "event": name,
        "id": item.notification_id,
        "time": item.created_at.astimezone(UTC).isoformat(),
        "monitor": _monitor(p),
        "incident": _incident(name, p),
        "check": _check(name, p),
        "certificate": _certificate(name, p),
    }


class WebhookTransport(HttpTransport):
    kind: ClassVar[str] = "webhook"
    GROUPS: ClassVar[bool] = False
    LABEL = staticmethod(lambda: _("Webhook"))
    FORM = UrlForm(
        prompt=lambda: _(
            "Send the URL to post alerts to (http:// or https://, on a public address)."
        ),
        signed=True,
    )
    RATE: ClassVar[tuple[float, float]] = (5, 1.0)

    def request(self, channel: ChannelTarget, items: Sequence[AlertItem]) -> HttpRequest:
        if len(items) != 1:
            raise ValueError("a webhook takes one event a request (GROUPS is False)")
        item = items[0]
        data = event(item)
        headers = {"X-Uptime-Event": data["event"], "X-Uptime-Delivery": str(item.notification_id)}
        request = HttpRequest.of_json(data, headers)
        secret = channel.settings.get("secret")
        if not secret:
            return request
        # Signed over the very bytes that go out.
        signature = {"X-Uptime-Signature": sign(secret, request.body)}
        return replace(request, headers={**request.headers, **signature})
