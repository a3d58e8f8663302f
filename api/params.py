"""Reading API input strictly: JSON bodies with known fields and JSON types, query
parameters, ISO 8601 times with a time zone, limits and cursors.

Anything wrong is an ApiError (400 for a body that is not a JSON object or a bad
query parameter, 422 for a field of the wrong type or an unknown field), raised
before anything changes.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from api.errors import ApiError
from core.i18n import _

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

# A field's JSON type: a check of the decoded value.
Kind = Callable[[Any], bool]


def integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def string(value: Any) -> bool:
    return isinstance(value, str)


def boolean(value: Any) -> bool:
    return isinstance(value, bool)


def integers(value: Any) -> bool:
    return isinstance(value, list) and all(integer(v) for v in value)


def nullable(kind: Kind) -> Kind:
    return lambda value: value is None or kind(value)


async def json_body(request: web.Request, fields: dict[str, Kind]) -> dict[str, Any]:
    """The body as a dict of known fields with the right JSON types (422 otherwise)."""
    raw = await request.read()  # over client_max_size: 413 from aiohttp
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_json", _("The body is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", _("The body must be a JSON object."))
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise field_errors("unknown_field", _("Unknown fields: {names}."), unknown,
                           _("Unknown field."))  # fmt: skip
    wrong = sorted(name for name, value in body.items() if not fields[name](value))
    if wrong:
        raise field_errors("field_type", _("Wrong type for: {names}."), wrong, _("Wrong type."))
    return body


def field_errors(code: str, summary: str, names: list[str], message: str) -> ApiError:
    """A 422 about several fields: `summary` names them, each gets `message`."""
    return ApiError(
        422, code, summary.format(names=", ".join(names)), {name: message for name in names}
    )


def require(body: dict[str, Any], *names: str) -> None:
    missing = [name for name in names if name not in body]
    if missing:
        raise field_errors("field_missing", _("Missing fields: {names}."), missing,
                           _("This field is required."))  # fmt: skip


def bad_query(name: str) -> ApiError:
    message = _("Invalid value.")
    return ApiError(
        400, "invalid_parameter", _("Invalid query parameter: {name}.").format(name=name),
        {name: message},
    )  # fmt: skip


def query_int(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise bad_query(name)
    return int(raw)


def query_choice(request: web.Request, name: str, choices: tuple[str, ...]) -> str | None:
    raw = request.query.get(name)
    if raw is not None and raw not in choices:
        raise bad_query(name)
    return raw


def limit_of(request: web.Request) -> int:
    limit = query_int(request, "limit")
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise bad_query("limit")
    return limit


def parse_time(raw: str, name: str, error: Callable[[str], ApiError]) -> datetime:
    """An ISO 8601 time that names its time zone ("Z" or an offset)."""
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise error(name) from None
    if moment.tzinfo is None:
        raise error(name)
    return moment


def query_time(request: web.Request, name: str) -> datetime | None:
    raw = request.query.get(name)
    return None if raw is None else parse_time(raw, name, bad_query)


def body_time(value: str, name: str) -> datetime:
    def invalid(field: str) -> ApiError:
        message = _("Send an ISO 8601 time with a time zone, e.g. 2026-12-01T04:00:00Z.")
        return ApiError(422, "time_invalid", message, {field: message})

    return parse_time(value, name, invalid)


def encode_cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def cursor_of(request: web.Request) -> list | None:
    """The decoded `cursor` parameter (what encode_cursor packed), or None."""
    raw = request.query.get("cursor")
    if raw is None:
        return None
    try:
        parts = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad_query("cursor") from None
    if not isinstance(parts, list) or not parts:
        raise bad_query("cursor")
    return parts


def cursor_id(request: web.Request) -> int | None:
    """A cursor that is one id (lists in id order)."""
    parts = cursor_of(request)
    if parts is None:
        return None
    if len(parts) != 1 or not integer(parts[0]):
        raise bad_query("cursor")
    return parts[0]


def page(
    rows: list, limit: int, render: Callable[[Any], dict], cursor: Callable[[Any], str]
) -> dict:
    """`rows` fetched with limit + 1, as a list response: the page's items and the
    cursor of the next page (null on the last)."""
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [render(row) for row in rows],
        "next_cursor": cursor(rows[-1]) if more and rows else None,
    }


def path_id(request: web.Request, name: str = "id") -> int:
    raw = request.match_info[name]
    if not raw.isdigit() or len(raw) > 18:
        raise ApiError(404, "not_found", _("Not found."))
    return int(raw)
