"""Keys of what the web app holds, importable by every route module."""

from __future__ import annotations

from aiohttp import web

from core.settings import Settings

SETTINGS_KEY = web.AppKey("settings", Settings)
