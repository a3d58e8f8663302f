"""The HTTP monitor's fields in the bot: /add's Keyword and JSON API presets end to end,
and the card's Edit menu for headers, body, credentials, the JSON rule and the switches.
The real bot against the fake Bot API server and a real database; every refusal is
checked in the user's language and against the stored row."""

from __future__ import annotations

import json
from typing import Any

from bot.callbacks import AddCb
from bot.routers.edit import EditCb
from core import kinds
from core.kinds import http_request, json_rule
from core.monitor_rules import MAX_KEYWORD_LENGTH
from db.models import Monitor, User
from tests.support.bot_harness import PUBLIC_URL, tr, tr_n
from tests.support.fake_telegram import BotMessage, FakeTelegram, FakeUser

PUBLIC_IP = "93.184.216.34"  # PUBLIC_URL's host: a public literal, never contacted
URL_PROMPT = "Send the address to monitor, for example https://example.com"
PRIVATE = "This address is on a private or local network, which the monitor may not reach."
NOT_VALID = "That value is not valid."
JMESPATH_INVALID = "That is not a valid JMESPath expression."
HIDDEN_NAME = (
    "The name contains control, invisible or text-direction characters, which are not allowed."
)
KEYWORD_TOO_LONG = (
    "The keyword is too long (at most {max} character).",
    "The keyword is too long (at most {max} characters).",
)
URL_CREDENTIALS = "Please leave the user name and password out of the address."
NUMERIC_HOST = (
    "Write an IP address as four numbers with dots, like 93.184.216.34; other forms "
    "(such as 16843009 or 0x5db8d822) are not accepted."
)
HEADERS_PROMPT = "Send the request headers, one per line as Name: value, or - to send none."
HEADER_VALUE_INVALID = "The {name} header's value must be one line of text."
SECRET_PROMPT = "Send user:password for basic, or the token for bearer. I delete your message."
HEADER_FORBIDDEN = "The {name} header cannot be set: it is the check's own."
SECRET = "alice:s3cret-Pa55"
# An HTTP monitor as /add leaves it: every field not asked keeps this.
HTTP_DEFAULTS: dict[str, Any] = {
    "url": PUBLIC_URL,
    "method": "GET",
    "headers": {},
    "body": None,
    "accepted_status_codes": "200-399",
    "latency_threshold_ms": None,
    "keyword": None,
    "keyword_mode": "present",
    "content_type": None,
    "auth_type": None,
    "auth_secret": None,
    "json_query": None,
    "json_operator": None,
    "json_expected": None,
    "upside_down": False,
    "follow_redirects": True,
    "ignore_tls_errors": False,
}


async def say(me: FakeUser, text: str) -> str:
    """Send `text`; the bot's reply as the user sees it."""
    await me.send(text)
    return (await me.next_reply()).plain


async def start_preset(me: FakeUser, lang: str, label: str) -> None:
    await me.send("/add")
    await me.next_reply()
    await me.press(tr(lang, label))
    assert tr(lang, URL_PROMPT) in (await me.next_reply()).plain


async def test_keyword_preset_end_to_end_in_russian(telegram: FakeTelegram) -> None:
    lang = "ru"
    me = telegram.user(80, language_code=lang)
    await me.send("/add")
    question = await me.next_reply()
    assert {tr(lang, "Keyword"), tr(lang, "JSON API")} <= set(me.buttons(question))
    assert tr(lang, "A page that must (or must not) contain a word.") in question.plain
    await me.press(tr(lang, "Keyword"))
    assert me.buttons(await me.next_reply()) == []  # the address has no default: typed
    for bad, reason in [
        ("ftp://example.com/", "Only http:// and https:// addresses can be monitored."),
        ("https://user:pw@example.com/", URL_CREDENTIALS),
        ("http://16843009/", NUMERIC_HOST),
    ]:
        assert tr(lang, reason) in await say(me, bad), bad
    # A private address passes the URL's own rule; the target rule refuses it once the
    # preset's fields are in, and asks for the address alone again.
    await me.send("https://127.0.0.1/")
    keyword_question = await me.next_reply()
    assert tr(lang, "A keyword to look for in the page (plain text, case-sensitive).") in (
        keyword_question.plain
    )
    too_long = "x" * (MAX_KEYWORD_LENGTH + 1)
    assert tr_n(lang, *KEYWORD_TOO_LONG, 256, max=256) in await say(me, too_long)
    await me.send("  Welcome  ")
    mode_question = await me.next_reply()
    assert tr(lang, "Should the keyword be present or absent?") in mode_question.plain
    assert me.buttons(mode_question) == [tr(lang, "present"), tr(lang, "absent")]
    assert tr(lang, NOT_VALID) in await say(me, "sometimes")
    await me.press(tr(lang, "absent"))
    assert tr(lang, PRIVATE) in (await me.next_reply()).plain
    assert tr(lang, URL_PROMPT) in (await me.next_reply()).plain
    assert PUBLIC_IP in await say(me, PUBLIC_URL)  # the default name; straight to it
    assert tr(lang, HIDDEN_NAME) in await say(me, "\u202eevil")
    await me.press(tr(lang, "Skip"))
    await me.next_reply()
    await me.press(tr(lang, "Custom"))
    await me.next_reply()
    assert tr(lang, "Send a duration such as 90, 90s, 5m or 2h.") in await say(me, "often")
    summary = await say(me, "10m")
    assert f"{tr(lang, 'Keyword')}: Welcome" in summary
    assert f"{tr(lang, 'Keyword mode')}: {tr(lang, 'absent')}" in summary
    assert "absent" not in summary  # the choice's words, not its stored value
    assert await Monitor.all().count() == 0  # nothing is written before Save
    await me.press(tr(lang, "✅ Save"))
    card = await me.next_reply()
    assert tr(lang, "🔄 Check now") in me.buttons(card)
    monitor = await Monitor.get(owner__telegram_id=80)
    assert (monitor.kind, monitor.name, monitor.interval_seconds) == ("http", PUBLIC_IP, 600)
    assert (monitor.url, monitor.keyword, monitor.keyword_mode) == (PUBLIC_URL, "Welcome", "absent")
    assert kinds.monitor_values(monitor) == HTTP_DEFAULTS | {
        "keyword": "Welcome",
        "keyword_mode": "absent",
    }
    # The card says what the monitor looks for.
    assert f"{tr(lang, 'Keyword')}: Welcome" in card.plain


async def test_a_preset_cancelled_midway_saves_nothing(telegram: FakeTelegram) -> None:
    lang = "es"
    me = telegram.user(81, language_code=lang)
    await start_preset(me, lang, "Keyword")
    await me.send(PUBLIC_URL)
    await me.next_reply()
    await me.send("Welcome")
    await me.next_reply()
    await me.send("/cancel")
    await me.next_reply()
    await me.press(tr(lang, "present"))  # the question left behind is stale now
    assert (await me.next_answer())["text"] == tr(lang, "This button is no longer valid.")
    assert await Monitor.all().count() == 0
    await me.send("Welcome")  # plain text outside any flow starts nothing either
    await me.next_reply()
    assert await Monitor.all().count() == 0


async def test_json_api_preset_refuses_a_bad_query_then_saves_the_rule(
    telegram: FakeTelegram,
) -> None:
    lang = "es"
    me = telegram.user(82, language_code=lang)
    await me.send("/add")
    question = await me.next_reply()
    assert tr(lang, "An API whose JSON answer must hold a value, e.g. status == ok.") in (
        question.plain
    )
    await me.press(tr(lang, "JSON API"))
    await me.next_reply()
    await me.send(PUBLIC_URL)
    query_question = await me.next_reply()
    assert tr(lang, "A JMESPath expression to evaluate on the JSON answer, e.g. status.") in (
        query_question.plain
    )
    assert me.buttons(query_question) == []  # the preset's point: no Skip
    await me.press_data(AddCb(step="skip").pack())  # a forged one
    assert tr(lang, "This one is needed: please send it, or /cancel.") in (
        (await me.next_reply()).plain
    )
    for bad, reason in [
        ("foo[", tr(lang, JMESPATH_INVALID)),
        ("a" * 257, tr(lang, "The JSON query must be at most {max} characters.", max=256)),
    ]:
        assert reason in await say(me, bad), bad
    assert await Monitor.all().count() == 0
    await me.send("status")
    operator_question = await me.next_reply()
    assert me.buttons(operator_question) == [*json_rule.OPERATORS, tr(lang, "Skip")]
    allowed = ", ".join(json_rule.OPERATORS)
    assert tr(lang, "The JSON operator must be one of: {allowed}.", allowed=allowed) in (
        await say(me, "≈")
    )
    await me.press("==")
    expected_question = await me.next_reply()
    assert tr(lang, "The value the JSON query should give, for example ok or 42.") in (
        expected_question.plain
    )
    assert tr(lang, "The expected JSON value must be one line.") in await say(me, "ok\nfine")
    assert PUBLIC_IP in await say(me, "ok")
    await me.press(tr(lang, "Skip"))
    await me.next_reply()
    await me.press(tr(lang, "5 min"))
    summary = (await me.next_reply()).plain
    for label, value in [("JSON query", "status"), ("JSON operator", "=="),
                         ("Expected JSON value", "ok")]:  # fmt: skip
        assert f"{tr(lang, label)}: {value}" in summary
    assert await Monitor.all().count() == 0
    await me.press(tr(lang, "✅ Save"))
    card = await me.next_reply()
    monitor = await Monitor.get(owner__telegram_id=82)
    assert (monitor.kind, monitor.interval_seconds) == ("http", 300)
    rule = {"json_query": "status", "json_operator": "==", "json_expected": "ok"}
    assert {name: monitor.params[name] for name in rule} == rule
    assert kinds.monitor_values(monitor) == HTTP_DEFAULTS | rule
    assert f"{tr(lang, 'JSON query')}: status" in card.plain


async def test_json_api_preset_with_exists_and_no_expected_value(telegram: FakeTelegram) -> None:
    lang = "ru"
    me = telegram.user(83, language_code=lang)
    await start_preset(me, lang, "JSON API")
    await me.send(PUBLIC_URL)
    await me.next_reply()
    await me.send("data[0].id")
    await me.next_reply()
    await me.press("exists")
    await me.next_reply()
    await me.press(tr(lang, "Skip"))  # no expected value
    assert PUBLIC_IP in (await me.next_reply()).plain
    await me.press(tr(lang, "Skip"))
    await me.next_reply()
    await me.press(tr(lang, "1 min"))
    summary = (await me.next_reply()).plain
    assert tr(lang, "Expected JSON value") not in summary
    await me.press(tr(lang, "✅ Save"))
    await me.next_reply()
    monitor = await Monitor.get(owner__telegram_id=83)
    rule = {"json_query": "data[0].id", "json_operator": "exists", "json_expected": None}
    assert {name: monitor.params[name] for name in rule} == rule
    assert kinds.monitor_values(monitor) == HTTP_DEFAULTS | rule


async def test_forged_preset_buttons_are_refused(telegram: FakeTelegram) -> None:
    lang = "de"
    me = telegram.user(84, language_code=lang)
    await me.send("/add")
    await me.next_reply()
    allowed = ", ".join(kinds.KINDS)
    refusal = tr(lang, "Choose a kind of monitor: {allowed}.", allowed=allowed)
    for forged in ("http.nope", "nope.keyword", "tcp.keyword", "http.keyword.x"):
        await me.press_data(AddCb(step="kind", value=forged).pack())
        answer = await me.next_answer()
        assert (answer["text"], answer.get("show_alert")) == (refusal, True), forged
    assert await Monitor.all().count() == 0
    await me.press(tr(lang, "Keyword"))  # the flow is where it was
    assert tr(lang, URL_PROMPT) in (await me.next_reply()).plain


# --- Edit --------------------------------------------------------------------------


async def open_field(me: FakeUser, lang: str, label: str) -> BotMessage:
    """The card's Edit, then the field labelled `label`: the bot's question."""
    await me.press(tr(lang, "✏️ Edit"))
    menu = await me.next_reply()
    assert tr(lang, label) in me.buttons(menu), label
    await me.press(tr(lang, label))
    return await me.next_reply()


async def stored(monitor: Monitor) -> dict[str, Any]:
    return kinds.monitor_values(await Monitor.get(id=monitor.id))


async def test_edit_headers_lines_and_their_refusals(telegram: FakeTelegram) -> None:
    lang = "de"
    me = telegram.user(85, language_code=lang)
    await me.send(f"/add {PUBLIC_URL}")
    await me.next_reply()
    monitor = await Monitor.get(owner__telegram_id=85)
    question = await open_field(me, lang, "Headers")
    assert tr(lang, HEADERS_PROMPT) in question.plain
    saved = await say(me, "X-Api-Key: abc 123\n\nAccept:application/json \n")
    assert tr(lang, "Saved.") in saved
    assert f"{tr(lang, 'Headers')}: X-Api-Key, Accept" in saved  # names: a value may be a key
    assert "abc 123" not in saved
    headers = {"X-Api-Key": "abc 123", "Accept": "application/json"}
    assert (await stored(monitor))["headers"] == headers
    assert (await Monitor.get(id=monitor.id)).headers == headers  # its own column

    await open_field(me, lang, "Headers")
    big = "a" * (http_request.MAX_HEADER_VALUE + 1)
    for bad, reason in [
        ("X-A: 1\r\nHost: evil.example", tr(lang, HEADER_FORBIDDEN, name="Host")),
        ("X-A: 1\rhost: evil.example", tr(lang, HEADER_FORBIDDEN, name="host")),
        ("Transfer-Encoding: chunked", tr(lang, HEADER_FORBIDDEN, name="Transfer-Encoding")),
        ("\n".join(f"X-H{i}: v" for i in range(21)), tr(lang, "At most {max} headers.", max=20)),
        (f"X-Big: {big}", tr(lang, "The {name} header's value must be at most {max} characters.",
                              name="X-Big", max=1024)),
        ("X-A: a\x00b", tr(lang, HEADER_VALUE_INVALID, name="X-A")),
        ("X Bad: 1", tr(lang, "{name} is not a valid header name.", name="X Bad")),
        ("X-A: 1\nx-a: 2", tr(lang, "The {name} header is given twice.", name="x-a")),
        ("just words", tr(lang, "Send each header as Name: value (this line is not: {line}).",
                          line="just words")),
    ]:  # fmt: skip
        assert reason in await say(me, bad), repr(bad)
        assert (await stored(monitor))["headers"] == headers, repr(bad)
    # 20 headers, a value of 1 KB: the most one monitor may send.
    most = {f"X-H{i}": "v" for i in range(19)} | {"X-Big": big[:-1]}
    await me.send("\n".join(f"{name}: {value}" for name, value in most.items()))
    assert tr(lang, "Saved.") in (await me.next_reply()).plain
    assert (await stored(monitor))["headers"] == most
    # "-" removes them all.
    await open_field(me, lang, "Headers")
    assert tr(lang, "Saved.") in await say(me, "-")
    assert (await stored(monitor))["headers"] == {}


async def test_edit_body_content_type_json_rule_and_switches(telegram: FakeTelegram) -> None:
    lang = "es"
    me = telegram.user(86, language_code=lang)
    await me.send(f"/add {PUBLIC_URL}")
    await me.next_reply()
    monitor = await Monitor.get(owner__telegram_id=86)
    expected = dict(HTTP_DEFAULTS)

    question = await open_field(me, lang, "Body")
    assert me.buttons(question) == [tr(lang, "Remove this rule")]
    assert tr(lang, "Saved.") in await say(me, '{"ping": 1}')
    expected["body"] = '{"ping": 1}'
    assert await stored(monitor) == expected

    await open_field(me, lang, "Content type")
    for bad in ("json", "text/plain\x00", "tëxt/plain"):
        assert tr(lang, "Send a content type such as application/json.") in await say(me, bad)
        assert await stored(monitor) == expected
    await me.send(" application/json ")
    card = (await me.next_reply()).plain
    expected["content_type"] = "application/json"
    assert await stored(monitor) == expected
    assert f"{tr(lang, 'Content type')}: application/json" in card

    await open_field(me, lang, "JSON query")
    assert tr(lang, JMESPATH_INVALID) in await say(me, "foo[")
    assert await stored(monitor) == expected
    assert tr(lang, "Saved.") in await say(me, "data.status")
    expected["json_query"] = "data.status"
    assert await stored(monitor) == expected

    for label, field, press, value in [
        ("Upside down", "upside_down", "Yes", True),
        ("Follow redirects", "follow_redirects", "No", False),
        ("Ignore TLS errors", "ignore_tls_errors", "Yes", True),
    ]:
        question = await open_field(me, lang, label)
        assert me.buttons(question) == [tr(lang, "No"), tr(lang, "Yes")], label
        await me.press(tr(lang, press))
        card = (await me.next_reply()).plain
        expected[field] = value
        assert await stored(monitor) == expected, label
        assert f"{tr(lang, label)}: {tr(lang, press)}" in card, label
    # A forged switch value is refused with the reason and changes nothing.
    await me.press_data(EditCb(field="upside_down", id=monitor.id, value="maybe").pack())
    assert tr(lang, "Answer yes or no.") in (await me.next_reply()).plain
    assert await stored(monitor) == expected

    # The body's "Remove this rule" clears it.
    await open_field(me, lang, "Body")
    await me.press(tr(lang, "Remove this rule"))
    await me.next_reply()
    expected["body"] = None
    assert await stored(monitor) == expected


async def test_edit_credentials_are_write_only(telegram: FakeTelegram) -> None:
    lang = "ru"
    me = telegram.user(87, language_code=lang)
    await me.send(f"/add {PUBLIC_URL}")
    await me.next_reply()
    monitor = await Monitor.get(owner__telegram_id=87)
    expected = dict(HTTP_DEFAULTS)

    question = await open_field(me, lang, "Authentication")
    assert me.buttons(question) == [
        tr(lang, "Basic"),
        tr(lang, "Bearer token"),
        tr(lang, "Remove this rule"),
    ]
    await me.press(tr(lang, "Basic"))
    card = (await me.next_reply()).plain
    expected["auth_type"] = "basic"
    assert await stored(monitor) == expected
    assert f"{tr(lang, 'Authentication')}: {tr(lang, 'Basic')}" in card
    await me.press_data(EditCb(field="auth_type", id=monitor.id, value="digest").pack())
    allowed = ", ".join(http_request.AUTH_TYPES)
    assert tr(lang, "The authentication must be one of: {allowed}.", allowed=allowed) in (
        (await me.next_reply()).plain
    )
    assert await stored(monitor) == expected

    question = await open_field(me, lang, "Credentials")
    assert tr(lang, SECRET_PROMPT) in question.plain
    # A refused secret is deleted from the chat too, and changes nothing.
    refused = await me.send("alice:\u200bpw")
    assert tr(lang, "The credentials must be one line of text.") in (await me.next_reply()).plain
    assert await stored(monitor) == expected
    typed = await me.send(SECRET)
    card = (await me.next_reply()).plain
    expected["auth_secret"] = SECRET
    assert await stored(monitor) == expected
    deleted = [c.params for c in telegram.calls if c.method == "deleteMessage" and c.ok]
    assert [(int(p["chat_id"]), int(p["message_id"])) for p in deleted] == [
        (87, refused),
        (87, typed),
    ]
    assert f"{tr(lang, 'Credentials')}: ••••" in card  # that one is set, never what

    await open_field(me, lang, "Authentication")
    await me.press(tr(lang, "Bearer token"))
    await me.next_reply()
    expected["auth_type"] = "bearer"
    assert await stored(monitor) == expected  # the secret stays
    # The menu names the field; nothing the bot ever sent holds the secret.
    await me.press(tr(lang, "✏️ Edit"))
    assert tr(lang, "Credentials") in me.buttons(await me.next_reply())
    sent = [json.dumps(c.params, ensure_ascii=False) for c in telegram.calls]
    assert not [s for s in sent if "s3cret" in s]
    assert "s3cret" not in " ".join(m.plain for m in me.messages())

    # "Remove this rule" forgets it.
    await me.press(tr(lang, "Credentials"))
    await me.next_reply()
    await me.press(tr(lang, "Remove this rule"))
    card = (await me.next_reply()).plain
    expected["auth_secret"] = None
    assert await stored(monitor) == expected
    assert tr(lang, "Credentials") not in card


async def test_the_card_of_an_http_monitor_at_every_limit_fits_one_message(
    telegram: FakeTelegram,
) -> None:
    """The API may set a 16 KiB body and 20 headers of 1 KB: the card shows them cut
    (the fake refuses a message over 4,096 characters, as Telegram does)."""
    lang = "en"
    owner = await User.create(telegram_id=88)
    monitor = await Monitor.create(
        owner=owner,
        name="big",
        url=PUBLIC_URL,
        method="POST",
        body="b" * http_request.MAX_BODY_LENGTH,
        headers={f"X-H{i:02}": "v" * http_request.MAX_HEADER_VALUE for i in range(20)},
        keyword="k" * MAX_KEYWORD_LENGTH,
        params={"json_query": "q" * json_rule.MAX_QUERY_LENGTH, "auth_secret": SECRET,
                "json_expected": "e" * json_rule.MAX_EXPECTED_LENGTH},
    )  # fmt: skip
    me = telegram.user(88, language_code=lang)
    await me.send(f"/start m{monitor.id}")
    card = (await me.next_reply()).plain
    assert "Method: POST" in card and "Credentials: ••••" in card and "s3cret" not in card
    assert "X-H00, X-H01" in card and "vvv" not in card
    assert f"Body: {'b' * 63}…" in card
