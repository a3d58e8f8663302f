"""Public status pages: `GET /status/<slug>` (HTML), `GET /status/<slug>.json` (the
same data, the StatusPage schema of api/openapi.py) and their static files under
`/assets/` (web/assets.py). No key: api/auth.py checks only /api/v1/.

- Language: `?lang=` (en, ru, es, de) forces one; otherwise the visitor's
  Accept-Language, quality values honoured; English when none of ours is asked for.
- Cost: the page's data (core/page_view.py) is read at most once per PAGE_TTL seconds
  per process, and each language's HTML (and the JSON) rendered from it at most once
  per PAGE_TTL (core/page_cache.py: one build at a time, the copy before served
  meanwhile, and for a few minutes while the database cannot be read). Each body
  carries a strong ETag (a hash of the body; the gzip form its own), an
  `If-None-Match` that names it is a 304, and `Cache-Control: public, max-age=30` lets
  browsers and proxies keep it. A body is sent gzipped to clients that take gzip.
- A slug that names no page, whether well formed or not, gets the same 404: an HTML
  page for the HTML route, the API's JSON error for .json. When the database cannot be
  read and no copy is at hand: 503.
- The HTML loads only the app's own files; its Content-Security-Policy says so (the
  logo, an https URL its owner gave, is the one image from elsewhere).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
from dataclasses import dataclass

from aiohttp import web

from api.app_keys import RUNTIME_KEY
from api.errors import error_response
from api.http_cache import MAX_AGE, client_holds, etag_of
from api.params import path_slug
from core.accept import accepts
from core.clock import Clock
from core.i18n import DEFAULT_LANGUAGE, LANGUAGES, _, preferred_language, use_locale
from core.page_cache import PageCache
from core.page_view import PageView, page_view, view_json
from web.assets import asset
from web.pages import render_message, render_page

log = logging.getLogger(__name__)

PAGE_TTL = 5.0  # seconds a page's data is reused
CACHE_CONTROL = f"public, max-age={MAX_AGE}"
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
HTML = "text/html; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'"
)
# Rendered bodies kept per process, gzipped: a page of 100 monitors is about 40 KB.
MAX_BODIES = 256

routes = web.RouteTableDef()


@dataclass(frozen=True)
class Body:
    """A rendered page, kept gzipped only (a big page is 1 MB of HTML, 40 KB gzipped;
    every browser takes gzip, and the rare client that does not gets it unzipped)."""

    gzipped: bytes
    etag: str  # of the page as such
    gzipped_etag: str

    @classmethod
    def of(cls, data: bytes) -> Body:
        etag = etag_of(data)
        return cls(gzip.compress(data, 6, mtime=0), etag, etag[:-1] + '-gz"')

    @property
    def data(self) -> bytes:
        return gzip.decompress(self.gzipped)


class StatusPages:
    """What one app keeps of its status pages (module doc): each page's data, and the
    bodies rendered from it per format and language. Both are rebuilt by one request
    at a time while the others get the copy before, so neither a new read nor a new
    rendering makes visitors wait; a body is at most twice PAGE_TTL old."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.views: PageCache[PageView] = PageCache(PAGE_TTL, clock)
        self.bodies: PageCache[Body] = PageCache(PAGE_TTL, clock, max_entries=MAX_BODIES)

    async def body(self, slug: str | None, kind: str, lang: str) -> Body | None:
        """The page `slug` as `kind` ("html" or "json"), None when there is no such page."""
        if slug is None:
            return None
        key = (kind, slug, lang if kind == "html" else "")
        return await self.bodies.get(key, lambda: self._build(slug, kind, lang))

    async def _build(self, slug: str, kind: str, lang: str) -> Body | None:
        view = await self.views.get(slug, lambda: page_view(slug, self.clock.now()))
        return None if view is None else await self._render(view, kind, lang)

    async def _render(self, view: PageView, kind: str, lang: str) -> Body:
        """The body: rendered on the event loop in small steps (web/pages.py), then
        hashed and gzipped in a worker thread, where zlib and hashlib run beside the loop
        (they let go of the interpreter)."""
        if kind == "json":
            text = json.dumps(await view_json(view), ensure_ascii=False)
        else:
            text = await render_page(view, lang)
        return await asyncio.to_thread(Body.of, text.encode())


STATUS_PAGES_KEY = web.AppKey("status_pages", StatusPages)


def language(request: web.Request) -> str:
    forced = request.query.get("lang")
    if forced in LANGUAGES:
        return forced
    return preferred_language(request.headers.get("Accept-Language")) or DEFAULT_LANGUAGE


def _send(request: web.Request, body: Body, content_type: str, lang: str) -> web.Response:
    zipped = accepts(request.headers.get("Accept-Encoding"), "gzip")
    etag = body.gzipped_etag if zipped else body.etag
    headers = {
        "ETag": etag,
        "Cache-Control": CACHE_CONTROL,
        "Vary": "Accept-Language, Accept-Encoding",
        "Content-Language": lang,
        "X-Content-Type-Options": "nosniff",
    }
    if content_type == HTML:
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    if client_holds(request, etag):
        return web.Response(status=304, headers=headers)
    if zipped:
        headers["Content-Encoding"] = "gzip"
    headers["Content-Type"] = content_type
    return web.Response(body=body.gzipped if zipped else body.data, headers=headers)


def _message(status: int, lang: str, title, text) -> web.Response:
    return web.Response(
        status=status,
        text=render_message(lang, title, text),
        content_type="text/html",
        headers={"Cache-Control": "no-store", "Content-Language": lang},
    )


def _json_error(status: int, code: str, lang: str, message) -> web.Response:
    with use_locale(lang):
        response = error_response(status, code, message())
    response.headers["Cache-Control"] = "no-store"
    return response


@routes.get("/status/{slug}.json")
async def status_page_json(request: web.Request) -> web.Response:
    lang = language(request)
    try:
        body = await request.app[STATUS_PAGES_KEY].body(path_slug(request), "json", lang)
    except Exception:
        log.exception("status page %r could not be read", request.match_info["slug"])
        return _json_error(503, "unavailable", lang, lambda: _("Temporarily unavailable."))
    if body is None:
        return _json_error(404, "not_found", lang, lambda: _("Not found."))
    return _send(request, body, JSON_TYPE, lang)


@routes.get("/status/{slug}")
async def status_page(request: web.Request) -> web.Response:
    lang = language(request)
    try:
        body = await request.app[STATUS_PAGES_KEY].body(path_slug(request), "html", lang)
    except Exception:
        log.exception("status page %r could not be read", request.match_info["slug"])
        return _message(
            503, lang, lambda: _("Temporarily unavailable"),
            lambda: _("This status page cannot be shown right now. Please try again in a "
                      "minute."),
        )  # fmt: skip
    if body is None:
        return _not_found(lang)
    return _send(request, body, HTML, lang)


@routes.get("/status")
@routes.get("/status/")
async def no_status_page(request: web.Request) -> web.Response:
    """No slug at all: the same 404 page as a slug that names none."""
    return _not_found(language(request))


def _not_found(lang: str) -> web.Response:
    return _message(
        404, lang, lambda: _("Status page not found"),
        lambda: _("There is no status page at this address. Check the link you were given."),
    )  # fmt: skip


@routes.get("/assets/{asset}")
async def static_file(request: web.Request) -> web.Response:
    found = asset(request.match_info["asset"])
    if found is None:
        return web.Response(status=404, text="Not found", headers={"Cache-Control": "no-store"})
    headers = {
        "Cache-Control": ASSET_CACHE_CONTROL,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    if accepts(request.headers.get("Accept-Encoding"), "gzip"):
        headers["Content-Encoding"] = "gzip"
        body = found.gzipped
    else:
        body = found.body
    headers["Content-Type"] = found.content_type
    return web.Response(body=body, headers=headers)


def setup(app: web.Application) -> None:
    """The routes, and the pages' caches on the runtime's clock."""
    app[STATUS_PAGES_KEY] = StatusPages(app[RUNTIME_KEY].probe.clock)
    app.add_routes(routes)
