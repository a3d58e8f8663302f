"""Answers that browsers, proxies and image caches (GitHub's camo) may keep: an ETag
made from the body, `304 Not Modified` when the client already holds that body
(If-None-Match), and `Cache-Control: public, max-age=...`.

The ETag is a hash of the very bytes served, so two replicas serving the same figures
give the same ETag and a client's copy stays valid across them.
"""

from __future__ import annotations

import hashlib

from aiohttp import web

MAX_AGE = 30  # seconds a public copy may be used without asking again


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def client_holds(request: web.Request, etag: str) -> bool:
    """Whether If-None-Match names `etag` (weakly, as RFC 9110 compares for a GET) or
    is "*"."""
    header = request.headers.get("If-None-Match")
    if header is None:
        return False
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def cacheable(
    request: web.Request,
    body: bytes,
    content_type: str,
    *,
    max_age: int = MAX_AGE,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """`body` as a public, cacheable answer; a 304 without it when the client holds it."""
    etag = etag_of(body)
    sent = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}", **(headers or {})}
    if client_holds(request, etag):
        return web.Response(status=304, headers=sent)
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=sent)
