"""How a monitor kind declares its fields: once, for every place that needs them.

A `Field` says what the value is (its JSON Schema fragment, which the API's type check
and the OpenAPI document are both derived from), how a typed or JSON value becomes the
clean one (`parse`, raising RuleError or TargetError with a translated code), its
default, where it is stored (a column of `monitors`, or a key of the monitor's `params`
JSON column) and what the bot asks and shows for it. From a kind's FIELDS come the
claim's columns, the spec of a check, the API's fields and schema, the bot's /add steps,
its edit menu and the monitor card (core/kinds/__init__.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.i18n import __
from core.monitor_rules import RuleError

REQUIRED = object()  # the default of a field a new monitor must be given


@dataclass(frozen=True)
class Field:
    name: str  # in the spec, the API, the bot's state and the params column
    # The API value's JSON Schema (without null: `optional` adds it).
    schema: dict = field(hash=False)
    # A typed or JSON value -> the clean value; None: not writable (set by the product).
    parse: Callable[[Any], Any] | None = None
    default: Any = REQUIRED
    # The monitors column that holds it; None: a key of the `params` JSON column.
    column: str | None = None
    optional: bool = False  # None clears it (the API takes null, the bot a "-")
    secret: bool = False  # write-only: the API and the bot say only whether it is set
    # What the bot asks for it, and its name on the card and in the edit menu (lazy
    # gettext strings: translated when shown).
    prompt: Any = ""
    label: Any = ""
    # Button choices (value, lazy label) the bot offers instead of asking for text.
    choices: tuple[tuple[str, Any], ...] = ()
    # Buttons with common answers the bot offers beside typing one (value, lazy label).
    suggestions: tuple[tuple[str, Any], ...] = ()
    # The value as the card and the bot's /add summary show it, in a locale (None: as is).
    show: Callable[[Any, str], str] | None = None
    # Shown only while this other field is set (a cron expression's time zone).
    shown_with: str | None = None
    # A new monitor not given this field starts with its owner's value of this User
    # attribute, unasked (a cron's time zone: the owner's own zone): core.monitors'
    # create_monitor, for the bot and the API alike.
    from_owner: str | None = None
    # Fields an edit setting this one clears (a period replaces a cron expression).
    replaces: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def writable(self) -> bool:
        return self.parse is not None

    def initial(self) -> Any:
        """The default of a new monitor (a fresh copy of a mutable one)."""
        value = self.default
        return type(value)(value) if isinstance(value, dict | list) else value

    def api_schema(self) -> dict:
        return {"anyOf": [self.schema, {"type": "null"}]} if self.optional else self.schema

    @property
    def sets(self) -> tuple[str, ...]:
        """The fields an answer to this question sets (the bot's /add, as a Question)."""
        return (self.name,)

    def answer(self, raw: Any) -> dict[str, Any]:
        """An answer to the bot's question for this field, as clean field values."""
        assert self.parse is not None
        return {self.name: self.parse(raw)}


@dataclass(frozen=True)
class Question:
    """One question of the bot's /add that sets several fields of a kind from one answer
    (a push monitor's schedule: a period, or a cron expression, in the same message). A
    kind lists its questions in QUESTIONS and names them in ASKS; it is asked like a
    Field (prompt and suggestions) and must be answered (no Skip)."""

    name: str
    read: Callable[[Any], dict[str, Any]]  # the answer -> clean values; RuleError as parse
    fields: tuple[str, ...]  # the fields it sets
    prompt: Any = ""
    label: Any = ""
    suggestions: tuple[tuple[str, Any], ...] = ()
    # As a Field that has no default and no closed choices, and is not secret.
    choices: tuple[tuple[str, Any], ...] = ()
    default: Any = REQUIRED
    optional: bool = False
    secret: bool = False
    required: bool = True

    @property
    def sets(self) -> tuple[str, ...]:
        return self.fields

    def answer(self, raw: Any) -> dict[str, Any]:
        return self.read(raw)


# Words a yes/no field takes (the API sends a JSON boolean); "tls" and "plain" read
# naturally for a TCP monitor's TLS switch.
_YES = {"true", "yes", "on", "1", "tls"}
_NO = {"false", "no", "off", "0", "plain"}
# The buttons the bot offers for a yes/no field.
YES_NO = (("no", __("No")), ("yes", __("Yes")))


def parse_switch(raw: Any) -> bool:
    """A yes/no field's value: a boolean, or one of the words above (any case)."""
    if isinstance(raw, bool):
        return raw
    text = raw.strip().lower() if isinstance(raw, str) else ""
    if text in _YES or text in _NO:
        return text in _YES
    raise RuleError("switch_invalid")


@dataclass(frozen=True)
class Preset:
    """A ready-made use of a kind that /add offers as a button of its own (an HTTP check
    for a keyword, or for a JSON API's value): it asks only `asks`, in that order, and the
    kind's other fields keep their defaults."""

    name: str  # the button's value: "<kind>.<name>"
    label: Any  # lazy gettext strings, as a kind's LABEL and HELP
    help: Any
    asks: tuple[str, ...]
    # Optional fields of the kind that this preset cannot do without (no Skip).
    requires: tuple[str, ...] = ()
