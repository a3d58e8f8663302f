"""bench.scheduler in a tiny configuration on PostgreSQL: every monitor checked, none
failed, and the figures that compare a check with a bare request are there."""

from __future__ import annotations

import pytest

from bench import scheduler
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres_only


async def test_the_bench_checks_every_monitor_and_compares_with_a_bare_loop(
    postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", postgres_server.admin_url)
    args = scheduler.parse_args(
        ["--monitors", "40", "--interval", "2", "--duration", "3", "--raw-seconds", "0.5",
         "--concurrency", "10"]
    )  # fmt: skip
    report = await scheduler.main_async(args)

    assert report["checks"] >= 40 and report["failed_checks"] == 0
    assert report["raw_checks_per_s"] > 0 and report["raw_cpu_ms_per_req"] > 0
    per_check = report["cpu_s_per_1000_checks"] + report["db_cpu_s_per_1000_checks"]
    assert report["cpu_ratio_to_raw"] == pytest.approx(
        per_check / report["raw_cpu_ms_per_req"], rel=0.05
    )
