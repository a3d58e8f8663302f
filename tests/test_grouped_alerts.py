"""Grouped alerts name every monitor: split into Telegram messages on line boundaries
(each under 4,096 characters, valid HTML, at most five), the rest listed page by page
by a button on the last one; an email names them all in one message. Against the fake
Bot API server (and the real bot for the button); the email in test_email_delivery.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.callbacks import GroupCb
from core.alerts import GROUP_MAX_PARTS, deep_link, render_group
from core.i18n import LANGUAGES
from core.probe import ProbeResult
from core.recording import record_results
from core.unnamed_alerts import unnamed_alerts
from db.models import Monitor, Notification, NotificationStatus, User
from tests.support.bot_harness import tr, tr_n
from tests.support.fake_telegram import MAX_TEXT_LENGTH, FakeTelegram, parse_html
from tests.support.outbox import close_worker, deliver_all, long_name, queue, worker_for

CHAT = 100


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def items(count: int) -> list[tuple[str, dict]]:
    return [
        ("down", {"monitor_id": n, "name": long_name(n), "cause": "connect_timeout"})
        for n in range(count)
    ]


def named_in(texts: list[str], names: list[str]) -> list[str]:
    """Every occurrence of a name in the texts (a name seen twice counts twice)."""
    return [name for text in texts for name in names if name in text]


def link(monitor_id: int | None) -> str | None:
    return deep_link("uptime_test_bot", monitor_id)


# --- rendering -----------------------------------------------------------------------


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_100_alerts_split_into_valid_messages_that_name_each_once(lang: str) -> None:
    group = render_group(items(100), lang, link)
    assert 1 < len(group) <= GROUP_MAX_PARTS
    plains = []
    for part in group:
        plain, entities = parse_html(part.html)  # raises on unbalanced or bad HTML
        assert utf16(plain) <= MAX_TEXT_LENGTH
        assert len(plain) <= MAX_TEXT_LENGTH
        assert len([e for e in entities if e["type"] == "text_link"]) == part.named
        plains.append(plain)
    names = [long_name(n) for n in range(100)]
    assert sorted(named_in(plains, names)) == sorted(names)
    assert sum(part.named for part in group) == 100 and group[-1].more == 0
    assert "(1/" not in plains[0]  # the parts say "part 1 of N" in words
    assert (
        tr(lang, "{title} (part {part} of {parts})", title="", part=2, parts=len(group))
        in (plains[1])
    )


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_300_alerts_fill_five_messages_and_the_last_counts_the_rest(lang: str) -> None:
    group = render_group(items(300), lang, link)
    assert len(group) == GROUP_MAX_PARTS
    named = sum(part.named for part in group)
    assert 100 < named < 300
    assert [part.more for part in group] == [0, 0, 0, 0, 300 - named]
    for part in group:
        plain, _entities = parse_html(part.html)
        assert utf16(plain) <= MAX_TEXT_LENGTH
    assert tr(lang, "…and {count} more", count=300 - named) in parse_html(group[-1].html)[0]


def test_an_email_group_names_every_alert_in_one_message() -> None:
    [message] = render_group(items(300), "en", link, budget=None)
    assert message.named == 300 and message.more == 0
    assert all(long_name(n) in message.text for n in range(300))
    assert "more" not in message.text


def test_the_list_button_packs_under_64_bytes_for_the_largest_ids() -> None:
    biggest = 2**63 - 1
    packed = GroupCb(action="page", first=biggest, last=biggest, page=99_999).pack()
    assert len(packed.encode()) < 64


# --- Telegram, through the worker ------------------------------------------------------


def sent_texts(fake: FakeTelegram) -> list[str]:
    return [
        c.message.plain
        for c in fake.calls
        if c.method == "sendMessage" and c.ok and c.params.get("chat_id") == CHAT
    ]


async def down_monitors(count: int, name=long_name) -> tuple[User, list[Monitor]]:
    """`count` monitors of one user, each just gone down (the engine's rows)."""
    user = await User.create(telegram_id=CHAT)
    monitors = [
        await Monitor.create(
            owner=user, name=name(n), url=f"https://a{n}.test/", failure_threshold=1
        )
        for n in range(count)
    ]
    failed = ProbeResult(checked_at=datetime.now(UTC), ok=False, error_kind="connect_timeout")
    await record_results([(m.id, failed) for m in monitors])
    return user, monitors


async def test_100_down_name_every_monitor_in_at_most_five_messages(db, settings, fake) -> None:
    _user, monitors = await down_monitors(100)
    worker = worker_for(settings, fake)
    try:
        await worker.start()
        await deliver_all(worker)
    finally:
        await close_worker(worker)
    texts = sent_texts(fake)
    names = [m.name for m in monitors]
    named = named_in(texts, names)
    assert len(set(named)) == 100, f"monitors named for 100 down: {len(set(named))}"
    assert len(named) == 100  # each once
    assert 1 < len(texts) <= GROUP_MAX_PARTS
    assert all(len(text) <= MAX_TEXT_LENGTH for text in texts)
    links = [
        e["url"]
        for c in fake.calls
        if c.method == "sendMessage" and c.ok
        for e in c.message.entities
        if e["type"] == "text_link"
    ]
    assert links == [f"https://t.me/{fake.username}?start=m{m.id}" for m in monitors]
    assert await Notification.filter(status=NotificationStatus.SENT).count() == 100


async def test_a_failed_part_resends_only_the_parts_not_delivered(db, settings, fake) -> None:
    """Part 2 of 3 fails: part 1's alerts are sent and stay sent; the alerts of parts 2
    and 3 come back together as a new group. No name is delivered twice."""
    _user, monitors = await down_monitors(100)
    worker = worker_for(settings, fake)
    try:
        await worker.start()
        draining = asyncio.create_task(worker.drain())
        await fake.wait_for(lambda: len(sent_texts(fake)) == 1)
        fake.fail("sendMessage", 500)  # the next one (the chat's pace leaves 1.1 s)
        await draining
        await deliver_all(worker)
    finally:
        await close_worker(worker)
    [failed] = [c for c in fake.calls if c.method == "sendMessage" and not c.ok]
    texts = sent_texts(fake)
    names = [m.name for m in monitors]
    assert sorted(named_in(texts, names)) == sorted(names)  # each exactly once
    first = named_in(texts[:1], names)
    assert first and not any(name in failed.params["text"] for name in first)
    rows = await Notification.all().values("payload", "attempts", "status")
    assert all(row["status"] == NotificationStatus.SENT for row in rows)
    assert {row["attempts"] for row in rows if row["payload"]["name"] in first} == {1}
    assert {row["attempts"] for row in rows if row["payload"]["name"] not in first} == {2}


# --- the button: the real bot ----------------------------------------------------------


async def test_300_down_five_messages_and_the_button_pages_through_the_rest(
    telegram: FakeTelegram, settings
) -> None:
    _user, monitors = await down_monitors(300)
    worker = worker_for(settings, telegram)  # the default claim takes the burst whole
    try:
        await deliver_all(worker, timeout=30)
    finally:
        await close_worker(worker)
    me = telegram.user(CHAT)
    alerts = [m.plain for m in me.messages()]
    assert len(alerts) == GROUP_MAX_PARTS
    names = [m.name for m in monitors]
    named = named_in(alerts, names)
    left = 300 - len(named)
    assert left > 0
    assert tr("en", "…and {count} more", count=left) in alerts[-1]
    button = tr_n("en", "📋 Show {count} more", "📋 Show {count} more", left, count=left)
    assert me.last().buttons == [button, tr("en", "📋 My monitors")]

    await me.press(button)
    page = await me.next_reply()
    assert len(me.messages()) == GROUP_MAX_PARTS + 1  # a new message; the alert stays
    pages = -(-left // 15)
    title = tr_n("en", "📋 <b>{count} more alert</b> (page {page}/{pages})",
                 "📋 <b>{count} more alerts</b> (page {page}/{pages})", left,
                 count=left, page=1, pages=pages)  # fmt: skip
    assert page.plain.startswith(title.replace("<b>", "").replace("</b>", ""))
    listed = [page.plain]
    assert page.buttons == ["▶️"]
    while "▶️" in page.buttons:
        await me.press("▶️", page.message_id)
        assert (await me.next_answer()).get("show_alert") is None
        page = await me.next_reply()
        listed.append(page.plain)
    assert len(listed) == pages and page.buttons == ["◀️"]
    assert len(me.messages()) == GROUP_MAX_PARTS + 1  # the list was edited in place
    assert sorted(named + named_in(listed, names)) == sorted(names)  # each exactly once
    links = [e["url"] for e in page.entities if e["type"] == "text_link"]
    assert links and all(f"https://t.me/{telegram.username}?start=m" in u for u in links)


async def test_a_forged_list_button_shows_only_the_pressers_own_alerts(
    telegram: FakeTelegram, settings
) -> None:
    owner = await User.create(telegram_id=CHAT)
    secret = await Monitor.create(owner=owner, name="secret shop", url="https://s.test/")
    theirs = await queue(owner, monitor=secret)
    stranger_user = await User.create(telegram_id=555)
    mine = await Monitor.create(owner=stranger_user, name="my blog", url="https://b.test/")
    own = await queue(stranger_user, monitor=mine)
    await Notification.all().update(status=NotificationStatus.SENT)
    stranger = telegram.user(555)
    await stranger.send("/start")
    await stranger.next_reply()
    before = len(stranger.messages())

    # Only someone else's alert in the range: nothing to show.
    await stranger.press_data(GroupCb(action="open", first=0, last=theirs.id).pack())
    answer = await stranger.next_answer()
    assert answer["show_alert"] and answer["text"] == tr("en", "These alerts are not available.")
    assert len(stranger.messages()) == before

    # A range over both: the presser's own alert only; a made-up page is the last one.
    await stranger.press_data(GroupCb(action="open", first=0, last=own.id, page=99).pack())
    listed = await stranger.next_reply()
    assert "my blog" in listed.plain and "secret shop" not in listed.plain
    assert all("secret shop" not in m.plain for m in stranger.messages())
    found = await unnamed_alerts(stranger_user.id, 0, own.id, -5)
    assert found is not None and (found.total, found.page, found.pages) == (1, 0, 1)


def test_a_name_longer_than_a_line_is_cut_before_escaping() -> None:
    name = "a" * 63 + "&<b>" + "z" * 300
    [part] = render_group([("down", {"monitor_id": 1, "name": name})] * 6, "en", link)
    plain, _entities = parse_html(part.html)
    assert "a" * 63 + "…" in plain and "&<b>" not in plain and "&amp;" not in plain
