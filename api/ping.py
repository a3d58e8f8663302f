"""The ping endpoints of push monitors (core/kinds/push.py): public, no key.

`GET|POST|HEAD /ping/<token>` reports a success, `/ping/<token>/fail` a failure,
`/ping/<token>/start` a start, `/ping/<token>/<0-255>` an exit status (0 a success).
Answers: 200 `OK` once the ping is durable (core/ping_intake.py), 404 for a token no
push monitor has (the same body, and the same path through the database, whatever the
token), 429 over RATE_PER_SECOND per token, 503 while the database cannot take it
(nothing kept: the job's retry will be). The first 10 KB of a POST body are kept.
"""

from __future__ import annotations

from aiohttp import web

from api.app_keys import PING_INTAKE_KEY, PING_LIMITS_KEY, RUNTIME_KEY
from core.ping_intake import (
    MAX_BODY_BYTES,
    MAX_USER_AGENT,
    IncomingPing,
    clean_body,
    clean_header,
)
from core.push_tokens import token_hash, well_formed
from db.models import PingKind

RATE_PER_SECOND = 10
BURST = 20
# A body beyond this is refused (413); up to it, all but the first 10 KB is read and
# dropped, so a job piping its whole log in is not an error.
MAX_READ_BYTES = 2 * 1024 * 1024

routes = web.RouteTableDef()


def _text(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, headers={"Cache-Control": "no-store"})


async def _body(request: web.Request) -> str | None:
    if not request.can_read_body:
        return None
    declared = request.content_length
    if declared is not None and declared > MAX_READ_BYTES:  # refused before reading it
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_READ_BYTES, actual_size=declared)
    kept, total = b"", 0
    while chunk := await request.content.readany():
        total += len(chunk)
        if total > MAX_READ_BYTES:
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_READ_BYTES, actual_size=total)
        if len(kept) < MAX_BODY_BYTES:
            kept += chunk[: MAX_BODY_BYTES - len(kept)]
    return clean_body(kept)


def _action(raw: str | None) -> tuple[PingKind, int | None] | None:
    """What the path's last part reports: None for anything else."""
    if raw is None:
        return PingKind.SUCCESS, None
    if raw == "fail":
        return PingKind.FAIL, None
    if raw == "start":
        return PingKind.START, None
    if raw.isascii() and raw.isdigit() and len(raw) <= 3 and int(raw) <= 255:
        status = int(raw)
        return (PingKind.SUCCESS if status == 0 else PingKind.FAIL), status
    return None


async def ping(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    action = _action(request.match_info.get("action"))
    if action is None or not well_formed(token):
        return _text(404, "Not found")
    hashed = token_hash(token)
    if not request.app[PING_LIMITS_KEY].allow(hashed):
        return _text(429, "Too many pings")
    try:
        body = await _body(request)
    except web.HTTPRequestEntityTooLarge:
        return _text(413, "Body too large")
    kind, exit_status = action
    incoming = IncomingPing(
        token_hash=hashed,
        kind=kind,
        received_at=request.app[RUNTIME_KEY].probe.clock.now(),
        exit_status=exit_status,
        body=body,
        user_agent=clean_header(request.headers.get("User-Agent"), MAX_USER_AGENT),
        source=clean_header(request.remote, 64),
    )
    try:
        known = await request.app[PING_INTAKE_KEY].submit(incoming)
    except Exception:  # the database is down: nothing was kept, so say so
        return _text(503, "Unavailable, try again")
    return _text(200, "OK") if known else _text(404, "Not found")


for path in ("/ping/{token}", "/ping/{token}/{action}"):
    routes.get(path)(ping)  # HEAD too
    routes.post(path)(ping)
