"""/add and edit for every kind, driven by the kinds' declarations (core/kinds): the real
bot against the fake Bot API server, a real database, a loopback TCP listener."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from bot.callbacks import AddCb
from bot.routers.edit import EditCb
from core import kinds
from core.i18n import __
from core.kinds import tcp
from core.kinds.fields import Field
from core.monitor_rules import RuleError
from db.models import Monitor, User
from tests.support.bot_harness import ADMIN, PUBLIC_URL, tr
from tests.support.fake_telegram import FakeTelegram

PUBLIC_IP = "93.184.216.34"  # a public literal: no DNS needed, never contacted
PORT_RANGE = "The port must be a number from {min} to {max}."
PORT_INVALID = "Send the port as a number, for example 5432."
PRIVATE = "This address is on a private or local network, which the monitor may not reach."


@pytest.fixture
async def listener() -> AsyncIterator[int]:
    """A loopback TCP port that accepts connections."""
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def test_add_asks_the_kind_then_its_fields_and_creates_a_tcp_monitor(
    telegram: FakeTelegram,
) -> None:
    lang = "de"
    eve = telegram.user(70, language_code=lang)
    await eve.send("/add")
    question = await eve.next_reply()
    assert {tr(lang, "Website"), tr(lang, "TCP port")} <= set(eve.buttons(question))
    assert tr(lang, "A host and port: up when a connection opens (optionally with TLS).") in (
        question.plain
    )
    await eve.press(tr(lang, "TCP port"))
    assert tr(lang, "Send the host, for example db.example.com or 203.0.113.7.") in (
        (await eve.next_reply()).plain
    )
    await eve.send("not a host/")
    assert tr(lang, "That does not look like a host name or an IP address.") in (
        (await eve.next_reply()).plain
    )
    await eve.send(PUBLIC_IP)
    assert tr(lang, "Send the port, a number from 1 to 65535.") in (await eve.next_reply()).plain
    for bad, reason in [
        ("0", tr(lang, PORT_RANGE, min=1, max=65535)),
        ("70000", tr(lang, PORT_RANGE, min=1, max=65535)),
        ("²", tr(lang, PORT_INVALID)),
    ]:
        await eve.send(bad)
        assert reason in (await eve.next_reply()).plain, bad
    await eve.send("5432")
    tls_question = await eve.next_reply()
    assert eve.buttons(tls_question) == [tr(lang, "No"), tr(lang, "Yes")]
    await eve.send("maybe")
    assert tr(lang, "Answer yes or no.") in (await eve.next_reply()).plain
    await eve.press(tr(lang, "Yes"))
    assert PUBLIC_IP in (await eve.next_reply()).plain  # the default name
    await eve.press(tr(lang, "Skip"))
    await eve.next_reply()
    await eve.press(tr(lang, "5 min"))
    summary = (await eve.next_reply()).plain
    assert tr(lang, "TCP port") in summary and f"{tr(lang, 'Port')}: 5432" in summary
    assert f"{tr(lang, 'TLS')}: {tr(lang, 'Yes')}" in summary
    assert await Monitor.all().count() == 0  # nothing is written before Save
    await eve.press(tr(lang, "✅ Save"))
    card = await eve.next_reply()
    monitor = await Monitor.get(owner__telegram_id=70)
    assert (monitor.kind, monitor.name, monitor.interval_seconds) == ("tcp", PUBLIC_IP, 300)
    assert monitor.params == {"host": PUBLIC_IP, "port": 5432, "tls": True}
    assert monitor.url == f"tls://{PUBLIC_IP}:5432"
    assert f"{tr(lang, 'Port')}: 5432" in card.plain


async def test_a_bad_port_saves_nothing_and_cancel_ends_the_flow(telegram: FakeTelegram) -> None:
    lang = "ru"
    me = telegram.user(71, language_code=lang)
    await me.send("/add")
    await me.next_reply()
    await me.press(tr(lang, "TCP port"))
    await me.next_reply()
    await me.send(PUBLIC_IP)
    await me.next_reply()
    await me.send("70000")
    assert tr(lang, PORT_RANGE, min=1, max=65535) in (await me.next_reply()).plain
    await me.send("/cancel")
    await me.next_reply()
    assert await Monitor.all().count() == 0


async def test_a_pasted_host_and_port_offers_tcp(telegram: FakeTelegram) -> None:
    lang = "es"
    me = telegram.user(72, language_code=lang)
    await me.send("/add")
    await me.next_reply()
    await me.send("example.com:443")
    offer = await me.next_reply()
    assert me.buttons(offer) == [f"{tr(lang, 'TCP port')}: example.com, 443"]
    assert await Monitor.all().count() == 0
    # A private address offered and accepted is refused for a non-admin at the end of
    # the kind's fields, and its host asked again.
    await me.send("127.0.0.1:5432")
    await me.next_reply()
    await me.press(f"{tr(lang, 'TCP port')}: 127.0.0.1, 5432")
    await me.next_reply()  # TLS?
    await me.press(tr(lang, "No"))
    assert tr(lang, PRIVATE) in (await me.next_reply()).plain
    assert tr(lang, "Send the host, for example db.example.com or 203.0.113.7.") in (
        (await me.next_reply()).plain
    )
    await me.send("/cancel")
    await me.next_reply()
    assert await Monitor.all().count() == 0


async def test_admin_adds_a_loopback_port_pasted_with_add(
    telegram: FakeTelegram, listener: int
) -> None:
    lang = "en"
    admin = telegram.user(ADMIN, language_code=lang)
    await admin.send(f"/add 127.0.0.1:{listener}")
    await admin.next_reply()
    await admin.press(f"TCP port: 127.0.0.1, {listener}")
    await admin.next_reply()
    await admin.press("No")
    await admin.next_reply()
    await admin.send("db")
    await admin.next_reply()
    await admin.press("1 min")
    await admin.next_reply()
    await admin.press("✅ Save")
    await admin.next_reply()
    monitor = await Monitor.get(owner__telegram_id=ADMIN)
    assert (monitor.kind, monitor.name, monitor.url) == ("tcp", "db", f"tcp://127.0.0.1:{listener}")
    await admin.press("🔄 Check now")
    answer = (await admin.next_reply()).plain  # the listener answered
    assert "✅ OK in " in answer and "None" not in answer and "HTTP" not in answer
    assert (await Monitor.get(id=monitor.id)).last_error_kind is None


async def test_add_with_a_url_and_a_url_at_the_kind_step_stay_http(telegram: FakeTelegram) -> None:
    me = telegram.user(73, language_code="en")
    await me.send(f"/add {PUBLIC_URL}")
    await me.next_reply()
    monitor = await Monitor.get(owner__telegram_id=73)
    assert (monitor.kind, monitor.url) == ("http", PUBLIC_URL)
    await me.send("/add")
    await me.next_reply()
    await me.send(PUBLIC_URL)
    assert "Name it" in (await me.next_reply()).plain


async def test_forged_kind_buttons_are_refused(telegram: FakeTelegram) -> None:
    lang = "de"
    me = telegram.user(74, language_code=lang)
    await me.send("/add")
    await me.next_reply()
    await me.press_data(AddCb(step="kind", value="smtp").pack())
    allowed = ", ".join(kinds.KINDS)
    assert (await me.next_answer())["text"] == tr(
        lang, "Choose a kind of monitor: {allowed}.", allowed=allowed
    )
    await me.press_data(AddCb(step="pasted", value="tcp").pack())  # nothing was offered
    assert (await me.next_answer())["text"] == tr(lang, "That button is no longer valid.")
    await me.press(tr(lang, "TCP port"))  # the flow is where it was
    assert tr(lang, "Send the host, for example db.example.com or 203.0.113.7.") in (
        (await me.next_reply()).plain
    )


async def test_edit_of_a_tcp_monitor_offers_its_own_fields(telegram: FakeTelegram) -> None:
    lang = "en"
    owner = await User.create(telegram_id=75)
    params = {"host": PUBLIC_IP, "port": 5432, "tls": False}
    monitor = await Monitor.create(
        owner=owner, kind="tcp", name="db", url=f"tcp://{PUBLIC_IP}:5432", params=params
    )
    me = telegram.user(75, language_code=lang)
    await me.send(f"/start m{monitor.id}")
    await me.next_reply()
    await me.press("✏️ Edit")
    menu = me.buttons(await me.next_reply())
    assert {"Name", "Host", "Port", "TLS", "Interval"} <= set(menu)
    assert not {"Address", "Status codes", "Method", "Keyword"} & set(menu)
    await me.press("Port")
    assert "1 to 65535" in (await me.next_reply()).plain
    for bad in ("0", "70000", "²"):
        await me.send(bad)
        await me.next_reply()
    fresh = await Monitor.get(id=monitor.id)
    assert (fresh.params, fresh.url) == (params, monitor.url)
    await me.send("6543")
    await me.next_reply()
    await me.press("✏️ Edit")
    await me.next_reply()
    await me.press("TLS")
    await me.next_reply()
    await me.press("Yes")
    await me.next_reply()
    fresh = await Monitor.get(id=monitor.id)
    assert fresh.params == {"host": PUBLIC_IP, "port": 6543, "tls": True}
    assert fresh.url == f"tls://{PUBLIC_IP}:6543"
    # Another kind's field, or a bad value on a forged button, changes nothing.
    await me.press_data(EditCb(field="method", id=monitor.id, value="POST").pack())
    assert (await me.next_answer())["text"] == "Monitor not found."
    await me.press_data(EditCb(field="port", id=monitor.id, value="0").pack())
    assert tr(lang, PORT_RANGE, min=1, max=65535) in (await me.next_reply()).plain
    assert (await Monitor.get(id=monitor.id)).params == fresh.params


# A kind the bot has never heard of, registered for one test: the flow must come from
# its declaration alone (a default offered as a button, an optional field skippable, a
# secret deleted from the chat once read and never shown).
@dataclass(frozen=True)
class _EchoSpec:
    host: str
    copies: int = 3
    note: str | None = None
    token: str | None = None
    timeout: float = 10.0
    allow_private: bool = False


def _count(raw: Any) -> int:
    if not str(raw).isdigit() or not 1 <= int(raw) <= 10:
        raise RuleError("port_invalid")
    return int(raw)


async def _vet(values: dict[str, Any], allow_private: bool, resolver: Any) -> str:
    return values["host"]


ECHO = SimpleNamespace(
    LABEL="Echo",  # a made-up kind: its words are in no catalog
    HELP="Echo",
    FIELDS=(
        Field("host", {"type": "string"}, tcp.parse_host, prompt=__("Host"), label=__("Host")),
        Field("copies", {"type": "integer"}, _count, default=3, prompt=__("Port"), label="n"),
        Field("note", {"type": "string"}, str, default=None, optional=True, prompt="note?"),
        Field(
            "token", {"type": "string"}, str, default=None, optional=True, secret=True, label="t"
        ),
    ),
    TARGET_FIELDS=("host",),
    Spec=_EchoSpec,
    target=lambda values: f"echo://{values['host']}",
    vet=_vet,
)


async def test_a_new_kind_is_asked_from_its_declaration_alone(
    telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(kinds.KINDS, "echo", ECHO)
    me = telegram.user(76, language_code="en")
    await me.send("/add")
    await me.next_reply()
    await me.press("Echo")
    await me.next_reply()
    await me.send(PUBLIC_IP)
    count_question = await me.next_reply()
    assert me.buttons(count_question) == ["Use the default: 3"]
    await me.send("99")
    assert "Send the port as a number" in (await me.next_reply()).plain
    await me.press("Use the default: 3")
    await me.next_reply()
    await me.press("Skip")  # the optional note
    await me.next_reply()
    typed = await me.send("s3cret")  # the token
    await me.next_reply()
    deleted = [c.params for c in telegram.calls if c.method == "deleteMessage"]
    assert [int(p["message_id"]) for p in deleted] == [typed]
    await me.press("Skip")  # the name
    await me.next_reply()
    await me.press("1 min")
    summary = (await me.next_reply()).plain
    assert "t: ••••" in summary and "s3cret" not in summary
    await me.press("✅ Save")
    await me.next_reply()
    monitor = await Monitor.get(owner__telegram_id=76)
    assert (monitor.kind, monitor.url) == ("echo", f"echo://{PUBLIC_IP}")
    assert monitor.params == {"host": PUBLIC_IP, "copies": 3, "note": None, "token": "s3cret"}
