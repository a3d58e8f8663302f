"""Push monitors' tokens: unguessable, and stored so that a database dump hands out no
working ping URL.

A token is 24 random bytes (192 bits) in URL-safe base64, 32 characters. The database
keeps its SHA-256 (hex), which the ping endpoint looks up by equality: the lookup
compares hashes, so neither its timing nor a dump reveals a working token (a fast hash
is enough: the input has 192 bits of entropy, nothing to brute-force). The first
PREFIX_LENGTH characters are kept in clear, to show which URL a monitor has.
"""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_BYTES = 24
TOKEN_LENGTH = 32  # characters of URL-safe base64 for TOKEN_BYTES
PREFIX_LENGTH = 6
_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def token_prefix(token: str) -> str:
    return token[:PREFIX_LENGTH]


def well_formed(text: str) -> bool:
    """A string that could be a token (any other cannot match one: answered 404 as is)."""
    return _TOKEN.fullmatch(text) is not None


def ping_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/ping/{token}"


def masked_ping_url(public_url: str, prefix: str) -> str:
    """The URL as cards show it once the token is no longer known: its first characters."""
    return f"{public_url.rstrip('/')}/ping/{prefix}…"
