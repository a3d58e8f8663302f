"""Email addresses and their confirmation codes: the rules the bot and the API share.

1. `request_code(user, address)` checks the address, makes a 6-digit code, stores it
   hashed (HMAC-SHA-256 under a random per-code salt) on the user with the pending
   address, an expiry (15 minutes) and a zeroed attempt counter, and queues the email
   with the code as a `notifications` row (the delivery worker sends it; the address
   is in the payload because it is not confirmed yet).
2. `confirm_code(user, code)` compares in constant time. Right and in time: the pending
   address becomes the user's verified email. Wrong: one attempt used; the fifth wrong
   attempt voids the code, as does expiry; then only a new code helps. The address
   also becomes the user's email channel (core/channels.py), a default one.

Refusals raise `EmailError` with a stable `code` and parameters, which the bot
translates and the API returns. A new code is refused for RESEND_AFTER after the last
one, so nobody can use the bot to flood someone's mailbox. Alerts go by email only to
a verified address: only confirming one makes an email channel.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from core.channels import remove_email_channel, set_email_channel
from core.monitor_rules import RuleError
from db.connection import current_connection
from db.models import Notification, NotificationChannel, NotificationKind, NotificationStatus, User

MAX_EMAIL_LENGTH = 254
CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=15)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)
# RFC 5322 "specials": not allowed in an unquoted address (and risky in a mail header).
_SPECIALS = frozenset('<>()[]\\,;:"')
_PENDING_FIELDS = (
    "pending_email",
    "email_code_hash",
    "email_code_expires_at",
    "email_code_attempts",
)


class EmailError(RuleError):
    """A refused address or code; `code` is stable, `params` fill the message."""


# --- addresses ----------------------------------------------------------------------


def parse_email(text: str) -> str:
    """A plain check of an address: one "@" with text on both sides, a dot in the
    domain, no spaces or control characters, at most 254 characters. The domain is
    lower-cased; the local part is kept as typed."""
    address = (text or "").strip()
    if not address:
        raise EmailError("email_empty")
    if len(address) > MAX_EMAIL_LENGTH:
        raise EmailError("email_too_long", {"max": MAX_EMAIL_LENGTH})
    if any(c.isspace() for c in address):
        raise EmailError("email_spaces")
    if any(ord(c) < 32 or ord(c) == 127 or c in _SPECIALS for c in address):
        raise EmailError("email_chars")
    local, at, domain = address.partition("@")
    if not at or not local or not domain or "@" in domain:
        raise EmailError("email_at")
    labels = domain.split(".")
    if len(labels) < 2 or not all(labels):
        raise EmailError("email_domain")
    return f"{local}@{domain.lower()}"


# --- codes --------------------------------------------------------------------------


def new_code() -> str:
    """A random 6-digit code, leading zeros kept."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def hash_code(code: str, salt: bytes | None = None) -> str:
    """ "<salt hex>$<HMAC-SHA-256 hex>" of the code under a random 16-byte salt."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hmac.new(salt, code.encode(), hashlib.sha256).hexdigest()
    return f"{salt.hex()}${digest}"


def code_matches(code: str, stored: str | None) -> bool:
    """Whether `code` is the one `stored` was made from (constant-time compare)."""
    if not stored:
        return False
    salt_hex, _, digest = stored.partition("$")
    try:
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    expected = hmac.new(salt, code.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, digest)


def normalize_code(text: str) -> str:
    """The 6 digits of what the user typed ("123 456" and "123-456" are fine)."""
    code = "".join((text or "").split()).replace("-", "")
    if len(code) != CODE_DIGITS or any(c not in "0123456789" for c in code):
        raise EmailError("code_format", {"digits": CODE_DIGITS})
    return code


# --- the flow -----------------------------------------------------------------------


def _copy(target: User, source: User, names: tuple[str, ...]) -> None:
    for name in names:
        setattr(target, name, getattr(source, name))


async def _locked(user_id: int) -> User:
    """The user's row, locked for the transaction (PostgreSQL; SQLite serializes writes)."""
    return await User.filter(id=user_id).select_for_update().get()


async def seconds_until_resend(user: User, now: datetime | None = None) -> int:
    """How long until the user may ask for another code (0: now)."""
    now = now or datetime.now(UTC)
    last = (
        await Notification.filter(user_id=user.id, kind=NotificationKind.EMAIL_VERIFICATION)
        .order_by("-created_at")
        .first()
    )
    if last is None:
        return 0
    return max(0, math.ceil((last.created_at + RESEND_AFTER - now).total_seconds()))


async def _cancel_queued_codes(user_id: int) -> None:
    """An older code that is still waiting to be sent would no longer work: drop it."""
    await Notification.filter(
        user_id=user_id,
        kind=NotificationKind.EMAIL_VERIFICATION,
        status=NotificationStatus.PENDING,
    ).update(status=NotificationStatus.CANCELLED)


async def request_code(user: User, address: str, now: datetime | None = None) -> Notification:
    """Start (or restart) confirming `address` for `user`; returns the queued email.

    Raises EmailError: the address breaks a rule, is already the user's verified email
    ("email_same"), or a code was sent less than RESEND_AFTER ago ("email_wait").
    A new code replaces any earlier one.
    """
    email = parse_email(address)
    now = now or datetime.now(UTC)
    if user.email_verified and user.email == email:
        raise EmailError("email_same")
    wait = await seconds_until_resend(user, now)
    if wait:
        raise EmailError("email_wait", {"seconds": wait})
    code = new_code()
    async with in_transaction(current_connection().connection_name):
        fresh = await _locked(user.id)
        fresh.pending_email = email
        fresh.email_code_hash = hash_code(code)
        fresh.email_code_expires_at = now + CODE_TTL
        fresh.email_code_attempts = 0
        await fresh.save(update_fields=list(_PENDING_FIELDS))
        await _cancel_queued_codes(user.id)
        queued = await Notification.create(
            user_id=user.id,
            channel=NotificationChannel.EMAIL,
            kind=NotificationKind.EMAIL_VERIFICATION,
            payload={"email": email, "code": code},
            dedup_key=None,
            next_attempt_at=now,
        )
    _copy(user, fresh, _PENDING_FIELDS)
    return queued


async def confirm_code(user: User, text: str, now: datetime | None = None) -> str:
    """Check the code the user sent; returns the address that is now verified.

    Raises EmailError: "code_format" (not 6 digits; no attempt used), "code_none" (no
    code waiting), "code_expired", "code_wrong" with `left` tries, or "code_void" when
    that was the last try. An expired or used-up code is void; a new one is needed.
    """
    code = normalize_code(text)
    now = now or datetime.now(UTC)
    error: EmailError | None = None
    async with in_transaction(current_connection().connection_name):
        fresh = await _locked(user.id)
        changed: tuple[str, ...] = ()
        if not fresh.email_code_hash or not fresh.pending_email:
            error = EmailError("code_none")
        elif fresh.email_code_attempts >= MAX_ATTEMPTS:
            fresh.email_code_hash, changed = None, ("email_code_hash",)
            error = EmailError("code_void")
        elif fresh.email_code_expires_at is None or now >= fresh.email_code_expires_at:
            fresh.email_code_hash, changed = None, ("email_code_hash",)
            error = EmailError("code_expired")
        elif not code_matches(code, fresh.email_code_hash):
            fresh.email_code_attempts += 1
            left = MAX_ATTEMPTS - fresh.email_code_attempts
            changed = ("email_code_attempts",)
            if left > 0:
                error = EmailError("code_wrong", {"left": left})
            else:
                fresh.email_code_hash, changed = None, ("email_code_attempts", "email_code_hash")
                error = EmailError("code_void")
        else:
            fresh.email, fresh.email_verified = fresh.pending_email, True
            fresh.pending_email = fresh.email_code_hash = fresh.email_code_expires_at = None
            fresh.email_code_attempts = 0
            changed = ("email", "email_verified", *_PENDING_FIELDS)
        if changed:
            await fresh.save(update_fields=list(changed))
        if error is None:
            await set_email_channel(fresh, fresh.email)
    _copy(user, fresh, ("email", "email_verified", *_PENDING_FIELDS))
    if error is not None:
        raise error
    return fresh.email


async def remove_email(user: User) -> None:
    """Forget the user's address, verified or pending, and any code on its way."""
    user.email, user.email_verified = None, False
    user.pending_email = user.email_code_hash = user.email_code_expires_at = None
    user.email_code_attempts = 0
    async with in_transaction(current_connection().connection_name):
        await user.save(update_fields=["email", "email_verified", *_PENDING_FIELDS])
        await remove_email_channel(user)
    await _cancel_queued_codes(user.id)
