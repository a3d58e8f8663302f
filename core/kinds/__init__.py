"""Monitor kinds: the registry, and everything derived from the kinds' declarations.

A kind is one module here that exports:
- LABEL, HELP: lazy gettext strings (the bot's /add button and its help line);
- FIELDS: a tuple of `Field` (core/kinds/fields.py), the kind's own settings;
- TARGET_FIELDS: the names of the fields that say where the check goes;
- Spec: a frozen dataclass with one attribute per field, plus `timeout` and
  `allow_private` (what one check needs);
- `target(values) -> str`: what the monitor points at, as lists, cards and alerts show it
  (kept in the `url` column for every kind);
- `async vet(values, allow_private, resolver) -> str`: the creation rule for where the
  check goes (resolves the host; refuses a private address unless allowed; may
  normalise `values` in place); returns the default name;
- MESSAGES (optional): {code: lazy gettext string}, the reasons its fields' rules give
  (RuleError codes, with {params});
- `recognise(text) -> values | None` (optional): the kind's fields read from what a
  person pastes, when the text unambiguously points at this kind (the bot's /add offers
  the kind then);
- PRESETS (optional): `Preset`s, ready-made uses of the kind that /add offers as buttons
  of their own, each asking only some of the fields;
- `async check(spec, probe) -> ProbeResult`: one check; it may raise, Probe.check turns
  an exception into a failed result.
Adding a kind is that module, one line in KINDS and the catalog words of its texts.

What is not a kind's own (name, intervals, timeout, thresholds, certificate warnings,
state) is the same for all kinds: the engine, recording, incidents, alerts and
statistics never look at the kind.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import Enum
from types import ModuleType
from typing import Any

from core.kinds import dns, http, ping, push, tcp
from core.kinds.fields import REQUIRED, Field, Preset
from core.monitor_rules import RuleError

KINDS: dict[str, ModuleType] = {
    "http": http,
    "tcp": tcp,
    "dns": dns,
    "ping": ping,
    "push": push,
}
DEFAULT_KIND = "http"

__all__ = [
    "DEFAULT_KIND",
    "KINDS",
    "REQUIRED",
    "Field",
    "Preset",
    "add_choices",
    "checker_of",
    "choice_of",
    "kind_module",
]


def kind_module(kind: str | None) -> ModuleType:
    """The module of `kind` (None: the default); RuleError("kind_invalid") otherwise."""
    module = KINDS.get(DEFAULT_KIND if kind is None else kind)
    if module is None:
        raise RuleError("kind_invalid", {"allowed": ", ".join(KINDS)}, field="kind")
    return module


def add_choices() -> list[tuple[str, Any, Any]]:
    """/add's first question: (value, label, help) for each kind, each followed by its
    presets (value "<kind>.<preset>")."""
    choices = []
    for name, module in KINDS.items():
        choices.append((name, module.LABEL, module.HELP))
        for preset in getattr(module, "PRESETS", ()):
            choices.append((f"{name}.{preset.name}", preset.label, preset.help))
    return choices


def choice_of(value: str) -> tuple[str, Preset | None]:
    """The kind of an /add choice, and its preset (None: a plain kind, all its fields);
    RuleError("kind_invalid") for a value no kind offers."""
    kind, _, preset_name = value.partition(".")
    module = kind_module(kind)
    if not preset_name:
        return kind, None
    for preset in getattr(module, "PRESETS", ()):
        if preset.name == preset_name:
            return kind, preset
    raise RuleError("kind_invalid", {"allowed": ", ".join(KINDS)}, field="kind")


def fields_of(kind: str) -> tuple[Field, ...]:
    return kind_module(kind).FIELDS


def field_of(kind: str, name: str) -> Field | None:
    return next((f for f in fields_of(kind) if f.name == name), None)


_CHECKERS: dict[type, Callable] = {module.Spec: module.check for module in KINDS.values()}


def checker_of(spec: Any) -> Callable:
    """The checker for a spec (found by the spec's type: each kind has its own)."""
    return _CHECKERS[type(spec)]


def kind_messages() -> dict[str, Any]:
    """The kinds' reasons for refused input, by RuleError code (core/rule_texts.py)."""
    return {code: text for m in KINDS.values() for code, text in getattr(m, "MESSAGES", {}).items()}


def recognise(text: str) -> dict[str, dict[str, Any]]:
    """The kinds that understand a pasted text, with the fields it gives them."""
    found = {}
    for name, module in KINDS.items():
        reader = getattr(module, "recognise", None)
        values = reader(text) if reader is not None else None
        if values:
            found[name] = values
    return found


def claim_columns() -> tuple[str, ...]:
    """The monitors columns the kinds' fields live in (the claim reads them all)."""
    columns: dict[str, None] = {}
    for module in KINDS.values():
        for declared in module.FIELDS:
            if declared.column is not None:
                columns[declared.column] = None
    return tuple(columns)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def values_of(
    kind: str, column: Callable[[str], Any], params: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The values of a kind's fields, from a reader of columns and the params column
    (a stored monitor, or a claimed row). A JSON column read as text is decoded, and so
    is a date-time column (SQLite's raw rows hold text; the claim reads them raw); a
    field a row does not hold yet has its default."""
    params = params or {}
    values = {}
    for declared in fields_of(kind):
        if declared.column is None:
            value = params.get(declared.name, None if declared.required else declared.initial())
        else:
            value = column(declared.column)
            if isinstance(value, str | bytes) and declared.schema.get("type") in (
                "object",
                "array",
            ):
                value = json.loads(value)
            elif isinstance(value, str) and declared.schema.get("format") == "date-time":
                value = _moment(value)
        if value is None and not declared.optional and not declared.required:
            value = declared.initial()
        values[declared.name] = _plain(value)
    return values


def _moment(text: str) -> datetime:
    """A date-time column read as text (SQLite: '2026-03-02 12:00:00+00:00'), aware."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def monitor_values(monitor: Any) -> dict[str, Any]:
    """The kind's field values of a Monitor row."""
    return values_of(monitor.kind, lambda name: getattr(monitor, name), monitor.params)


def spec_of(kind: str, values: Mapping[str, Any], timeout: float, allow_private: bool) -> Any:
    """The kind's Spec from its field values: the one way a check's spec is built."""
    module = kind_module(kind)
    return module.Spec(
        **{f.name: values[f.name] for f in module.FIELDS},
        timeout=float(timeout),
        allow_private=allow_private,
    )


def monitor_spec(monitor: Any, allow_private: bool) -> Any:
    return spec_of(monitor.kind, monitor_values(monitor), monitor.timeout_seconds, allow_private)


def store(monitor: Any, values: Mapping[str, Any]) -> list[str]:
    """Write field values onto a Monitor row (columns, or keys of `params`); returns
    the columns changed, for `save(update_fields=...)`."""
    changed: list[str] = []
    params = dict(monitor.params or {})
    for name, value in values.items():
        declared = field_of(monitor.kind, name)
        if declared is None:
            raise RuleError("field_invalid", field=name)
        if declared.column is None:
            params[name] = value
            if "params" not in changed:
                changed.append("params")
        else:
            setattr(monitor, declared.column, value)
            changed.append(declared.column)
    monitor.params = params
    return changed
