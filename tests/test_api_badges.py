"""A monitor's badge links through the REST API, served for real on loopback, on both
databases: `badges` in the monitor's representation (null until made, and reading
makes none), POST .../badge-token (made once, the same again after), POST
.../rotate-badge-token (the old URLs answer 404 at once), someone else's monitor not
found, the admin key, and every answer matching the OpenAPI document."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr

from core.badges import KINDS, well_formed
from db.models import Monitor
from tests.support.api import ADMIN_KEY, ApiClient, serving
from tests.test_api import monitor_of, user_with_key
from tests.test_api_push import conforms

V1 = "/api/v1"
PUBLIC = "https://uptime.example"  # where browsers reach this server (PUBLIC_URL)


@pytest.fixture
async def api(db, settings, probe):
    public = settings.model_copy(
        update={"api_access_token": SecretStr(ADMIN_KEY), "public_url": PUBLIC}
    )
    async with serving(public, probe) as client:
        yield client


def token_in(badges: dict) -> str:
    """The badge token the three URLs share, checking their shape."""
    tokens = set()
    for kind in KINDS:
        url = urlsplit(badges[kind])
        assert f"{url.scheme}://{url.netloc}" == PUBLIC
        _empty, badge, token, name = url.path.split("/")
        assert (badge, name) == ("badge", f"{kind}.svg")
        tokens.add(token)
    (token,) = tokens
    assert well_formed(token)
    return token


async def badge_status(api: ApiClient, token: str) -> int:
    return (await api.get(f"/badge/{token}/status.svg", key=None)).status


async def test_badge_links_are_made_on_request_and_rotated(api) -> None:
    ann, key = await user_with_key(1)
    monitor = await monitor_of(ann)
    path = f"{V1}/monitors/{monitor.id}"

    # Reading writes nothing: no links until asked for.
    read = await api.get(path, key)
    assert read.status == 200 and read.body["badges"] is None
    conforms("Monitor", read.body)
    listed = await api.get(f"{V1}/monitors", key)
    assert [m["badges"] for m in listed.body["items"]] == [None]
    assert (await Monitor.get(id=monitor.id)).badge_token is None

    made = await api.call("POST", f"{path}/badge-token", key)
    assert made.status == 200, made.body
    conforms("Monitor", made.body)
    token = token_in(made.body["badges"])
    assert (await Monitor.get(id=monitor.id)).badge_token == token
    assert await badge_status(api, token) == 200
    # Asked again: the same links (embedded badges keep working); reads show them too.
    again = await api.call("POST", f"{path}/badge-token", key)
    assert again.body["badges"] == made.body["badges"]
    assert (await api.get(path, key)).body["badges"] == made.body["badges"]

    rotated = await api.call("POST", f"{path}/rotate-badge-token", key)
    assert rotated.status == 200, rotated.body
    conforms("Monitor", rotated.body)
    new = token_in(rotated.body["badges"])
    assert new != token
    assert await badge_status(api, token) == 404
    assert await badge_status(api, new) == 200
    assert (await api.get(path, key)).body["badges"] == rotated.body["badges"]


async def test_someone_elses_monitor_is_not_found_and_the_admin_may(api) -> None:
    ann, _key = await user_with_key(1)
    _bob, bob_key = await user_with_key(2)
    monitor = await monitor_of(ann)
    path = f"{V1}/monitors/{monitor.id}"
    for action in ("badge-token", "rotate-badge-token"):
        refused = await api.call("POST", f"{path}/{action}", bob_key)
        assert refused.status == 404 and refused.error["code"] == "not_found", action
        missing = await api.call("POST", f"{V1}/monitors/99999/{action}", ADMIN_KEY)
        assert missing.status == 404
        unauthenticated = await api.call("POST", f"{path}/{action}", None)
        assert unauthenticated.status == 401
    assert (await Monitor.get(id=monitor.id)).badge_token is None

    by_admin = await api.call("POST", f"{path}/rotate-badge-token", ADMIN_KEY)
    assert by_admin.status == 200
    assert await badge_status(api, token_in(by_admin.body["badges"])) == 200
