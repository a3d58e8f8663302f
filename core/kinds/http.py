"""The http kind: one HTTP(S) request; up when the status is accepted, the keyword rule
holds and the answer came fast enough. Its fields are the monitors columns it always had.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from core import monitor_rules as rules
from core.i18n import __
from core.kinds import http_request, json_rule
from core.kinds.fields import YES_NO, Field, Preset, parse_switch
from core.probe import (
    DEFAULT_MAX_REDIRECTS,
    MAX_BODY_BYTES,
    ErrorKind,
    Probe,
    ProbeResult,
    current_timing,
    cut,
    failed_result,
    fill_timing,
    peer_cert_expiry,
)
from core.status_codes import status_accepted
from core.targets import MAX_URL_LENGTH, Resolver, check_target, normalize_url
from db.models import DEFAULT_ACCEPTED_STATUS_CODES, HttpMethod, KeywordMode

LABEL = __("Website")
HELP = __("An HTTP(S) address: up when it answers with an accepted status.")
MESSAGES = {
    "json_query_empty": __("Send a JMESPath expression, for example status or data[0].id."),
    "json_query_too_long": __("The JSON query must be at most {max} characters."),
    "json_query_invalid": __("That is not a valid JMESPath expression."),
    "json_operator_invalid": __("The JSON operator must be one of: {allowed}."),
    "json_expected_too_long": __("The expected JSON value must be at most {max} characters."),
    "json_expected_invalid": __("The expected JSON value must be one line."),
    "header_line_invalid": __("Send each header as Name: value (this line is not: {line})."),
    "headers_too_many": __("At most {max} headers."),
    "header_name_invalid": __("{name} is not a valid header name."),
    "header_forbidden": __("The {name} header cannot be set: it is the check's own."),
    "header_repeated": __("The {name} header is given twice."),
    "header_value_invalid": __("The {name} header's value must be one line of text."),
    "header_value_too_long": __("The {name} header's value must be at most {max} characters."),
    "body_too_long": __("The body must be at most {max} bytes."),
    "content_type_invalid": __("Send a content type such as application/json."),
    "auth_type_invalid": __("The authentication must be one of: {allowed}."),
    "auth_secret_empty": __("Send the credentials."),
    "auth_secret_too_long": __("The credentials must be at most {max} characters."),
    "auth_secret_invalid": __("The credentials must be one line of text."),
}

FIELDS = (
    Field(
        "url",
        {"type": "string", "maxLength": MAX_URL_LENGTH, "description": "http:// or https://"},
        normalize_url,
        column="url",
        prompt=__("Send the address to monitor, for example https://example.com"),
        label=__("Address"),
    ),
    Field(
        "method",
        {"enum": [m.value for m in HttpMethod]},
        lambda raw: rules.parse_method(raw).value,
        default=HttpMethod.GET.value,
        column="method",
        prompt=__("HTTP method:"),
        label=__("Method"),
        choices=tuple((m, m) for m in ("GET", "HEAD", "POST")),
    ),
    Field(
        "headers",
        {
            "type": "object",
            "maxProperties": http_request.MAX_HEADERS,
            "additionalProperties": {"type": "string", "maxLength": http_request.MAX_HEADER_VALUE},
            "description": "Request headers; not Host, hop-by-hop or Content-Length",
        },
        http_request.parse_headers,
        default={},
        column="headers",
        prompt=__("Send the request headers, one per line as Name: value, or - to send none."),
        label=__("Headers"),
    ),
    Field(
        "body",
        {"type": "string", "maxLength": http_request.MAX_BODY_LENGTH},
        http_request.parse_body,
        default=None,
        column="body",
        optional=True,
        prompt=__("Send the request body (sent with methods other than GET and HEAD)."),
        label=__("Body"),
    ),
    Field(
        "accepted_status_codes",
        {"type": "string", "description": "Ranges and codes: 200-299,301"},
        rules.parse_status_codes,
        default=DEFAULT_ACCEPTED_STATUS_CODES,
        column="accepted_status_codes",
        prompt=__("Which HTTP status codes mean up? For example 200-299,301 (default 200-399)."),
        label=__("Status codes"),
    ),
    Field(
        "latency_threshold_ms",
        {"type": "integer", "minimum": 1, "maximum": rules.MAX_LATENCY_THRESHOLD_MS},
        rules.parse_latency_threshold,
        default=None,
        column="latency_threshold_ms",
        optional=True,
        prompt=__("Latency threshold in ms: slower answers count as failures (e.g. 2000)."),
        label=__("Latency threshold"),
    ),
    Field(
        "keyword",
        {"type": "string", "minLength": 1, "maxLength": rules.MAX_KEYWORD_LENGTH},
        rules.parse_keyword,
        default=None,
        column="keyword",
        optional=True,
        prompt=__("A keyword to look for in the page (plain text, case-sensitive)."),
        label=__("Keyword"),
    ),
    Field(
        "keyword_mode",
        {"enum": [m.value for m in KeywordMode]},
        lambda raw: rules.parse_keyword_mode(raw).value,
        default=KeywordMode.PRESENT.value,
        column="keyword_mode",
        prompt=__("Should the keyword be present or absent?"),
        label=__("Keyword mode"),
        choices=(("present", __("present")), ("absent", __("absent"))),
    ),
    # The fields below live in the `params` JSON column.
    Field(
        "content_type",
        {
            "type": "string",
            "maxLength": http_request.MAX_CONTENT_TYPE,
            "description": "The body's Content-Type, e.g. application/json",
        },
        http_request.parse_content_type,
        default=None,
        optional=True,
        prompt=__("The body's content type, for example application/json."),
        label=__("Content type"),
    ),
    Field(
        "auth_type",
        {"enum": list(http_request.AUTH_TYPES)},
        http_request.parse_auth_type,
        default=None,
        optional=True,
        prompt=__("Which credentials should the request carry?"),
        label=__("Authentication"),
        choices=(("basic", __("Basic")), ("bearer", __("Bearer token"))),
    ),
    Field(
        "auth_secret",
        {
            "type": "string",
            "maxLength": http_request.MAX_SECRET,
            "description": "user:password (basic) or the token (bearer); write-only",
        },
        http_request.parse_auth_secret,
        default=None,
        optional=True,
        secret=True,
        prompt=__("Send user:password for basic, or the token for bearer. I delete your message."),
        label=__("Credentials"),
    ),
    Field(
        "json_query",
        {
            "type": "string",
            "minLength": 1,
            "maxLength": json_rule.MAX_QUERY_LENGTH,
            "description": "A JMESPath expression evaluated on the JSON body (at most 1 MiB)",
        },
        json_rule.parse_query,
        default=None,
        optional=True,
        prompt=__("A JMESPath expression to evaluate on the JSON answer, e.g. status."),
        label=__("JSON query"),
    ),
    Field(
        "json_operator",
        {
            "enum": list(json_rule.OPERATORS),
            "description": "Unset: == when json_expected is set, else exists",
        },
        json_rule.parse_operator,
        default=None,
        optional=True,
        prompt=__("How should the JSON query's value compare with the expected value?"),
        label=__("JSON operator"),
        choices=tuple((o, o) for o in json_rule.OPERATORS),
    ),
    Field(
        "json_expected",
        {
            "type": "string",
            "maxLength": json_rule.MAX_EXPECTED_LENGTH,
            "description": "Compared as a number when both sides are numbers, else as text",
        },
        json_rule.parse_expected,
        default=None,
        optional=True,
        prompt=__("The value the JSON query should give, for example ok or 42."),
        label=__("Expected JSON value"),
    ),
    Field(
        "upside_down",
        {"type": "boolean", "description": "Up when the check fails"},
        parse_switch,
        default=False,
        prompt=__("Upside down: count the monitor as up when the check fails?"),
        label=__("Upside down"),
        choices=YES_NO,
    ),
    Field(
        "follow_redirects",
        {"type": "boolean"},
        parse_switch,
        default=True,
        prompt=__("Follow redirects?"),
        label=__("Follow redirects"),
        choices=YES_NO,
    ),
    Field(
        "ignore_tls_errors",
        {"type": "boolean", "description": "Accept any certificate; expiry is still watched"},
        parse_switch,
        default=False,
        prompt=__("Ignore TLS certificate errors? Expiry warnings still go out."),
        label=__("Ignore TLS errors"),
        choices=YES_NO,
    ),
)
# The fields that say where the check goes: a change is vetted like a new monitor.
TARGET_FIELDS = ("url",)
# /add's buttons for the two HTTP checks people ask for by name.
PRESETS = (
    Preset(
        "keyword",
        __("Keyword"),
        __("A page that must (or must not) contain a word."),
        ("url", "keyword", "keyword_mode"),
        requires=("keyword",),
    ),
    Preset(
        "json",
        __("JSON API"),
        __("An API whose JSON answer must hold a value, e.g. status == ok."),
        ("url", "json_query", "json_operator", "json_expected"),
        requires=("json_query",),
    ),
)


@dataclass(frozen=True)
class Spec:
    """What one HTTP check does."""

    url: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    timeout: float = 10.0
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    accepted_status_codes: str = DEFAULT_ACCEPTED_STATUS_CODES
    latency_threshold_ms: int | None = None
    keyword: str | None = None
    keyword_mode: str = "present"
    content_type: str | None = None
    auth_type: str | None = None
    auth_secret: str | None = None
    json_query: str | None = None
    json_operator: str | None = None
    json_expected: str | None = None
    upside_down: bool = False
    follow_redirects: bool = True
    ignore_tls_errors: bool = False
    allow_private: bool = False


def target(values: Mapping[str, Any]) -> str:
    """What the monitor points at, as lists and alerts show it."""
    return values["url"]


async def vet(values: dict[str, Any], allow_private: bool, resolver: Resolver) -> str:
    """The creation rule for where the check goes (the URL normalised in `values`, its
    host resolved and, unless `allow_private`, public); returns the default name."""
    checked = await check_target(values["url"], allow_private, resolver=resolver)
    values["url"] = checked.url
    return checked.host


async def check(spec: Spec, probe: Probe) -> ProbeResult:
    if not spec.upside_down:
        return await _request(spec, probe)
    checked_at = probe.clock.now()
    try:
        result = await _request(spec, probe)
    except Exception as exc:
        result = failed_result(exc, checked_at)
    return _turned(result)


# Failures that say nothing about the target (the check was refused or broke): an
# upside-down monitor must not count them as "unreachable, as wanted".
_NOT_TURNED = {ErrorKind.BLOCKED, ErrorKind.INTERNAL}


def _turned(result: ProbeResult) -> ProbeResult:
    """An upside-down monitor's result: up when the check failed, down when it succeeded."""
    if result.ok:
        result.ok = False
        result.error_kind = ErrorKind.UNEXPECTED_UP
        answer = f"HTTP {result.status_code}" if result.status_code else "the check"
        result.error_message = f"{answer} succeeded; this monitor expects a failure"
    elif result.error_kind not in _NOT_TURNED:
        result.ok = True
        result.error_kind = result.error_message = None
    return result


async def _request(spec: Spec, probe: Probe) -> ProbeResult:
    checked_at = probe.clock.now()
    timing = current_timing()
    normalize_url(spec.url)  # the creation rules: a URL they refuse is never requested
    timeout = aiohttp.ClientTimeout(total=spec.timeout, sock_connect=spec.timeout)
    data = spec.body.encode() if spec.body and spec.method not in ("GET", "HEAD") else None
    async with probe.session.request(
        spec.method,
        spec.url,
        headers=http_request.request_headers(
            spec.headers,
            spec.body if data else None,
            spec.content_type,
            spec.auth_type,
            spec.auth_secret,
        ),
        data=data,
        timeout=timeout,
        allow_redirects=spec.follow_redirects and spec.max_redirects > 0,
        # aiohttp raises on reaching its limit; ours is the number we follow.
        max_redirects=spec.max_redirects + 1,
        ssl=probe.insecure_ssl_context if spec.ignore_tls_errors else True,
    ) as response:
        result = ProbeResult(checked_at=checked_at, ok=False, status_code=response.status)
        result.cert_expires_at = peer_cert_expiry(timing)
        final_url = str(response.url)
        result.final_url = final_url if final_url != spec.url else None
        found, truncated, body = await _read_body(response, spec, probe.max_body_bytes)
    fill_timing(result, timing, time.perf_counter())
    result.error_kind, result.error_message = _judge(
        spec, result, _Body(found, truncated, body), response
    )
    result.ok = result.error_kind is None
    return result


@dataclass(frozen=True)
class _Body:
    """What was read of the answer: the keyword seen, the cap reached, the bytes kept
    (only for a JSON rule)."""

    found: bool
    truncated: bool
    kept: bytes


async def _read_body(
    response: aiohttp.ClientResponse, spec: Spec, max_body_bytes: int
) -> tuple[bool, bool, bytes]:
    """Read at most the cap; return (keyword found, stopped at the cap with more left,
    the bytes read when a JSON rule needs them).

    Reading stops as soon as the answer is known; a plain substring search over a
    sliding window, so a keyword split between chunks is still found.
    """
    if spec.method == "HEAD":
        return False, False, b""
    needle = spec.keyword.encode() if spec.keyword else b""
    keep = max(len(needle) - 1, 0)
    window = b""
    seen = 0
    found = False
    parts: list[bytes] | None = [] if spec.json_query else None
    async for chunk in response.content.iter_any():
        room = max_body_bytes - seen
        piece = chunk[:room]
        seen += len(piece)
        if parts is not None:
            parts.append(piece)
        if needle and not found:
            window = window[-keep:] + piece if keep else piece
            found = needle in window
            if found and parts is None:
                return True, False, b""
        if len(chunk) > len(piece) or (seen >= max_body_bytes and not response.content.at_eof()):
            return found, True, b""
    return found, False, b"".join(parts or ())


def _judge(
    spec: Spec,
    result: ProbeResult,
    body: _Body,
    response: aiohttp.ClientResponse,
) -> tuple[str | None, str | None]:
    """The first rule that fails, in the order a person would look: status, keyword,
    JSON, speed."""
    found, truncated = body.found, body.truncated
    status = result.status_code or 0
    if not status_accepted(status, spec.accepted_status_codes):
        reason = response.reason or ""
        return ErrorKind.HTTP_STATUS, cut(f"HTTP {status} {reason}".strip())
    limit = f"{MAX_BODY_BYTES // 1024} KiB"
    if spec.keyword:
        if spec.keyword_mode == "absent":
            if found:
                return ErrorKind.KEYWORD_FOUND, cut(f"found {spec.keyword!r}")
            if truncated:
                return ErrorKind.BODY_TOO_LARGE, f"body is larger than {limit}"
        elif not found:
            if truncated:
                return ErrorKind.BODY_TOO_LARGE, f"keyword not in the first {limit}"
            return ErrorKind.KEYWORD_MISSING, cut(f"{spec.keyword!r} not found")
    if spec.json_query:
        if truncated:
            return ErrorKind.BODY_TOO_LARGE, f"JSON body is larger than {limit}"
        try:
            failure = json_rule.evaluate(
                body.kept, spec.json_query, spec.json_operator, spec.json_expected
            )
        except json_rule.JsonBodyError as exc:
            return ErrorKind.JSON_INVALID, cut(f"the body is not JSON: {exc}")
        if failure is not None:
            return ErrorKind.JSON_QUERY_FAILED, cut(failure)
    if (
        spec.latency_threshold_ms is not None
        and (result.latency_ms or 0) > spec.latency_threshold_ms
    ):
        return ErrorKind.SLOW, f"{result.latency_ms} ms > {spec.latency_threshold_ms} ms"
    return None, None
