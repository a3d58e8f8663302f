"""A fake Telegram Bot API server (aiohttp.web) that the real bot talks to in tests.

It serves `{url}/bot{token}/{method}` like api.telegram.org, records every call, and
hands out queued updates through long-polling getUpdates. Point aiogram at it with
`AiohttpSession(api=TelegramAPIServer.from_base(fake.url))`.

On top of that it plays users and keeps the state Telegram would keep:

* `fake.user(42)` returns a `FakeUser` that sends messages and presses inline buttons
  (both become updates for getUpdates) and reads what the bot shows it: `messages()`,
  `last()`, `buttons()`, `await next_reply()`, `answers()`.
* Messages the bot sends are stored per chat as `BotMessage`s; editMessageText,
  editMessageCaption, editMessageReplyMarkup and deleteMessage change that state the
  way Telegram does (an edit without reply_markup removes the inline keyboard).
* Requests are validated like Telegram validates them (text and caption length,
  callback_data size, parse_mode=HTML markup, "message is not modified", ...) and
  rejected with the same `{"ok": false, "error_code": 400, "description": ...}`
  answers, so aiogram raises the exceptions it raises in production.
* `fake.fail(...)` makes chosen calls answer 429/403/500/... instead of working, and
  `fake.garble(...)` makes them work but answer `{"ok": true}` with a result aiogram
  cannot decode (a Bot API that changed, a proxy that rewrote the body).
* `FakeTelegram(port=N)` listens on a chosen port, so a bot can be started against a
  port where nothing answers yet; a bot whose token is not `fake.token` gets 401.
* `fake.group(...)` and `fake.channel(...)` make groups, supergroups (forums too) and
  broadcast channels with titles and members (`FakeGroup`): the bot added or removed
  (`my_chat_member` updates), members writing there (in a forum topic too), buttons
  pressed there, the group upgraded to a supergroup (the two service messages, and
  400 with `migrate_to_chat_id` for sends to the old id); getChatMember and getChat
  answer from that state. `fake.limit_groups()` enforces Telegram's 20 messages a
  minute per group or channel (429 with retry_after).

Where the fake is knowingly stricter than Telegram it says so in the docstring
(`parse_html`, `FakeTelegram` below); it never silently accepts what Telegram rejects
for the checks it implements.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import copy
import itertools
import json
import re
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

T = TypeVar("T")

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

OUTPUT_METHODS = frozenset(
    [
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "editMessageMedia",
    ]
)
"""Calls that show the user something; `FakeUser.next_reply` waits for these."""

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"

_SENDING_METHODS = frozenset(["sendMessage", "sendPhoto", "sendDocument"])

# Form fields Telegram documents as strings. Every other form field is JSON-decoded
# (chat_id "42" -> 42, reply_markup "{...}" -> dict, show_alert "true" -> True), but a
# message text "42" or a callback_query_id "1234" must stay a string.
_STRING_FIELDS = frozenset(
    [
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "url",
        "secret_token",
        "ip_address",
        "language_code",
        "action",
        "description",
        "short_description",
        "name",
        "title",
        "emoji",
        "photo",
        "document",
        "file_id",
    ]
)
_CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
_BUTTON_ACTIONS = frozenset(
    [
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    ]
)
# Update types Telegram leaves out when allowed_updates is an empty list.
_NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_BOT_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,})?")
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")


@dataclass
class Call:
    """One request the bot made, recorded when it arrived (even if it then failed).

    `at` is `time.monotonic()` at arrival, so tests can measure rates. `ok` and
    `error` tell how the fake answered. `message` is a snapshot of the bot message a
    successful send/edit produced, `files` the uploaded file name per parameter.
    """

    method: str
    params: dict[str, Any]
    ok: bool = True
    at: float = field(default_factory=time.monotonic)
    error: str | None = None
    message: BotMessage | None = None
    files: dict[str, str] = field(default_factory=dict)


@dataclass
class BotMessage:
    """A message the bot sent, as it currently stands (or stood, for snapshots).

    `text`/`caption` are what the bot sent, markup included (e.g. "<b>Up</b>" with
    parse_mode "HTML"); `plain` is what the user sees ("Up"), with `entities` as
    Telegram would report them (offsets in UTF-16 code units). `photo` holds the
    uploaded bytes of a photo, `document` those of a document (`filename` its name);
    both stay None when the bot sent a file_id or URL instead of bytes.
    """

    message_id: int
    text: str | None = None
    reply_markup: dict[str, Any] | None = None
    parse_mode: str | None = None
    kind: str = "text"
    photo: bytes | None = None
    caption: str | None = None
    deleted: bool = False
    chat_id: int = 0
    document: bytes | None = None
    filename: str | None = None
    file_id: str | None = None
    plain: str = ""
    entities: list[dict[str, Any]] = field(default_factory=list)
    date: int = 0
    edit_date: int | None = None
    thread_id: int | None = None  # the forum topic it was sent to

    @property
    def buttons(self) -> list[str]:
        """Visible texts of the inline keyboard, row by row, left to right."""
        return [button.get("text", "") for button in _inline_buttons(self.reply_markup)]


class ApiError(Exception):
    """An error answer of the Bot API: raised by request handlers, sent as JSON."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def response(self) -> web.Response:
        return _error(self.code, self.description, self.parameters)


class EntityParseError(ValueError):
    """Text with parse_mode=HTML that Telegram would refuse (message is the reason)."""


@dataclass
class _Failure:
    method: str
    status: int
    description: str
    parameters: dict[str, Any] | None
    times: int | None
    chat_id: int | str | None


@dataclass
class _Query:
    """A callback query a FakeUser produced, and the bot's answer once it came."""

    id: str
    user_id: int
    answer: dict[str, Any] | None = None


@dataclass(eq=False)
class _Chat:
    id: int
    instance: str
    first_name: str | None = None
    username: str | None = None
    next_message_id: int = 1
    messages: dict[int, BotMessage] = field(default_factory=dict)
    user_messages: set[int] = field(default_factory=set)
    # Set for chats made by `FakeTelegram.group`/`channel`; others of a negative id are
    # a group or supergroup by their id, "Chat <id>".
    type: str | None = None
    title: str | None = None
    is_forum: bool = False
    members: dict[int, dict[str, Any]] = field(default_factory=dict)  # id: ChatMember
    migrated_to: int | None = None

    def new_message_id(self) -> int:
        """Bot and user messages share one increasing counter per chat, as in Telegram."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def json(self) -> dict[str, Any]:
        if self.id > 0:
            chat: dict[str, Any] = {
                "id": self.id,
                "type": "private",
                "first_name": self.first_name or f"User {self.id}",
            }
            if self.username:
                chat["username"] = self.username
            return chat
        kind = self.type or ("supergroup" if str(self.id).startswith("-100") else "group")
        chat = {"id": self.id, "type": kind, "title": self.title or f"Chat {self.id}"}
        if self.username:
            chat["username"] = self.username
        if self.is_forum:
            chat["is_forum"] = True
        return chat


@dataclass
class FakeTelegram:
    """The fake Bot API server. `await start()`, use `url`, `await stop()`.

    Deliberate leniency: the bot may send to any chat id, also one no `FakeUser`
    exists for (alerts to admins); such chats are created on first use and their
    messages are readable through `chat_messages(chat_id)`. Only "@username" chat ids
    of unknown users answer "chat not found".
    """

    token: str = "123456:TEST-TOKEN"
    bot_id: int = 123456
    username: str = "uptime_test_bot"
    calls: list[Call] = field(default_factory=list)
    _updates: list[dict] = field(default_factory=list)
    _next_update_id: int = 1
    _runner: web.AppRunner | None = None
    port: int = 0

    def __post_init__(self) -> None:
        self._changed = asyncio.Condition()
        self._users: dict[int, FakeUser] = {}
        self._chats: dict[int, _Chat] = {}
        self._queries: dict[str, _Query] = {}
        self._failures: list[_Failure] = []
        self._garbled: dict[str, int | None] = {}
        self._rate: tuple[float, float] | None = None
        self._group_limit: int | None = None
        self._sent_times: collections.deque[float] = collections.deque()
        self._last_sent_to: dict[int | str, float] = {}
        self._group_sent: dict[int, collections.deque[float]] = {}
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._webhook_url = ""
        self._webhook_secret: str | None = None
        self._webhook_address: str | None = None
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._stopping = False
        self._counter = itertools.count(1)
        self._handlers: dict[str, Callable[[dict[str, Any], Call], Any]] = {
            "getMe": self._get_me,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageMedia": self._edit_message_media,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendChatAction": self._send_chat_action,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getChatMember": self._get_chat_member,
            "getChat": self._get_chat,
            "close": lambda params, call: True,
            "logOut": lambda params, call: True,
        }

    # --- lifecycle ------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._stopping = False
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        # Release pending long polls at once instead of waiting for shutdown_timeout.
        self._stopping = True
        await self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- test-facing API ------------------------------------------------------------

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    async def wait_for_call(self, method: str, timeout: float = 10.0, *, after: int = 0) -> Call:
        """The first call of `method` at index `after` or later in `calls`, waiting up to
        `timeout` seconds for it (`after=len(fake.calls)` waits for the next one)."""

        def find() -> Call | None:
            return next((c for c in self.calls[after:] if c.method == method), None)

        return await asyncio.wait_for(self._wait_until(find), timeout)

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until `condition()` holds; it is re-checked after every call served."""
        await asyncio.wait_for(self._wait_until(lambda: True if condition() else None), timeout)

    def user(
        self,
        user_id: int,
        first_name: str = "Ann",
        username: str | None = None,
        language_code: str | None = "en",
    ) -> FakeUser:
        """The user with this id, created on first use (later calls return the same)."""
        if user_id not in self._users:
            chat = self._chat(user_id)
            chat.first_name, chat.username = first_name, username
            self._users[user_id] = FakeUser(self, user_id, first_name, username, language_code)
        return self._users[user_id]

    def group(
        self,
        chat_id: int,
        title: str = "Ops",
        *,
        forum: bool = False,
        username: str | None = None,
    ) -> FakeGroup:
        """A group (a negative id) or a supergroup (an id starting with -100; `forum`:
        one with topics) titled `title`; the bot is not in it until `add_bot`."""
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return self._group(chat_id, kind, title, username, forum)

    def channel(self, chat_id: int, title: str = "News", username: str | None = None) -> FakeGroup:
        """A broadcast channel (an id starting with -100); the bot is not in it until
        `add_bot`."""
        return self._group(chat_id, "channel", title, username, False)

    def _group(
        self, chat_id: int, kind: str, title: str, username: str | None, forum: bool
    ) -> FakeGroup:
        if chat_id >= 0:
            raise ValueError("groups and channels have negative ids")
        chat = self._chat(chat_id)
        chat.type, chat.title, chat.username, chat.is_forum = kind, title, username, forum
        chat.members.setdefault(self.bot_id, {"status": "left"})
        return FakeGroup(self, chat_id)

    def limit_groups(self, per_minute: int = 20) -> None:
        """Enforce Telegram's limit per group, supergroup or channel (a negative chat
        id): a message that would make more than `per_minute` accepted messages to that
        chat within the last 60 s answers 429 with retry_after the seconds until one
        leaves the window, as Telegram does (on top of `limit_rate`, when that is on)."""
        self._group_limit = per_minute

    def chat_messages(self, chat_id: int) -> list[BotMessage]:
        """Snapshots of the bot's messages in a chat, oldest first, deleted ones included."""
        chat = self._chats.get(chat_id)
        return [_snapshot(m) for m in chat.messages.values()] if chat else []

    def fail(
        self,
        method: str,
        status: int,
        *,
        description: str | None = None,
        retry_after: int | None = None,
        times: int | None = 1,
        chat_id: int | str | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with an error instead of working.

        Only calls for `chat_id` count when it is given; `times=None` fails until
        `clear_failures()`. A 429 always carries `parameters.retry_after` (default 1)
        and "Too Many Requests: retry after N"; 403 defaults to "Forbidden: bot was
        blocked by the user", 500 to "Internal Server Error". Rules are checked in the
        order they were added. The failed calls are recorded with `ok=False`.
        """
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every call)")
        if status == HTTPStatus.TOO_MANY_REQUESTS and retry_after is None:
            retry_after = 1
        if description is None:
            description = _default_description(status, retry_after)
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        self._failures.append(
            _Failure(method, status, description, parameters, times, _chat_key(chat_id))
        )

    def clear_failures(self) -> None:
        self._failures.clear()
        self._garbled.clear()

    def garble(self, method: str, *, times: int | None = 1) -> None:
        """The next `times` calls of `method` (every one with `times=None`) do their work
        (a message is stored and recorded with ok=True) but answer HTTP 200
        `{"ok": true, "result": {"unexpected": ...}}`, which aiogram cannot decode."""
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every call)")
        self._garbled[method] = times

    def limit_rate(
        self,
        overall_per_second: float = 30,
        chat_interval: float = 1.0,
        group_per_minute: int | None = None,
    ) -> None:
        """Enforce Telegram's flood limits on the methods that send messages: a call
        that would make more than `overall_per_second` accepted messages within the
        last second, or that comes less than `chat_interval` seconds after the last
        accepted message to the same chat, answers 429 with retry_after 1 (and is
        recorded with ok=False), as Telegram does. `group_per_minute` also limits each
        group (`limit_groups`)."""
        self._rate = (overall_per_second, chat_interval)
        if group_per_minute is not None:
            self.limit_groups(group_per_minute)

    def rate_limited(self) -> int:
        """How many calls answered 429."""
        return sum(1 for c in self.calls if c.error and c.error.startswith("Too Many Requests"))

    def deliver_webhook_to(self, address: str) -> None:
        """Once a webhook is set, POST updates to `address` (where a reverse proxy would
        forward the webhook's public HTTPS URL), with its secret token, as Telegram does."""
        self._webhook_address = address

    async def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (without update_id) for getUpdates, or post it to the webhook
        (see deliver_webhook_to); returns it numbered."""
        async with self._changed:
            update = {"update_id": self._next_update_id, **update}
            self._next_update_id += 1
            if not (self._webhook_url and self._webhook_address):
                self._updates.append(update)
            self._changed.notify_all()
        if self._webhook_url and self._webhook_address:
            headers = {"X-Telegram-Bot-Api-Secret-Token": self._webhook_secret or ""}
            async with (
                aiohttp.ClientSession() as http,
                http.post(self._webhook_address, json=update, headers=headers) as response,
            ):
                if response.status != 200:
                    raise AssertionError(f"the webhook answered {response.status}")
        return update

    # --- plumbing ---------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _wait_until(self, find: Callable[[], T | None]) -> T:
        """Re-run `find` after every change until it returns something (no timeout)."""
        async with self._changed:
            while (found := find()) is None:
                await self._changed.wait()
            return found

    def _chat(self, chat_id: int) -> _Chat:
        if chat_id not in self._chats:
            self._chats[chat_id] = _Chat(chat_id, instance=str(-7_000_000_000_000 - chat_id))
        return self._chats[chat_id]

    def _new_id(self) -> int:
        return next(self._counter)

    def _bot_json(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Uptime",
            "username": self.username,
        }

    def _message_json(self, chat: _Chat, message: BotMessage) -> dict[str, Any]:
        """The Message object Telegram returns for (and puts in callbacks about) a message."""
        result: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self._bot_json(),
            "chat": chat.json(),
            "date": message.date,
        }
        if message.edit_date is not None:
            result["edit_date"] = message.edit_date
        if message.thread_id is not None:
            result["message_thread_id"] = message.thread_id
            result["is_topic_message"] = chat.is_forum
        if message.kind == "text":
            result["text"] = message.plain
            if message.entities:
                result["entities"] = copy.deepcopy(message.entities)
        else:
            if message.kind == "photo":
                result["photo"] = _photo_sizes(message)
            else:
                result["document"] = {
                    "file_id": message.file_id,
                    "file_unique_id": f"u{message.file_id}",
                    "file_name": message.filename or "document",
                    "file_size": len(message.document or b""),
                }
            if message.caption:
                result["caption"] = message.plain
                if message.entities:
                    result["caption_entities"] = copy.deepcopy(message.entities)
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            result["reply_markup"] = copy.deepcopy(message.reply_markup)
        return result

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, str]]:
        """Parameters from the query string and a JSON, urlencoded or multipart body.

        Uploaded files become bytes under the parameter that references them: aiogram
        sends `photo=attach://<key>` plus a file part named `<key>`, while other
        clients post the file part as `photo` itself. Returns (params, file names).
        """
        params = {key: _decode_field(key, value) for key, value in request.query.items()}
        filenames: dict[str, str] = {}
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise ApiError(400, "Bad Request: can't parse JSON object") from exc
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: can't parse JSON object")
            params.update(body)
        elif request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            files: dict[str, tuple[str, bytes]] = {}
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    params[key] = _decode_field(key, value)
                else:
                    files[key] = (value.filename, value.file.read())
            for key, value in list(params.items()):
                if isinstance(value, str) and value.startswith("attach://"):
                    name = value.removeprefix("attach://")
                    if name in files:
                        filenames[key], params[key] = files.pop(name)
            for key, (filename, data) in files.items():
                filenames[key], params[key] = filename, data
        return params, filenames

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        try:
            params, filenames = await self._params(request)
        except ApiError as exc:
            return exc.response()
        call = Call(method, params, files=filenames)
        self.calls.append(call)
        try:
            self._inject_failure(call)
            self._enforce_rate(call)
            if method == "getUpdates":
                await self._notify()  # wait_for_call("getUpdates") sees the poll in flight
                result = await self._get_updates(params)
            else:
                handler = self._handlers.get(method)
                if handler is None:
                    raise ApiError(404, f"Not Found: method {method} is not faked")
                # Synchronous: the call is complete before anyone else looks at it.
                result = handler(params, call)
        except ApiError as exc:
            call.ok, call.error = False, exc.description
            response = exc.response()
        except Exception as exc:  # a bug in the fake: tell the test instead of hanging up
            call.ok, call.error = False, f"Internal Server Error: fake failed with {exc!r}"
            response = _error(500, call.error)
        else:
            response = self._garbled_answer(method) or _ok(result)
        await self._notify()
        return response

    def _garbled_answer(self, method: str) -> web.Response | None:
        if method not in self._garbled:
            return None
        times = self._garbled[method]
        if times is not None:
            if times <= 1:
                del self._garbled[method]
            else:
                self._garbled[method] = times - 1
        return _ok({"unexpected": "a result in a shape aiogram does not know"})

    def _inject_failure(self, call: Call) -> None:
        chat_id = _chat_key(call.params.get("chat_id"))
        for rule in self._failures:
            if rule.method != call.method or rule.chat_id not in (None, chat_id):
                continue
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    self._failures.remove(rule)
            raise ApiError(rule.status, rule.description, rule.parameters)

    def _enforce_rate(self, call: Call) -> None:
        """`limit_groups` and `limit_rate`: a call over either is refused with a 429 and
        counts toward neither."""
        if call.method not in _SENDING_METHODS:
            return
        now = time.monotonic()
        chat = _chat_key(call.params.get("chat_id"))
        group = self._group_window(chat, now)
        if group is not None and len(group) >= (self._group_limit or 0):
            retry_after = max(1, int(group[0] + 60.0 - now + 0.999))
            raise ApiError(
                429, _default_description(429, retry_after), {"retry_after": retry_after}
            )
        if self._rate is not None:
            overall, interval = self._rate
            while self._sent_times and self._sent_times[0] <= now - 1.0:
                self._sent_times.popleft()
            last = self._last_sent_to.get(chat)
            if len(self._sent_times) >= overall or (last is not None and now - last < interval):
                raise ApiError(429, _default_description(429, 1), {"retry_after": 1})
            self._sent_times.append(now)
            self._last_sent_to[chat] = now
        if group is not None:
            group.append(now)

    def _group_window(self, chat: int | str, now: float) -> collections.deque[float] | None:
        """The times of the messages accepted for group `chat` within the last minute;
        None when it is no group or groups are not limited."""
        if self._group_limit is None or not isinstance(chat, int) or chat >= 0:
            return None
        window = self._group_sent.setdefault(chat, collections.deque())
        while window and window[0] <= now - 60.0:
            window.popleft()
        return window

    def _target_chat(self, params: dict[str, Any]) -> _Chat:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        key = _chat_key(raw)
        if isinstance(key, int):
            return self._chat(key)
        if key.startswith("@"):
            for chat in self._chats.values():
                if chat.username and chat.username.lower() == key[1:].lower():
                    return chat
        raise ApiError(400, "Bad Request: chat not found")

    def _chat_to_post(self, params: dict[str, Any]) -> _Chat:
        """The chat a message goes to, refused as Telegram refuses it: a group that
        became a supergroup (400 with migrate_to_chat_id), a group or channel the bot
        is not in (403)."""
        chat = self._target_chat(params)
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.type is not None:
            status = chat.members.get(self.bot_id, {}).get("status", "left")
            if status in ("left", "kicked"):
                where = "channel" if chat.type == "channel" else f"{chat.type} chat"
                raise ApiError(403, f"Forbidden: bot is not a member of the {where}")
        return chat

    def _message_to_edit(self, params: dict[str, Any]) -> tuple[_Chat, BotMessage]:
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: message to edit not found")
        chat = self._target_chat(params)
        message_id = _int_param(params, "message_id")
        if message_id in chat.user_messages:
            raise ApiError(400, "Bad Request: message can't be edited")
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise ApiError(400, "Bad Request: message to edit not found")
        return chat, message

    def _stored(self, call: Call, chat: _Chat, message: BotMessage) -> dict[str, Any]:
        call.message = _snapshot(message)
        return self._message_json(chat, message)

    def _new_message(
        self, chat: _Chat, kind: str, markup: dict[str, Any] | None, thread: Any = None
    ) -> BotMessage:
        message = BotMessage(
            chat.new_message_id(),
            kind=kind,
            reply_markup=markup,
            chat_id=chat.id,
            date=int(time.time()),
            thread_id=int(thread) if thread not in (None, "") else None,
        )
        chat.messages[message.message_id] = message
        return message

    # --- methods ----------------------------------------------------------------------

    def _get_me(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        return {
            **self._bot_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _send_message(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        chat = self._chat_to_post(params)
        raw, parse_mode = _text_param(params, "text"), params.get("parse_mode")
        plain, entities = _format(raw, parse_mode, params.get("entities"), caption=False)
        markup = _reply_markup(params)
        message = self._new_message(chat, "text", markup, params.get("message_thread_id"))
        message.text, message.parse_mode, message.plain, message.entities = (
            raw,
            parse_mode,
            plain,
            entities,
        )
        return self._stored(call, chat, message)

    def _send_file(self, params: dict[str, Any], call: Call, kind: str) -> dict[str, Any]:
        chat = self._chat_to_post(params)
        file = params.get(kind)
        if file is None or file == "":
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        if isinstance(file, bytes):
            if not file:
                raise ApiError(400, "Bad Request: file must be non-empty")
            if kind == "photo" and not _looks_like_image(file):
                raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        caption, parse_mode = (
            _text_param(params, "caption", required=False),
            params.get("parse_mode"),
        )
        plain, entities = _format(caption, parse_mode, params.get("caption_entities"), caption=True)
        message = self._new_message(
            chat, kind, _reply_markup(params), params.get("message_thread_id")
        )
        message.caption = caption or None
        message.parse_mode, message.plain, message.entities = parse_mode, plain, entities
        message.file_id = file if isinstance(file, str) else f"BQAC{self._new_id():08d}"
        if isinstance(file, bytes):
            if kind == "photo":
                message.photo = file
            else:
                message.document = file
        message.filename = call.files.get(kind)
        return self._stored(call, chat, message)

    def _send_photo(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        return self._send_file(params, call, "photo")

    def _send_document(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        return self._send_file(params, call, "document")

    def _edit_message_text(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        chat, message = self._message_to_edit(params)
        if message.kind != "text":
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        raw, parse_mode = _text_param(params, "text"), params.get("parse_mode")
        plain, entities = _format(raw, parse_mode, params.get("entities"), caption=False)
        markup = _reply_markup(params)
        if (plain, entities, markup) == (message.plain, message.entities, message.reply_markup):
            raise ApiError(400, NOT_MODIFIED)
        message.text, message.parse_mode, message.plain, message.entities = (
            raw,
            parse_mode,
            plain,
            entities,
        )
        message.reply_markup, message.edit_date = markup, int(time.time())
        return self._stored(call, chat, message)

    def _edit_message_caption(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        chat, message = self._message_to_edit(params)
        if message.kind == "text":
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        caption, parse_mode = (
            _text_param(params, "caption", required=False),
            params.get("parse_mode"),
        )
        plain, entities = _format(caption, parse_mode, params.get("caption_entities"), caption=True)
        markup = _reply_markup(params)
        if (plain, entities, markup) == (message.plain, message.entities, message.reply_markup):
            raise ApiError(400, NOT_MODIFIED)
        message.caption, message.parse_mode, message.plain, message.entities = (
            caption or None,
            parse_mode,
            plain,
            entities,
        )
        message.reply_markup, message.edit_date = markup, int(time.time())
        return self._stored(call, chat, message)

    def _edit_message_media(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        """A photo or document message gets a new file (uploaded as attach://<part>, or
        a file_id), caption and keyboard, as Telegram's editMessageMedia does."""
        chat, message = self._message_to_edit(params)
        if message.kind == "text":
            raise ApiError(400, "Bad Request: there is no media in the message to edit")
        media = params.get("media")
        if not isinstance(media, dict) or media.get("type") not in ("photo", "document"):
            raise ApiError(400, "Bad Request: can't parse InputMedia")
        ref = media.get("media")
        file = params.get(ref.removeprefix("attach://")) if isinstance(ref, str) else None
        if isinstance(ref, str) and not ref.startswith("attach://"):
            file = ref  # a file_id
        if not file:
            raise ApiError(400, "Bad Request: there is no media in the request")
        if isinstance(file, bytes) and media["type"] == "photo" and not _looks_like_image(file):
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        caption = media.get("caption") or ""
        if len(caption) > MAX_CAPTION_LENGTH:
            raise ApiError(400, "Bad Request: message caption is too long")
        parse_mode = media.get("parse_mode")
        plain, entities = _format(caption, parse_mode, media.get("caption_entities"), caption=True)
        message.kind = media["type"]
        if isinstance(file, bytes):
            message.photo = file if media["type"] == "photo" else None
            message.document = file if media["type"] == "document" else None
            message.file_id = f"BQAC{self._new_id():08d}"
        message.caption, message.parse_mode, message.plain, message.entities = (
            caption or None,
            parse_mode,
            plain,
            entities,
        )
        message.reply_markup, message.edit_date = _reply_markup(params), int(time.time())
        return self._stored(call, chat, message)

    def _edit_message_reply_markup(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        chat, message = self._message_to_edit(params)
        markup = _reply_markup(params)
        if markup == message.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        message.reply_markup, message.edit_date = markup, int(time.time())
        return self._stored(call, chat, message)

    def _delete_message(self, params: dict[str, Any], call: Call) -> bool:
        chat = self._target_chat(params)
        message_id = _int_param(params, "message_id")
        if message_id in chat.user_messages:
            chat.user_messages.discard(message_id)
            return True
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise ApiError(400, "Bad Request: message to delete not found")
        message.deleted = True
        return True

    def _answer_callback_query(self, params: dict[str, Any], call: Call) -> bool:
        query = self._queries.get(str(params.get("callback_query_id", "")))
        if query is None or query.answer is not None:
            raise ApiError(400, QUERY_INVALID)
        query.answer = dict(params)
        return True

    def _send_chat_action(self, params: dict[str, Any], call: Call) -> bool:
        self._target_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _commands_key(self, params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, params: dict[str, Any], call: Call) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.fullmatch(
                str(command.get("command", ""))
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: command description is empty or too long")
        self._commands[self._commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _delete_my_commands(self, params: dict[str, Any], call: Call) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    def _get_my_commands(self, params: dict[str, Any], call: Call) -> list[dict[str, Any]]:
        return copy.deepcopy(self._commands.get(self._commands_key(params), []))

    def _set_webhook(self, params: dict[str, Any], call: Call) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        self._webhook_url = url
        self._webhook_secret = params.get("secret_token")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = list(params["allowed_updates"])
        return True

    def _delete_webhook(self, params: dict[str, Any], call: Call) -> bool:
        self._webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._allowed_updates:
            info["allowed_updates"] = list(self._allowed_updates)
        return info

    def _user_json(self, user_id: int) -> dict[str, Any]:
        if user_id == self.bot_id:
            return self._bot_json()
        if user_id in self._users:
            return self._users[user_id].json()
        return {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}

    def _member_json(self, chat: _Chat, user_id: int) -> dict[str, Any]:
        """The ChatMember Telegram returns, with every field aiogram requires."""
        if chat.id == user_id:
            record: dict[str, Any] = {"status": "member"}
        else:
            record = chat.members.get(user_id, {"status": "left"})
        return member_json(record, self._user_json(user_id))

    def _known(self, chat: _Chat) -> bool:
        """Whether Telegram would know the chat: a user's, or a group or channel made
        with `group`/`channel` (other ids the bot merely sent to are not)."""
        return chat.type is not None if chat.id < 0 else chat.id in self._users

    def _get_chat_member(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        chat = self._target_chat(params)
        if not self._known(chat):
            raise ApiError(400, "Bad Request: chat not found")
        return self._member_json(chat, _int_param(params, "user_id"))

    def _get_chat(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        chat = self._target_chat(params)
        if not self._known(chat):
            raise ApiError(400, "Bad Request: chat not found")
        return {
            **chat.json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    # --- getUpdates -------------------------------------------------------------------

    def _wanted(self, update: dict[str, Any]) -> bool:
        kind = next(key for key in update if key != "update_id")
        if not self._allowed_updates:
            return kind not in _NOT_DEFAULT_UPDATES
        return kind in self._allowed_updates

    def _pending(self) -> list[dict[str, Any]]:
        # Updates of types the bot did not ask for are dropped, as Telegram drops them.
        self._updates = [u for u in self._updates if self._wanted(u)]
        return self._updates

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Long polling with Telegram's semantics.

        `offset` confirms (forgets) every update below it; a negative offset keeps only
        the last -offset updates. `allowed_updates` is remembered across calls. A new
        getUpdates terminates one still waiting with 409 "Conflict: terminated by other
        getUpdates request", which is how two bot instances polling one token show up.
        """
        if self._webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = float(params.get("timeout") or 0)
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = list(params["allowed_updates"])
        self._poll_generation += 1
        generation = self._poll_generation
        async with self._changed:
            self._changed.notify_all()  # an older poll still waiting learns it lost
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            elif offset < 0:
                self._updates = self._updates[offset:]

            def done() -> bool:
                superseded = self._poll_generation != generation
                return bool(self._pending()) or superseded or self._stopping

            if not done() and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._changed.wait_for(done)
            if self._poll_generation != generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            return copy.deepcopy(self._pending()[:limit])


class _ChatReader:
    """The read side a private chat (FakeUser) and a group (FakeGroup) share: the bot's
    messages in the chat, and the next one after the last action there. A subclass
    has `fake`, `id` and `_reply_cursor`, and says who it is in failures (`_who`)."""

    fake: FakeTelegram
    id: int
    _reply_cursor: int

    def _who(self) -> str:
        raise NotImplementedError

    def messages(self) -> list[BotMessage]:
        """Snapshots of the bot's messages in this chat, oldest first, deleted included."""
        return self.fake.chat_messages(self.id)

    def last(self) -> BotMessage:
        """The newest bot message that is not deleted (AssertionError if there is none)."""
        for message in reversed(self.messages()):
            if not message.deleted:
                return message
        raise AssertionError(f"the bot shows no message in {self._who()}")

    async def next_reply(self, timeout: float = 5.0) -> BotMessage:
        """The next message the bot sent or edited in this chat after the last action.

        Returns the message as that call left it (a later edit is the next reply).
        Raises AssertionError when nothing comes within `timeout` seconds.
        """

        def find() -> BotMessage | None:
            found = _next_output(self.fake.calls, self._reply_cursor, self.id)
            if found is None:
                return None
            self._reply_cursor, message = found
            return message

        return await self._wait(find, timeout, "reply from the bot")

    async def _wait(self, find: Callable[[], T | None], timeout: float, what: str) -> T:
        try:
            async with asyncio.timeout(timeout):
                return await self.fake._wait_until(find)
        except TimeoutError:
            since = self.fake.methods()[self._reply_cursor :]
            raise AssertionError(
                f"no {what} for {self._who()} within {timeout}s; "
                f"calls since the last action: {since}"
            ) from None


@dataclass(eq=False)
class FakeUser(_ChatReader):
    """A Telegram user chatting with the bot in a private chat (chat id == user id).

    `send` and `press` queue updates for the bot; the read side (`messages`, `last`,
    `buttons`, `next_reply`, `next_answer`, `answers`) looks at what the bot did in
    this chat. Each `send`/`press` moves a cursor to the end of `fake.calls`, and
    `next_reply` returns the bot's outputs to this chat after that cursor one by one.
    Telegram does not link an output to the update that caused it, so neither can the
    fake: await the replies to one action before the next action if the bot could
    still be answering the previous one.
    """

    fake: FakeTelegram
    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None
    _reply_cursor: int = field(default=0, repr=False)
    _query_ids: list[str] = field(default_factory=list, repr=False)
    _answer_index: int = field(default=0, repr=False)

    @property
    def chat_id(self) -> int:
        return self.id

    def json(self) -> dict[str, Any]:
        """The User object Telegram puts in `from`."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    @property
    def _chat(self) -> _Chat:
        return self.fake._chat(self.id)

    def _mark(self) -> None:
        self._reply_cursor = len(self.fake.calls)
        self._answer_index = len(self._query_ids)

    # --- acting -----------------------------------------------------------------------

    async def send(self, text: str) -> int:
        """Send `text` to the bot; returns the new message_id.

        A leading "/command" (optionally "@botname") gets a bot_command entity, as the
        Telegram clients add it.
        """
        return await self._write(self._chat, text)

    async def forward(self, channel: FakeGroup, text: str = "A post") -> int:
        """Forward a post of `channel` to the bot (a message with `forward_origin` of
        type "channel", as Telegram clients send it); returns the new message_id."""
        chat = self.fake._chat(channel.id)
        origin = {
            "type": "channel",
            "chat": chat.json(),
            "message_id": chat.new_message_id(),
            "date": int(time.time()),
        }
        return await self._write(self._chat, text, {"forward_origin": origin})

    async def _write(self, chat: _Chat, text: str, extra: dict[str, Any] | None = None) -> int:
        message: dict[str, Any] = {
            "message_id": chat.new_message_id(),
            "from": self.json(),
            "chat": chat.json(),
            "date": int(time.time()),
            "text": text,
            **(extra or {}),
        }
        if command := _BOT_COMMAND_RE.match(text):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command.group())}
            ]
        chat.user_messages.add(message["message_id"])
        self._mark()
        await self.fake.push_update({"message": message})
        return message["message_id"]

    async def press(self, button_text: str, message_id: int | None = None) -> str:
        """Press the inline button labelled `button_text`; returns the callback query id.

        Looks at the newest not-deleted bot message first (or only at `message_id`). An
        exact label match wins; failing that, labels are compared without leading emoji,
        punctuation and spaces ("Refresh" presses "🔄 Refresh").
        """
        return await self._press_in(self._chat, button_text, message_id)

    async def _press_in(self, chat: _Chat, button_text: str, message_id: int | None) -> str:
        candidates = [
            m
            for m in reversed(chat.messages.values())
            if not m.deleted and message_id in (None, m.message_id)
        ]
        wanted = _loose_label(button_text)
        matchers: list[Callable[[str], bool]] = [lambda label: label == button_text]
        if wanted:
            matchers.append(lambda label: _loose_label(label) == wanted)
        for matches in matchers:
            for message in candidates:
                for button in _inline_buttons(message.reply_markup):
                    if matches(button.get("text", "")):
                        if "callback_data" not in button:
                            raise AssertionError(
                                f"button {button['text']!r} of message {message.message_id} "
                                f"is not a callback button: {button}"
                            )
                        return await self._callback(message, button["callback_data"], chat)
        recent = "\n".join(
            f"  message {m.message_id}: {m.buttons}" for m in candidates[:5] if m.buttons
        )
        raise AssertionError(
            f"{self.first_name} ({self.id}) sees no button {button_text!r}"
            + (f" on message {message_id}" if message_id is not None else "")
            + "; buttons of recent messages:\n"
            + (recent or "  (none)")
        )

    async def press_data(self, data: str, message_id: int | None = None) -> str:
        """Send a callback query with arbitrary `data` (a forged or stale button).

        It is attached to `message_id` or to the newest not-deleted bot message.
        """
        chat = self._chat
        if message_id is None:
            message = self.last()
        else:
            message = chat.messages.get(message_id)
            if message is None or message.deleted:
                raise AssertionError(f"no bot message {message_id} in the chat with {self.id}")
        return await self._callback(message, data)

    async def _callback(self, message: BotMessage, data: str, chat: _Chat | None = None) -> str:
        query = _Query(str(4_000_000_000_000_000 + self.fake._new_id()), self.id)
        self.fake._queries[query.id] = query
        self._mark()
        self._query_ids.append(query.id)
        chat = chat or self._chat
        update = {
            "callback_query": {
                "id": query.id,
                "from": self.json(),
                "message": self.fake._message_json(chat, message),
                "chat_instance": chat.instance,
                "data": data,
            }
        }
        await self.fake.push_update(update)
        return query.id

    # --- reading ----------------------------------------------------------------------

    def buttons(self, message: BotMessage | None = None) -> list[str]:
        """Visible labels of the inline keyboard of `message` (default: `last()`)."""
        return (message or self.last()).buttons

    async def next_answer(self, timeout: float = 5.0) -> dict[str, Any]:
        """The answerCallbackQuery params for this user's latest press (then the next one).

        Answers are matched to presses by callback_query_id, so an answer the bot gives
        late to an earlier press is not mistaken for the answer to the latest one.
        """

        def find() -> dict[str, Any] | None:
            if self._answer_index >= len(self._query_ids):
                return None
            answer = self.fake._queries[self._query_ids[self._answer_index]].answer
            if answer is None:
                return None
            self._answer_index += 1
            return dict(answer)

        return await self._wait(find, timeout, "answerCallbackQuery")

    def answers(self) -> list[dict[str, Any]]:
        """answerCallbackQuery params (text, show_alert, ...) for this user's queries."""
        return [
            dict(query.answer)
            for query in self.fake._queries.values()
            if query.user_id == self.id and query.answer is not None
        ]

    def _who(self) -> str:
        return f"{self.first_name} ({self.id})"


@dataclass(eq=False)
class FakeGroup(_ChatReader):
    """A group, supergroup (a forum, with topics) or broadcast channel the bot may be
    in (`FakeTelegram.group`, `FakeTelegram.channel`).

    Members write (`send`, in a topic with `thread_id`) and press buttons (`press`)
    there as `FakeUser`s (who read the answers to their presses with `next_answer`);
    `member` sets someone's status, `add_bot`/`remove_bot` the bot's (with the
    my_chat_member update Telegram sends), `migrate` upgrades a group to a supergroup.
    The read side (`messages`, `last`, `next_reply`) shows the bot's messages here.
    """

    fake: FakeTelegram
    id: int
    _reply_cursor: int = field(default=0, repr=False)

    @property
    def _chat(self) -> _Chat:
        return self.fake._chat(self.id)

    @property
    def title(self) -> str:
        return self._chat.title or ""

    def member(self, user: FakeUser | int, status: str = "member", **rights: Any) -> None:
        """Make `user` a member with `status` (creator, administrator, member, left,
        kicked); `rights` are an administrator's can_* flags."""
        user_id = user if isinstance(user, int) else user.id
        self._chat.members[user_id] = {"status": status, **rights}

    async def add_bot(self, by: FakeUser, status: str = "member", **rights: Any) -> dict[str, Any]:
        """`by` adds the bot (as a member, or an administrator with `rights`): the
        my_chat_member update."""
        return await self._bot_becomes(by, {"status": status, **rights})

    async def remove_bot(self, by: FakeUser, status: str = "kicked") -> dict[str, Any]:
        """`by` removes the bot ("kicked", or "left"): the my_chat_member update."""
        return await self._bot_becomes(by, {"status": status})

    async def _bot_becomes(self, by: FakeUser, record: dict[str, Any]) -> dict[str, Any]:
        chat, fake = self._chat, self.fake
        old = fake._member_json(chat, fake.bot_id)
        chat.members[fake.bot_id] = record
        self._mark()
        return await fake.push_update(
            {
                "my_chat_member": {
                    "chat": chat.json(),
                    "from": by.json(),
                    "date": int(time.time()),
                    "old_chat_member": old,
                    "new_chat_member": fake._member_json(chat, fake.bot_id),
                }
            }
        )

    async def send(self, user: FakeUser, text: str, *, thread_id: int | None = None) -> int:
        """`user` writes `text` here (in forum topic `thread_id`); returns its id."""
        extra: dict[str, Any] = {}
        if thread_id is not None:
            extra = {"message_thread_id": thread_id, "is_topic_message": True}
        self._mark()
        return await user._write(self._chat, text, extra)

    async def press(self, user: FakeUser, button_text: str, message_id: int | None = None) -> str:
        """`user` presses a button of the bot's messages here (see FakeUser.press)."""
        self._mark()
        return await user._press_in(self._chat, button_text, message_id)

    async def migrate(self, new_id: int, by: FakeUser | None = None) -> FakeGroup:
        """Upgrade this group to the supergroup `new_id` (same title and members):
        the old group gets a message with migrate_to_chat_id, the new one a message
        with migrate_from_chat_id, and sends to the old id answer 400 from now on."""
        old, fake = self._chat, self.fake
        new = fake._chat(new_id)
        new.type, new.title, new.members = "supergroup", old.title, dict(old.members)
        old.migrated_to = new_id
        sender = (by.json() if by else None) or fake._user_json(1087968824)
        for chat, field_name, value in (
            (old, "migrate_to_chat_id", new_id),
            (new, "migrate_from_chat_id", old.id),
        ):
            message = {
                "message_id": chat.new_message_id(),
                "from": sender,
                "chat": chat.json(),
                "date": int(time.time()),
                field_name: value,
            }
            await fake.push_update({"message": message})
        return FakeGroup(fake, new_id)

    def _mark(self) -> None:
        self._reply_cursor = len(self.fake.calls)

    def _who(self) -> str:
        return f"{self.title} ({self.id})"


def _next_output(calls: list[Call], start: int, chat_id: int) -> tuple[int, BotMessage] | None:
    """The first message the bot sent or edited in `chat_id` at `calls[start:]`, and the
    index after its call."""
    for index in range(start, len(calls)):
        call = calls[index]
        if (
            call.ok
            and call.method in OUTPUT_METHODS
            and call.message is not None
            and call.message.chat_id == chat_id
        ):
            return index + 1, replace(call.message)
    return None


_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
)


def member_json(record: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """A ChatMember object of `record`'s status with every field Telegram sends for it
    (rights not given are false, except can_manage_chat for an administrator)."""
    status = record.get("status", "left")
    result: dict[str, Any] = {"user": user, **record}
    if status == "creator":
        result.setdefault("is_anonymous", False)
    elif status == "administrator":
        result.setdefault("can_be_edited", False)
        result.setdefault("is_anonymous", False)
        for right in _ADMIN_RIGHTS:
            result.setdefault(right, right == "can_manage_chat")
    elif status == "kicked":
        result.setdefault("until_date", 0)
    return result


# --- Telegram HTML ------------------------------------------------------------------------

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,7}));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's parse_mode=HTML: returns (visible text, entities) or raises.

    Follows TDLib's parser (same tags, same error texts with byte offsets). Two rules
    are stricter than Telegram, as the Bot API docs demand rather than as the server
    tolerates: an "&" that does not start &lt; &gt; &amp; &quot; or &#N; / &#xN; is an
    error (Telegram would keep it literally), and <a> needs an href.
    """
    out: list[str] = []
    length16 = 0  # UTF-16 length of `out`, entity offsets are counted in it
    stack: list[tuple[str, int, dict[str, str]]] = []  # tag, entity start, attributes
    entities: list[dict[str, Any]] = []
    n = len(source)

    def at(pos: int) -> int:
        return _byte_offset(source, pos)

    i = 0
    while i < n:
        char = source[i]
        if char == "&":
            char, i = _html_entity(source, i)
            out.append(char)
            length16 += _utf16_len(char)
            continue
        if char != "<":
            out.append(char)
            length16 += _utf16_len(char)
            i += 1
            continue
        begin = i
        i += 1
        if i < n and source[i] == "/":
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {at(begin)}")
            j = i + 1
            while j < n and not source[j].isspace() and source[j] != ">":
                j += 1
            end_name = source[i + 1 : j].lower()
            while j < n and source[j].isspace():
                j += 1
            if j >= n or source[j] != ">":
                raise EntityParseError(f"Unclosed end tag at byte offset {at(begin)}")
            i = j + 1
            name, start, attrs = stack.pop()
            if end_name and end_name != name:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {at(begin)}, expected "</{name}>", '
                    f'found "</{end_name}>"'
                )
            _close_tag(entities, name, start, length16 - start, attrs, stack)
            continue
        j = i
        while j < n and not source[j].isspace() and source[j] != ">":
            j += 1
        if j >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {at(begin)}")
        name = source[i:j].lower()
        if name not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {at(begin)}')
        attrs, i = _tag_attributes(source, j, name, begin, at)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {at(begin)}'
            )
        if name == "a" and not attrs.get("href"):
            raise EntityParseError(f'Tag "a" must have an href at byte offset {at(begin)}')
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise EntityParseError("Invalid custom emoji identifier specified")
        stack.append((name, length16, attrs))
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _html_entity(source: str, pos: int) -> tuple[str, int]:
    """Decode the character entity at `pos`; returns (character, position after it)."""
    match = _HTML_ENTITY_RE.match(source, pos)
    if match:
        if match[1]:
            return _NAMED_ENTITIES[match[1]], match.end()
        code = int(match[2]) if match[2] else int(match[3], 16)
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code), match.end()
    raise EntityParseError(
        f'Character "&" at byte offset {_byte_offset(source, pos)} does not start an HTML '
        'entity; escape it as "&amp;"'
    )


def _byte_offset(source: str, pos: int) -> int:
    """TDLib reports positions in UTF-8 bytes."""
    return len(source[:pos].encode())


def _tag_attributes(
    source: str, i: int, tag: str, begin: int, at: Callable[[int], int]
) -> tuple[dict[str, str], int]:
    """Attributes of a start tag from `i` (after its name); returns them and the end."""
    n = len(source)
    attrs: dict[str, str] = {}
    while True:
        while i < n and source[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {at(begin)}")
        if source[i] == ">":
            return attrs, i + 1
        name_start = i
        while i < n and not source[i].isspace() and source[i] not in "=>":
            i += 1
        name = source[name_start:i].lower()
        if not name:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {at(begin)}'
            )
        while i < n and source[i].isspace():
            i += 1
        if i >= n or source[i] != "=":
            if tag == "blockquote" and name == "expandable":
                attrs[name] = ""
                continue
            raise EntityParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                f"at byte offset {at(begin)}"
            )
        i += 1
        while i < n and source[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {at(begin)}')
        if source[i] in "\"'":
            quote, i = source[i], i + 1
            value: list[str] = []
            while i < n and source[i] != quote:
                if source[i] == "&":
                    decoded, i = _html_entity(source, i)
                    value.append(decoded)
                else:
                    value.append(source[i])
                    i += 1
            if i >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {at(begin)}")
            attrs[name] = "".join(value)
            i += 1
        else:
            token_start = i
            while i < n and (source[i].isalnum() or source[i] in ".-"):
                i += 1
            if i < n and not source[i].isspace() and source[i] != ">":
                raise EntityParseError(f"Unexpected end of name token at byte offset {at(i)}")
            attrs[name] = source[token_start:i].lower()


def _close_tag(
    entities: list[dict[str, Any]],
    name: str,
    start: int,
    length: int,
    attrs: dict[str, str],
    stack: list[tuple[str, int, dict[str, str]]],
) -> None:
    """Turn a closed tag into an entity; <pre><code class="language-x"> sets pre's language."""
    language = attrs.get("class", "")
    inside_pre = bool(stack) and stack[-1][0] == "pre" and stack[-1][1] == start
    if name == "code" and language.startswith("language-") and inside_pre:
        stack[-1][2]["language"] = language.removeprefix("language-")
        return
    if length <= 0:
        return
    kind = _HTML_TAGS[name]
    if name == "blockquote" and "expandable" in attrs:
        kind = "expandable_blockquote"
    result: dict[str, Any] = {"type": kind, "offset": start, "length": length}
    if name == "a":
        result["url"] = attrs["href"]
    elif name == "pre" and attrs.get("language"):
        result["language"] = attrs["language"]
    elif name == "tg-emoji":
        result["custom_emoji_id"] = attrs["emoji-id"]
    entities.append(result)


# --- helpers ------------------------------------------------------------------------------


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


def _default_description(status: int, retry_after: int | None) -> str:
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        return f"Too Many Requests: retry after {retry_after}"
    if status == HTTPStatus.FORBIDDEN:
        return "Forbidden: bot was blocked by the user"
    if status == HTTPStatus.BAD_REQUEST:
        return "Bad Request"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


def _decode_field(key: str, value: str) -> Any:
    if key in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _chat_key(value: Any) -> int | str | None:
    """chat_id as Telegram reads it: an integer, or a "@username" string."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    with contextlib.suppress(ValueError):
        return int(text)
    return text


def _int_param(params: dict[str, Any], name: str) -> int:
    try:
        return int(params[name])
    except (KeyError, TypeError, ValueError):
        raise ApiError(400, f"Bad Request: {name} is empty") from None


def _text_param(params: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise ApiError(400, f"Bad Request: message {name} is empty")
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _format(
    raw: str, parse_mode: Any, entities: Any, *, caption: bool
) -> tuple[str, list[dict[str, Any]]]:
    """Visible text and entities of a text or caption, validated like Telegram does.

    Leading and trailing whitespace is trimmed (entities are clipped to match); the
    length limit counts the visible characters, not the HTML markup.
    """
    mode = str(parse_mode or "").lower()
    if mode == "html":
        try:
            plain, found = parse_html(raw)
        except EntityParseError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
    elif mode in ("", "markdown", "markdownv2"):
        # Markdown is not parsed: the text is taken verbatim with explicit entities.
        plain, found = raw, list(entities) if isinstance(entities, list) else []
    else:
        raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode}")
    plain, found = _trim(plain, found)
    if caption and len(plain) > MAX_CAPTION_LENGTH:
        raise ApiError(400, "Bad Request: message caption is too long")
    if not caption:
        if not plain:
            raise ApiError(400, "Bad Request: message text is empty")
        if len(plain) > MAX_TEXT_LENGTH:
            raise ApiError(400, "Bad Request: message is too long")
    return plain, found


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    stripped = text.lstrip()
    shift = _utf16_len(text[: len(text) - len(stripped)])
    stripped = stripped.rstrip()
    end = _utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        stop = min(entity["offset"] + entity["length"] - shift, end)
        if stop > start:
            kept.append({**entity, "offset": start, "length": stop - start})
    return stripped, kept


def _reply_markup(params: dict[str, Any]) -> dict[str, Any] | None:
    """The reply_markup parameter, with Telegram's checks on inline keyboards."""
    markup = params.get("reply_markup")
    if markup is None or markup == "":
        return None
    if isinstance(markup, str):
        try:
            markup = json.loads(markup)
        except ValueError:
            markup = None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError(400, "Bad Request: can't parse inline keyboard button: invalid rows")
        for button in _inline_buttons(markup):
            if not isinstance(button, dict) or not button.get("text"):
                raise ApiError(
                    400, "Bad Request: can't parse inline keyboard button: Text must be non-empty"
                )
            if not _BUTTON_ACTIONS & button.keys():
                raise ApiError(
                    400,
                    "Bad Request: can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard",
                )
            data = button.get("callback_data")
            if data is not None:
                size = len(str(data).encode())
                if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


def _inline_buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not markup or not isinstance(markup.get("inline_keyboard"), list):
        return []
    return [button for row in markup["inline_keyboard"] for button in row]


def _loose_label(label: str) -> str:
    """A button label without leading emoji, punctuation and spaces."""
    index = 0
    while index < len(label) and not label[index].isalnum():
        index += 1
    return label[index:].strip()


def _looks_like_image(data: bytes) -> bool:
    """Whether Telegram could decode the bytes as a photo (it answers IMAGE_PROCESS_FAILED
    for anything else, e.g. an SVG chart or a text file)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return True
    return data.startswith(_IMAGE_SIGNATURES)


def _photo_sizes(message: BotMessage) -> list[dict[str, Any]]:
    width = height = 0
    data = message.photo or b""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
    return [
        {
            "file_id": message.file_id,
            "file_unique_id": f"u{message.file_id}",
            "width": width,
            "height": height,
            "file_size": len(data),
        }
    ]


def _snapshot(message: BotMessage) -> BotMessage:
    return replace(
        message,
        reply_markup=copy.deepcopy(message.reply_markup),
        entities=copy.deepcopy(message.entities),
    )


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
