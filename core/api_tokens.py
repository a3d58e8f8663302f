"""Personal API tokens: made, hashed, found and revoked here, for the bot and the REST API.

A token is `um_` + 43 URL-safe characters (`secrets.token_urlsafe(32)`, 256 bits). Only
its SHA-256 hex is stored (`ApiToken.token_hash`), with its first characters
(`prefix`) so the owner can tell tokens apart; the token itself is returned once by
`create_token` and can never be shown again. The hash needs no salt: the token is
random and long, so a stolen hash cannot be reversed by guessing.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from core.monitor_rules import RuleError, has_hidden_characters
from db.models import ApiToken, User

TOKEN_PREFIX = "um_"
PREFIX_LENGTH = 8  # "um_" and 5 random characters
MAX_NAME_LENGTH = 64
MAX_TOKENS_PER_USER = 10
# Longer input is not one of our tokens; refused before hashing.
MAX_TOKEN_LENGTH = 128
# last_used_at is written at most this often, so a busy client does not write each request.
LAST_USED_EVERY = timedelta(minutes=1)


class TokenError(RuleError):
    """A refused token request; `code` is stable (the bot translates it, the API returns it)."""


def hash_token(token: str) -> str:
    """The SHA-256 hex stored for a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def parse_token_name(text: str | None) -> str:
    """A clean token name ("" when none was given)."""
    name = " ".join((text or "").split())
    if len(name) > MAX_NAME_LENGTH:
        raise TokenError("token_name_too_long", {"max": MAX_NAME_LENGTH})
    if has_hidden_characters(name):
        raise TokenError("token_name_invalid")
    return name


async def create_token(user: User, name: str | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`: its row and the token itself (show it once, then forget it).

    Without a name the token is called "token N". Raises TokenError when the name breaks
    a rule or the user already has MAX_TOKENS_PER_USER tokens.
    """
    clean = parse_token_name(name)
    count = await ApiToken.filter(user_id=user.id).count()
    if count >= MAX_TOKENS_PER_USER:
        raise TokenError("token_limit", {"max": MAX_TOKENS_PER_USER})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = await ApiToken.create(
        user_id=user.id,
        name=clean or f"token {count + 1}",
        token_hash=hash_token(token),
        prefix=token[:PREFIX_LENGTH],
    )
    return row, token


async def user_for_token(token: str | None, now: datetime | None = None) -> User | None:
    """The owner of `token`, or None for an unknown, revoked or malformed one.

    Marks the token used (last_used_at, at most once a minute).
    """
    if (
        not isinstance(token, str)
        or not token.startswith(TOKEN_PREFIX)
        or len(token) > MAX_TOKEN_LENGTH
    ):
        return None
    row = await ApiToken.get_or_none(token_hash=hash_token(token)).select_related("user")
    if row is None:
        return None
    now = now or datetime.now(UTC)
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
        await ApiToken.filter(id=row.id).update(last_used_at=now)
    return row.user


async def list_tokens(user: User) -> list[ApiToken]:
    """The user's tokens, oldest first."""
    return await ApiToken.filter(user_id=user.id).order_by("created_at", "id")


async def token_of(user: User, token_id: int) -> ApiToken | None:
    """The token if it exists and belongs to `user`."""
    return await ApiToken.get_or_none(id=token_id, user_id=user.id)


async def revoke(user: User, token_id: int) -> bool:
    """Delete the user's token `token_id`; False when there is no such token of theirs."""
    return await ApiToken.filter(id=token_id, user_id=user.id).delete() > 0
