"""Entry point: settings -> db -> bot + dispatcher -> scheduler -> web app -> polling | webhook.

Everything runs in one asyncio loop. ROLES picks the parts a process runs (all by
default; core/settings.ALL_ROLES): `ROLES=checker` only claims, checks and records,
`ROLES=api,bot,outbox` does the rest, so the checks can have cores of their own while
the front answers pings and people; the database is the only thing they share. Without
ROLES, on PostgreSQL, the process hands its checks to CHECKER_PROCESSES checker
processes it starts and supervises (core/checker_processes.py; one per core by default).

The bot's start (reaching Telegram, then polling or the webhook) runs on its own,
retried while Telegram is away (bot/startup.py): the scheduler, the API and the outbox
never wait for it. A token Telegram refuses (401) is a configuration error: the
service shuts down and exits with code 2.

Shutdown (SIGINT/SIGTERM) goes in reverse:
1. stop taking work: end polling, stop the scheduler (no new ticks start) and let
   the jobs running now end (cut short at a deadline: scheduler/runner.RunningJobs);
2. stop the web app (in-flight requests get a short grace period);
3. let the bot's updates in flight finish (bot/in_flight.py): their answers and
   state changes still go out, and their Redis locks are released;
4. stop the engine: unstarted checks go back to the queue, running ones get a moment
   to finish, and every buffered result is written; then the outbox worker: messages
   in flight finish, claimed but unsent notifications go back to the queue;
5. close the bot's HTTP session and conversation storage, then the database.
Each step has a deadline, so the whole shutdown ends within SHUTDOWN_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web

from api.app import create_app
from core.checker_processes import CheckerProcesses, checker_command
from core.logs import configure_logging
from core.probe import Probe
from core.runtime import Runtime, freeze_startup_objects
from core.settings import ALL_ROLES, ConfigError, Settings, load_settings
from db.connection import close_database, open_database
from db.migrate import upgrade
from db.urls import redact_url
from scheduler.engine import Engine
from scheduler.outbox import OutboxWorker
from scheduler.runner import create_scheduler, register_jobs

if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher

log = logging.getLogger("run")

SHUTDOWN_SECONDS = 5.0
RUN_PY = Path(__file__).resolve()
DEFAULT_WEBHOOK_PATH = "/telegram/webhook"


async def _start_web(app: web.Application, settings: Settings) -> web.AppRunner:
    runner = web.AppRunner(app, shutdown_timeout=1.0, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.api_host, settings.api_port)
    await site.start()
    log.info("web app listening on http://%s:%s", settings.api_host, settings.api_port)
    return runner


def webhook_target(settings: Settings) -> tuple[str, str]:
    """The webhook URL Telegram calls and the route serves (one value for both), and
    the secret it must send. Without WEBHOOK_SECRET the secret is derived from the bot
    token (the same on every replica, unknown to anyone without the token): an open
    webhook would take forged updates from anyone who can reach the port."""
    assert settings.webhook_url is not None
    url = settings.webhook_url
    if not urlsplit(url).path.strip("/"):
        url = url.rstrip("/") + DEFAULT_WEBHOOK_PATH
    if settings.webhook_secret is not None:
        return url, settings.webhook_secret.get_secret_value()
    assert settings.telegram_bot_token is not None
    token = settings.telegram_bot_token.get_secret_value().encode()
    return url, hmac.new(token, b"webhook-secret", hashlib.sha256).hexdigest()


async def _step(name: str, awaitable, timeout: float) -> None:
    """Run one shutdown step; a step that fails or overruns is logged, not fatal."""
    try:
        await asyncio.wait_for(awaitable, timeout)
    except Exception:
        log.exception("shutdown step %r failed", name)


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Run every part of the service until `stop` is set, then shut down in order."""
    applied = await upgrade(settings.database_url)
    if applied:
        log.info("applied migrations: %s", ", ".join(applied))
    await open_database(settings.database_url)
    log.info("database: %s", redact_url(settings.database_url))

    roles = settings.roles
    checkers = None
    if beside := settings.checker_processes_beside():
        roles = roles - {"checker"}  # the checks go to processes of their own
        checkers = CheckerProcesses(beside, checker_command(RUN_PY))
        await checkers.start()
    if roles != ALL_ROLES:
        log.info("roles: %s", ", ".join(sorted(roles)))
    probe = Probe()
    runtime = Runtime(settings=settings, probe=probe)
    app = create_app(runtime) if "api" in roles else None
    bot = dispatcher = None
    if settings.telegram_bot_token is None:
        if "bot" in roles:
            log.warning("TELEGRAM_BOT_TOKEN is not set: the bot is off; the other parts run")
    elif roles & {"bot", "outbox"}:  # the outbox sends through a Bot of its own
        from bot.setup import create_bot, create_dispatcher

        bot = create_bot(settings)
        if "bot" in roles:
            dispatcher = create_dispatcher(runtime)
        if dispatcher is not None and settings.webhook_url:
            from aiogram.webhook.aiohttp_server import SimpleRequestHandler

            assert app is not None  # Settings refuses a webhook bot without the api role
            webhook_url, webhook_secret = webhook_target(settings)
            SimpleRequestHandler(dispatcher, bot, secret_token=webhook_secret).register(
                app, path=urlsplit(webhook_url).path
            )

    engine = Engine(settings, probe, slots=runtime.slots) if "checker" in roles else None
    if engine is not None:
        await engine.start()
        log.info("engine started: %d checks at once at most", settings.check_concurrency)
    outbox = None
    if "outbox" in roles:  # Telegram joins once it has answered (start_bot)
        outbox = OutboxWorker(settings)
        await outbox.start()
    scheduler = create_scheduler()
    housekeeping = settings if roles != {"checker"} else None  # rollups, retention
    jobs = register_jobs(scheduler, engine, outbox, housekeeping)
    scheduler.start()
    runner = await _start_web(app, settings) if app is not None else None

    # The bot starts on its own: Telegram being away must not hold up monitoring.
    starting = (
        asyncio.create_task(start_bot(bot, dispatcher, settings, outbox), name="bot.start")
        if bot is not None
        else None
    )
    polling: asyncio.Task | None = None
    failure: BaseException | None = None

    freeze_startup_objects()
    stopped = asyncio.create_task(stop.wait())
    waiting = {stopped} | ({starting} if starting else set())
    while True:
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        waiting -= done
        if starting in done:
            if starting.exception() is not None:
                failure = starting.exception()
                break
            polling = starting.result()
            if polling is not None:
                waiting.add(polling)
        if polling in done:
            if not polling.cancelled() and polling.exception() is not None:
                log.error("polling stopped: %s", polling.exception())
            break
        if stopped in done:
            break
    log.info("shutting down")
    if checkers is not None:  # they shut down beside this process, from now on
        await checkers.terminate()

    loop = asyncio.get_running_loop()
    deadline = loop.time() + SHUTDOWN_SECONDS - 0.5

    def left(share: float) -> float:
        return max(0.1, (deadline - loop.time()) * share)

    if starting is not None and not starting.done():
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
    if polling is not None and not polling.done():
        await _step("polling", dispatcher.stop_polling(), left(0.2))
        await _step("polling task", asyncio.shield(polling), left(0.2))
    await _step("scheduler", jobs.shut_down(scheduler, left(0.2)), left(0.3))
    if runner is not None:
        await _step("web app", runner.cleanup(), left(0.3))
    if dispatcher is not None:
        from bot.in_flight import finish_updates

        await _step("updates in flight", finish_updates(dispatcher, left(0.3)), left(0.5))
    if engine is not None:
        await _step("engine", engine.stop(timeout=left(0.6)), left(0.7))
    if checkers is not None:  # each ends within its own SHUTDOWN_SECONDS of the SIGTERM
        await _step("checker processes", checkers.stop(timeout=left(1.0) + 1.0), left(1.0) + 1.5)
    if outbox is not None:
        await _step("outbox", outbox.stop(timeout=left(0.5)), left(0.6))
    await _step("probe", probe.close(), left(0.3))
    if bot is not None:
        await _step("bot session", bot.session.close(), left(0.5))
    if dispatcher is not None:
        await _step("conversation storage", dispatcher.storage.close(), left(0.5))
    await _step("database", close_database(), left(1.0))
    stopped.cancel()
    if failure is not None:
        raise failure
    log.info("stopped")


async def start_bot(
    bot: Bot, dispatcher: Dispatcher | None, settings: Settings, outbox: OutboxWorker | None
) -> asyncio.Task | None:
    """Reach Telegram (retrying while it is away, bot/startup.py), then hand the bot to
    the outbox (with the outbox role); with the bot role, register the command menu and
    set the webhook or start polling (the polling task is returned)."""
    from bot.setup import allowed_updates, register_commands
    from bot.startup import until_telegram_answers

    async def reach() -> str | None:
        me = await bot.me()  # cached: start_polling does not ask again
        if dispatcher is not None and settings.webhook_url:
            webhook_url, webhook_secret = webhook_target(settings)
            await bot.set_webhook(
                webhook_url,
                secret_token=webhook_secret,
                allowed_updates=allowed_updates(dispatcher),
            )
        return me.username

    username = await until_telegram_answers(reach, settings.telegram_retry_max_seconds)
    if outbox is not None:
        outbox.use_telegram(bot, username)
    if dispatcher is None:
        return None
    await register_commands(bot)
    if settings.webhook_url:
        log.info("bot: webhook mode")
        return None
    log.info("bot: long polling")
    return asyncio.create_task(
        dispatcher.start_polling(
            bot,
            handle_signals=False,
            close_bot_session=False,
            allowed_updates=allowed_updates(dispatcher),
        )
    )


async def main_async(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await serve(settings, stop)


def event_loop_runner() -> asyncio.Runner:
    """uvloop where it is installed (the `fast` extra): measured with bench/scheduler.py
    it costs about 5-10% less CPU per check; the standard loop elsewhere."""
    try:
        import uvloop
    except ImportError:
        log.info("event loop: asyncio")
        return asyncio.Runner()
    log.info("event loop: uvloop")
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(
        settings.loglevel, settings.secret_values(), settings.db_echo, settings.log_format
    )
    try:
        with contextlib.suppress(KeyboardInterrupt), event_loop_runner() as runner:
            runner.run(main_async(settings))
    except ConfigError as exc:  # found out only by running: a token Telegram refuses
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the database or the listening port cannot be reached
        log.error("start-up failed: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
