"""Builds the web application that run.py serves on API_HOST:API_PORT: /health,
/metrics, /api/v1 (JSON errors and X-API-KEY checks as middlewares), and the public
ping and badge endpoints and status pages."""

from __future__ import annotations

import re

from aiohttp import web

from api import badges, health, metrics, openapi, ping, status_page
from api.app_keys import (
    BADGE_FIGURES_KEY,
    PING_INTAKE_KEY,
    PING_LIMITS_KEY,
    RUNTIME_KEY,
    SETTINGS_KEY,
)
from api.auth import auth_middleware
from api.errors import json_errors
from api.params import PATH_ID_MAX, PATH_TEXT_PARAMS
from api.v1 import channels, checks, incidents, maintenance, monitors, pages, stats, users
from core.badges import BadgeFigures
from core.ping_intake import PingIntake
from core.rate_limits import TokenBuckets
from core.runtime import Runtime

MAX_BODY_BYTES = 64 * 1024

__all__ = ["RUNTIME_KEY", "SETTINGS_KEY", "create_app"]


def create_app(runtime: Runtime) -> web.Application:
    """The web app; the bot adds its webhook route when WEBHOOK_URL is set (run.py)."""
    settings = runtime.settings
    app = web.Application(
        client_max_size=MAX_BODY_BYTES, middlewares=[json_errors, auth_middleware(settings)]
    )
    app[SETTINGS_KEY] = settings
    app[RUNTIME_KEY] = runtime
    app[PING_INTAKE_KEY] = PingIntake()
    app[PING_LIMITS_KEY] = TokenBuckets(
        ping.RATE_PER_SECOND, ping.BURST, monotonic=runtime.probe.clock.monotonic
    )
    app[BADGE_FIGURES_KEY] = BadgeFigures(runtime.probe.clock)
    app.cleanup_ctx.append(_ping_intake)
    for module in (health, metrics, openapi, users, monitors, channels, checks, incidents,
                   maintenance, stats, pages, ping, badges):  # fmt: skip
        app.add_routes(module.routes)
    status_page.setup(app)
    _check_path_parameters(app)
    return app


async def _ping_intake(app: web.Application):
    """The ping writer runs while the app serves; at shutdown it writes what waits."""
    app[PING_INTAKE_KEY].start()
    yield
    await app[PING_INTAKE_KEY].stop()


def _check_path_parameters(app: web.Application) -> None:
    """Every path parameter is an id that api.params.path_id knows the range of: a
    route whose parameter it does not know could not read it (a KeyError, a 500)."""
    for resource in app.router.resources():
        for name in re.findall(r"{(\w+)", resource.canonical):
            if name not in PATH_ID_MAX and name not in PATH_TEXT_PARAMS:
                raise RuntimeError(f"{resource.canonical}: no id range for {{{name}}}")
