"""Keys of what the web app holds, importable by every route module."""

from __future__ import annotations

from aiohttp import web

from core.runtime import Runtime
from core.settings import Settings

SETTINGS_KEY = web.AppKey("settings", Settings)
# The process's shared probe, check slots and settings (core/runtime.py).
RUNTIME_KEY = web.AppKey("runtime", Runtime)
