"""CHECKER_PROCESSES: checker processes started and kept running beside the main one.

One process is one core: the checks (claim, probe, record) are most of the work, so on
PostgreSQL the main process can hand them to N processes of their own (run.py with
ROLES=checker, the deployment that `docker compose --scale checker=N` makes by hand) and
keep the rest (API, pings, the bot, the outbox). The database is the queue, so the
checkers need nothing from the main process or each other.

Supervision, one task per checker:
1. Start `python run.py` with ROLES=checker and CHECKER_PROCESSES=1 (a checker never
   starts checkers of its own), the environment otherwise the main process's; on
   Linux it gets SIGTERM when the main process dies, even by kill -9.
2. Wait for it to exit. An exit while the service runs is a crash: log it with the
   exit status, wait, start it again. The wait doubles from RESTART_MIN to RESTART_MAX
   while it keeps dying young, and starts over once it has run for HEALTHY_AFTER, so a
   checker that cannot start (the database gone) does not spin. Its claims are not
   lost: their rows are already scheduled again (db/claims.py).
3. At shutdown, SIGTERM every checker first, so they shut down while the main process
   does (each as run.py does: unstarted claims go back, buffered results are written,
   within its own SHUTDOWN_SECONDS), and SIGKILL one that has not ended by then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from core.clock import Clock, SystemClock

log = logging.getLogger("checkers")

RESTART_MIN = 1.0
RESTART_MAX = 30.0
HEALTHY_AFTER = 60.0


def checker_command(run_py: Path) -> list[str]:
    """The command that starts one checker: this interpreter, the same run.py."""
    return [sys.executable, str(run_py)]


def checker_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env["ROLES"] = "checker"
    env["CHECKER_PROCESSES"] = "1"
    return env


def _end_with_parent() -> None:
    """In the child before it runs: Linux sends it SIGTERM when the main process dies,
    however it dies (a kill -9 too), so no checker outlives the service."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class CheckerProcesses:
    """N checker processes, restarted when they die (module doc)."""

    def __init__(
        self,
        count: int,
        command: Sequence[str],
        env: dict[str, str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.count = count
        self.command = list(command)
        self.env = checker_environment(env)
        self.clock = clock or SystemClock()
        self.processes: list[asyncio.subprocess.Process | None] = [None] * count
        self.restarts = 0
        self._tasks: list[asyncio.Task] = []
        self._stopping = False

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._running()]

    async def start(self) -> None:
        for slot in range(self.count):
            await self._spawn(slot)
            self._tasks.append(asyncio.create_task(self._keep(slot), name=f"checker.{slot}"))
        log.info("started %d checker processes: pids %s", self.count, self.pids)

    async def _spawn(self, slot: int) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            *self.command, env=self.env, preexec_fn=_end_with_parent
        )
        self.processes[slot] = process
        return process

    async def _keep(self, slot: int) -> None:
        """Step 2 of the module doc, for one checker."""
        delay = RESTART_MIN
        while True:
            process = self.processes[slot]
            assert process is not None
            started = self.clock.monotonic()
            status = await process.wait()
            if self._stopping:
                return
            lived = self.clock.monotonic() - started
            if lived >= HEALTHY_AFTER:
                delay = RESTART_MIN
            log.error(
                "checker process %d exited with status %s after %.0f s; restarting in %.0f s",
                process.pid, status, lived, delay,
            )  # fmt: skip
            await self.clock.sleep(delay)
            if self._stopping:
                return
            delay = min(delay * 2, RESTART_MAX)
            new = await self._spawn(slot)
            self.restarts += 1
            log.info("checker process %d started in place of %d", new.pid, process.pid)

    async def terminate(self) -> None:
        """Step 3's start: stop restarting and send every checker SIGTERM, so that they
        shut down while the main process does."""
        if self._stopping:
            return
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for process in self._running():
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)

    async def stop(self, timeout: float) -> None:
        """Step 3 of the module doc: SIGTERM (unless `terminate` sent it), then wait
        `timeout` seconds before killing what still runs."""
        await self.terminate()
        running = self._running()
        waiting = asyncio.gather(*(p.wait() for p in running))
        try:
            await asyncio.wait_for(asyncio.shield(waiting), timeout)
        except TimeoutError:
            for process in running:
                if process.returncode is None:
                    log.error("checker process %d did not stop in time: killed", process.pid)
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
            await waiting

    def _running(self) -> list[asyncio.subprocess.Process]:
        return [p for p in self.processes if p is not None and p.returncode is None]
