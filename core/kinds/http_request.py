"""What an HTTP monitor sends besides its method and URL: request headers, a body with
its content type, and basic or bearer credentials.

Headers are refused where they would change how the request travels rather than what
it asks: `Host` (the URL says where the request goes, and the SSRF rule checks that),
the hop-by-hop headers and `Content-Length`. A name is an RFC 9110 token; a value is
one line of visible text (no CR, LF or NUL: nothing can smuggle a second header).
Credentials are write-only: the API and the bot only say that they are set.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from core.monitor_rules import RuleError

MAX_HEADERS = 20
MAX_HEADER_VALUE = 1024
MAX_HEADER_NAME = 128
MAX_BODY_LENGTH = 16 * 1024  # within the API's own 64 KiB request limit
MAX_CONTENT_TYPE = 255
MAX_SECRET = 1024
AUTH_TYPES = ("basic", "bearer")
_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
FORBIDDEN_HEADERS = frozenset(
    {
        "host",
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)


def _one_line(text: str) -> bool:
    return not any(c in text for c in "\r\n\0")


def parse_headers(raw: Any) -> dict[str, str]:
    """A JSON object of name -> value, or lines of `Name: value` (the bot); `-`/empty
    clears."""
    if isinstance(raw, str):
        if raw.strip() in ("", "-"):
            return {}
        pairs = []
        for line in raw.strip().splitlines():
            if not line.strip():
                continue
            name, colon, value = line.partition(":")
            if not colon:
                raise RuleError("header_line_invalid", {"line": line.strip()[:64]})
            pairs.append((name.strip(), value.strip()))
    elif isinstance(raw, Mapping):
        pairs = list(raw.items())
    else:
        raise RuleError("header_line_invalid", {"line": str(raw)[:64]})
    if len(pairs) > MAX_HEADERS:
        raise RuleError("headers_too_many", {"max": MAX_HEADERS})
    headers: dict[str, str] = {}
    for name, value in pairs:
        if not isinstance(value, str) or not isinstance(name, str):
            raise RuleError("header_value_invalid", {"name": str(name)[:64]})
        if not name or len(name) > MAX_HEADER_NAME or not set(name) <= _TOKEN_CHARS:
            raise RuleError("header_name_invalid", {"name": name[:64]})
        if name.lower() in FORBIDDEN_HEADERS:
            raise RuleError("header_forbidden", {"name": name})
        if any(name.lower() == seen.lower() for seen in headers):
            raise RuleError("header_repeated", {"name": name})
        if not _one_line(value) or not value.isprintable():
            raise RuleError("header_value_invalid", {"name": name})
        if len(value) > MAX_HEADER_VALUE:
            raise RuleError("header_value_too_long", {"name": name, "max": MAX_HEADER_VALUE})
        headers[name] = value
    return headers


def parse_body(raw: str) -> str:
    if len(raw.encode()) > MAX_BODY_LENGTH:
        raise RuleError("body_too_long", {"max": MAX_BODY_LENGTH})
    return raw


def parse_content_type(raw: str) -> str:
    text = raw.strip()
    if not text or len(text) > MAX_CONTENT_TYPE or not _one_line(text) or "/" not in text:
        raise RuleError("content_type_invalid")
    if not text.isascii() or not text.isprintable():
        raise RuleError("content_type_invalid")
    return text


def parse_auth_type(raw: str) -> str:
    text = raw.strip().lower()
    if text not in AUTH_TYPES:
        raise RuleError("auth_type_invalid", {"allowed": ", ".join(AUTH_TYPES)})
    return text


def parse_auth_secret(raw: str) -> str:
    """`user:password` for basic, the token for bearer (which one is checked when sent:
    the type may be set before or after)."""
    if not raw:
        raise RuleError("auth_secret_empty")
    if len(raw) > MAX_SECRET:
        raise RuleError("auth_secret_too_long", {"max": MAX_SECRET})
    if not _one_line(raw) or not raw.isprintable():
        raise RuleError("auth_secret_invalid")
    return raw


def request_headers(
    headers: Mapping[str, str],
    body: str | None,
    content_type: str | None,
    auth_type: str | None,
    auth_secret: str | None,
) -> dict[str, str]:
    """The headers a check sends: the monitor's own, the body's content type (unless
    the headers name one) and the credentials (over any Authorization header)."""
    sent = dict(headers)
    named = {name.lower() for name in sent}
    if body and content_type and "content-type" not in named:
        sent["Content-Type"] = content_type
    if auth_type and auth_secret:
        for name in [n for n in sent if n.lower() == "authorization"]:
            del sent[name]
        if auth_type == "basic":
            token = base64.b64encode(auth_secret.encode()).decode("ascii")
            sent["Authorization"] = f"Basic {token}"
        else:
            sent["Authorization"] = f"Bearer {auth_secret}"
    return sent
