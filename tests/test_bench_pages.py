"""bench.pages in a tiny configuration, on SQLite (one process, no server needed), for
the page, its JSON and the badges: its report's fields, every request answered 200, and
the page read from the database far less often than it was asked for."""

from __future__ import annotations

import pytest

from bench import pages


@pytest.mark.parametrize("what", ["page", "json", "badge"])
async def test_the_bench_serves_the_page_and_reports(what: str) -> None:
    args = pages.parse_args(
        ["--what", what, "--sqlite", "--monitors", "5", "--rate", "40", "--duration", "1",
         "--connections", "4", "--checks-per-s", "1", "--interval", "30", "--baseline", "0.5"]
    )  # fmt: skip
    report = await pages.main_async(args)

    assert report["statuses"] == {"200": 40} and report["sent"] == 40
    assert report["database"] == "sqlite" and report["monitors"] == 5
    assert report["body_kb"] > 0 and report["latency_p99_ms"] > 0
    if what == "badge":
        assert report["path"].startswith("/badge/") and report["path"].endswith("/status.svg")
        assert report["page_reads"] == 0 and report["read_ms"] is None
    else:
        assert report["path"] == "/status/bench" + (".json" if what == "json" else "")
        assert report["page_reads"] <= 2  # the cache: one read per 5 s, not one per request
        assert report["read_ms"] > 0 and report["render_ms"] > 0
    assert report["checks_per_s"] > 0 and report["lag_p99_s"] is not None
    assert {"app_cpu_s_per_1000", "app_cpu_s_per_1000_net", "db_cpu_s_per_1000",
            "answered_per_s", "latency_p50_ms", "baseline_lag_p99_s"} <= set(report)  # fmt: skip
