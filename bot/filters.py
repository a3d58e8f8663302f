"""Filters shared by the flows."""

from __future__ import annotations

from aiogram import F

# A command is never taken as the answer to a flow's question: "/monitors" typed at the
# name step must not become the monitor's name. It goes to its own router instead.
NOT_COMMAND = ~F.text.startswith("/")
TEXT_INPUT = F.text & NOT_COMMAND
