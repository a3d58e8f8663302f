"""JSON errors for the API: one shape, `{"error": {"code", "message", "fields"}}`.

Core rules raise RuleError, TargetError and WindowError with stable codes; the
middleware turns them (and aiohttp's own 404/405/413) into that shape, with the
message in the caller's language (Accept-Language; English by default), from the
same table the bot uses (core/rule_texts.py). `fields` maps an input field to its
message when the error is about one.
"""

from __future__ import annotations

import logging

from aiohttp import web

from core.i18n import DEFAULT_LANGUAGE, _, preferred_language, use_locale
from core.maintenance import WindowError
from core.monitor_rules import RuleError
from core.rule_texts import rule_text, window_message
from core.targets import TargetError

log = logging.getLogger(__name__)

# Refusals that are not about a bad value: the state of things says no.
_STATUS_OF_CODE = {
    "quota": 409,
    "channel_quota": 409,
    "channel_private_chat": 409,
    "too_many_windows": 409,
    "check_too_soon": 429,
    "creations_in_flight": 429,
    "slug_taken": 409,
    "page_quota": 409,
    "page_group_last": 409,
    "page_unknown": 404,
}


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}


def not_found() -> ApiError:
    return ApiError(404, "not_found", _("Not found."))


def error_response(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> web.Response:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return web.json_response(body, status=status)


def request_language(request: web.Request) -> str:
    """The supported language Accept-Language prefers (quality values honoured), else
    English."""
    return preferred_language(request.headers.get("Accept-Language")) or DEFAULT_LANGUAGE


def _from_rule(error: RuleError | TargetError | WindowError) -> ApiError:
    if isinstance(error, WindowError):
        message = window_message(error, start="starts_at", example="2026-12-01T04:00:00Z")
    else:
        message = rule_text(error)
    field = error.field
    status = _STATUS_OF_CODE.get(error.code, 422)
    return ApiError(status, error.code, message, {field: message} if field else None)


@web.middleware
async def json_errors(request: web.Request, handler):
    if not request.path.startswith("/api/"):
        return await handler(request)
    with use_locale(request_language(request)):
        try:
            return await handler(request)
        except ApiError as error:
            return error_response(error.status, error.code, error.message, error.fields)
        except (RuleError, TargetError, WindowError) as error:
            api_error = _from_rule(error)
            return error_response(
                api_error.status, api_error.code, api_error.message, api_error.fields
            )
        except web.HTTPRequestEntityTooLarge:
            return error_response(413, "body_too_large", _("The request body is too large."))
        except web.HTTPNotFound:
            return error_response(404, "not_found", _("Not found."))
        except web.HTTPMethodNotAllowed as refused:
            response = error_response(405, "method_not_allowed", _("Method not allowed."))
            response.headers["Allow"] = ", ".join(sorted(refused.allowed_methods))
            return response
        except web.HTTPException:
            raise
        except Exception:  # a bug or a database outage: JSON too, and logged in full
            log.exception("API request failed: %s %s", request.method, request.path)
            return error_response(500, "internal", _("Internal error; it has been logged."))
