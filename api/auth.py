"""Who is calling: the X-API-KEY header, checked for every /api/v1 request but the
OpenAPI document.

API_ACCESS_TOKEN is the admin key (all data), compared in constant time; unset, admin
access is off. Any other key is looked up as a user's token (stored hashed, see
core/api_tokens.py) and sees only that user's data. No key or an unknown one: 401.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from aiohttp import web

from api.errors import ApiError
from api.params import ascii_header
from core.api_tokens import user_for_token
from core.i18n import _
from core.settings import Settings
from db.models import User

PUBLIC_PATHS = frozenset({"/api/v1/openapi.json"})


@dataclass(frozen=True)
class Caller:
    user: User | None  # None for the admin key
    admin: bool

    def owns(self, owner_id: int) -> bool:
        """Whether the caller may see and change what belongs to user `owner_id`."""
        return self.admin or (self.user is not None and self.user.id == owner_id)

    def require_admin(self) -> None:
        if not self.admin:
            raise ApiError(403, "admin_only", _("This needs the admin key."))


async def identify(settings: Settings, key: str | None) -> Caller | None:
    if not key:
        return None
    admin = settings.api_access_token
    if admin is not None and hmac.compare_digest(key.encode(), admin.get_secret_value().encode()):
        return Caller(user=None, admin=True)
    user = await user_for_token(key)
    return Caller(user=user, admin=False) if user is not None else None


CALLER_KEY = web.RequestKey("caller", Caller)


def caller_of(request: web.Request) -> Caller:
    return request[CALLER_KEY]


def auth_middleware(settings: Settings):
    @web.middleware
    async def authenticate(request: web.Request, handler):
        if request.path.startswith("/api/v1/") and request.path not in PUBLIC_PATHS:
            caller = await identify(settings, ascii_header(request, "X-API-KEY"))
            if caller is None:
                raise ApiError(401, "unauthorized", _("A valid X-API-KEY header is needed."))
            request[CALLER_KEY] = caller
        return await handler(request)

    return authenticate
