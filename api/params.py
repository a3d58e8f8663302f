"""Reading API input strictly, in one place for every route: JSON bodies with known
fields and JSON types, path ids, query parameters, ISO 8601 times with a time zone,
limits, cursors and header values.

What is refused here never reaches the database, so no route can forget it:
- numbers: ASCII digits only (str.isdigit() also takes "²" and Arabic-Indic digits);
  ids within the range of their column (signed 32-bit for INT, 64-bit for BIGINT:
  PostgreSQL refuses the former, SQLite the latter); body integers within 32 bits
  unless the field is a BIGINT; no NaN or infinities; integral floats (25168.0) are
  integers, as JSON Schema says;
- times: from MIN_TIME to MAX_TIME once in UTC (9999-12-31T23:59:59-14:00 has no UTC
  value a datetime can hold);
- text: no NUL (PostgreSQL refuses it) and no unpaired surrogate (not UTF-8 at all),
  anywhere in a body, whatever the field;
- JSON nested deeper than MAX_JSON_DEPTH (the decoder would recurse until it fails);
- header values that are not ASCII, which no key or token is.

Anything wrong is an ApiError (400 for a body that is not a JSON object or a bad query
parameter, 404 for a path id that cannot name anything, 422 for a field of the wrong
type, out of range, with bad text or an unknown field), raised before anything changes.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any

from aiohttp import web

from api.errors import ApiError
from core.i18n import _
from core.monitor_rules import RuleError
from core.status_pages import MAX_SLUG, MIN_SLUG, SLUG_CHARACTERS
from core.timezones import parse_zone, tz_of

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

INT_MAX = 2**31 - 1  # INT columns (PostgreSQL's integer)
BIGINT_MAX = 2**63 - 1  # BIGINT columns (telegram ids, check log ids)
MAX_JSON_DEPTH = 16  # our bodies nest two levels; room for clients that wrap
MIN_TIME = datetime(1970, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(9999, 1, 1, tzinfo=UTC)

# Each path parameter's largest value, by name (app.py refuses a route whose
# parameter is missing here, so a new route cannot skip the check).
PATH_ID_MAX = {"id": INT_MAX, "telegram_id": BIGINT_MAX}
# Path parameters that are not ids, and the route modules that read each (themselves;
# each checks the form and size of its own before any lookup).
PATH_TEXT_PARAMS = {
    "token": "api/ping.py (32 characters), api/badges.py (22), URL-safe base64",
    "action": "api/ping.py",
    "slug": "api/status_page.py (path_slug: the form core/status_pages gives slugs)",
    "asset": "api/status_page.py (a static file's name, looked up in web/assets.py)",
}


class Refused(Exception):
    """A body field's value refused by its kind; `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# A field's kind: the value as the route uses it, from the decoded JSON, or Refused.
Kind = Callable[[Any], Any]


def _whole(value: Any, maximum: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused("field_type")
    if not -maximum - 1 <= value <= maximum:
        raise Refused("field_range")
    return value


def integer(value: Any) -> int:
    """A whole number that fits an INT column (all our integer fields but BIGINT ids)."""
    return _whole(value, INT_MAX)


def big_integer(value: Any) -> int:
    """A whole number that fits a BIGINT column (a Telegram user id)."""
    return _whole(value, BIGINT_MAX)


def number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Refused("field_type")
    if isinstance(value, int):
        return _whole(value, BIGINT_MAX)
    return value  # finite: the decoder refuses NaN and infinities


def string(value: Any) -> str:
    if not isinstance(value, str):
        raise Refused("field_type")
    return value


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Refused("field_type")
    return value


def integers(value: Any) -> list[int]:
    if not isinstance(value, list):
        raise Refused("field_type")
    return [integer(v) for v in value]


def strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise Refused("field_type")
    return [string(v) for v in value]


def string_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise Refused("field_type")
    return value


def nullable(kind: Kind) -> Kind:
    return lambda value: None if value is None else kind(value)


def clean_text(text: str) -> bool:
    """Free of NUL and of unpaired surrogates (which "\\ud800" in JSON decodes to)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _all_text_clean(value: Any) -> bool:
    """Every string in `value` (keys too) is clean_text. Depth is bounded already."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return all(_all_text_clean(v) for v in value)
    if isinstance(value, dict):
        return all(clean_text(k) and _all_text_clean(v) for k, v in value.items())
    return True


_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """How deep the arrays and objects of `text` nest, strings skipped; counted before
    decoding because json.loads recurses once per level."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("out of range")
    return value


def load_json(text: str) -> Any:
    """Strict JSON: no NaN or Infinity, no number beyond a float, at most
    MAX_JSON_DEPTH levels. ValueError otherwise."""
    if json_depth(text) > MAX_JSON_DEPTH:
        raise ValueError("nested too deeply")
    return json.loads(text, parse_constant=_no_constant, parse_float=_finite)


# The refusals of body fields, in the order they are reported: the code, the summary
# naming the fields, and each field's message.
_REFUSALS = {
    "field_type": (lambda: _("Wrong type for: {names}."), lambda: _("Wrong type.")),
    "field_range": (lambda: _("Out of range: {names}."), lambda: _("This number is out of range.")),
    "field_text": (lambda: _("Invalid characters in: {names}."),
                   lambda: _("Text may not contain NUL or invalid Unicode characters.")),
}  # fmt: skip


async def json_body(request: web.Request, fields: dict[str, Kind]) -> dict[str, Any]:
    """The body as a dict of known fields, each converted by its kind (422 otherwise)."""
    raw = await request.read()  # over client_max_size: 413 from aiohttp
    try:
        body = load_json(raw.decode("utf-8") if raw else "null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_json", _("The body is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", _("The body must be a JSON object."))
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise field_errors("unknown_field", _("Unknown fields: {names}."), unknown,
                           _("Unknown field."))  # fmt: skip
    refused: dict[str, list[str]] = {}
    converted = {}
    for name, value in sorted(body.items()):
        try:
            converted[name] = fields[name](value)
        except Refused as refusal:
            refused.setdefault(refusal.code, []).append(name)
            continue
        if not _all_text_clean(value):
            refused.setdefault("field_text", []).append(name)
    for code, (summary, message) in _REFUSALS.items():
        if code in refused:
            raise field_errors(code, summary(), refused[code], message())
    return converted


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


def ascii_digits(raw: str, maximum: int) -> int | None:
    """`raw` as a number from 0 to `maximum` written in ASCII digits, else None."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(maximum)):
        return None
    value = int(raw)
    return value if value <= maximum else None


def query_int(request: web.Request, name: str, maximum: int = INT_MAX) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    value = ascii_digits(raw, maximum)
    if value is None:
        raise bad_query(name)
    return value


def query_choice(request: web.Request, name: str, choices: tuple[str, ...]) -> str | None:
    raw = request.query.get(name)
    if raw is not None and raw not in choices:
        raise bad_query(name)
    return raw


def query_zone(request: web.Request, name: str = "tz") -> tzinfo:
    """A time zone named in the query (an IANA name or a UTC offset, as the bot takes
    them); UTC when absent."""
    raw = request.query.get(name)
    if raw is None:
        return UTC
    try:
        return tz_of(parse_zone(raw))
    except RuleError:
        raise bad_query(name) from None


def limit_of(request: web.Request, default: int = DEFAULT_LIMIT, most: int = MAX_LIMIT) -> int:
    """The `limit` parameter: items per page, from 1 to `most`."""
    limit = query_int(request, "limit")
    if limit is None:
        return default
    if not 1 <= limit <= most:
        raise bad_query("limit")
    return limit


def parse_time(raw: str, name: str, error: Callable[[str], ApiError]) -> datetime:
    """An ISO 8601 time that names its time zone ("Z" or an offset), in UTC, from
    MIN_TIME to MAX_TIME."""
    try:
        if not raw.isascii():
            raise ValueError(raw)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError(raw)
        moment = moment.astimezone(UTC)  # OverflowError at the ends of the calendar
    except (ValueError, OverflowError):
        raise error(name) from None
    if not MIN_TIME <= moment < MAX_TIME:
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
        parts = load_json(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad_query("cursor") from None
    if not isinstance(parts, list) or not parts:
        raise bad_query("cursor")
    return parts


def _cursor_int(value: Any, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise bad_query("cursor")
    return value


def cursor_id(request: web.Request, maximum: int = INT_MAX) -> int | None:
    """A cursor that is one id (lists in id order)."""
    parts = cursor_of(request)
    if parts is None:
        return None
    if len(parts) != 1:
        raise bad_query("cursor")
    return _cursor_int(parts[0], maximum)


def cursor_time_id(request: web.Request, maximum: int = BIGINT_MAX) -> tuple[datetime, int] | None:
    """A cursor that is a time and an id (lists in (time, id) order)."""
    parts = cursor_of(request)
    if parts is None:
        return None
    if len(parts) != 2 or not isinstance(parts[0], str):
        raise bad_query("cursor")
    return parse_time(parts[0], "cursor", bad_query), _cursor_int(parts[1], maximum)


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
    """A path parameter that must be an id: one out of its column's range names
    nothing, like any id that is not there (404)."""
    value = ascii_digits(request.match_info[name], PATH_ID_MAX[name])
    if value is None:
        raise ApiError(404, "not_found", _("Not found."))
    return value


def path_slug(request: web.Request) -> str | None:
    """The path's status page slug if it has the form of one (core.status_pages: 3 to 64
    of a-z, 0-9 and "-"), else None: it names no page, and no query is made for it."""
    slug = request.match_info["slug"]
    if MIN_SLUG <= len(slug) <= MAX_SLUG and set(slug) <= SLUG_CHARACTERS:
        return slug
    return None


def ascii_header(request: web.Request, name: str) -> str | None:
    """A header's value if it is printable ASCII, as every key and token is; None when
    absent or not (aiohttp decodes other bytes as surrogates, which cannot be compared
    as bytes): a wrong key, not a failure."""
    value = request.headers.get(name)
    if value is None or not (value.isascii() and value.isprintable()):
        return None
    return value
