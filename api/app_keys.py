"""Keys of what the web app holds, importable by every route module."""

from __future__ import annotations

from aiohttp import web

from core.badges import BadgeFigures
from core.ping_intake import PingIntake
from core.rate_limits import TokenBuckets
from core.runtime import Runtime
from core.settings import Settings

SETTINGS_KEY = web.AppKey("settings", Settings)
# The process's shared probe, check slots and settings (core/runtime.py).
RUNTIME_KEY = web.AppKey("runtime", Runtime)
# The push monitors' ping writer (core/ping_intake.py) and per-token limits (api/ping.py).
PING_INTAKE_KEY = web.AppKey("ping_intake", PingIntake)
PING_LIMITS_KEY = web.AppKey("ping_limits", TokenBuckets)
# The figures badges show, kept a few seconds per process (api/badges.py).
BADGE_FIGURES_KEY = web.AppKey("badge_figures", BadgeFigures)
