"""The http kind's JSON rule: a JMESPath query on the answer's JSON body, an operator
and an expected value.

The query is compiled when it is set, so a monitor never holds one that cannot run.
The operator may be left unset: it then means `==` when an expected value is given and
`exists` when none is (what a person who typed only a query, or a query and a value,
means). The expected value is text; it is compared as a number when both it and the
actual value are numbers, otherwise as text (a JSON string as itself, anything else as
its JSON), so `42` matches 42 and 42.0, and `true` matches true.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from core.monitor_rules import RuleError

MAX_QUERY_LENGTH = 256
MAX_EXPECTED_LENGTH = 1024
OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "contains", "exists")
_ORDERING = {"<", "<=", ">", ">="}


def parse_query(raw: str) -> str:
    query = raw.strip()
    if not query:
        raise RuleError("json_query_empty")
    if len(query) > MAX_QUERY_LENGTH:
        raise RuleError("json_query_too_long", {"max": MAX_QUERY_LENGTH})
    try:
        jmespath.compile(query)
    except JMESPathError:
        raise RuleError("json_query_invalid") from None
    return query


def parse_operator(raw: str) -> str:
    operator = raw.strip().lower()
    if operator not in OPERATORS:
        raise RuleError("json_operator_invalid", {"allowed": ", ".join(OPERATORS)})
    return operator


def parse_expected(raw: str) -> str:
    if len(raw) > MAX_EXPECTED_LENGTH:
        raise RuleError("json_expected_too_long", {"max": MAX_EXPECTED_LENGTH})
    if "\n" in raw or "\r" in raw:
        raise RuleError("json_expected_invalid")
    return raw


def effective_operator(operator: str | None, expected: str | None) -> str:
    if operator:
        return operator
    return "exists" if expected is None else "=="


class JsonBodyError(ValueError):
    """The body is not JSON."""


def evaluate(body: bytes, query: str, operator: str | None, expected: str | None) -> str | None:
    """None when the rule holds; otherwise what went wrong, naming the actual value.
    JsonBodyError when the body is not JSON."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise JsonBodyError(str(exc)) from None
    actual = jmespath.search(query, document)
    operator = effective_operator(operator, expected)
    shown = _text(actual) if actual is not None else "nothing"
    if operator == "exists":
        return None if actual is not None else f"{query} gave nothing"
    if expected is None:
        return f"{query} {operator}: no expected value is set"
    if _holds(actual, operator, expected):
        return None
    return f"{query} is {shown}, expected {operator} {expected}"


def _holds(actual: Any, operator: str, expected: str) -> bool:
    if operator == "contains":
        if isinstance(actual, str):
            return expected in actual
        if isinstance(actual, list):
            return any(_text(item) == expected for item in actual)
        return False
    if actual is None:
        return operator == "!="
    left, right = _number(actual), _number(expected)
    if left is None or right is None:
        if operator in _ORDERING:
            if not isinstance(actual, str):
                return False
            left, right = actual, expected  # two texts order as text
        else:
            left, right = _text(actual), expected
    return {
        "==": left == right,
        "!=": left != right,
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }[operator]


def _number(value: Any) -> Decimal | None:
    """A JSON number, or text that is one; booleans are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
