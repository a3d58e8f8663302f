"""Builds the web application that run.py serves on API_HOST:API_PORT."""

from __future__ import annotations

from aiohttp import web

from api import health
from core.settings import Settings

SETTINGS_KEY = web.AppKey("settings", Settings)


def create_app(settings: Settings) -> web.Application:
    """The web app. Later issues add /metrics and /api/v1 routes here; the bot adds its
    webhook route when WEBHOOK_URL is set (see bot/)."""
    app = web.Application(client_max_size=64 * 1024)
    app[SETTINGS_KEY] = settings
    app.add_routes(health.routes)
    return app
