"""GET /metrics: Prometheus text from the default registry (prometheus-client).

Counters and histograms are kept as things happen (core/metrics.py); the gauges that
describe the database (monitors by state, open incidents, the outbox backlog) are read
at scrape time, three small GROUP BY queries. With METRICS_TOKEN set, the scrape must
send it as `Authorization: Bearer <token>` (compared in constant time).
"""

from __future__ import annotations

import hmac

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from tortoise.functions import Count

from api.app_keys import SETTINGS_KEY
from api.errors import error_response, request_language
from api.params import ascii_header
from core.i18n import _, use_locale
from core.metrics import MONITORS, OPEN_INCIDENTS, OUTBOX_BACKLOG
from db.models import (
    Incident,
    Monitor,
    MonitorState,
    Notification,
    NotificationStatus,
)
from scheduler.transports import TRANSPORTS

routes = web.RouteTableDef()


async def refresh_gauges() -> None:
    states = dict(
        await Monitor.all().annotate(n=Count("id")).group_by("state").values_list("state", "n")
    )
    for state in MonitorState:
        MONITORS.labels(state.value).set(states.get(state, 0))
    OPEN_INCIDENTS.set(await Incident.filter(resolved_at=None).count())
    waiting = dict(
        await Notification.filter(
            status__in=[NotificationStatus.PENDING, NotificationStatus.SENDING]
        )
        .annotate(n=Count("id"))
        .group_by("channel")
        .values_list("channel", "n")
    )
    for kind in TRANSPORTS:  # every kind, so a drained one shows 0, not its last count
        OUTBOX_BACKLOG.labels(kind).set(waiting.get(kind, 0))


def _authorized(request: web.Request) -> bool:
    token = request.app[SETTINGS_KEY].metrics_token
    if token is None:
        return True
    sent = ascii_header(request, "Authorization") or ""
    expected = f"Bearer {token.get_secret_value()}"
    return hmac.compare_digest(sent.encode(), expected.encode())


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    if not _authorized(request):
        with use_locale(request_language(request)):
            message = _("This needs METRICS_TOKEN as a bearer token.")
        response = error_response(401, "unauthorized", message)
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    await refresh_gauges()
    response = web.Response(body=generate_latest(REGISTRY))
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    response.charset = "utf-8"
    return response
