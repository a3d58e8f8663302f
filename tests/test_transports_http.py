"""The HTTP channel transports (scheduler/transports/) against real local servers.

An aiohttp app on 127.0.0.1 plays the webhook receiver (it checks the signature over
the raw body, as a receiver should), Slack and Discord: each path answers what a test
asks for (a status, a body, headers), or answers slowly, or streams without end. Every
request it gets is recorded, so a test also sees what was NOT sent (the SSRF guard).
Times a test waits on (a 429's pause) run on a ManualClock: no real sleeps.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import jsonschema_rs
import pytest

from api.openapi import document
from core.clock import ManualClock
from core.delivery import Outcome, Result
from scheduler.transports import TRANSPORTS
from scheduler.transports.base import AlertItem, ChannelTarget
from scheduler.transports.discord import DiscordTransport
from scheduler.transports.http import BODY_LIMIT, HttpRequest, HttpTransport, json_body
from scheduler.transports.slack import SlackTransport
from scheduler.transports.webhook import WebhookTransport, event, sign, verify
from tests.support.http import free_port
from tests.support.receiver import SECRET, Reply

CREATED = datetime(2026, 12, 1, 12, 0, 5, tzinfo=UTC)

# Payloads as core/recording.py (_Batch.notify, _apply_effects) writes them.
BASE = {"monitor_id": 7, "name": "Shop", "url": "https://shop.example/"}
DOWN = {
    **BASE,
    "cause": "http_status",
    "error": "HTTP 503 Service Unavailable",
    "message": "HTTP 503 Service Unavailable",
    "details": None,
    "status_code": 503,
    "since": "2026-12-01T11:55:00+00:00",
    "failed_checks": 3,
}
UP = {
    **BASE,
    "cause": "http_status",
    "since": "2026-12-01T11:55:00+00:00",
    "resolved_at": "2026-12-01T12:00:00+00:00",
    "downtime_seconds": 300,
    "failed_checks": 5,
}
REMINDER = {
    **BASE,
    "cause": "timeout",
    "error": "no complete response in time",
    "since": "2026-12-01T11:00:00+00:00",
    "down_seconds": 3600,
}
CERT = {
    **BASE,
    "threshold_days": 14,
    "days_left": 10,
    "expires_at": "2026-12-11T09:30:00+00:00",
}
PAYLOADS = {"down": DOWN, "up": UP, "reminder": REMINDER, "cert_expiring": CERT, "test": {}}


def item(kind: str = "down", payload: dict | None = None, notification_id: int = 41) -> AlertItem:
    chosen = PAYLOADS[kind] if payload is None else payload
    return AlertItem(notification_id, kind, chosen, CREATED)


def channel(url: str, kind: str = "webhook", **fields: Any) -> ChannelTarget:
    values: dict[str, Any] = {
        "id": 1,
        "kind": kind,
        "target": url,
        "settings": {"secret": SECRET},
        "language": "en",
        "zone": None,
        "allow_private": True,  # the stand-ins live on 127.0.0.1
    }
    return ChannelTarget(**(values | fields))


# --- the stand-in servers ---------------------------------------------------------


@pytest.fixture
async def build() -> AsyncIterator[Callable[..., Any]]:
    """Makes transports (a class and its options), closed at the end of the test."""
    made: list[HttpTransport] = []

    def new(cls: type[HttpTransport], **options: Any) -> Any:
        made.append(cls(**options))
        return made[-1]

    yield new
    for transport in made:
        await transport.close()


@pytest.fixture
def webhook(build) -> WebhookTransport:
    return build(WebhookTransport)


@pytest.fixture
def slack(build) -> SlackTransport:
    return build(SlackTransport)


@pytest.fixture
def discord(build) -> DiscordTransport:
    return build(DiscordTransport)


# --- the protocol and the registry -------------------------------------------------


def test_the_registry_names_each_kind_once_under_its_own_name() -> None:
    assert {"telegram", "email", "webhook", "slack", "discord", "ntfy"} == set(TRANSPORTS)
    assert all(cls.kind == kind for kind, cls in TRANSPORTS.items())
    assert TRANSPORTS["webhook"] is WebhookTransport
    assert {kind: cls.GROUPS for kind, cls in TRANSPORTS.items()} == {
        "telegram": True,
        "email": True,
        "webhook": False,
        "slack": True,
        "discord": True,
        "ntfy": True,
    }


# --- the webhook: the event, its signature ----------------------------------------


async def test_a_webhook_event_arrives_signed_with_its_headers(receiver, webhook) -> None:
    url = receiver.answer("/hook", Reply(204, b""))
    outcome = await webhook.deliver(channel(url), [item("down", notification_id=41)])
    assert outcome == Outcome.sent()
    (got,) = receiver.received
    assert got.signature_ok  # the receiver checked it over the raw body
    assert got.body == json_body(event(item("down", notification_id=41)))
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["User-Agent"].startswith("uptime-monitor/")
    assert got.headers["X-Uptime-Event"] == "down"
    assert got.headers["X-Uptime-Delivery"] == "41"
    assert got.headers["X-Uptime-Signature"] == sign(SECRET, got.body)


def test_verify_refuses_a_tampered_body_a_wrong_secret_and_no_signature() -> None:
    body = json_body(event(item("up")))
    signature = sign(SECRET, body)
    assert signature.startswith("sha256=") and len(signature) == len("sha256=") + 64
    assert verify(SECRET, body, signature)
    assert not verify(SECRET, body.replace(b'"up"', b'"down"'), signature)
    assert not verify(SECRET, body + b" ", signature)
    assert not verify("another secret", body, signature)
    assert not verify(SECRET, body, None)


async def test_a_channel_without_a_secret_sends_unsigned(receiver, webhook) -> None:
    url = receiver.answer("/hook")
    assert (await webhook.deliver(channel(url, settings={}), [item("up")])).result == Result.SENT
    assert "X-Uptime-Signature" not in receiver.received[0].headers


EXPECTED_EVENTS = {
    "down": {
        "event": "down",
        "monitor": {"id": 7, "name": "Shop", "url": "https://shop.example/", "kind": None},
        "incident": {
            "id": None,
            "started_at": "2026-12-01T11:55:00+00:00",
            "resolved_at": None,
            "cause": "http_status",
            "failed_checks": 3,
            "downtime_seconds": None,
        },
        "check": {
            "cause": "http_status",
            "error": "HTTP 503 Service Unavailable",
            "message": "HTTP 503 Service Unavailable",
            "status_code": 503,
            "details": None,
        },
        "certificate": None,
    },
    "up": {
        "event": "up",
        "monitor": {"id": 7, "name": "Shop", "url": "https://shop.example/", "kind": None},
        "incident": {
            "id": None,
            "started_at": "2026-12-01T11:55:00+00:00",
            "resolved_at": "2026-12-01T12:00:00+00:00",
            "cause": "http_status",
            "failed_checks": 5,
            "downtime_seconds": 300,
        },
        "check": None,
        "certificate": None,
    },
    "reminder": {
        "event": "reminder",
        "monitor": {"id": 7, "name": "Shop", "url": "https://shop.example/", "kind": None},
        "incident": {
            "id": None,
            "started_at": "2026-12-01T11:00:00+00:00",
            "resolved_at": None,
            "cause": "timeout",
            "failed_checks": None,
            "downtime_seconds": 3600,
        },
        "check": {
            "cause": "timeout",
            "error": "no complete response in time",
            "message": None,
            "status_code": None,
            "details": None,
        },
        "certificate": None,
    },
    "cert_expiring": {
        "event": "certificate",
        "monitor": {"id": 7, "name": "Shop", "url": "https://shop.example/", "kind": None},
        "incident": None,
        "check": None,
        "certificate": {
            "expires_at": "2026-12-11T09:30:00+00:00",
            "days_left": 10,
            "threshold_days": 14,
        },
    },
    "test": {
        "event": "test",
        "monitor": None,
        "incident": None,
        "check": None,
        "certificate": None,
    },
}


@pytest.mark.parametrize("kind", list(EXPECTED_EVENTS))
async def test_the_event_holds_the_payloads_facts(receiver, webhook, kind: str) -> None:
    url = receiver.answer("/hook")
    assert (await webhook.deliver(channel(url), [item(kind, notification_id=9)])).result == "sent"
    got = receiver.received[0]
    assert got.signature_ok
    assert got.headers["X-Uptime-Event"] == EXPECTED_EVENTS[kind]["event"]
    assert got.json() == {
        "version": 1,
        "id": 9,
        "time": "2026-12-01T12:00:05+00:00",
        **EXPECTED_EVENTS[kind],
    }


@pytest.mark.parametrize("kind", list(EXPECTED_EVENTS))
def test_every_event_validates_against_the_documented_schema(kind: str) -> None:
    doc = document(60)
    schema = {"$ref": "#/components/schemas/WebhookEvent", "components": doc["components"]}
    validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
    body = json.loads(json_body(event(item(kind))))
    errors = [str(e) for e in validator.iter_errors(body)]
    assert not errors, errors[:3]
    # A push monitor's never-finished run: details carry its start.
    push = {**DOWN, "cause": "never_finished", "details": {"started_at": DOWN["since"]}}
    assert validator.is_valid(json.loads(json_body(event(item("down", push)))))
    assert not validator.is_valid({**body, "event": "exploded"})


# --- what answers mean --------------------------------------------------------------

R = Result


@pytest.mark.parametrize(
    ("reply", "result"),
    [
        (Reply(200, b"ok"), R.SENT),
        (Reply(202, b""), R.SENT),
        (Reply(204, b""), R.SENT),
        (Reply(410, b"gone"), R.DISABLE_CHANNEL),
        (Reply(404, b"no such hook"), R.DEAD),  # a generic receiver's 404 may be a typo
        (Reply(400, b"bad"), R.DEAD),
        (Reply(401, b"who are you"), R.DEAD),
        (Reply(403, b"no"), R.DEAD),
        (Reply(408, b""), R.RETRY),
        (Reply(425, b""), R.RETRY),
        (Reply(500, b"oops"), R.RETRY),
        (Reply(503, b""), R.RETRY),
        (Reply(302, b"", {"Location": "/elsewhere"}), R.DEAD),
    ],
)
async def test_webhook_answers(receiver, webhook, reply: Reply, result: Result) -> None:
    url = receiver.answer("/hook", reply)
    outcome = await webhook.deliver(channel(url), [item()])
    assert outcome.result == result
    assert [r.path for r in receiver.received] == ["/hook"]  # a redirect is not followed
    if result != R.SENT:
        assert str(reply.status) in (outcome.error or "")


async def test_a_429_waits_as_retry_after_says_in_seconds_or_as_a_date(receiver, build) -> None:
    clock = ManualClock(CREATED)
    webhook = build(WebhookTransport, clock=clock)
    later = format_datetime(clock.now() + timedelta(seconds=120), usegmt=True)
    first = receiver.answer("/a", Reply(429, b"slow down", {"Retry-After": "7"}))
    second = receiver.answer("/b", Reply(429, b"", {"Retry-After": later}))
    third = receiver.answer("/c", Reply(429, b"", {"retry-after": "11"}))  # as proxies write it
    fourth = receiver.answer("/d", Reply(429, b""))
    assert await webhook.deliver(channel(first), [item()]) == Outcome(
        R.RATE_LIMITED, "HTTP 429: slow down", retry_after=7.0
    )
    assert (await webhook.deliver(channel(second), [item()])).retry_after == 120.0
    assert (await webhook.deliver(channel(third), [item()])).retry_after == 11.0
    assert (await webhook.deliver(channel(fourth), [item()])).retry_after == 5.0  # unsaid


@pytest.mark.parametrize(
    ("reply", "result"),
    [
        (Reply(200, b"ok"), R.SENT),
        (Reply(404, b"no_service"), R.DISABLE_CHANNEL),
        (Reply(404, b""), R.DISABLE_CHANNEL),  # the webhook was deleted
        (Reply(403, b"channel_is_archived"), R.DISABLE_CHANNEL),
        (Reply(403, b"invalid_token"), R.DISABLE_CHANNEL),
        (Reply(410, b"no_active_hooks"), R.DISABLE_CHANNEL),
        (Reply(403, b"action_prohibited"), R.DEAD),
        (Reply(400, b"invalid_payload"), R.DEAD),
        (Reply(500, b"rollup_error"), R.RETRY),
        (Reply(429, b"rate_limited", {"Retry-After": "3"}), R.RATE_LIMITED),
    ],
)
async def test_slack_answers(receiver, slack, reply: Reply, result: Result) -> None:
    url = receiver.answer("/services/T0/B0/x", reply)
    assert (await slack.deliver(channel(url, "slack"), [item()])).result == result


@pytest.mark.parametrize(
    ("reply", "result"),
    [
        (Reply(204, b""), R.SENT),
        (Reply(404, b'{"message": "Unknown Webhook", "code": 10015}'), R.DISABLE_CHANNEL),
        (Reply(400, b'{"message": "Invalid Form Body", "code": 50035}'), R.DEAD),
        (Reply(502, b"bad gateway"), R.RETRY),
    ],
)
async def test_discord_answers(receiver, discord, reply: Reply, result: Result) -> None:
    url = receiver.answer("/api/webhooks/1/t", reply)
    assert (await discord.deliver(channel(url, "discord"), [item()])).result == result


async def test_discord_429_takes_retry_after_from_the_body(receiver, build) -> None:
    clock = ManualClock(CREATED)
    discord = build(DiscordTransport, clock=clock)
    body = b'{"message": "You are being rate limited.", "retry_after": 1.5, "global": false}'
    url = receiver.answer("/api/webhooks/1/t", Reply(429, body, {"Retry-After": "9"}))
    outcome = await discord.deliver(channel(url, "discord"), [item()])
    assert (outcome.result, outcome.retry_after) == (R.RATE_LIMITED, 1.5)
    assert discord.pacer.paused_for(url) == 1.5


async def test_discord_pauses_a_webhook_whose_bucket_is_empty(receiver, build) -> None:
    clock = ManualClock(CREATED)
    discord = build(DiscordTransport, clock=clock)
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "2.25"}
    url = receiver.answer("/api/webhooks/1/t", Reply(204, b"", headers))
    assert (await discord.deliver(channel(url, "discord"), [item()])).result == R.SENT
    assert discord.pacer.paused_for(url) == 2.25


async def test_network_errors_and_bad_urls(webhook) -> None:
    closed = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    refused = await webhook.deliver(channel(closed), [item()])
    assert refused.result == R.RETRY and "ClientConnectorError" in (refused.error or "")
    for url in ("ftp://127.0.0.1/hook", "not a url"):
        assert (await webhook.deliver(channel(url), [item()])).result == R.DEAD


async def test_a_slow_answer_is_retried_after_the_timeout(receiver, build) -> None:
    webhook = build(WebhookTransport, timeout=0.2)
    started = time.monotonic()
    outcome = await webhook.deliver(channel(receiver.url + "/slow"), [item()])
    assert outcome == Outcome(R.RETRY, "no complete answer in 0.2 s")
    assert time.monotonic() - started < 0.8


@pytest.mark.parametrize("status", [200, 500])
async def test_an_endless_body_is_read_only_up_to_the_cap(receiver, webhook, status) -> None:
    url = f"{receiver.url}/huge?status={status}"
    started = time.monotonic()
    answer = await webhook.post(channel(url), HttpRequest(b"{}"))
    assert (answer.status, len(answer.body)) == (status, BODY_LIMIT)
    outcome = await webhook.deliver(channel(url), [item()])
    assert outcome.result == (R.SENT if status == 200 else R.RETRY)
    assert len(outcome.error or "") < 300
    assert time.monotonic() - started < 1.0


async def test_alerts_of_other_kinds_are_not_sent(receiver, webhook) -> None:
    url = receiver.answer("/hook")
    broadcast = AlertItem(1, "broadcast", {"text": "hello"}, CREATED)  # bot and email only
    outcome = await webhook.deliver(channel(url), [broadcast])
    assert outcome.result == R.DEAD and "broadcast" in (outcome.error or "")
    assert not receiver.received


# --- the SSRF guard ------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_a_private_address_is_refused_before_any_request(receiver, build, host) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    for cls, kind in ((WebhookTransport, "webhook"), (SlackTransport, "slack")):
        transport = build(cls)
        target = channel(f"http://{host}:{port}/hook", kind, allow_private=False)
        outcome = await transport.deliver(target, [item()])
        assert outcome.result == R.DEAD
        assert "not a public address" in (outcome.error or "")
    assert not receiver.received


async def test_a_channel_allowed_private_addresses_reaches_them(receiver, webhook) -> None:
    url = receiver.answer("/hook")
    assert (await webhook.deliver(channel(url, allow_private=True), [item()])).result == "sent"
    assert len(receiver.received) == 1


# --- pacing ---------------------------------------------------------------------------


async def test_a_429_pauses_that_target_until_retry_after(receiver, build) -> None:
    clock = ManualClock(CREATED)
    webhook = build(WebhookTransport, clock=clock)
    url = receiver.answer("/hook", Reply(429, b"", {"Retry-After": "30"}), Reply(200))
    other = receiver.answer("/other")
    assert (await webhook.deliver(channel(url), [item()])).retry_after == 30.0
    assert webhook.pacer.paused_for(url) == 30.0
    waiting = asyncio.create_task(webhook.deliver(channel(url), [item()]))
    await asyncio.sleep(0.05)
    assert not waiting.done() and clock.next_due() == clock.now() + timedelta(seconds=30)
    # Another target is not held by this one's pause.
    assert (await webhook.deliver(channel(other), [item()])).result == R.SENT
    await clock.advance(29)
    assert not waiting.done()
    await clock.advance(1)
    assert (await waiting).result == R.SENT
    assert [r.path for r in receiver.received] == ["/hook", "/other", "/hook"]


async def test_slack_paces_one_message_a_second_per_webhook(receiver, slack) -> None:
    url = receiver.answer("/services/T0/B0/x")
    other = receiver.answer("/services/T0/B0/y")
    assert (await slack.deliver(channel(url, "slack"), [item()])).result == R.SENT
    assert not slack.pacer.bucket(url).has_capacity()  # the next one waits its second
    assert slack.pacer.bucket(other).has_capacity()


async def test_discord_paces_five_messages_per_two_seconds(receiver, discord) -> None:
    url = receiver.answer("/api/webhooks/1/t", Reply(204, b""))
    for _ in range(5):
        assert (await discord.deliver(channel(url, "discord"), [item()])).result == R.SENT
    bucket = discord.pacer.bucket(url)
    assert (bucket.max_rate, bucket.time_period) == (5, 2.0)
    assert not bucket.has_capacity()


# --- Slack and Discord messages: escaping, grouping, language -------------------------

HOSTILE = {
    **DOWN,
    "name": "<!channel> & <b>Shop</b> @everyone **bold** _x_",
    "url": "https://shop.example/?a=1&b=<2>",
    "error": "`rm -rf` <@123> [link](https://evil.example)",
    "message": "`rm -rf` <@123> [link](https://evil.example)",
}


async def test_slack_escapes_what_users_and_targets_wrote(receiver, slack) -> None:
    url = receiver.answer("/services/T0/B0/x")
    await slack.deliver(channel(url, "slack"), [item("down", HOSTILE)])
    sent = receiver.received[0].json()
    (attachment,) = sent["attachments"]
    (block,) = attachment["blocks"]
    words = block["text"]["text"]
    assert "<!channel>" not in json.dumps(sent) and "<b>" not in words
    assert "&lt;!channel&gt; &amp; &lt;b&gt;Shop&lt;/b&gt;" in words
    assert "&lt;!channel&gt;" in sent["text"]  # the fallback too
    assert "<https://shop.example/?a=1&amp;b=&lt;2&gt;>" in words  # the URL, as a link
    assert "&lt;@123&gt;" in words
    assert attachment["color"] == "#d93025"


async def test_discord_escapes_markdown_and_pings_nobody(receiver, discord) -> None:
    url = receiver.answer("/api/webhooks/1/t", Reply(204, b""))
    await discord.deliver(channel(url, "discord"), [item("down", HOSTILE)])
    sent = receiver.received[0].json()
    assert sent["content"] is None
    assert sent["allowed_mentions"] == {"parse": []}
    (embed,) = sent["embeds"]
    assert r"\@everyone \*\*bold\*\* \_x\_" in embed["description"]
    assert r"\`rm \-rf\` \<\@123\> \[link\]\(https://evil.example\)" in embed["description"]
    assert "@everyone" not in embed["title"].replace(r"\@", "")
    assert embed["url"] == HOSTILE["url"]  # a link target, not text: as it is
    assert embed["color"] == 0xD93025
    assert embed["timestamp"] == "2026-12-01T12:00:05+00:00"


@pytest.mark.parametrize(
    ("kind", "color"),
    [("down", 0xD93025), ("reminder", 0xD93025), ("up", 0x1E8E3E), ("cert_expiring", 0xF9AB00),
     ("test", 0x9AA0A6)],
)  # fmt: skip
async def test_each_state_has_its_colour(receiver, build, kind: str, color: int) -> None:
    slack_url = receiver.answer("/services/T0/B0/x")
    discord_url = receiver.answer("/api/webhooks/1/t", Reply(204, b""))
    await build(SlackTransport).deliver(channel(slack_url, "slack"), [item(kind)])
    await build(DiscordTransport).deliver(channel(discord_url, "discord"), [item(kind)])
    slack_sent, discord_sent = (r.json() for r in receiver.received)
    assert slack_sent["attachments"][0]["color"] == f"#{color:06x}"
    assert discord_sent["embeds"][0]["color"] == color


async def test_a_url_that_is_not_http_is_no_link(receiver, build) -> None:
    tcp = {**DOWN, "url": "db.example:5432"}
    slack_url = receiver.answer("/services/T0/B0/x")
    discord_url = receiver.answer("/api/webhooks/1/t", Reply(204, b""))
    await build(SlackTransport).deliver(channel(slack_url, "slack"), [item("down", tcp)])
    await build(DiscordTransport).deliver(channel(discord_url, "discord"), [item("down", tcp)])
    slack_sent, discord_sent = (r.json() for r in receiver.received)
    assert "<db.example:5432>" not in slack_sent["attachments"][0]["blocks"][0]["text"]["text"]
    assert "url" not in discord_sent["embeds"][0]


def many(count: int) -> list[AlertItem]:
    """`count` down alerts with long texts (an error and a message near recording's cut
    of 512 characters, a long URL)."""
    long = {
        **DOWN,
        "error": "e" * 500,
        "message": "m" * 500,
        "url": "https://x.example/" + "p" * 900,
    }
    return [item("down", {**long, "monitor_id": n, "name": f"site {n}"}, n) for n in range(count)]


async def test_slack_lists_twenty_alerts_and_counts_the_rest(receiver, slack) -> None:
    url = receiver.answer("/services/T0/B0/x")
    assert (await slack.deliver(channel(url, "slack"), many(25))).result == R.SENT
    sent = receiver.received[0].json()
    assert sent["text"] == "[ALERTS] 25 down"
    *listed, more = sent["attachments"]
    assert len(listed) == 20
    assert "site 19" in listed[-1]["blocks"][0]["text"]["text"]
    assert more["blocks"][0]["text"]["text"] == "…and 5 more alerts"
    assert all(len(a["blocks"][0]["text"]["text"]) <= 3000 for a in sent["attachments"])


async def test_discord_sends_ten_embeds_and_counts_the_rest(receiver, discord) -> None:
    url = receiver.answer("/api/webhooks/1/t", Reply(204, b""))
    assert (await discord.deliver(channel(url, "discord"), many(25))).result == R.SENT
    embeds = receiver.received[0].json()["embeds"]
    assert len(embeds) == 10
    assert embeds[8]["title"] == "[DOWN] site 8"
    assert embeds[-1]["title"] == "…and 16 more alerts"
    total = sum(len(e["title"]) + len(e.get("description", "")) for e in embeds)
    assert total <= 6000  # Discord's limit over all embeds of a message


async def test_ten_alerts_fit_discord_without_a_count(receiver, discord) -> None:
    url = receiver.answer("/api/webhooks/1/t", Reply(204, b""))
    await discord.deliver(channel(url, "discord"), many(10))
    embeds = receiver.received[0].json()["embeds"]
    assert [e["title"] for e in embeds] == [f"[DOWN] site {n}" for n in range(10)]


async def test_a_russian_channel_gets_russian_words(receiver, build) -> None:
    slack_url = receiver.answer("/services/T0/B0/x")
    discord_url = receiver.answer("/api/webhooks/1/t", Reply(204, b""))
    ru_slack = channel(slack_url, "slack", language="ru", zone="Europe/Moscow")
    ru_discord = channel(discord_url, "discord", language="ru")
    await build(SlackTransport).deliver(ru_slack, [item("down"), *many(21)])
    await build(DiscordTransport).deliver(ru_discord, [item("test")])
    slack_sent, discord_sent = (r.json() for r in receiver.received)
    first = slack_sent["attachments"][0]["blocks"][0]["text"]["text"]
    assert "*[НЕДОСТУПЕН] Shop*" in first and "недоступен" in first
    assert "14:55" in first  # since 11:55 UTC, shown in Moscow time
    assert slack_sent["text"].startswith("[ОПОВЕЩЕНИЯ]")
    assert slack_sent["attachments"][-1]["blocks"][0]["text"]["text"] == "…и ещё 2 оповещения"
    assert discord_sent["embeds"][0]["title"] == "Тестовое оповещение"
