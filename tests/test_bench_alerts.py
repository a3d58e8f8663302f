"""bench.alerts --mix in a tiny configuration: its report's fields, and every alert of
every kind of channel delivered once (grouped where the kind groups), none lost."""

from __future__ import annotations

import pytest

from bench import alerts
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres_only


async def test_the_mix_delivers_each_alert_of_each_kind_once(
    postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", postgres_server.admin_url)
    args = alerts.parse_args(
        ["--mix", "--alerts", "50", "--groups", "3", "--webhooks", "2", "--slack", "1",
         "--discord", "1", "--per-channel", "8"]
    )  # fmt: skip
    report = await alerts.main_async(args)

    assert report["alerts"] == report["delivered"] == 50 + 7 * 8
    assert report["duplicates"] == 0 and report["lost"] == 0
    assert {"rate_limited_429", "elapsed_s", "messages_per_s", "busiest_second"} <= set(report)
    kinds = report["kinds"]
    assert set(kinds) == {"private", "group", "webhook", "slack", "discord"}
    for name, kind in kinds.items():
        assert kind["delivered"] == kind["rows"], name
        assert kind["duplicates"] == 0 and kind["lost"] == 0, name
        assert {"per_s", "done_s", "messages"} <= set(kind), name
    assert kinds["private"]["rows"] == 50 and kinds["group"]["rows"] == 3 * 8
    # Eight alerts of one claim are one grouped message where the kind groups.
    assert kinds["group"]["messages"] < kinds["group"]["rows"]
    assert kinds["webhook"]["messages"] == kinds["webhook"]["rows"]
    assert kinds["webhook"]["bad_signatures"] == 0
    assert {"rate_limited_429", "busiest_group_minute"} <= set(kinds["group"])
