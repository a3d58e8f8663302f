"""The DevTools client of the browser tests (tests/support/cdp.py), against a real
headless Chromium and a tiny page served on loopback: what the page reports, evaluating,
viewports and screenshots, the colour scheme, the time zone, JavaScript off, failures
that must not hang, and the browser killed at the end whatever happened."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.support import cdp
from tests.support.http import free_port, serving
from tests.support.png import png_size
from tests.support.wait import until

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tiny</title>
<link rel="icon" href="data:,">
<style>
  body { background: #ffffff; color: #111111; }
  @media (prefers-color-scheme: dark) { body { background: #111111; color: #eeeeee; } }
</style></head>
<body>
<p id="written">by the server</p>
<noscript><p id="without-scripts">scripts are off</p></noscript>
<script>
  document.getElementById("written").textContent = "by a script";
  console.log("hello", 3);
</script>
</body></html>"""

# Both pages name an icon: without one the browser asks for /favicon.ico, and the 404
# would be reported (or not: it may come after the load event).
NOISY = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>noisy</title>
<link rel="icon" href="data:,"></head>
<body>
<img src="/missing.png" alt="">
<script>
  console.info("fine");
  console.error("something broke");
  console.assert(1 === 2, "one is not two");
</script>
<script>throw new Error("uncaught here")</script>
</body></html>"""


def html(text: str):
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=text, content_type="text/html")

    return handler


@pytest.fixture
async def site() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/", html(PAGE))
    app.router.add_get("/noisy", html(NOISY))
    async with serving(app) as base:
        yield base


async def test_a_quiet_page_reports_no_errors(browser: cdp.Browser, site: str) -> None:
    page = await browser.new_page()
    await page.goto(site + "/")
    assert await page.evaluate("document.getElementById('written').textContent") == "by a script"
    assert page.reports == [cdp.Report("console", "log", "hello 3")]
    assert page.errors == []


async def test_console_errors_exceptions_and_failed_loads_are_reported(
    browser: cdp.Browser, site: str
) -> None:
    page = await browser.new_page()
    await page.goto(site + "/noisy")
    errors = [(report.source, report.text) for report in page.errors]
    assert ("console", "something broke") in errors
    assert ("console", "one is not two") in errors
    assert any(s == "exception" and "uncaught here" in t for s, t in errors), errors
    assert any(s == "log" and "404" in t and "/missing.png" in t for s, t in errors), errors
    assert cdp.Report("console", "info", "fine") in page.reports
    assert len(page.errors) == 4


async def test_evaluate_returns_values_and_raises_what_throws(
    browser: cdp.Browser, site: str
) -> None:
    page = await browser.new_page()
    await page.goto(site + "/")
    assert await page.evaluate("1 + 2") == 3
    assert await page.evaluate("({a: [1, 'two', null], b: true})") == {
        "a": [1, "two", None],
        "b": True,
    }
    assert await page.evaluate("new Promise(done => setTimeout(() => done('later'), 10))") == (
        "later"
    )
    with pytest.raises(cdp.JavaScriptError, match="nope"):
        await page.evaluate("(() => { throw new Error('nope') })()")
    assert page.errors == []  # an evaluation's exception is its answer, not the page's


@pytest.mark.parametrize(
    ("width", "height", "mobile", "scale"),
    [(390, 844, True, 1), (1280, 900, False, 1), (390, 844, True, 2)],
)
async def test_viewport_and_screenshot_size(
    browser: cdp.Browser, site: str, width: int, height: int, mobile: bool, scale: int
) -> None:
    page = await browser.new_page()
    await page.set_viewport(width, height, mobile=mobile, scale=scale)
    await page.goto(site + "/")
    assert await page.evaluate("[innerWidth, innerHeight, devicePixelRatio]") == [
        width,
        height,
        scale,
    ]
    assert await page.evaluate("matchMedia('(pointer: coarse)').matches") is mobile
    assert png_size(await page.screenshot()) == (width * scale, height * scale)


async def test_colour_scheme(browser: cdp.Browser, site: str) -> None:
    page = await browser.new_page()
    await page.goto(site + "/")
    background = "getComputedStyle(document.body).backgroundColor"
    await page.set_color_scheme("dark")
    assert await page.evaluate(background) == "rgb(17, 17, 17)"
    assert await page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") is True
    await page.set_color_scheme("light")
    assert await page.evaluate(background) == "rgb(255, 255, 255)"


async def test_time_zone(browser: cdp.Browser, site: str) -> None:
    page = await browser.new_page()
    await page.set_timezone("Asia/Tokyo")
    await page.goto(site + "/")
    assert await page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == ("Asia/Tokyo")
    assert await page.evaluate("new Date(0).getHours()") == 9


async def test_javascript_off_and_on_again(browser: cdp.Browser, site: str) -> None:
    page = await browser.new_page()
    written = "document.getElementById('written').textContent"
    shown = "getComputedStyle(document.getElementById('without-scripts')).display"
    await page.set_javascript(False)
    await page.goto(site + "/")
    assert await page.evaluate(written) == "by the server"
    assert await page.evaluate(shown) == "block"
    assert page.reports == []  # the page's script never ran
    await page.set_javascript(True)
    await page.goto(site + "/")
    assert await page.evaluate(written) == "by a script"
    assert await page.evaluate("document.getElementById('without-scripts')") is None


async def test_a_script_of_the_test_runs_before_the_pages_own(
    browser: cdp.Browser, site: str
) -> None:
    page = await browser.new_page()
    await page.add_init_script(
        "window.seen = [];"
        "const log = console.log;"
        "console.log = (...args) => { window.seen.push(args.join(' ')); log(...args); };"
    )
    await page.goto(site + "/")
    assert await page.evaluate("window.seen") == ["hello 3"]
    await page.goto(site + "/noisy")  # and in every document after
    assert await page.evaluate("window.seen") == []


async def test_failures_raise_instead_of_hanging(browser: cdp.Browser) -> None:
    page = await browser.new_page()
    with pytest.raises(cdp.CdpError, match="ERR_CONNECTION_REFUSED"):
        await page.goto(f"http://127.0.0.1:{free_port()}/")
    with pytest.raises(cdp.CdpError, match="ERR_NAME_NOT_RESOLVED"):
        await page.goto("https://example.com/")  # no name resolves: no network
    with pytest.raises(cdp.CdpError, match=r"No\.Such\.Method"):
        await page.send("No.Such.Method")
    never = page.expect("Page.frameNavigated")  # nothing navigates
    with pytest.raises(TimeoutError, match="no such event"):
        await page.wait(never, timeout=0.5)


def live_members(group: int) -> list[int]:
    """Processes of the process group that still run (a zombie waiting for its parent
    to collect it is dead)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after ")"
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == group and state != "Z":
            members.append(int(entry.name))
    return members


async def test_the_browser_is_killed_even_when_the_block_fails(site: str) -> None:
    cdp.require()  # as the fixture does: this test launches its own browser
    with pytest.raises(RuntimeError, match="the test failed"):
        async with cdp.launch() as browser:
            page = await browser.new_page()
            await page.goto(site + "/")
            group = browser.process.pid
            assert live_members(group)  # the browser and its helpers
            raise RuntimeError("the test failed")
    assert browser.process.returncode == -signal.SIGKILL
    await until(lambda: not live_members(group), timeout=30)
    assert not browser.profile.exists()


async def test_a_browser_that_cannot_start_is_an_error_not_a_hang(tmp_path: Path) -> None:
    assert cdp.unavailable(tmp_path / "chromium") == f"{tmp_path / 'chromium'} is missing"
    quits = tmp_path / "quits"
    quits.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 3\n")
    assert cdp.unavailable(quits) == f"{quits} is not executable"
    quits.chmod(0o755)
    assert cdp.unavailable(quits) is None
    with pytest.raises(cdp.CdpError, match=r"exited with 3(.|\n)*cannot open display"):
        async with cdp.launch(quits):
            pass
