"""The ntfy transport (scheduler/transports/ntfy.py) against a local stand-in for an
ntfy server, and end to end: a channel made through core like any kind made from a
URL, an alert recorded, the outbox delivering it."""

from __future__ import annotations

from datetime import UTC, datetime

from core import channels
from core.clock import ManualClock
from core.delivery import Result
from core.probe import ProbeResult
from core.recording import record_results
from db.models import Monitor, Notification, NotificationStatus, User
from scheduler.transports import TRANSPORTS
from scheduler.transports.base import AlertItem, ChannelTarget
from scheduler.transports.ntfy import MAX_LISTED, NtfyTransport
from tests.support.outbox import close_worker, deliver_all, worker_for
from tests.support.receiver import Receiver, Reply

CREATED = datetime(2026, 12, 1, 12, 0, 5, tzinfo=UTC)
DOWN = {
    "monitor_id": 7,
    "name": "Shop <b>*bold*</b>",
    "url": "https://shop.example/",
    "cause": "http_status",
    "error": "HTTP 503 Service Unavailable",
    "since": "2026-12-01T11:55:00+00:00",
    "failed_checks": 3,
}


def target(url: str, language: str = "en") -> ChannelTarget:
    return ChannelTarget(1, "ntfy", url, {}, language, None, allow_private=True)


def item(kind: str = "down", n: int = 1, **payload: object) -> AlertItem:
    return AlertItem(n, kind, {**DOWN, **payload}, CREATED, monitor_id=7)


async def test_a_down_alert_is_an_urgent_notification_that_opens_the_site(
    receiver: Receiver,
) -> None:
    ntfy = NtfyTransport()
    try:
        url = receiver.answer("/my-alerts", Reply(200, b'{"id":"x"}'))
        assert (await ntfy.deliver(target(url), [item()])).result == Result.SENT
    finally:
        await ntfy.close()
    [sent] = receiver.received
    text = sent.body.decode()
    assert text.startswith("[DOWN] Shop <b>*bold*</b>")  # plain text: shown as written
    assert "HTTP 503 Service Unavailable" in text
    assert sent.headers["Priority"] == "urgent" and sent.headers["Tags"] == "rotating_light"
    assert sent.headers["Click"] == "https://shop.example/"


async def test_many_alerts_are_one_notification_that_counts_the_rest(
    receiver: Receiver,
) -> None:
    ntfy = NtfyTransport()
    items = [item("up" if n % 2 else "down", n, name=f"site {n}") for n in range(25)]
    try:
        assert (await ntfy.deliver(target(receiver.answer("/t")), items)).result == "sent"
    finally:
        await ntfy.close()
    [sent] = receiver.received
    text = sent.body.decode()
    assert all(f"site {n}" in text for n in range(MAX_LISTED))
    assert "site 24" not in text and "5" in text.splitlines()[-1]
    assert sent.headers["Priority"] == "urgent" and "Click" not in sent.headers


async def test_words_in_the_channels_language(receiver: Receiver) -> None:
    ntfy = NtfyTransport()
    try:
        await ntfy.deliver(target(receiver.answer("/t"), "ru"), [item()])
    finally:
        await ntfy.close()
    assert "недоступен" in receiver.received[0].body.decode()  # "is down"


async def test_a_topic_that_asks_for_a_login_disables_the_channel(receiver: Receiver) -> None:
    clock = ManualClock(CREATED)
    ntfy = NtfyTransport(clock=clock)
    try:
        refused = await ntfy.deliver(
            target(receiver.answer("/a", Reply(403, b"forbidden"))), [item()]
        )
        limited = await ntfy.deliver(
            target(receiver.answer("/b", Reply(429, b"", {"Retry-After": "30"}))), [item()]
        )
    finally:
        await ntfy.close()
    assert refused.result == Result.DISABLE_CHANNEL
    assert limited.result == Result.RATE_LIMITED and limited.retry_after == 30


async def test_an_ntfy_channel_made_like_any_url_kind_gets_its_alerts(
    db, settings, receiver: Receiver
) -> None:
    assert TRANSPORTS["ntfy"] is NtfyTransport
    assert "ntfy" in channels.url_forms()
    user = await User.create(telegram_id=5, language="en")
    await channels.set_enabled(await channels.private_chat(user), False)
    channel, secret = await channels.create_url_channel(
        user, "ntfy", receiver.answer("/alerts"), is_default=True, allow_private=True
    )
    assert secret is None and channel.kind == "ntfy"
    monitor = await Monitor.create(
        owner=user, name="Shop", url="https://shop.example/", failure_threshold=1
    )
    failed = ProbeResult(checked_at=datetime.now(UTC), ok=False, error_kind="dns")
    await record_results([(monitor.id, failed)])
    worker = worker_for(settings, None)
    try:
        await deliver_all(worker)
    finally:
        await close_worker(worker)
    [sent] = receiver.received
    assert sent.body.decode().startswith("[DOWN] Shop")
    [row] = await Notification.all()
    assert row.status == NotificationStatus.SENT and row.alert_channel_id == channel.id
