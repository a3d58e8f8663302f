"""A monitor's badges in the bot: the card's 🏷 Badges button shows the three links
(made on that first press, the same ones after) with Markdown and HTML snippets, all
escaped; 🔄 New badge links asks first and then replaces them, the old URLs answering
404 at once; buttons naming someone else's monitor are refused and change nothing. The
real bot against the fake Bot API server, the real web app (the badge routes) on
loopback as PUBLIC_URL, a real database on both dialects."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.callbacks import MonitorCb
from core.badges import TOKEN_LENGTH
from db.models import Monitor, MonitorState, User
from tests.support.api import ApiClient, serving
from tests.support.bot_harness import ADMIN, running_bot, tr
from tests.support.fake_telegram import BotMessage, FakeTelegram, FakeUser

NAME = "Shop <b> & [x]"  # escaped in the message, in the HTML and in the Markdown


@dataclass
class Served:
    telegram: FakeTelegram
    api: ApiClient


@pytest.fixture
async def served(db, settings, probe) -> AsyncIterator[Served]:
    """The web app on loopback and the real bot, whose PUBLIC_URL is that app: the badge
    links the bot hands out are the app's."""
    async with serving(settings, probe) as api:
        bot_settings = settings.model_copy(
            update={
                "allow_private_targets": False,
                "admin_ids": frozenset({ADMIN}),
                "public_url": api.base,
            }
        )
        async with running_bot(bot_settings, probe) as telegram:
            yield Served(telegram, api)


def links_in(message: BotMessage, base: str) -> dict[str, str]:
    """The three badge URLs the message shows (as the user sees it), by kind."""
    found = re.findall(
        re.escape(base) + rf"/badge/([A-Za-z0-9_-]{{{TOKEN_LENGTH}}})/(\w+)\.svg", message.plain
    )
    urls = {kind: f"{base}/badge/{token}/{kind}.svg" for token, kind in found}
    assert set(urls) == {"status", "uptime", "latency"}, message.plain
    assert len({token for token, _kind in found}) == 1
    return urls


async def fetch(served: Served, url: str) -> tuple[int, str]:
    async with served.api.http.get(url) as reply:
        return reply.status, reply.headers.get("Content-Type", "")


async def open_card(me: FakeUser, monitor_id: int) -> BotMessage:
    await me.send(f"/start m{monitor_id}")
    return await me.next_reply()


async def test_the_card_shows_badge_links_and_makes_new_ones(served: Served) -> None:
    lang = "es"
    owner = await User.create(telegram_id=401)
    monitor = await Monitor.create(
        owner=owner, name=NAME, url="https://93.184.216.34/", state=MonitorState.UP
    )
    me = served.telegram.user(401, language_code=lang)
    card = await open_card(me, monitor.id)
    assert tr(lang, "🏷 Badges") in me.buttons(card)

    await me.press(tr(lang, "🏷 Badges"))
    shown = await me.next_reply()
    urls = links_in(shown, served.api.base)
    token = (await Monitor.get(id=monitor.id)).badge_token
    assert urls["status"] == f"{served.api.base}/badge/{token}/status.svg"
    assert tr(lang, "🏷 Badges of <b>{name}</b>", name="Shop &lt;b&gt; &amp; [x]") in shown.text
    # The snippets, as the user sees them: ready to paste, the name escaped for each.
    status = tr(lang, "status")
    assert f"![Shop <b> & \\[x\\]: {status}]({urls['status']})" in shown.plain
    assert f'<img src="{urls["status"]}" alt="Shop &lt;b&gt; &amp; [x]: {status}">' in shown.plain
    assert "<pre>" in shown.text and "<b> &" not in shown.text  # the name is no markup
    assert me.buttons(shown) == [tr(lang, "🔄 New badge links"), tr(lang, "⬅️ Back")]
    for url in urls.values():
        assert await fetch(served, url) == (200, "image/svg+xml; charset=utf-8")

    # Back to the card and Badges again: the same links.
    await me.press(tr(lang, "⬅️ Back"))
    await me.next_reply()
    await me.press(tr(lang, "🏷 Badges"))
    assert links_in(await me.next_reply(), served.api.base) == urls

    # New links are asked first; "no" keeps them and goes back to them.
    await me.press(tr(lang, "🔄 New badge links"))
    confirm = await me.next_reply()
    assert tr(
        lang,
        "Make new badge links for <b>{name}</b>? The current ones stop working at once: "
        "every page that shows them needs the new ones.",
        name="Shop &lt;b&gt; &amp; [x]",
    ) in (confirm.text or "")
    assert me.buttons(confirm) == [tr(lang, "Yes, make new links"), tr(lang, "No, keep it")]
    await me.press(tr(lang, "No, keep it"))
    assert links_in(await me.next_reply(), served.api.base) == urls
    assert (await Monitor.get(id=monitor.id)).badge_token == token

    await me.press(tr(lang, "🔄 New badge links"))
    await me.next_reply()
    await me.press(tr(lang, "Yes, make new links"))
    assert (await me.next_answer())["text"] == tr(lang, "New badge links made.")
    new = links_in(await me.next_reply(), served.api.base)
    assert new["status"] != urls["status"]
    for kind in urls:
        assert (await fetch(served, urls[kind]))[0] == 404
        assert (await fetch(served, new[kind]))[0] == 200


async def test_badge_buttons_of_someone_elses_monitor_are_refused(served: Served) -> None:
    lang = "ru"
    stranger = await User.create(telegram_id=402)
    foreign = await Monitor.create(owner=stranger, name="theirs", url="https://93.184.216.34/")
    rotated = await Monitor.create(
        owner=stranger, name="theirs too", url="https://93.184.216.34/", badge_token="T" * 22
    )
    me = served.telegram.user(403, language_code=lang)
    await me.send("/start")
    await me.next_reply()
    for target in (foreign, rotated):
        for action in ("badges", "badges_new", "badges_new_yes"):
            await me.press_data(MonitorCb(action=action, id=target.id).pack())
            assert (await me.next_answer())["text"] == tr(lang, "Monitor not found."), action
    assert (await Monitor.get(id=foreign.id)).badge_token is None
    assert (await Monitor.get(id=rotated.id)).badge_token == "T" * 22
    assert (await fetch(served, f"{served.api.base}/badge/{'T' * 22}/status.svg"))[0] == 200
