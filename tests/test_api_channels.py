"""The alert channels of the REST API, served for real on loopback, on both databases:
CRUD, who may see and touch what, the webhook secret shown once, test alerts through
the outbox, monitors' channel_ids, and bad input of every kind (a clear 4xx that
changes nothing). Hosts resolve from a table (DNS is outside the test machine);
private addresses are refused as in production unless the owner is an admin."""

from __future__ import annotations

import json
import socket

import pytest

from core import channels as core_channels
from core.channels import MAX_CHANNELS
from core.targets import is_ip_literal
from db.models import (
    Channel,
    Monitor,
    MonitorChannel,
    Notification,
    NotificationKind,
    NotificationStatus,
    User,
)
from tests.support.api import ADMIN_KEY, serving
from tests.support.bot_harness import ADMIN, PUBLIC_URL, tr
from tests.test_api import strict, user_with_key  # noqa: F401 (a fixture)

V1 = "/api/v1"
HOOK = "https://hooks.example/alert"
SLACK = "https://hooks.slack.com/services/T000/B000/XXXX"
DISCORD = "https://discord.com/api/webhooks/123/abc"
DNS = {
    "hooks.example": ["93.184.216.34"],  # public, never contacted
    "hooks.slack.com": ["93.184.216.35"],
    "discord.com": ["93.184.216.36"],
    "intranet.example": ["10.0.0.5"],
    "mixed.example": ["93.184.216.34", "192.168.1.1"],
}


async def table_dns(host: str, _port: int) -> list[str]:
    """DNS from the table; an IP address is itself, as getaddrinfo answers."""
    if is_ip_literal(host):
        return [host]
    if host not in DNS:
        raise OSError(socket.EAI_NONAME, "Name or service not known")
    return DNS[host]


@pytest.fixture
async def api(db, strict, probe):  # noqa: F811 (the fixture imported above)
    async with serving(strict, probe, table_dns) as client:
        yield client


CHANNEL_COLUMNS = ("id", "owner_id", "kind", "target", "name", "enabled", "is_default",
                   "disabled_reason", "settings")  # fmt: skip


async def rows() -> tuple:
    """What a refused request must leave as it was."""
    channels = await Channel.all().order_by("id").values_list(*CHANNEL_COLUMNS)
    links = await MonitorChannel.all().order_by("id").values_list("monitor_id", "channel_id")
    monitors = await Monitor.all().order_by("id").values_list("id", "name", "custom_channels")
    notifications = await Notification.all().values_list("id", flat=True)
    return channels, links, monitors, sorted(notifications)


async def private_chat_of(user: User) -> Channel:
    chat = await core_channels.private_chat(user)
    assert chat is not None
    return chat


async def new_channel(api, key: str, kind: str = "webhook", target: str = HOOK, **more) -> dict:
    reply = await api.call("POST", f"{V1}/channels", key, {"kind": kind, "target": target, **more})
    assert reply.status == 201, reply.body
    return reply.body


# --- CRUD -------------------------------------------------------------------------------


async def test_create_list_get_patch_delete(api) -> None:
    ann, key = await user_with_key(1)
    chat = await private_chat_of(ann)
    listed = await api.get(f"{V1}/channels", key)
    assert listed.status == 200 and listed.body["next_cursor"] is None
    assert listed.body["items"] == [
        {
            "id": chat.id, "owner_id": ann.id, "owner_telegram_id": 1, "kind": "telegram",
            "target": "1", "thread_id": None, "name": "", "enabled": True, "is_default": True,
            "verified": True, "disabled_reason": None, "has_secret": False,
            "created_at": listed.body["items"][0]["created_at"], "last_used_at": None,
            "last_error": None, "last_error_at": None,
        }
    ]  # fmt: skip

    created = await new_channel(api, key, name="  Ops   hook ", is_default=True)
    assert created["kind"] == "webhook" and created["target"] == HOOK
    assert created["name"] == "Ops hook" and created["is_default"] and created["enabled"]
    assert created["has_secret"] and len(created["secret"]) >= 32
    stored = await Channel.get(id=created["id"])
    assert stored.owner_id == ann.id and stored.settings == {"secret": created["secret"]}
    one = await api.get(f"{V1}/channels/{created['id']}", key)
    assert one.status == 200
    assert one.body == {name: value for name, value in created.items() if name != "secret"}

    slack = await new_channel(api, key, "slack", SLACK)
    discord = await new_channel(api, key, "discord", DISCORD, name="Dev")
    for made in (slack, discord):
        assert "secret" not in made and not made["has_secret"] and not made["is_default"]
    listed = await api.get(f"{V1}/channels", key)
    assert [c["id"] for c in listed.body["items"]] == [chat.id, created["id"], slack["id"],
                                                       discord["id"]]  # fmt: skip
    page = await api.get(f"{V1}/channels", key, limit="2")
    assert [c["id"] for c in page.body["items"]] == [chat.id, created["id"]]
    rest = await api.get(f"{V1}/channels", key, cursor=page.body["next_cursor"])
    assert [c["id"] for c in rest.body["items"]] == [slack["id"], discord["id"]]

    patched = await api.call(
        "PATCH", f"{V1}/channels/{created['id']}", key,
        {"name": "Renamed", "enabled": False, "is_default": False},
    )  # fmt: skip
    assert patched.status == 200
    assert (patched.body["name"], patched.body["enabled"], patched.body["is_default"]) == (
        "Renamed", False, False,
    )  # fmt: skip
    cleared = await api.call("PATCH", f"{V1}/channels/{created['id']}", key, {"name": ""})
    assert cleared.body["name"] == "" and not cleared.body["enabled"]
    unchanged = await api.call("PATCH", f"{V1}/channels/{created['id']}", key, {})
    assert unchanged.status == 200 and unchanged.body == cleared.body

    deleted = await api.call("DELETE", f"{V1}/channels/{discord['id']}", key)
    assert deleted.status == 204 and not await Channel.exists(id=discord["id"])
    assert (await api.get(f"{V1}/channels/{discord['id']}", key)).status == 404


async def test_enabling_a_channel_clears_why_it_was_off(api) -> None:
    _ann, key = await user_with_key(1)
    made = await new_channel(api, key)
    assert await core_channels.disable_channel(made["id"], "410 Gone")
    off = await api.get(f"{V1}/channels/{made['id']}", key)
    assert not off.body["enabled"] and off.body["disabled_reason"] == "410 Gone"
    assert off.body["last_error"] == "410 Gone" and off.body["last_error_at"] is not None
    on = await api.call("PATCH", f"{V1}/channels/{made['id']}", key, {"enabled": True})
    assert on.body["enabled"] and on.body["disabled_reason"] is None
    assert on.body["last_error"] == "410 Gone"  # the history stays
    stored = await Channel.get(id=made["id"])
    assert stored.enabled and stored.disabled_reason is None


async def test_the_webhook_secret_is_shown_once(api) -> None:
    _ann, key = await user_with_key(1)
    made = await new_channel(api, key)
    secret = made["secret"]
    answers = [
        await api.get(f"{V1}/channels", key),
        await api.get(f"{V1}/channels"),  # the admin key
        await api.get(f"{V1}/channels/{made['id']}", key),
        await api.call("PATCH", f"{V1}/channels/{made['id']}", key, {"name": "x"}),
        await api.call("POST", f"{V1}/channels/{made['id']}/test", key),
    ]
    for answer in answers:
        assert answer.status < 300
        assert secret not in json.dumps(answer.body)
    assert (await api.get(f"{V1}/channels/{made['id']}", key)).body["has_secret"] is True
    again = await new_channel(api, key)
    assert again["secret"] != secret  # each webhook its own


async def test_the_private_chat_cannot_be_deleted_but_can_be_turned_off(api) -> None:
    ann, key = await user_with_key(1)
    chat = await private_chat_of(ann)
    for caller in (key, ADMIN_KEY):
        refused = await api.call("DELETE", f"{V1}/channels/{chat.id}", caller)
        assert refused.status == 409 and refused.error["code"] == "channel_private_chat"
        assert refused.error["message"] == tr(
            "en", "Your private chat with the bot cannot be deleted; you can turn it off instead."
        )
    assert await Channel.exists(id=chat.id)
    off = await api.call("PATCH", f"{V1}/channels/{chat.id}", key, {"enabled": False})
    assert off.status == 200 and not off.body["enabled"]


async def test_deleting_a_channel_drops_what_is_queued_for_it(api) -> None:
    _ann, key = await user_with_key(1)
    made = await new_channel(api, key)
    queued = await api.call("POST", f"{V1}/channels/{made['id']}/test", key)
    assert await Notification.exists(id=queued.body["notification_id"])
    assert (await api.call("DELETE", f"{V1}/channels/{made['id']}", key)).status == 204
    assert not await Notification.exists(id=queued.body["notification_id"])


async def test_the_channel_quota(api) -> None:
    ann, key = await user_with_key(1)
    await Channel.bulk_create(
        [Channel(owner_id=ann.id, kind="webhook", target=HOOK) for _ in range(MAX_CHANNELS - 1)]
    )
    before = await rows()
    refused = await api.call("POST", f"{V1}/channels", key, {"kind": "webhook", "target": HOOK})
    assert refused.status == 409 and refused.error["code"] == "channel_quota"
    assert str(MAX_CHANNELS) in refused.error["message"]
    assert await rows() == before


# --- test alerts ------------------------------------------------------------------------


async def test_a_test_alert_is_queued_in_the_outbox(api) -> None:
    ann, key = await user_with_key(1)
    made = await new_channel(api, key, name="Ops")
    reply = await api.call("POST", f"{V1}/channels/{made['id']}/test", key)
    assert reply.status == 202 and set(reply.body) == {"notification_id"}
    queued = await Notification.get(id=reply.body["notification_id"])
    assert queued.kind == NotificationKind.TEST and queued.status == NotificationStatus.PENDING
    assert queued.alert_channel_id == made["id"] and queued.user_id == ann.id
    assert queued.channel == "webhook" and queued.payload == {"channel_name": "Ops"}
    chat = await private_chat_of(ann)
    by_admin = await api.call("POST", f"{V1}/channels/{chat.id}/test")
    assert by_admin.status == 202
    assert (await Notification.get(id=by_admin.body["notification_id"])).channel == "telegram"


async def test_a_disabled_channel_gets_no_test(api) -> None:
    _ann, key = await user_with_key(1)
    made = await new_channel(api, key)
    await api.call("PATCH", f"{V1}/channels/{made['id']}", key, {"enabled": False})
    before = await rows()
    refused = await api.call("POST", f"{V1}/channels/{made['id']}/test", key)
    assert refused.status == 422 and refused.error["code"] == "channel_disabled"
    assert refused.error["message"] == f"Channel {made['id']} is turned off. Turn it on first."
    assert await rows() == before


# --- who sees what ----------------------------------------------------------------------


async def test_someone_elses_channel_is_not_found_anywhere(api) -> None:
    ann, ann_key = await user_with_key(1)
    bob, bob_key = await user_with_key(2)
    theirs = await new_channel(api, bob_key)
    bob_chat = await private_chat_of(bob)
    missing = await api.get(f"{V1}/channels/2000000", ann_key)
    assert missing.status == 404
    before = await rows()
    for channel_id in (theirs["id"], bob_chat.id):
        for method, path, body in (
            ("GET", "", None),
            ("PATCH", "", {"name": "mine now", "enabled": False}),
            ("DELETE", "", None),
            ("POST", "/test", None),
        ):
            reply = await api.call(method, f"{V1}/channels/{channel_id}{path}", ann_key, body)
            assert (reply.status, reply.body) == (404, missing.body), (method, path)
    assert await rows() == before
    listed = await api.get(f"{V1}/channels", ann_key)
    assert [c["owner_id"] for c in listed.body["items"]] == [ann.id]
    # Naming an owner is the admin key's.
    refused = await api.get(f"{V1}/channels", ann_key, owner_id=str(bob.id))
    assert refused.status == 403 and refused.error["code"] == "admin_only"
    # A user key creates for itself only.
    other = await api.call(
        "POST", f"{V1}/channels", ann_key,
        {"kind": "webhook", "target": HOOK, "owner_telegram_id": 2},
    )  # fmt: skip
    assert other.status == 422 and other.error["code"] == "owner_forbidden"
    assert await rows() == before


async def test_the_admin_key_sees_and_changes_every_channel(api) -> None:
    _ann, ann_key = await user_with_key(1)
    bob, bob_key = await user_with_key(2)
    mine = await new_channel(api, ann_key)
    theirs = await new_channel(api, bob_key)
    everything = await api.get(f"{V1}/channels")
    owners = {c["id"]: c["owner_telegram_id"] for c in everything.body["items"]}
    assert owners[mine["id"]] == 1 and owners[theirs["id"]] == 2 and len(owners) == 4
    bobs = await api.get(f"{V1}/channels", owner_id=str(bob.id))
    assert {c["owner_id"] for c in bobs.body["items"]} == {bob.id}
    assert theirs["id"] in {c["id"] for c in bobs.body["items"]}
    assert (await api.get(f"{V1}/channels", owner_id="2000000")).body["items"] == []
    patched = await api.call("PATCH", f"{V1}/channels/{theirs['id']}", ADMIN_KEY, {"name": "B"})
    assert patched.status == 200 and patched.body["name"] == "B"
    # The admin key names the owner of what it creates.
    unnamed = await api.call("POST", f"{V1}/channels", ADMIN_KEY, {"kind": "webhook",
                                                                  "target": HOOK})  # fmt: skip
    assert unnamed.status == 422 and unnamed.error["fields"] == {
        "owner_telegram_id": "The admin key must name the owner."
    }
    for_bob = await new_channel(api, ADMIN_KEY, owner_telegram_id=2)
    assert for_bob["owner_id"] == bob.id
    assert (await api.call("DELETE", f"{V1}/channels/{theirs['id']}")).status == 204


# --- private addresses ------------------------------------------------------------------


async def test_private_webhooks_only_for_admins_or_when_allowed(api, strict, probe) -> None:  # noqa: F811
    _ann, key = await user_with_key(1)
    admin, admin_key = await user_with_key(ADMIN)
    local = "http://127.0.0.1:9/hook"
    before = await rows()
    for caller, body in (
        (key, {"kind": "webhook", "target": local}),
        # The admin key creating for an ordinary user: the owner's rule.
        (ADMIN_KEY, {"kind": "webhook", "target": local, "owner_telegram_id": 1}),
    ):
        refused = await api.call("POST", f"{V1}/channels", caller, body)
        assert refused.status == 422 and refused.error["code"] == "private_address"
        assert set(refused.error["fields"]) == {"target"}
    assert await rows() == before
    assert (await new_channel(api, admin_key, target=local))["target"] == local
    for_admin = await new_channel(
        api, ADMIN_KEY, target="http://10.0.0.5/", owner_telegram_id=ADMIN
    )
    assert for_admin["owner_id"] == admin.id
    open_to_all = strict.model_copy(update={"allow_private_targets": True})
    async with serving(open_to_all, probe, table_dns) as relaxed:
        assert (await new_channel(relaxed, key, target=local))["target"] == local


# --- bad input --------------------------------------------------------------------------

TOO_LONG = "https://hooks.example/" + "a" * 2048


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"kind": "telegram", "target": "12345"}, 422, "channel_kind", "kind"),
        ({"kind": "email", "target": "a@example.com"}, 422, "channel_kind", "kind"),
        ({"kind": "sms", "target": HOOK}, 422, "channel_kind", "kind"),
        ({"kind": "webhook", "target": "http://10.0.0.5/x"}, 422, "private_address", "target"),
        ({"kind": "webhook", "target": "http://127.0.0.1:8080/"}, 422, "private_address",
         "target"),
        ({"kind": "webhook", "target": "http://[::1]/"}, 422, "private_address", "target"),
        ({"kind": "webhook", "target": "https://intranet.example/"}, 422, "private_address",
         "target"),
        ({"kind": "webhook", "target": "https://mixed.example/"}, 422, "private_address",
         "target"),
        ({"kind": "webhook", "target": "ftp://hooks.example/x"}, 422, "url_scheme", "target"),
        ({"kind": "webhook", "target": "file:///etc/passwd"}, 422, "url_scheme", "target"),
        ({"kind": "webhook", "target": TOO_LONG}, 422, "url_too_long", "target"),
        ({"kind": "webhook", "target": ""}, 422, "url_empty", "target"),
        ({"kind": "webhook", "target": "https://user:pw@hooks.example/"}, 422,
         "url_credentials", "target"),
        ({"kind": "webhook", "target": "https://nowhere.example/"}, 422, "dns", "target"),
        ({"kind": "slack", "target": "https://hooks.example/services/x"}, 422, "slack_url",
         "target"),
        ({"kind": "slack", "target": "http://hooks.slack.com/services/x"}, 422, "slack_url",
         "target"),
        ({"kind": "slack", "target": "https://hooks.slack.com/other/x"}, 422, "slack_url",
         "target"),
        ({"kind": "discord", "target": "https://discord.com/other/1/x"}, 422, "discord_url",
         "target"),
        ({"kind": "discord", "target": "https://hooks.example/api/webhooks/1/x"}, 422,
         "discord_url", "target"),
        ({"kind": "discord", "target": SLACK}, 422, "discord_url", "target"),
        ({"kind": "webhook", "target": HOOK, "name": "a\x07b"}, 422, "name_invalid", "name"),
        ({"kind": "webhook", "target": HOOK, "name": "a\u202eb"}, 422, "name_invalid", "name"),
        ({"kind": "webhook", "target": HOOK, "name": "x" * 129}, 422, "name_too_long", "name"),
        ({"kind": "webhook", "target": HOOK, "name": "a\x00b"}, 422, "field_text", "name"),
        ({"kind": "webhook", "target": HOOK, "name": 5}, 422, "field_type", "name"),
        ({"kind": "webhook", "target": HOOK, "is_default": "yes"}, 422, "field_type",
         "is_default"),
        ({"kind": "webhook", "target": ["https://hooks.example/"]}, 422, "field_type", "target"),
        ({"kind": "webhook", "target": HOOK, "secret": "mine"}, 422, "unknown_field", "secret"),
        ({"kind": "webhook", "target": HOOK, "enabled": False}, 422, "unknown_field",
         "enabled"),
        ({"kind": "webhook"}, 422, "field_missing", "target"),
        ({"target": HOOK}, 422, "field_missing", "kind"),
        ([{"kind": "webhook", "target": HOOK}], 400, "invalid_json", None),
        ("webhook", 400, "invalid_json", None),
        (None, 400, "invalid_json", None),
    ],
)  # fmt: skip
async def test_bad_channels_are_refused_and_change_nothing(api, body, status, code, field):
    _ann, key = await user_with_key(1)
    before = await rows()
    reply = await api.call("POST", f"{V1}/channels", key, body)
    assert (reply.status, reply.error["code"]) == (status, code), reply.body
    assert list(reply.error["fields"]) == ([field] if field else [])
    assert reply.error["message"]
    assert await rows() == before


async def test_refusals_come_in_the_callers_language(api) -> None:
    _ann, key = await user_with_key(1)
    reply = await api.call(
        "POST", f"{V1}/channels", key, {"kind": "email", "target": "a@example.com"},
        headers={"Accept-Language": "de"},
    )  # fmt: skip
    english = (
        "Choose webhook, slack or discord. Telegram chats and email addresses are added in the bot."
    )
    assert reply.error["message"] == tr("de", english) != english
    assert reply.error["fields"] == {"kind": tr("de", english)}


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"name": "a\x07b", "enabled": False}, 422, "name_invalid", "name"),
        ({"name": "x" * 129, "is_default": True}, 422, "name_too_long", "name"),
        ({"enabled": "no"}, 422, "field_type", "enabled"),
        ({"is_default": 1}, 422, "field_type", "is_default"),
        ({"name": None}, 422, "field_type", "name"),
        ({"target": "https://hooks.example/other"}, 422, "unknown_field", "target"),
        ({"kind": "slack"}, 422, "unknown_field", "kind"),
        ({"secret": "x"}, 422, "unknown_field", "secret"),
        ([], 400, "invalid_json", None),
    ],
)  # fmt: skip
async def test_bad_patches_are_refused_and_change_nothing(api, body, status, code, field):
    _ann, key = await user_with_key(1)
    made = await new_channel(api, key, name="Ops")
    before = await rows()
    reply = await api.call("PATCH", f"{V1}/channels/{made['id']}", key, body)
    assert (reply.status, reply.error["code"]) == (status, code), reply.body
    assert list(reply.error["fields"]) == ([field] if field else [])
    assert await rows() == before


@pytest.mark.parametrize("path", ["/channels/2147483648", "/channels/abc", "/channels/-1",
                                  "/channels/٣", "/channels/2147483648/test"])  # fmt: skip
async def test_ids_that_name_nothing(api, path) -> None:
    _ann, key = await user_with_key(1)
    method = "POST" if path.endswith("/test") else "GET"
    reply = await api.call(method, V1 + path, key)
    assert reply.status == 404 and reply.error["code"] == "not_found"


async def test_bad_list_parameters(api) -> None:
    for params in ({"owner_id": "x"}, {"owner_id": "2147483648"}, {"limit": "0"},
                   {"cursor": "!"}):  # fmt: skip
        reply = await api.get(f"{V1}/channels", **params)
        assert reply.status == 400 and reply.error["code"] == "invalid_parameter", params


# --- monitors' channels -----------------------------------------------------------------


async def test_a_monitor_follows_the_defaults_until_given_its_own(api) -> None:
    ann, key = await user_with_key(1)
    chat = await private_chat_of(ann)
    hook = await new_channel(api, key)
    plain = await api.call("POST", f"{V1}/monitors", key, {"url": PUBLIC_URL})
    assert plain.status == 201
    assert plain.body["channel_ids"] == [chat.id] and plain.body["custom_channels"] is False
    # A channel made a default one is alerted from then on by monitors without a list.
    await api.call("PATCH", f"{V1}/channels/{hook['id']}", key, {"is_default": True})
    again = await api.get(f"{V1}/monitors/{plain.body['id']}", key)
    assert again.body["channel_ids"] == [chat.id, hook["id"]]

    own = await api.call(
        "POST", f"{V1}/monitors", key,
        {"url": PUBLIC_URL, "name": "own", "channel_ids": [hook["id"], hook["id"]]},
    )  # fmt: skip
    assert own.status == 201
    assert own.body["channel_ids"] == [hook["id"]] and own.body["custom_channels"] is True
    assert await MonitorChannel.filter(monitor_id=own.body["id"]).count() == 1

    path = f"{V1}/monitors/{own.body['id']}"
    both = await api.call("PATCH", path, key, {"channel_ids": [chat.id, hook["id"]], "name": "b"})
    assert both.status == 200 and both.body["channel_ids"] == [chat.id, hook["id"]]
    assert both.body["name"] == "b"
    none = await api.call("PATCH", path, key, {"channel_ids": []})
    assert none.body["channel_ids"] == [] and none.body["custom_channels"] is True
    reset = await api.call("PATCH", path, key, {"channel_ids": None})
    assert reset.body["custom_channels"] is False
    assert reset.body["channel_ids"] == [chat.id, hook["id"]]  # the defaults now
    assert not await MonitorChannel.filter(monitor_id=own.body["id"]).exists()
    untouched = await api.call("PATCH", path, key, {"name": "c"})
    assert untouched.body["custom_channels"] is False

    # What a monitor alerts now: a disabled channel of its list is left out.
    await api.call("PATCH", path, key, {"channel_ids": [hook["id"]]})
    await api.call("PATCH", f"{V1}/channels/{hook['id']}", key, {"enabled": False})
    shown = await api.get(path, key)
    assert shown.body["channel_ids"] == [] and shown.body["custom_channels"] is True
    # Every answer that shows a monitor shows its channels.
    paused = await api.call("POST", f"{path}/pause", key)
    assert paused.body["channel_ids"] == [] and paused.body["custom_channels"] is True


async def test_listing_monitors_reads_their_channels_in_one_query(api, monkeypatch) -> None:
    ann, key = await user_with_key(1)
    chat = await private_chat_of(ann)
    hook = await new_channel(api, key)
    for n in range(3):
        body = {"url": PUBLIC_URL, "name": f"m{n}"}
        if n == 1:
            body["channel_ids"] = [hook["id"]]
        assert (await api.call("POST", f"{V1}/monitors", key, body)).status == 201
    calls = []
    real = core_channels.routes_of

    async def counted(monitor_ids, conn=None):
        calls.append(list(monitor_ids))
        return await real(monitor_ids, conn)

    monkeypatch.setattr(core_channels, "routes_of", counted)
    listed = await api.get(f"{V1}/monitors", key)
    assert [m["channel_ids"] for m in listed.body["items"]] == [[chat.id], [hook["id"]],
                                                                [chat.id]]  # fmt: skip
    assert len(calls) == 1 and len(calls[0]) == 3
    calls.clear()
    page = await api.get(f"{V1}/monitors", key, limit="2")
    assert len(page.body["items"]) == 2 and len(calls) == 1 and len(calls[0]) == 2


@pytest.mark.parametrize(
    ("channel_ids", "status", "code"),
    [
        ("foreign", 422, "channel_unknown"),
        ("missing", 422, "channel_unknown"),
        ("disabled", 422, "channel_disabled"),
        ("mixed", 422, "channel_unknown"),
        ("too_many", 422, "channel_too_many"),
        ("text", 422, "field_type"),
        ("bools", 422, "field_type"),
        ("fraction", 422, "field_type"),
        ("huge", 422, "field_range"),
    ],
)
async def test_bad_channel_ids_are_refused_and_change_nothing(api, channel_ids, status, code):
    ann, key = await user_with_key(1)
    _bob, bob_key = await user_with_key(2)
    chat = await private_chat_of(ann)
    theirs = await new_channel(api, bob_key)
    off = await new_channel(api, key)
    await api.call("PATCH", f"{V1}/channels/{off['id']}", key, {"enabled": False})
    monitor = await api.call("POST", f"{V1}/monitors", key, {"url": PUBLIC_URL, "name": "m"})
    refused_id = {"foreign": theirs["id"], "missing": 2000000, "disabled": off["id"],
                  "mixed": theirs["id"]}.get(channel_ids)  # fmt: skip
    sent = {
        "foreign": [theirs["id"]],
        "missing": [chat.id, 2000000],
        "disabled": [off["id"]],
        "mixed": [chat.id, theirs["id"], off["id"]],
        "too_many": list(range(1, MAX_CHANNELS + 2)),
        "text": "1",
        "bools": [True],
        "fraction": [1.5],
        "huge": [2**31],
    }[channel_ids]
    before = await rows()
    for method, path, body in (
        ("POST", f"{V1}/monitors", {"url": PUBLIC_URL, "name": "new", "channel_ids": sent}),
        ("PATCH", f"{V1}/monitors/{monitor.body['id']}", {"name": "new", "channel_ids": sent}),
    ):
        reply = await api.call(method, path, key, body)
        assert (reply.status, reply.error["code"]) == (status, code), (method, reply.body)
        assert list(reply.error["fields"]) == ["channel_ids"]
        if refused_id is not None:
            assert str(refused_id) in reply.error["message"]
        assert await rows() == before, method


async def test_a_monitors_channels_are_checked_for_the_admin_key_too(api) -> None:
    _ann, key = await user_with_key(1)
    _bob, bob_key = await user_with_key(2)
    theirs = await new_channel(api, bob_key)
    before = await rows()
    reply = await api.call(
        "POST", f"{V1}/monitors", ADMIN_KEY,
        {"url": PUBLIC_URL, "owner_telegram_id": 1, "channel_ids": [theirs["id"]]},
    )  # fmt: skip
    assert reply.status == 422 and reply.error["code"] == "channel_unknown"
    assert await rows() == before
    mine = await new_channel(api, key)
    made = await api.call(
        "POST", f"{V1}/monitors", ADMIN_KEY,
        {"url": PUBLIC_URL, "owner_telegram_id": 1, "channel_ids": [mine["id"]]},
    )  # fmt: skip
    assert made.status == 201 and made.body["channel_ids"] == [mine["id"]]
