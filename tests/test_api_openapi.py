"""The OpenAPI document against the implementation.

1. Every /api/v1 and /badge route the app serves is in the document, with its method,
   and the document describes nothing the app does not serve.
2. schemathesis generates requests from the document (valid and invalid ones) against
   run.py running as a real process on SQLite, with the admin key and with a user's
   key, and checks every response: no 5xx, a documented status code and content type,
   and a body that matches the documented schema. The number of examples per
   operation is bounded so the run stays within a CI budget.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from api.openapi import document
from core.settings import Settings
from tests.support.http import free_port
from tests.support.service import RUN_PY, clean_env

ADMIN_KEY = "schemathesis-admin-key"
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15"))
MIN_INTERVAL = 30
DOCUMENT = document(MIN_INTERVAL)
# The routes the document describes: the API, the public badges and the public status
# pages (/status and /status/ without a slug are only a 404 page).
DOCUMENTED_PREFIXES = ("/api/v1", "/badge/", "/status/{slug}")


def test_every_route_is_documented_and_nothing_else() -> None:
    from tests.support.api import app_of

    app = app_of(Settings(_env_file=None))
    served = {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource.canonical.startswith(DOCUMENTED_PREFIXES) and route.method != "HEAD"
    }
    documented = {
        (method, path)
        for path, item in DOCUMENT["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert served == documented


def test_secrets_are_documented_write_only() -> None:
    """A webhook's secret is in the answer that creates it and nowhere else; what reads
    a channel says only whether it has one, and monitors show their channels."""
    schemas = DOCUMENT["components"]["schemas"]
    with_secret = sorted(name for name, schema in schemas.items()
                         if "secret" in schema.get("properties", {}))  # fmt: skip
    assert with_secret == ["ChannelCreated"]
    assert "secret" not in schemas["ChannelCreated"]["required"]
    assert "has_secret" in schemas["Channel"]["required"]
    created = DOCUMENT["paths"]["/api/v1/channels"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ChannelCreated"
    }
    for variant in schemas["Monitor"]["oneOf"]:
        assert {"channel_ids", "custom_channels"} <= set(variant["required"])
    for name in ("MonitorCreate", "MonitorPatch"):
        for variant in schemas[name].get("oneOf") or schemas[name]["anyOf"]:
            assert "channel_ids" in variant["properties"]


async def _seed(db_url: str) -> str:
    """A user with a key and a monitor, an incident, a window and a webhook channel (with
    the private chat every user has), so reads find things."""
    from datetime import UTC, datetime, timedelta

    from core.api_tokens import create_token
    from db.connection import close_database, open_database
    from db.models import Channel, Incident, MaintenanceWindow, Monitor, User

    await open_database(db_url)
    try:
        user = await User.create(telegram_id=1)
        _row, key = await create_token(user)
        monitor = await Monitor.create(owner=user, name="seed", url="https://93.184.216.34/")
        await Channel.create(
            owner=user, kind="webhook", target="https://93.184.216.34/hook", is_default=False,
            settings={"secret": "seed-secret"},
        )  # fmt: skip
        now = datetime.now(UTC)
        await Incident.create(monitor=monitor, started_at=now - timedelta(hours=1), cause="dns")
        await MaintenanceWindow.create(
            owner=user, monitor=monitor, starts_at=now, ends_at=now + timedelta(hours=1)
        )
    finally:
        await close_database()
    return key


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """run.py serving the API on SQLite; yields its base URL and a user's key."""
    folder: Path = tmp_path_factory.mktemp("schemathesis")
    db_url = f"sqlite://{folder / 'db.sqlite3'}"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(RUN_PY)],
        cwd=folder,
        env=clean_env(
            DATABASE_URL=db_url,
            API_PORT=str(port),
            API_ACCESS_TOKEN=ADMIN_KEY,
            DEFAULT_MONITOR_QUOTA="1000",
            MIN_INTERVAL_SECONDS=str(MIN_INTERVAL),
            LOGLEVEL="WARNING",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError("the service did not start") from None
                time.sleep(0.1)
        yield base, asyncio.run(_seed(db_url))
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
        assert b"Traceback" not in err, err.decode()


# The document is a constant: no server is needed to load it (the lazy fixture loader
# of schemathesis 4.32 does not work with pytest 9).
schema = schemathesis.openapi.from_dict(DOCUMENT)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.unsupported_method,  # a 405 with Allow naming the methods the path serves
    checks.allow_header_conformance,
]


HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@schema.parametrize()
@HYPOTHESIS
def test_with_the_admin_key_every_response_conforms(case, service: tuple[str, str]) -> None:
    case.call_and_validate(base_url=service[0], headers={"X-API-KEY": ADMIN_KEY}, checks=CHECKS)


@schema.parametrize()
@HYPOTHESIS
def test_with_a_user_key_every_response_conforms(case, service: tuple[str, str]) -> None:
    case.call_and_validate(base_url=service[0], headers={"X-API-KEY": service[1]}, checks=CHECKS)
