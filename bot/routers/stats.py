"""/stats and /stats_<id> (being built)."""

from __future__ import annotations

from aiogram import Router


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    return Router(name="stats")
