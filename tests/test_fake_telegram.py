"""The fake Telegram Bot API answers a real aiogram bot the way Telegram does.

Everything goes through aiogram over HTTP, so a shape aiogram cannot parse or an
error it would classify differently fails here before it misleads a bot test.
"""

from __future__ import annotations

import asyncio
import struct
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from tests.support.fake_telegram import NOT_MODIFIED, FakeTelegram


def png(width: int = 1, height: int = 1) -> bytes:
    """A real (decodable) RGB PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """Callback buttons from (label, callback_data); data starting with https:// is a URL."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=label, url=data)
                if data.startswith("https://")
                else InlineKeyboardButton(text=label, callback_data=data)
                for label, data in row
            ]
            for row in rows
        ]
    )


class QuickAiohttpSession(AiohttpSession):
    """AiohttpSession without the 250 ms sleep aiogram's close() grants TLS sockets.

    There is no TLS here, and that sleep per test would be most of this file's run time.
    """

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    bot = Bot(fake.token, session=QuickAiohttpSession(api=TelegramAPIServer.from_base(fake.url)))
    try:
        yield bot
    finally:
        await bot.session.close()


# --- message state ------------------------------------------------------------------------


async def test_sent_edited_and_deleted_messages_are_tracked(fake: FakeTelegram, bot: Bot) -> None:
    ann = fake.user(42)
    assert fake.user(42) is ann
    sent = await bot.send_message(
        42,
        "<b>Up</b> &amp; running\n",
        parse_mode="HTML",
        reply_markup=keyboard([("🔄 Refresh", "refresh")]),
    )
    # aiogram parsed Telegram's answer: visible text, entities, keyboard.
    assert sent.text == "Up & running"
    assert [(e.type, e.offset, e.length) for e in sent.entities or []] == [("bold", 0, 2)]
    assert sent.chat.id == 42 and sent.chat.type == "private"
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "refresh"

    last = ann.last()
    assert (last.message_id, last.kind, last.parse_mode) == (sent.message_id, "text", "HTML")
    assert (last.text, last.plain) == ("<b>Up</b> &amp; running\n", "Up & running")
    assert ann.buttons() == ["🔄 Refresh"]

    # Like Telegram, an edit without reply_markup removes the inline keyboard.
    edited = await bot.edit_message_text("Down", chat_id=42, message_id=sent.message_id)
    assert isinstance(edited, Message) and edited.text == "Down" and edited.reply_markup is None
    assert (ann.last().text, ann.last().parse_mode, ann.buttons()) == ("Down", None, [])

    await bot.edit_message_reply_markup(
        chat_id=42, message_id=sent.message_id, reply_markup=keyboard([("Back", "back")])
    )
    assert ann.buttons() == ["Back"] and ann.last().text == "Down"

    assert await bot.delete_message(42, sent.message_id) is True
    [only] = ann.messages()
    assert only.deleted and only.message_id == sent.message_id
    with pytest.raises(AssertionError, match="no message"):
        ann.last()
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(42, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("Again", chat_id=42, message_id=sent.message_id)


async def test_photos_and_documents_keep_their_bytes(fake: FakeTelegram, bot: Bot) -> None:
    image = png(3, 2)
    sent = await bot.send_photo(
        7,
        BufferedInputFile(image, "chart.png"),
        caption="<i>Latency</i>",
        parse_mode="HTML",
        reply_markup=keyboard([("24h", "range:24h"), ("7d", "range:7d")]),
    )
    assert sent.photo and (sent.photo[-1].width, sent.photo[-1].height) == (3, 2)
    assert sent.caption == "Latency"
    [state] = fake.chat_messages(7)
    assert (state.kind, state.photo, state.filename) == ("photo", image, "chart.png")
    assert (state.caption, state.plain, state.text) == ("<i>Latency</i>", "Latency", None)
    assert state.buttons == ["24h", "7d"]

    await bot.edit_message_caption(chat_id=7, message_id=sent.message_id, caption="Uptime")
    assert fake.chat_messages(7)[-1].caption == "Uptime"
    assert fake.chat_messages(7)[-1].photo == image
    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await bot.edit_message_text("text", chat_id=7, message_id=sent.message_id)

    document = await bot.send_document(7, BufferedInputFile(b"at,ms\n1,20\n", "report.csv"))
    assert document.document is not None and document.document.file_name == "report.csv"
    last = fake.chat_messages(7)[-1]
    assert (last.kind, last.document, last.filename) == ("document", b"at,ms\n1,20\n", "report.csv")

    # Telegram cannot decode an SVG (or any non-raster file) as a photo.
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(7, BufferedInputFile(b"<svg/>", "chart.svg"))


# --- validation ---------------------------------------------------------------------------

SendCall = Callable[[Bot], Awaitable[Any]]


@pytest.mark.parametrize(
    ("call", "description"),
    [
        pytest.param(
            lambda bot: bot.send_message(1, "x" * 4097),
            "Bad Request: message is too long",
            id="text-4097",
        ),
        pytest.param(
            lambda bot: bot.send_message(1, "<b>" + "é" * 4097 + "</b>", parse_mode="HTML"),
            "Bad Request: message is too long",
            id="html-text-4097",
        ),
        pytest.param(
            lambda bot: bot.send_photo(1, BufferedInputFile(png(), "a.png"), caption="x" * 1025),
            "Bad Request: message caption is too long",
            id="caption-1025",
        ),
        pytest.param(
            # 33 characters but 66 bytes: the limit is in bytes.
            lambda bot: bot.send_message(1, "hi", reply_markup=keyboard([("OK", "é" * 33)])),
            "Bad Request: BUTTON_DATA_INVALID",
            id="callback-data-66-bytes",
        ),
        pytest.param(
            lambda bot: bot.send_message(1, "  \n"),
            "Bad Request: message text is empty",
            id="blank-text",
        ),
        pytest.param(
            lambda bot: bot.set_my_commands([BotCommand(command="Start", description="Go")]),
            "Bad Request: BOT_COMMAND_INVALID",
            id="command-uppercase",
        ),
        pytest.param(
            lambda bot: bot.set_webhook("http://example.com/hook"),
            "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
            id="webhook-http",
        ),
    ],
)
async def test_requests_telegram_rejects_raise_bad_request(
    bot: Bot, call: SendCall, description: str
) -> None:
    with pytest.raises(TelegramBadRequest) as raised:
        await call(bot)
    assert raised.value.message == description


async def test_limits_count_visible_characters(fake: FakeTelegram, bot: Bot) -> None:
    markup = keyboard([("OK", "x" * 64)])  # exactly 64 bytes is fine
    sent = await bot.send_message(
        1, "<b>" + "é" * 4096 + "</b>\n\n", parse_mode="HTML", reply_markup=markup
    )
    assert sent.text is not None and len(sent.text) == 4096
    await bot.send_photo(1, BufferedInputFile(png(), "a.png"), caption="c" * 1024)
    assert [m.kind for m in fake.chat_messages(1)] == ["text", "photo"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("a & b", 'Character "&" at byte offset 2 does not start an HTML entity'),
        ("&nbsp;", 'Character "&" at byte offset 0 does not start an HTML entity'),
        ("é<br>", 'Unsupported start tag "br" at byte offset 2'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ('<span class="red">x</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("<a>link</a>", 'Tag "a" must have an href'),
        ("<b x>y</b>", 'Expected equal sign in declaration of an attribute of the tag "b"'),
        ("<code", "Unclosed start tag at byte offset 0"),
        ('<a href="https://e.com/?a=1&b=2">l</a>', 'Character "&" at byte offset 27'),
    ],
)
async def test_invalid_html_is_refused_with_telegrams_reason(
    bot: Bot, text: str, reason: str
) -> None:
    with pytest.raises(TelegramBadRequest) as raised:
        await bot.send_message(1, text, parse_mode="HTML")
    assert raised.value.message.startswith(f"Bad Request: can't parse entities: {reason}")


async def test_every_telegram_html_tag_is_accepted_and_becomes_an_entity(bot: Bot) -> None:
    source = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins>"
        "<s>s</s><strike>k</strike><del>d</del>"
        '<a href="https://example.com/?a=1&amp;b=2">l</a><code>c</code>'
        '<pre><code class="language-python">p</code></pre>'
        '<tg-spoiler>t</tg-spoiler><span class="tg-spoiler">p</span>'
        "<blockquote>q</blockquote><blockquote expandable>x</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
        " &lt;&gt;&amp;&quot;&#33;&#x1F600; > done"
    )
    sent = await bot.send_message(1, source, parse_mode="HTML")
    assert sent.text == 'bsieunskdlcptpqx👍 <>&"!😀 > done'
    entities = sent.entities or []
    assert [e.type for e in entities] == [
        "bold",
        "bold",
        "italic",
        "italic",
        "underline",
        "underline",
        "strikethrough",
        "strikethrough",
        "strikethrough",
        "text_link",
        "code",
        "pre",
        "spoiler",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "custom_emoji",
    ]
    assert entities[9].url == "https://example.com/?a=1&b=2"
    assert entities[11].language == "python"
    # 👍 is two UTF-16 code units; offsets and lengths count those.
    assert (entities[16].offset, entities[16].length) == (16, 2)
    assert entities[16].custom_emoji_id == "5368324170671202286"


async def test_edits_must_find_the_message_and_change_it(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest) as raised:
        await bot.edit_message_text("new", chat_id=3, message_id=999)
    assert raised.value.message == "Bad Request: message to edit not found"

    markup = keyboard([("A", "a")])
    sent = await bot.send_message(3, "<b>same</b>", parse_mode="HTML", reply_markup=markup)
    where: dict[str, Any] = {"chat_id": 3, "message_id": sent.message_id}
    with pytest.raises(TelegramBadRequest) as raised:
        await bot.edit_message_text("<b>same</b>", parse_mode="HTML", reply_markup=markup, **where)
    assert raised.value.message == NOT_MODIFIED
    # Telegram compares what the user sees: <strong> renders exactly like <b>.
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "<strong>same</strong>", parse_mode="HTML", reply_markup=markup, **where
        )
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=3, message_id=sent.message_id, reply_markup=markup
        )
    # Same text but the keyboard goes away: that is a modification.
    await bot.edit_message_text(
        "<b>same</b>", chat_id=3, message_id=sent.message_id, parse_mode="HTML"
    )
    assert fake.chat_messages(3)[-1].reply_markup is None
    assert [c.ok for c in fake.calls] == [False, True, False, False, False, True]


# --- failure injection --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "options", "error", "description"),
    [
        (429, {"retry_after": 3}, TelegramRetryAfter, "Too Many Requests: retry after 3"),
        (403, {}, TelegramForbiddenError, "Forbidden: bot was blocked by the user"),
        (500, {}, TelegramServerError, "Internal Server Error"),
        (400, {"description": "Bad Request: chat not found"}, TelegramBadRequest, "chat not found"),
    ],
)
async def test_injected_failures_surface_as_aiogram_exceptions(
    fake: FakeTelegram,
    bot: Bot,
    status: int,
    options: dict[str, Any],
    error: type[TelegramAPIError],
    description: str,
) -> None:
    fake.fail("sendMessage", status, times=2, chat_id=5, **options)
    await bot.send_message(6, "another chat is not affected")
    for _ in range(2):
        with pytest.raises(error) as raised:
            await bot.send_message(5, "hello")
        assert description in raised.value.message
    if status == 429:
        assert isinstance(raised.value, TelegramRetryAfter) and raised.value.retry_after == 3
    await bot.send_message(5, "the third attempt works")

    attempts = [c for c in fake.calls if c.method == "sendMessage"]
    assert [(c.params["chat_id"], c.ok) for c in attempts] == [
        (6, True),
        (5, False),
        (5, False),
        (5, True),
    ]
    assert attempts[1].error is not None and description in attempts[1].error
    stamps = [c.at for c in attempts]
    assert stamps == sorted(stamps) and stamps[-1] <= time.monotonic()
    assert [m.plain for m in fake.chat_messages(5)] == ["the third attempt works"]


async def test_failures_without_chat_apply_to_any_call_until_cleared(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.fail("getMe", 502, times=None)
    for _ in range(3):
        with pytest.raises(TelegramServerError, match="Bad Gateway"):
            await bot.get_me()
    fake.clear_failures()
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (fake.bot_id, fake.username, True)


async def test_flood_limits_answer_429_per_chat_and_per_group_minute(
    fake: FakeTelegram, bot: Bot
) -> None:
    """A chat takes one message a second; a group (negative id) at most
    `group_per_minute` a minute, however slowly they come; private chats have no
    minute limit."""
    fake.limit_rate(overall_per_second=1000, chat_interval=0.05, group_per_minute=3)
    group, user = -1001234567890, 42
    await bot.send_message(group, "one")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(group, "too soon")
    for text in ("two", "three", "four"):
        await asyncio.sleep(0.06)
        await bot.send_message(user, text)
        if text != "four":
            await bot.send_message(group, text)
    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(group, "four")
    assert 58 <= raised.value.retry_after <= 60  # until the first of the minute leaves
    assert [m.plain for m in fake.chat_messages(group)] == ["one", "two", "three"]
    assert len(fake.chat_messages(user)) == 3 and fake.rate_limited() == 2


# --- transport, updates and the remaining methods -----------------------------------------


async def test_json_urlencoded_and_query_requests_are_understood(
    fake: FakeTelegram, bot: Bot
) -> None:
    base = f"{fake.url}/bot{fake.token}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/sendMessage", json={"chat_id": 9, "text": "json"}) as r:
            assert (await r.json())["result"]["text"] == "json"
        async with http.post(f"{base}/sendMessage", data={"chat_id": "9", "text": "42"}) as r:
            assert (await r.json())["result"]["text"] == "42"  # stays a string
        async with http.get(f"{base}/getMe") as r:
            assert (await r.json())["result"]["username"] == fake.username
        async with http.post(f"{fake.url}/botWRONG/getMe") as r:
            assert r.status == 401
        async with http.post(f"{base}/sendSticker", data={"chat_id": "9"}) as r:
            assert r.status == 404 and (await r.json())["ok"] is False
    assert (await bot.send_message(9, "7")).text == "7"  # aiogram's multipart, too
    assert fake.methods() == ["sendMessage", "sendMessage", "getMe", "sendSticker", "sendMessage"]
    assert [c.ok for c in fake.calls] == [True, True, True, False, True]


async def test_long_polling_offsets_and_conflicts(fake: FakeTelegram, bot: Bot) -> None:
    ann = fake.user(42, "Ann", username="ann")
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await fake.wait_for_call("getUpdates")
    started = time.monotonic()
    message_id = await ann.send("/start@uptime_test_bot now")
    [update] = await poll
    assert time.monotonic() - started < 1  # woken by the update, not by the timeout
    message = update.message
    assert message is not None and message.message_id == message_id
    assert message.from_user is not None and message.from_user.username == "ann"
    assert [(e.type, e.offset, e.length) for e in message.entities or []] == [
        ("bot_command", 0, 22)
    ]
    assert await bot.get_updates(offset=update.update_id + 1) == []

    # A second poller terminates the one waiting: two bot instances show up like this.
    calls_so_far = len(fake.calls)
    first = asyncio.create_task(bot.get_updates(offset=update.update_id + 1, timeout=5))
    await fake.wait_for_call("getUpdates", after=calls_so_far)
    second = asyncio.create_task(bot.get_updates(offset=update.update_id + 1, timeout=5))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await first
    await ann.send("hi")
    assert [u.message.text for u in await second if u.message] == ["hi"]


async def test_allowed_updates_drop_unwanted_update_types(fake: FakeTelegram, bot: Bot) -> None:
    ann = fake.user(42)
    await bot.send_message(42, "pick", reply_markup=keyboard([("A", "a")]))
    await ann.press("A")
    await ann.send("text")
    updates = await bot.get_updates(allowed_updates=["message"])
    assert [u.event_type for u in updates] == ["message"]
    # The callback query is gone for good, even once the bot asks for callbacks again.
    again = await bot.get_updates(allowed_updates=["message", "callback_query"])
    assert [u.update_id for u in again] == [updates[0].update_id]


async def test_webhook_commands_and_housekeeping_methods(fake: FakeTelegram, bot: Bot) -> None:
    assert await bot.set_webhook("https://example.com/hook") is True
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == ("https://example.com/hook", 0)
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    await fake.user(1).send("queued")
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.get_updates() == []

    commands = [
        BotCommand(command="start", description="Start"),
        BotCommand(command="stats_5", description="Stats"),
    ]
    assert await bot.set_my_commands(commands) is True
    admin = BotCommandScopeChat(chat_id=1)
    await bot.set_my_commands([BotCommand(command="admin", description="Admin")], scope=admin)
    assert [c.command for c in await bot.get_my_commands()] == ["start", "stats_5"]
    assert [c.command for c in await bot.get_my_commands(scope=admin)] == ["admin"]
    assert await bot.delete_my_commands() is True
    assert await bot.get_my_commands() == []

    assert await bot.send_chat_action(1, "typing") is True
    with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
        await bot.send_chat_action(1, "dancing")
    assert await bot.log_out() is True
    assert await bot.close() is True


# --- a real dispatcher and a playing user -------------------------------------------------


def make_router() -> Router:
    router = Router()
    refreshes = 0

    @router.message(CommandStart())
    async def start(message: Message, command: CommandObject) -> None:
        assert message.from_user is not None
        await message.answer(
            f"Hello <b>{message.from_user.first_name}</b>, args={command.args}",
            parse_mode="HTML",
            reply_markup=keyboard([("🔄 Refresh", "refresh")], [("Docs", "https://e.com")]),
        )

    @router.message(F.text.startswith("/stats"))
    async def stats(message: Message) -> None:
        assert message.entities and message.text
        await message.answer(f"command={message.entities[0].extract_from(message.text)}")

    @router.callback_query(F.data == "refresh")
    async def refresh(callback: CallbackQuery) -> None:
        nonlocal refreshes
        refreshes += 1
        assert isinstance(callback.message, Message)
        await callback.message.edit_text(
            f"Refreshed {refreshes}", reply_markup=keyboard([("🔄 Refresh", "refresh")])
        )
        await callback.answer("Done")

    @router.callback_query()
    async def unknown(callback: CallbackQuery) -> None:
        await callback.answer(f"Unknown button {callback.data}", show_alert=True)

    return router


async def test_a_user_drives_a_polling_dispatcher(fake: FakeTelegram, bot: Bot) -> None:
    dispatcher = Dispatcher()
    dispatcher.include_router(make_router())
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False)
    )
    try:
        ann = fake.user(42, "Ann")
        await ann.send("/start m12")
        greeting = await ann.next_reply()
        assert (greeting.plain, greeting.parse_mode) == ("Hello Ann, args=m12", "HTML")
        assert ann.buttons() == ["🔄 Refresh", "Docs"]
        with pytest.raises(AssertionError, match="not a callback button"):
            await ann.press("Docs")

        await ann.press("Refresh")  # matched without the leading emoji
        edited = await ann.next_reply()
        assert (edited.message_id, edited.plain) == (greeting.message_id, "Refreshed 1")
        assert (await ann.next_answer())["text"] == "Done"
        await ann.press("🔄 Refresh", message_id=greeting.message_id)
        assert (await ann.next_reply()).plain == "Refreshed 2"
        assert [m.plain for m in ann.messages()] == ["Refreshed 2"]  # edited in place

        with pytest.raises(
            AssertionError, match=r"(?s)no button 'Delete'.*message 2: \['🔄 Refresh'\]"
        ):
            await ann.press("Delete")
        await ann.press_data("forged:1")
        alert = await ann.next_answer()
        assert (alert["text"], alert["show_alert"]) == ("Unknown button forged:1", True)
        assert [a["text"] for a in ann.answers()] == ["Done", "Done", "Unknown button forged:1"]

        await ann.send("/stats_5 now")
        assert (await ann.next_reply()).plain == "command=/stats_5"
        with pytest.raises(AssertionError, match="no reply from the bot for Ann"):
            await ann.next_reply(timeout=0.05)
    finally:
        await dispatcher.stop_polling()
        await polling
    assert fake.methods()[0] == "getMe"
    assert sorted(fake.calls[1].params["allowed_updates"]) == ["callback_query", "message"]


# --- groups, channels, topics -------------------------------------------------------------


async def test_groups_channels_and_members_answer_like_telegram(
    fake: FakeTelegram, bot: Bot
) -> None:
    ann = fake.user(42, "Ann", username="ann")
    ops = fake.group(-100777, "Ops <&>", forum=True)
    ops.member(ann, "creator")
    ops.member(7, "administrator", can_post_messages=True)
    news = fake.channel(-100888, "News", username="news_feed")

    owner = await bot.get_chat_member(ops.id, ann.id)
    assert owner.status == "creator" and owner.user.username == "ann"
    admin = await bot.get_chat_member(ops.id, 7)
    assert admin.status == "administrator" and admin.can_post_messages and admin.can_manage_chat
    assert (await bot.get_chat_member(ops.id, 8)).status == "left"
    assert (await bot.get_chat_member(news.id, fake.bot_id)).status == "left"

    chat = await bot.get_chat("@news_feed")
    assert (chat.id, chat.type, chat.title) == (news.id, "channel", "News")
    forum = await bot.get_chat(ops.id)
    assert (forum.type, forum.title, forum.is_forum) == ("supergroup", "Ops <&>", True)
    for unknown in ("@nobody", -555):
        with pytest.raises(TelegramBadRequest, match="chat not found"):
            await bot.get_chat(unknown)

    # The bot is not in them yet: sends are refused as Telegram refuses them.
    with pytest.raises(TelegramForbiddenError, match="not a member of the channel"):
        await bot.send_message(news.id, "hi")
    await news.add_bot(ann, "administrator", can_post_messages=True)
    await ops.add_bot(ann)
    await bot.send_message(news.id, "hi")
    sent = await bot.send_message(ops.id, "in a topic", message_thread_id=5)
    assert sent.message_thread_id == 5 and sent.is_topic_message
    assert ops.last().thread_id == 5 and ops.last().plain == "in a topic"
    bot_admin = await bot.get_chat_member(news.id, fake.bot_id)
    assert bot_admin.status == "administrator" and bot_admin.can_post_messages


async def test_group_updates_reach_a_dispatcher(fake: FakeTelegram, bot: Bot) -> None:
    ann, bob = fake.user(1, "Ann"), fake.user(2, "Bob")
    ops = fake.group(-500, "Ops")
    ops.member(ann, "administrator")
    await ops.add_bot(ann)
    await ops.send(bob, "/status", thread_id=9)
    await bot.send_message(ops.id, "pick", reply_markup=keyboard([("Go", "go")]))
    await ops.press(bob, "Go")
    await ops.remove_bot(ann)
    updates = await bot.get_updates(allowed_updates=["message", "callback_query", "my_chat_member"])
    joined, status, pressed, kicked = updates
    assert joined.my_chat_member is not None
    assert joined.my_chat_member.old_chat_member.status == "left"
    assert joined.my_chat_member.new_chat_member.status == "member"
    assert joined.my_chat_member.from_user.id == ann.id
    assert joined.my_chat_member.chat.type == "group"
    message = status.message
    assert message is not None and message.chat.id == ops.id and message.from_user.id == bob.id
    assert (message.text, message.message_thread_id, message.is_topic_message) == (
        "/status",
        9,
        True,
    )
    assert message.entities and message.entities[0].type == "bot_command"
    query = pressed.callback_query
    assert query is not None and query.data == "go" and query.message.chat.id == ops.id
    assert query.from_user.id == bob.id
    await bot.answer_callback_query(query.id, "no")
    assert (await bob.next_answer())["text"] == "no"
    assert kicked.my_chat_member.new_chat_member.status == "kicked"
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(ops.id, "gone")


async def test_a_forwarded_channel_post_names_its_channel(fake: FakeTelegram, bot: Bot) -> None:
    ann = fake.user(1)
    news = fake.channel(-100123, "News", username="news")
    await ann.forward(news)
    [update] = await bot.get_updates()
    origin = update.message.forward_origin
    assert origin is not None and origin.type == "channel"
    assert (origin.chat.id, origin.chat.title, origin.chat.username) == (news.id, "News", "news")


async def test_a_migrated_group_answers_with_its_new_id(fake: FakeTelegram, bot: Bot) -> None:
    from aiogram.exceptions import TelegramMigrateToChat

    ann = fake.user(1)
    old = fake.group(-42, "Team")
    old.member(ann, "creator")
    await old.add_bot(ann)
    await bot.get_updates()  # the join, read
    new = await old.migrate(-100042, by=ann)
    with pytest.raises(TelegramMigrateToChat) as moved:
        await bot.send_message(old.id, "hello")
    assert moved.value.migrate_to_chat_id == new.id
    await bot.send_message(new.id, "hello")
    assert [m.plain for m in new.messages()] == ["hello"] and not old.messages()
    assert (await bot.get_chat_member(new.id, ann.id)).status == "creator"
    assert (await bot.get_chat(new.id)).type == "supergroup"
    to, since = [u.message for u in await bot.get_updates(offset=-2)]
    assert (to.chat.id, to.migrate_to_chat_id) == (old.id, new.id)
    assert (since.chat.id, since.migrate_from_chat_id) == (new.id, old.id)


async def test_the_per_group_limit_answers_429_with_the_wait(fake: FakeTelegram, bot: Bot) -> None:
    ann = fake.user(1)
    ops = fake.group(-100, "Ops")
    await ops.add_bot(ann)
    fake.limit_groups(per_minute=3)
    for n in range(3):
        await bot.send_message(ops.id, f"alert {n}")
    with pytest.raises(TelegramRetryAfter) as waited:
        await bot.send_message(ops.id, "one too many")
    assert 58 <= waited.value.retry_after <= 60
    for n in range(5):  # private chats are not groups: only limit_rate applies to them
        await bot.send_message(ann.id, f"private {n}")
    assert fake.rate_limited() == 1
