"""FSM states of the multi-step flows."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class AddMonitor(StatesGroup):
    kind = State()  # the kind's buttons; a pasted address is understood too
    field = State()  # one declared field of a kind (core/kinds), in order
    url = State()
    name = State()
    interval = State()
    custom_interval = State()
    advanced = State()
    status_codes = State()
    latency = State()
    keyword = State()
    keyword_mode = State()
    cert_days = State()
    method = State()
    confirm = State()


class Broadcast(StatesGroup):
    text = State()
    confirm = State()
