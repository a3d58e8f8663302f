"""GET /status/<slug>, /status/<slug>.json and /assets/ through the real app on both
databases: HTML in every field stays text, ETag and 304, Cache-Control, the cache's
expiry on the runtime's clock, languages, 404 alike for every missing slug, and the
static files."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from api.status_page import CACHE_CONTROL, PAGE_TTL, StatusPages
from core.clock import ManualClock
from core.probe import Probe
from core.settings import Settings
from db.models import StatusPage, User
from tests.support.api import ApiClient, conforms, serving
from tests.support.status_pages import figures, make_monitor, make_page, write_rollups
from tests.test_ping_endpoints import database_that_goes_away

NOW = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)
TODAY = datetime(2026, 12, 2, tzinfo=UTC)
IDENTITY = {"Accept-Encoding": "identity"}


@asynccontextmanager
async def served(settings) -> AsyncIterator[tuple[ApiClient, ManualClock]]:
    clock = ManualClock(NOW)
    async with serving(settings, Probe(clock=clock)) as api:
        yield api, clock


async def fetch(api: ApiClient, path: str, headers: dict | None = None):
    """(status, headers, text) of a GET, the body as sent (no decompression)."""
    async with api.http.get(
        api.base + path, headers={**IDENTITY, **(headers or {})}, auto_decompress=False
    ) as reply:
        return reply.status, reply.headers, (await reply.read()).decode()


async def simple_page(slug: str = "acme", title: str = "Acme") -> StatusPage:
    owner = await User.create(telegram_id=1)
    site = await make_monitor(owner, "Site", state="up")
    await write_rollups("rollups_daily", {(site, TODAY): figures(100)})
    return await make_page(owner, slug, [("", [(site, True)])], title=title)


HOSTILE = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>']


async def test_html_in_every_field_is_text(db, settings) -> None:
    owner = await User.create(telegram_id=1)
    for n, evil in enumerate(HOSTILE):
        monitor = await make_monitor(owner, f"m{n}", state="down")
        monitor.name = f"name {evil}"
        monitor.url = f"https://example.com/{evil}"
        await monitor.save()
        await make_page(
            owner, f"evil-{n}", [(f"group {evil}", [(monitor, True)])], title=f"title {evil}",
            description=f"description {evil}", note=f"note {evil}",
            logo_url=f"https://example.com/logo.png?{evil}",
        )  # fmt: skip
    async with served(settings) as (api, _clock):
        for n, evil in enumerate(HOSTILE):
            status, _headers, html = await fetch(api, f"/status/evil-{n}")
            assert status == 200
            # Every tag in the page is one of the template's: nothing the owner wrote
            # opened an element or left an attribute.
            tags = set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", html))
            assert tags <= {"html", "head", "meta", "title", "link", "script", "body", "header",
                            "div", "img", "h1", "p", "main", "section", "span", "h2", "ul",
                            "li", "time", "h3", "a", "ol", "dl", "dt", "dd", "svg", "path",
                            "footer", "i"}, tags  # fmt: skip
            assert "<script>alert" not in html and "<img src=x" not in html
            assert html.count("<script") == 1  # the page's own script only
            assert "onerror=alert(1)>" not in html.replace("&gt;", "")  # no live attribute
            assert "&lt;script&gt;" in html or "&#34;&gt;&lt;img" in html
            for field in ("title", "description", "note", "group", "name"):
                assert f"{field} {evil}" not in html
            status, _headers, text = await fetch(api, f"/status/evil-{n}.json")
            page = json.loads(text)
            conforms("StatusPage", page)
            monitor = page["groups"][0]["monitors"][0]
            assert (page["title"], page["description"], page["note"]) == (
                f"title {evil}", f"description {evil}", f"note {evil}"
            )  # fmt: skip
            assert page["logo_url"] == f"https://example.com/logo.png?{evil}"
            assert page["groups"][0]["name"] == f"group {evil}"
            assert (monitor["name"], monitor["url"]) == (
                f"name {evil}", f"https://example.com/{evil}"
            )  # fmt: skip


async def test_etag_304_and_cache_headers(db, settings) -> None:
    await simple_page()
    async with served(settings) as (api, _clock):
        for path, content_type in (("/status/acme", "text/html"),
                                   ("/status/acme.json", "application/json")):  # fmt: skip
            status, headers, body = await fetch(api, path)
            assert status == 200 and headers["Content-Type"].startswith(content_type)
            assert headers["Cache-Control"] == CACHE_CONTROL == "public, max-age=30"
            assert "Accept-Language" in headers["Vary"]
            etag = headers["ETag"]
            assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
            status, again, empty = await fetch(api, path, {"If-None-Match": etag})
            assert (status, again["ETag"], empty) == (304, etag, "")
            assert (await fetch(api, path, {"If-None-Match": f'"other", W/{etag}'}))[0] == 304
            assert (await fetch(api, path, {"If-None-Match": '"other"'}))[0] == 200
            # gzip for those who take it, with an ETag of its own.
            status, zipped, data = await fetch_bytes(api, path, {"Accept-Encoding": "gzip"})
            assert zipped["Content-Encoding"] == "gzip" and zipped["ETag"] != etag
            assert gzip.decompress(data).decode() == body
        html_headers = (await fetch(api, "/status/acme"))[1]
        assert "script-src 'self'" in html_headers["Content-Security-Policy"]


async def fetch_bytes(api: ApiClient, path: str, headers: dict):
    async with api.http.get(api.base + path, headers=headers, auto_decompress=False) as reply:
        return reply.status, reply.headers, await reply.read()


async def test_the_page_is_read_again_only_when_its_time_is_up(db, settings) -> None:
    page = await simple_page(title="Before")
    async with served(settings) as (api, clock):
        first = await fetch(api, "/status/acme")
        assert "Before" in first[2]
        page.title = "After"
        await page.save()
        await clock.advance(PAGE_TTL - 0.5)
        cached = await fetch(api, "/status/acme")
        assert cached[1]["ETag"] == first[1]["ETag"] and "Before" in cached[2]
        assert "Before" in json.loads((await fetch(api, "/status/acme.json"))[2])["title"]
        await clock.advance(0.5)
        fresh = await fetch(api, "/status/acme")
        assert "After" in fresh[2] and fresh[1]["ETag"] != first[1]["ETag"]
        # The page's time is the clock's: "last updated" is when it was read.
        moment = (NOW + timedelta(seconds=PAGE_TTL)).isoformat()
        assert f'datetime="{moment}"' in fresh[2]
        await page.delete()
        await clock.advance(PAGE_TTL)
        assert (await fetch(api, "/status/acme"))[0] == 404


async def test_languages_from_accept_language_or_lang(db, settings) -> None:
    await simple_page()
    cases = [
        ({}, "", "en", "All systems operational"),
        ({"Accept-Language": "de-DE,de;q=0.9,en;q=0.8"}, "", "de", "Alle Systeme betriebsbereit"),
        ({"Accept-Language": "en;q=0.5, es;q=0.9"}, "", "es", "Todos los sistemas operativos"),
        ({"Accept-Language": "fr, ru;q=0.3"}, "", "ru", "Все системы работают"),
        ({"Accept-Language": "ru;q=0, fr"}, "", "en", "All systems operational"),
        ({"Accept-Language": "de"}, "?lang=ru", "ru", "Все системы работают"),
        ({"Accept-Language": "de"}, "?lang=xx", "de", "Alle Systeme betriebsbereit"),
    ]
    async with served(settings) as (api, _clock):
        for headers, query, lang, banner in cases:
            status, answer, html = await fetch(api, f"/status/acme{query}", headers)
            assert status == 200
            assert answer["Content-Language"] == lang, (headers, query)
            assert f'<html lang="{lang}"' in html and banner in html, (headers, query)
        # Dates follow the language too.
        assert "02.12.2026" in (await fetch(api, "/status/acme?lang=de"))[2]
        assert "Dec 2, 2026" in (await fetch(api, "/status/acme?lang=en"))[2]


async def test_every_missing_slug_gets_the_same_404(db, settings) -> None:
    await simple_page()
    missing = ["nope", "ACME", "a", "x" * 65, "acme!", "%3Cscript%3E", "acme.xml", "ac%20me", ""]
    async with served(settings) as (api, _clock):
        pages = set()
        for slug in missing:
            status, headers, html = await fetch(api, f"/status/{slug}")
            pages.add((status, headers["Content-Type"], headers["Cache-Control"], html))
        assert len(pages) == 1
        status, content_type, _cache, html = pages.pop()
        assert status == 404 and content_type.startswith("text/html")
        assert "Status page not found" in html and "<script" not in html
        answers = {(await fetch(api, f"/status/{slug}.json"))[::2] for slug in missing if slug}
        conforms("Error", json.loads(next(iter(answers))[1]))
        assert answers == {(404, json.dumps({"error": {"code": "not_found",
                                                       "message": "Not found.",
                                                       "fields": {}}}))}  # fmt: skip
        german = await fetch(api, "/status/nope", {"Accept-Language": "de"})
        assert "Statusseite nicht gefunden" in german[2]
        assert (await fetch(api, "/status/acme"))[0] == 200


async def test_static_files_are_the_app_s_own_and_kept_for_a_year(db, settings) -> None:
    await simple_page()
    async with served(settings) as (api, _clock):
        html = (await fetch(api, "/status/acme"))[2]
        files = re.findall(r'(?:href|src)="(/assets/[^"]+)"', html)
        assert {f.rsplit(".", 1)[1] for f in files} == {"css", "js", "svg"}
        # No style, script, font or icon from elsewhere.
        assert not re.search(r'<(?:link|script)[^>]*(?:href|src)="(?:https?:)?//', html)
        assert "@import" not in html and "url(" not in html
        for path in files:
            status, headers, body = await fetch(api, path)
            assert status == 200 and body
            assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
        status, _headers, _body = await fetch(api, "/assets/status.0000.css")
        assert status == 404


async def test_no_key_is_needed(db, settings) -> None:
    """The pages are public: no X-API-KEY, and one does not change the answer."""
    await simple_page()
    async with (
        served(settings) as (api, _clock),
        aiohttp.ClientSession() as plain,
        plain.get(api.base + "/status/acme.json") as reply,
    ):
        assert reply.status == 200
        assert (await reply.json())["slug"] == "acme"


async def test_the_page_s_landmarks_banner_bars_and_times(db, settings) -> None:
    """What a browser and a screen reader find (and the browser test relies on)."""
    owner = await User.create(telegram_id=1)
    up = await make_monitor(owner, "Up", state="up")
    down = await make_monitor(owner, "Down", state="down")
    await make_page(owner, "acme", [("One", [(up, False)]), ("Two", [(down, False)])])
    async with served(settings) as (api, _clock):
        html = (await fetch(api, "/status/acme"))[2]
    assert re.search(r'<section id="banner" [^>]*data-state="partial_outage"', html)
    assert html.count('<li class="bar ') == 2 * 90
    assert len(re.findall(r'class="bar[ "]', html)) == 2 * 90  # nothing else is a bar
    assert len(re.findall(r'<li class="bar \w+" tabindex="0" role="img" aria-label="[^"<>]+">',
                          html)) == 2 * 90  # fmt: skip
    for landmark in ("<header", "<main", "<footer"):
        assert html.count(landmark) == 1
    updated = f'<time id="updated" class="local" datetime="{NOW.isoformat()}">'
    assert updated in html
    shown = html.split(updated)[1].split("</time>")[0]
    assert "12/2/26" in shown and "10:30" in shown and shown.endswith("UTC")  # said so
    assert "data-theme=" in html and 'name="viewport"' in html


@pytest.mark.parametrize("dialect", ["postgres"])  # SQLite in WAL mode still reads
async def test_while_the_database_is_away_the_copy_before_is_served(dialect, fresh_db_url) -> None:
    """Within PageCache's stale time the page stays up, saying when it was read; past
    it, 503 (HTML, and the JSON error); back, it is read again."""
    async with database_that_goes_away(dialect, fresh_db_url) as (url, lose, restore):
        settings = Settings(_env_file=None, database_url=url)
        await simple_page(title="Served")
        async with served(settings) as (api, clock):
            first = await fetch(api, "/status/acme")
            await lose()
            await clock.advance(PAGE_TTL)
            during = await fetch(api, "/status/acme")
            assert during[0] == 200 and during[1]["ETag"] == first[1]["ETag"]
            assert (await fetch(api, "/status/acme.json"))[0] == 200  # from the data read
            await clock.advance(StatusPages(clock).views.stale_for + PAGE_TTL)
            status, _headers, html = await fetch(api, "/status/acme")
            assert status == 503 and "Temporarily unavailable" in html
            status, _headers, text = await fetch(api, "/status/acme.json")
            assert status == 503 and json.loads(text)["error"]["code"] == "unavailable"
            await restore()
            statuses = [(await fetch(api, "/status/acme"))[0] for _ in range(3)]
            assert statuses[-1] == 200  # a pool may drop a dead link first
