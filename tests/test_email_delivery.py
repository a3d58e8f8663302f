"""Email delivery against a real local SMTP server (aiosmtpd): alerts, grouped alerts,
confirmation codes, permanent refusals, and an SMTP server that is down for a while."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from core.email_verification import confirm_code, request_code
from core.probe import ProbeResult
from core.recording import record_results
from db.leader import Leadership
from db.models import Channel, Monitor, Notification, NotificationChannel, NotificationStatus, User
from tests.support.bot_harness import running_bot, tr
from tests.support.http import free_port
from tests.support.outbox import close_worker, deliver_all, long_name, queue, worker_for


class Mailbox:
    """aiosmtpd handler keeping every message; refuses recipients at refused.test."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.test"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"


async def deliver(worker) -> None:
    """Deliver everything due, then stop the worker (whatever happened)."""
    try:
        await deliver_all(worker)
    finally:
        await close_worker(worker)


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


async def telegram_off(user: User) -> None:
    await Channel.filter(owner_id=user.id, kind=NotificationChannel.TELEGRAM).update(enabled=False)


async def verified_user(telegram_id: int = 100, **kw) -> User:
    return await User.create(
        telegram_id=telegram_id, email=f"u{telegram_id}@example.com", email_verified=True, **kw
    )


async def test_a_down_alert_arrives_by_email_with_subject_and_both_parts(
    db, settings, mailbox
) -> None:
    box, port = mailbox
    settings = settings.model_copy(update={"bot_username": "uptime_test_bot"})
    worker = worker_for(settings, None, smtp_port=port)
    user = await verified_user(language="es")
    monitor = await Monitor.create(owner=user, name="Shop\nBcc: x@evil.test", url="https://s.test/")
    row = await queue(user, monitor=monitor, channel=NotificationChannel.EMAIL)
    await deliver(worker)

    [(recipients, message)] = box.messages
    assert recipients == ["u100@example.com"]
    assert message["Subject"] == tr("es", "[DOWN] {name}", name="Shop Bcc: x@evil.test")
    assert message["Bcc"] is None  # a line break in a name cannot add a header
    assert message["From"] == "Uptime <alerts@uptime.test>"
    text, html = parts(message)
    assert tr("es", "Cause: {cause}", cause=tr("es", "no response in time")) in text
    link = f"https://t.me/uptime_test_bot?start=m{monitor.id}"
    assert link in text and f'href="{link}"' in html
    assert "<b>" not in text and "<b>" in html
    await row.refresh_from_db()
    assert row.status == NotificationStatus.SENT


async def test_an_email_alert_shows_its_time_in_the_recipients_zone(db, settings, mailbox) -> None:
    box, port = mailbox
    worker = worker_for(settings, None, smtp_port=port)
    user = await verified_user(language="ru", timezone="UTC+05:30")
    monitor = await Monitor.create(owner=user, name="shop", url="https://s.test/")
    await queue(
        user,
        monitor=monitor,
        channel=NotificationChannel.EMAIL,
        payload={"since": "2031-07-01T10:00:00+00:00"},
    )
    await deliver(worker)
    [(_recipients, message)] = box.messages
    text, html = parts(message)
    since = tr("ru", "Since {since}", since="01.07.2031, 15:30 UTC+05:30")
    assert since in text and since in html


async def test_many_alerts_become_one_grouped_email(db, settings, mailbox) -> None:
    box, port = mailbox
    worker = worker_for(settings, None, smtp_port=port)
    user = await verified_user()
    await telegram_off(user)  # email only: no Telegram rows
    monitors = [
        await Monitor.create(
            owner=user, name=f"api {n}", url="https://a.test/", failure_threshold=1
        )
        for n in range(8)
    ]
    failed = ProbeResult(checked_at=datetime.now(UTC), ok=False, error_kind="dns")
    await record_results([(m.id, failed) for m in monitors])
    await deliver(worker)
    [(_to, message)] = box.messages
    assert message["Subject"] == "[ALERTS] 8 down"
    text, _html = parts(message)
    assert all(f"api {n}: down: DNS lookup failed" in text for n in range(8))


async def test_100_down_by_email_name_every_monitor_in_one_message(db, settings, mailbox) -> None:
    box, port = mailbox
    user = await verified_user()
    await telegram_off(user)
    monitors = [
        await Monitor.create(owner=user, name=long_name(n), url="https://a.test/",
                             failure_threshold=1)
        for n in range(100)
    ]  # fmt: skip
    failed = ProbeResult(checked_at=datetime.now(UTC), ok=False, error_kind="dns")
    await record_results([(m.id, failed) for m in monitors])
    await deliver(worker_for(settings, None, smtp_port=port))
    [(_to, message)] = box.messages
    assert message["Subject"] == "[ALERTS] 100 down"
    text, html = parts(message)
    assert all(f"{m.name}: down: DNS lookup failed" in text for m in monitors)
    escaped = [m.name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
               for m in monitors]  # fmt: skip
    assert all(name in html for name in escaped)
    assert "more" not in text


async def test_alerts_go_only_to_a_verified_address(db, settings, mailbox) -> None:
    box, port = mailbox
    worker = worker_for(settings, None, smtp_port=port)
    user = await User.create(telegram_id=100, email="u@example.com", email_verified=False)
    row = await queue(user, channel=NotificationChannel.EMAIL)
    await deliver(worker)
    assert box.messages == []
    await row.refresh_from_db()
    assert row.status == NotificationStatus.CANCELLED


async def test_the_confirmation_code_is_sent_then_forgotten(db, settings, mailbox) -> None:
    box, port = mailbox
    worker = worker_for(settings, None, smtp_port=port)
    user = await User.create(telegram_id=100, language="de")
    queued = await request_code(user, "new@example.com")
    await deliver(worker)
    [(recipients, message)] = box.messages
    assert recipients == ["new@example.com"]
    assert message["Subject"] == tr("de", "Your confirmation code")
    text, _html = parts(message)
    code = queued.payload["code"]
    assert code in text
    await queued.refresh_from_db()
    assert queued.status == NotificationStatus.SENT
    assert "code" not in queued.payload and queued.payload["email"] == "new@example.com"
    assert await confirm_code(user, code) == "new@example.com"


async def test_a_refused_recipient_ends_dead(db, settings, mailbox) -> None:
    box, port = mailbox
    worker = worker_for(settings, None, smtp_port=port)
    user = await User.create(telegram_id=100, email="gone@refused.test", email_verified=True)
    row = await queue(user, channel=NotificationChannel.EMAIL)
    await deliver(worker)
    await row.refresh_from_db()
    assert row.status == NotificationStatus.DEAD and "550" in row.last_error
    assert box.messages == []


async def test_smtp_down_for_a_while_then_up_delivers_late(db, settings) -> None:
    port = free_port()
    worker = worker_for(settings, None, smtp_port=port)
    user = await verified_user()
    row = await queue(user, channel=NotificationChannel.EMAIL)
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    try:
        for _attempt in range(2):  # nobody listens: refused, retried later
            await worker.drain()
            await row.refresh_from_db()
            assert row.status == NotificationStatus.PENDING
            await Notification.filter(id=row.id).update(next_attempt_at=datetime.now(UTC))
        assert row.attempts == 2 and "Connect" in row.last_error
        controller.start()
        await deliver_all(worker)
    finally:
        await close_worker(worker)
        controller.stop()
    [(recipients, _message)] = box.messages
    assert recipients == ["u100@example.com"]
    await row.refresh_from_db()
    assert row.status == NotificationStatus.SENT and row.attempts == 3


@pytest.mark.parametrize("dialect", ["postgres"])
async def test_one_replica_at_a_time_leads_the_outbox(db, db_url) -> None:
    first, second = Leadership(db_url), Leadership(db_url)
    try:
        assert await first.check()
        assert await first.check()  # kept
        assert not await second.check()
        await first.close()
        assert await second.check()
        assert not await first.check()
    finally:
        await first.close()
        await second.close()


async def test_an_address_confirmed_in_the_bot_with_the_mailed_code_gets_alerts(
    db, settings, probe, mailbox
) -> None:
    """End to end: /settings asks for an address, the worker mails the code, the user
    types the code from the email into the bot, and the next alert goes to that address."""
    box, port = mailbox
    with_smtp = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    async with running_bot(with_smtp, probe) as telegram:
        await confirm_in_the_bot(telegram, settings, box, port)


async def confirm_in_the_bot(telegram, settings, box: Mailbox, port: int) -> None:
    ann = telegram.user(21, language_code="es")
    await ann.send("/settings")
    await ann.next_reply()
    await ann.press(tr("es", "✉️ Add email"))
    await ann.next_reply()
    await ann.send("ann@example.com")
    await ann.next_reply()
    await deliver(worker_for(settings, None, smtp_port=port))
    [(recipients, message)] = box.messages
    assert recipients == ["ann@example.com"]
    text, _html = parts(message)
    code = next(word for word in text.split() if word.isdigit() and len(word) == 6)

    await ann.send(code)
    confirmed = await ann.next_reply()
    assert tr("es", "✅ {email} is confirmed.", email="ann@example.com") in confirmed.plain
    user = await User.get(telegram_id=21)
    assert user.email == "ann@example.com" and user.email_verified

    monitor = await Monitor.create(owner=user, name="tienda", url="https://s.test/",
                                   failure_threshold=1)  # fmt: skip
    down = ProbeResult(checked_at=datetime.now(UTC), ok=False, error_kind="timeout")
    await record_results([(monitor.id, down)])
    await Notification.filter(channel=NotificationChannel.TELEGRAM).update(
        status=NotificationStatus.CANCELLED  # this worker sends email only
    )
    await deliver(worker_for(settings, None, smtp_port=port))
    alert = box.messages[-1][1]
    assert box.messages[-1][0] == ["ann@example.com"]
    assert alert["Subject"] == tr("es", "[DOWN] {name}", name="tienda")
