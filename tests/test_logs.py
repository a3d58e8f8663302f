"""What the log shows at the default level: our events, not the libraries' routine."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from core.logs import LIBRARY_LOGGERS, configure_logging
from scheduler.runner import create_scheduler


@pytest.fixture
def configured(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """configure_logging as run.py calls it, with caplog's handler kept on the root;
    every level it changes is put back afterwards."""
    root = logging.getLogger()
    names = [*LIBRARY_LOGGERS, "tortoise.db_client"]
    saved = root.handlers[:], root.level, {n: logging.getLogger(n).level for n in names}
    configure_logging("INFO", [])
    root.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        root.handlers[:], level, levels = saved
        root.setLevel(level)
        for name, value in levels.items():
            logging.getLogger(name).setLevel(value)


async def test_at_info_apscheduler_writes_nothing_per_job_run(configured) -> None:
    runs = 0

    async def job() -> None:
        nonlocal runs
        runs += 1

    scheduler = create_scheduler()
    scheduler.add_job(job, "interval", seconds=0.05, id="often")
    scheduler.start()
    try:
        for _ in range(200):
            if runs >= 3:
                break
            await asyncio.sleep(0.05)
    finally:
        scheduler.shutdown(wait=False)
    assert runs >= 3
    logging.getLogger("run").info("our own line")
    assert [r.name for r in configured.records if r.name.startswith("apscheduler")] == []
    assert [r.getMessage() for r in configured.records] == ["our own line"]


def test_at_debug_the_libraries_speak_again(configured) -> None:
    configure_logging("DEBUG", [])
    assert logging.getLogger("apscheduler").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("tortoise.db_client").isEnabledFor(logging.DEBUG)  # DB_ECHO
    configure_logging("INFO", [], db_echo=True)
    assert logging.getLogger("tortoise.db_client").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("aiogram").isEnabledFor(logging.INFO)
