"""A small Chrome DevTools Protocol client, for tests that drive a real browser.

Why our own: the browser libraries for Python (Playwright, pyppeteer) download a browser
of their own; this one drives the system's Debian `chromium`, started headless, over
the one websocket its DevTools protocol speaks, with aiohttp's websocket client.

- `launch()` starts Chromium headless with a throw-away profile, reads the port Chromium
  picked (`--remote-debugging-port=0`) from `<profile>/DevToolsActivePort`, connects to
  the browser's websocket and yields a `Browser`. On the way out, whatever happened,
  the browser's whole process group is killed and the profile removed.
- `Browser.new_page()` opens a tab and attaches to it as a flattened session: every
  command and event of every tab travels on the one websocket, naming its session.
- A `Page` navigates and waits for its load event, evaluates JavaScript, runs a script
  of the test's before the page's own, emulates a viewport, a colour scheme, a time
  zone, JavaScript turned off, takes PNG screenshots, and keeps what the page reported:
  console calls, uncaught exceptions and the browser's log (a resource that failed to
  load, a blocked request).

Every wait has a timeout, generous because CI shares a 2-core machine with other work,
and every wait is for an answer or an event, never for a fixed time.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

CHROMIUM = Path("/usr/bin/chromium")

START_TIMEOUT = 60.0  # from start to the DevTools websocket
COMMAND_TIMEOUT = 30.0  # one command's answer
LOAD_TIMEOUT = 60.0  # a navigation's load event
MAX_MESSAGE = 64 * 1024 * 1024  # a full-HD screenshot in base64 is a few MB

FLAGS = (
    "--headless=new",
    "--no-sandbox",  # containers and CI runners rarely allow Chromium's sandbox
    "--disable-gpu",
    "--disable-dev-shm-usage",  # a small /dev/shm would crash renderers
    "--remote-debugging-port=0",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",  # nothing but the tests' own requests
    # No name resolves: pages reach only the loopback addresses they are given, so a
    # test never touches the network and a page that loads from elsewhere fails loudly.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",  # screenshots without a scrollbar's width of grey
    "--mute-audio",
)


class CdpError(RuntimeError):
    """The browser answered a command with an error, or a navigation failed."""


class JavaScriptError(RuntimeError):
    """An expression given to `Page.evaluate` threw."""


def unavailable(executable: Path = CHROMIUM) -> str | None:
    """Why the browser cannot be started here, or None when it can."""
    if not executable.exists():
        return f"{executable} is missing"
    if not os.access(executable, os.X_OK):
        return f"{executable} is not executable"
    return None


def require() -> None:
    """Skip the calling test with the reason when the browser cannot run here; fail it
    instead under REQUIRE_BROWSER=1 (CI, where a skipped browser test would hide that
    it never ran)."""
    reason = unavailable()
    if reason is None:
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but the browser cannot run: {reason}")
    pytest.skip(f"no browser ({reason}); install Debian's chromium to run these")


class _Connection:
    """The browser's websocket: commands answered by id, events handed to the listener
    of their session (None: the browser itself)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[str, asyncio.Future[dict]]] = {}
        self._listeners: dict[str | None, Callable[[str, dict], None]] = {}
        self._reader = asyncio.get_running_loop().create_task(self._read())

    def listen(self, session_id: str | None, listener: Callable[[str, dict], None]) -> None:
        self._listeners[session_id] = listener

    async def send(
        self,
        method: str,
        params: dict | None = None,
        session_id: str | None = None,
        timeout: float = COMMAND_TIMEOUT,
    ) -> dict:
        if self._reader.done():
            raise ConnectionError(f"{method}: the browser's connection is closed")
        number = next(self._ids)
        answer: asyncio.Future[dict] = asyncio.get_running_loop().create_future()
        self._pending[number] = (method, answer)
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if session_id is not None:
            message["sessionId"] = session_id
        try:
            await self._ws.send_str(json.dumps(message))
            return await asyncio.wait_for(answer, timeout)
        except TimeoutError:
            raise TimeoutError(f"{method}: no answer within {timeout} s") from None
        finally:
            self._pending.pop(number, None)

    async def _read(self) -> None:
        try:
            async for frame in self._ws:
                if frame.type != aiohttp.WSMsgType.TEXT:
                    break
                self._dispatch(json.loads(frame.data))
        finally:
            for method, answer in self._pending.values():
                if not answer.done():
                    answer.set_exception(ConnectionError(f"{method}: the browser went away"))

    def _dispatch(self, message: dict) -> None:
        if "id" in message:
            method, answer = self._pending.get(message["id"], ("", None))
            if answer is None or answer.done():
                return
            if "error" in message:
                answer.set_exception(CdpError(f"{method}: {message['error']}"))
            else:
                answer.set_result(message.get("result", {}))
            return
        listener = self._listeners.get(message.get("sessionId"))
        if listener is not None:
            listener(message["method"], message.get("params", {}))

    async def close(self) -> None:
        await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@dataclass(frozen=True)
class Report:
    """One thing the page reported: `source` is `console` (a console.* call; `level`
    is its type: log, info, warning, error, assert...), `exception` (uncaught; level
    error) or `log` (the browser's own log, e.g. a resource that failed to load;
    `level` verbose, info, warning or error)."""

    source: str
    level: str
    text: str

    @property
    def is_error(self) -> bool:
        return self.level in ("error", "assert")


def _console_text(params: dict) -> str:
    parts = []
    for arg in params.get("args", []):
        value = arg.get("value", arg.get("description", arg.get("type", "")))
        parts.append(value if isinstance(value, str) else json.dumps(value))
    return " ".join(parts)


def _exception_text(details: dict) -> str:
    exception = details.get("exception") or {}
    return exception.get("description") or details.get("text", "")


@dataclass
class Page:
    """One tab, attached as a session of the browser's connection."""

    _connection: _Connection
    target_id: str
    session_id: str
    reports: list[Report] = field(default_factory=list)
    _waiters: list[tuple[str, asyncio.Future[dict]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._connection.listen(self.session_id, self._on_event)

    async def send(self, method: str, params: dict | None = None, **kw: Any) -> dict:
        return await self._connection.send(method, params, self.session_id, **kw)

    def _on_event(self, method: str, params: dict) -> None:
        if method == "Runtime.consoleAPICalled":
            self.reports.append(Report("console", params.get("type", ""), _console_text(params)))
        elif method == "Runtime.exceptionThrown":
            text = _exception_text(params.get("exceptionDetails", {}))
            self.reports.append(Report("exception", "error", text))
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            text = " ".join(filter(None, [entry.get("text", ""), entry.get("url", "")]))
            self.reports.append(Report("log", entry.get("level", ""), text))
        for name, future in list(self._waiters):
            if name == method and not future.done():
                future.set_result(params)
        self._waiters = [(n, f) for n, f in self._waiters if not f.done()]

    @property
    def errors(self) -> list[Report]:
        """What the page reported as an error: console.error and failed console.assert
        calls, uncaught exceptions, and the browser's errors (such as a 404 resource)."""
        return [report for report in self.reports if report.is_error]

    def expect(self, method: str) -> asyncio.Future[dict]:
        """A future for the next `method` event, registered now: call it before the
        command that causes the event, so the event cannot slip by in between."""
        future: asyncio.Future[dict] = asyncio.get_running_loop().create_future()
        self._waiters.append((method, future))
        return future

    async def wait(self, event: asyncio.Future[dict], timeout: float) -> dict:
        """The params of an event from `expect`; TimeoutError after `timeout` seconds."""
        try:
            return await asyncio.wait_for(event, timeout)
        except TimeoutError:
            raise TimeoutError(f"no such event within {timeout} s") from None

    async def goto(self, url: str, timeout: float = LOAD_TIMEOUT) -> None:
        """Navigate and wait for the load event (the document and its subresources)."""
        loaded = self.expect("Page.loadEventFired")
        answer = await self.send("Page.navigate", {"url": url})
        if answer.get("errorText"):
            loaded.cancel()
            raise CdpError(f"navigation to {url} failed: {answer['errorText']}")
        try:
            await self.wait(loaded, timeout)
        except TimeoutError:
            raise TimeoutError(f"{url} did not load within {timeout} s") from None

    async def evaluate(self, expression: str) -> Any:
        """The expression's value (JSON-like values come back as Python values; a
        promise is awaited). DevTools evaluates even while the page's own scripts are
        turned off."""
        answer = await self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in answer:
            raise JavaScriptError(_exception_text(answer["exceptionDetails"]))
        return answer["result"].get("value")

    async def add_init_script(self, source: str) -> None:
        """Run `source` in every document this page loads from now on, before the
        document's own scripts (to watch what they do)."""
        await self.send("Page.addScriptToEvaluateOnNewDocument", {"source": source})

    async def set_viewport(
        self, width: int, height: int, *, mobile: bool = False, scale: float = 1
    ) -> None:
        """Emulate a screen of width x height CSS pixels (`mobile`: a phone, which
        honours the page's viewport meta tag); screenshots are that size times `scale`."""
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile},
        )
        await self.send("Emulation.setTouchEmulationEnabled", {"enabled": mobile})

    async def set_color_scheme(self, scheme: str) -> None:
        """`dark` or `light`: what `prefers-color-scheme` matches."""
        await self.send(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
        )

    async def set_timezone(self, zone: str) -> None:
        """The visitor's time zone, an IANA name, as the page's scripts see it."""
        await self.send("Emulation.setTimezoneOverride", {"timezoneId": zone})

    async def set_javascript(self, enabled: bool) -> None:
        """Turn the page's own scripts off or on (from the next navigation on)."""
        await self.send("Emulation.setScriptExecutionDisabled", {"value": not enabled})

    async def screenshot(self) -> bytes:
        """What the viewport shows, as PNG."""
        answer = await self.send("Page.captureScreenshot", {"format": "png"})
        return base64.b64decode(answer["data"])

    async def close(self) -> None:
        await self._connection.send("Target.closeTarget", {"targetId": self.target_id})


@dataclass
class Browser:
    process: asyncio.subprocess.Process
    profile: Path  # removed when the browser is closed
    _connection: _Connection

    async def new_page(self) -> Page:
        """A new tab on about:blank, reporting its console, exceptions and log."""
        created = await self._connection.send("Target.createTarget", {"url": "about:blank"})
        attached = await self._connection.send(
            "Target.attachToTarget", {"targetId": created["targetId"], "flatten": True}
        )
        page = Page(self._connection, created["targetId"], attached["sessionId"])
        for domain in ("Page", "Runtime", "Log"):
            await page.send(f"{domain}.enable")
        return page


def _listening_address(profile: Path) -> str | None:
    """The browser's websocket address from the file Chromium writes once it listens
    (the port on the first line, the path on the second), or None while it is not
    written whole."""
    port_file = profile / "DevToolsActivePort"
    lines = port_file.read_text().split("\n") if port_file.exists() else []
    if len(lines) >= 2 and lines[0].isdigit() and lines[1].startswith("/devtools/"):
        return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
    return None


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


async def _devtools_address(
    process: asyncio.subprocess.Process, profile: Path, log: Path, timeout: float
) -> str:
    """Chromium signals nothing else when it listens, so its port file is looked at
    every 50 ms until it is complete, the browser exits or `timeout` passes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (address := _listening_address(profile)) is None:
        if process.returncode is not None:
            raise CdpError(f"the browser exited with {process.returncode}:\n{_tail(log)}")
        if loop.time() > deadline:
            raise CdpError(f"the browser did not listen within {timeout} s:\n{_tail(log)}")
        await asyncio.sleep(0.05)
    return address


async def _kill(process: asyncio.subprocess.Process) -> None:
    """Kill the browser and every process it started (its own process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(process.wait(), COMMAND_TIMEOUT)


@asynccontextmanager
async def launch(
    executable: Path = CHROMIUM, timeout: float = START_TIMEOUT
) -> AsyncIterator[Browser]:
    """Headless Chromium with a fresh profile; killed and its profile removed on exit,
    also when the block fails."""
    workdir = Path(tempfile.mkdtemp(prefix="cdp-"))
    profile = workdir / "profile"
    log = workdir / "browser.log"
    process = None
    try:
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                str(executable),
                *FLAGS,
                f"--user-data-dir={profile}",
                "about:blank",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as one
            )
        address = await _devtools_address(process, profile, log, timeout)
        async with aiohttp.ClientSession() as http:
            ws = await asyncio.wait_for(http.ws_connect(address, max_msg_size=MAX_MESSAGE), timeout)
            connection = _Connection(ws)
            try:
                yield Browser(process, profile, connection)
            finally:
                await connection.close()
    finally:
        if process is not None:
            await _kill(process)
        shutil.rmtree(workdir, ignore_errors=True)
