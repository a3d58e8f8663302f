"""CHECKER_PROCESSES: checker processes started beside the main one and kept running."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.checker_processes import RESTART_MAX, RESTART_MIN, CheckerProcesses
from core.clock import ManualClock
from core.settings import ConfigError, load_settings
from tests.support.http import free_port
from tests.support.service import start_service
from tests.support.wait import until

PG = "postgres://postgres@127.0.0.1:5432/x"
SQLITE = "sqlite:///tmp/x.sqlite3"


def beside(**variables) -> int:
    return load_settings(_env_file=None, **variables).checker_processes_beside()


def test_how_many_checker_processes_start_beside_the_main_one() -> None:
    assert beside(database_url=SQLITE) == 0  # one process on SQLite
    assert beside(database_url=PG) == (os.cpu_count() if (os.cpu_count() or 1) > 1 else 0)
    assert beside(database_url=PG, checker_processes=3) == 3
    assert beside(database_url=PG, checker_processes=1) == 0  # this process checks
    # ROLES set: the deployment runs its checkers itself (compose, several machines).
    assert beside(database_url=PG, checker_processes=3, roles="api,bot,outbox") == 0
    assert beside(database_url=PG, checker_processes=3, roles="checker") == 0


def test_more_than_one_checker_process_on_sqlite_is_refused_with_one_line() -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(_env_file=None, database_url=SQLITE, checker_processes=2)
    assert str(refused.value).startswith("CHECKER_PROCESSES: more than one needs PostgreSQL")
    with pytest.raises(ConfigError, match="CHECKER_PROCESSES"):
        load_settings(_env_file=None, database_url=PG, checker_processes=0)


async def test_a_checker_that_keeps_dying_is_restarted_ever_more_slowly() -> None:
    """Real processes that exit at once; the waits between restarts on the manual clock."""
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    dying = CheckerProcesses(1, [sys.executable, "-c", "raise SystemExit(3)"], clock=clock)
    await dying.start()
    waits = []
    for _ in range(7):
        await until(lambda: clock.pending == 1, timeout=30)  # exited, waiting to restart
        due = clock.next_due()
        assert due is not None
        waits.append((due - clock.now()).total_seconds())
        restarts = dying.restarts
        await clock.advance_to(due)
        await until(lambda n=restarts: dying.restarts == n + 1, timeout=30)
    await dying.stop(timeout=5)
    assert waits == [RESTART_MIN, 2, 4, 8, 16, RESTART_MAX, RESTART_MAX]


async def test_stop_ends_checkers_with_sigterm_and_kills_one_that_will_not_end(
    tmp_path: Path,
) -> None:
    def child(name: str, ignore_sigterm: bool) -> list[str]:
        ready = tmp_path / name  # written once its signal handling is set
        code = (
            "import pathlib, signal, time;"
            + (" signal.signal(signal.SIGTERM, signal.SIG_IGN);" if ignore_sigterm else "")
            + f" pathlib.Path({str(ready)!r}).touch(); time.sleep(60)"
        )
        return [sys.executable, "-c", code]

    checkers = CheckerProcesses(1, child("polite", False))
    stuck = CheckerProcesses(1, child("stubborn", True))
    await checkers.start()
    await stuck.start()
    await until(lambda: (tmp_path / "polite").exists() and (tmp_path / "stubborn").exists(),
                timeout=30)  # fmt: skip
    await checkers.stop(timeout=10)
    await stuck.stop(timeout=1)
    assert checkers.processes[0].returncode == -signal.SIGTERM
    assert stuck.processes[0].returncode == -signal.SIGKILL
    assert checkers.restarts == stuck.restarts == 0


@pytest.mark.parametrize("dialect", ["postgres"])
async def test_checker_processes_check_are_restarted_and_end_with_the_service(
    fresh_db_url: str, tmp_path: Path
) -> None:
    """The one real-time run: run.py with CHECKER_PROCESSES=2 starts two checkers that
    check (the main process does not), one killed with -9 comes back, and SIGTERM to the
    main process ends them all."""
    from db.connection import close_database, open_database
    from db.models import CheckLog, Monitor, User

    service = await start_service(
        tmp_path, DATABASE_URL=fresh_db_url, CHECKER_PROCESSES="2", ALLOW_PRIVATE_TARGETS="true"
    )
    try:
        await service.wait_healthy()
        await until(lambda: "started 2 checker processes" in service.text, timeout=30)
        pids = [int(p) for p in re.findall(r"started 2 checker processes: pids \[(\d+), (\d+)\]",
                                           service.text)[0]]  # fmt: skip
        assert "roles: api, bot, outbox" in service.text
        await until(lambda: service.text.count("engine started") == 2, timeout=60)

        await open_database(fresh_db_url)
        owner = await User.create(telegram_id=5, language="en")
        monitor = await Monitor.create(
            owner=owner, name="closed", url=f"http://127.0.0.1:{free_port()}/",
            interval_seconds=30, retry_interval_seconds=30, next_check_at=datetime.now(UTC),
        )  # fmt: skip

        async def checked() -> int:
            return await CheckLog.filter(monitor_id=monitor.id).count()

        for _ in range(300):
            if await checked():
                break
            await asyncio.sleep(0.1)
        assert await checked() == 1

        os.kill(pids[0], signal.SIGKILL)
        await until(lambda: f"checker process {pids[0]} exited with status -9" in service.text,
                    timeout=30)  # fmt: skip
        await until(lambda: f"in place of {pids[0]}" in service.text, timeout=30)
        await until(lambda: service.text.count("engine started") == 3, timeout=60)
        replacement = int(re.search(rf"checker process (\d+) started in place of {pids[0]}",
                                    service.text)[1])  # fmt: skip
        await Monitor.filter(id=monitor.id).update(next_check_at=datetime.now(UTC))
        for _ in range(300):
            if await checked() == 2:
                break
            await asyncio.sleep(0.1)
        assert await checked() == 2
        await close_database()
    finally:
        code, _ = await service.stop(signal.SIGTERM)
    assert code == 0, service.text
    for pid in (pids[1], replacement):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # ended with the service (and reaped by it)
    assert "Traceback" not in service.text
