"""Status pages in the bot end to end (real aiogram polling the fake Bot API server,
real database): /pages, making a page with the suggested address or a typed one,
adding, taking off and arranging monitors, groups, the fields (set and cleared), the
public link, deleting, and forged buttons.

Expected texts come from the catalogs (`tr`); refusals whose words live in
core/rule_texts.py are compared through the same catalogs. The fake refuses invalid
HTML, so a title or name that broke a message fails the test where it is sent; what
the user sees (`plain`) must show it literally."""

from __future__ import annotations

import pytest

from bot.callbacks import StatusPageCb
from core import status_pages as pages
from core.settings import Settings
from core.status_pages import GroupSpec
from db.models import Monitor, StatusPage, StatusPageGroup, StatusPageMonitor, User
from tests.support.bot_harness import tr, tr_n
from tests.support.fake_telegram import FakeTelegram, FakeUser

SCRIPT = "<script>alert(1)</script>"
PUBLIC_LOGO = "https://93.184.216.34/logo.png"  # a public literal: no DNS needed


def public(settings: Settings, slug: str) -> str:
    return pages.page_url(settings.public_base_url, slug)


async def owner_with(telegram_id: int, *names: str) -> tuple[User, list[Monitor]]:
    user = await User.create(telegram_id=telegram_id)
    made = [
        await Monitor.create(owner_id=user.id, name=name, url=f"https://s{i}.example/")
        for i, name in enumerate(names)
    ]
    return user, made


async def open_card(person: FakeUser, title: str):
    await person.send("/pages")
    await person.next_reply()
    await person.press(title)
    return await person.next_reply()


async def items(page: StatusPage) -> list[tuple[str, list[str]]]:
    """The page's layout as (group name, [monitor names]) from the database."""
    layout = await pages.layout_of(page)
    return [(g.name, [m.name for m in g.monitors]) for g in layout.groups]


# --- making a page ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_make_a_page_with_the_suggested_address(
    telegram: FakeTelegram, settings: Settings, lang: str
) -> None:
    me = telegram.user(1, language_code=lang)
    await me.send("/pages")
    empty = await me.next_reply()
    assert empty.plain == tr(
        lang,
        "You have no status pages yet. A status page shows your customers the state of the "
        "monitors you choose, at a public address.",
    )
    await me.press(tr(lang, "➕ New status page"))
    assert (
        tr(lang, "Send the title of the new status page, for example Acme status.")
        in (await me.next_reply()).plain
    )
    await me.send("   ")
    assert tr(lang, "The title cannot be empty.") in (await me.next_reply()).plain
    await me.send("Мой   сервис & <Co>")
    question = await me.next_reply()
    assert public(settings, "moy-servis-co") in question.plain
    assert me.buttons(question) == [tr(lang, "✅ Use {slug}", slug="moy-servis-co")]
    await me.press(tr(lang, "✅ Use {slug}", slug="moy-servis-co"))
    card = await me.next_reply()
    assert card.plain.startswith(tr(lang, "✅ Status page made."))
    assert "📄 Мой сервис & <Co>" in card.plain and "&lt;Co&gt;" in card.text
    assert public(settings, "moy-servis-co") in card.plain
    made = await StatusPage.get(slug="moy-servis-co")
    assert (made.title, made.owner_id) == ("Мой сервис & <Co>", (await User.get(telegram_id=1)).id)
    # The suggestion's button works once: the flow is over.
    await me.press(tr(lang, "✅ Use {slug}", slug="moy-servis-co"), question.message_id)
    assert (await me.next_answer())["show_alert"]
    assert await StatusPage.all().count() == 1

    await me.send("/pages")
    listing = await me.next_reply()
    assert (
        "Мой сервис & <Co>" in listing.plain and public(settings, "moy-servis-co") in listing.plain
    )
    assert "Мой сервис & <Co>" in me.buttons(listing)


async def test_make_a_page_with_a_typed_address(telegram: FakeTelegram, settings: Settings) -> None:
    other = await User.create(telegram_id=2)
    await StatusPage.create(owner_id=other.id, slug="acme", title="Theirs")
    me = telegram.user(1, language_code="en")
    await me.send("/pages")
    await me.next_reply()
    await me.press("➕ New status page")
    await me.next_reply()
    await me.send("Acme")
    question = await me.next_reply()
    assert me.buttons(question) == ["✅ Use acme-2"]  # acme is taken
    for typed, reason in [
        ("acme", tr("en", "{slug} is already taken. Choose another address.", slug="acme")),
        ("api", tr("en", "{slug} is reserved. Choose another address.", slug="api")),
        ("my_page", tr("en", "Use only lowercase Latin letters, digits and hyphens (-) in the "
                       "address.")),
    ]:  # fmt: skip
        await me.send(typed)
        assert reason in (await me.next_reply()).plain
        asked = await me.next_reply()  # asked again, with a free suggestion
        assert me.buttons(asked) == ["✅ Use acme-2"]
    await me.send("Acme-Status")
    card = await me.next_reply()
    assert public(settings, "acme-status") in card.plain
    assert await StatusPage.filter(title="Acme").values_list("slug", flat=True) == ["acme-status"]


async def test_cancel_leaves_the_flow(telegram: FakeTelegram) -> None:
    me = telegram.user(1, language_code="de")
    await me.send("/pages")
    await me.next_reply()
    await me.press(tr("de", "➕ New status page"))
    await me.next_reply()
    await me.send("Acme")
    await me.next_reply()
    await me.send("/cancel")
    assert tr("de", "Cancelled.") in (await me.next_reply()).plain
    assert await StatusPage.all().count() == 0


# --- monitors and groups ---------------------------------------------------------------


async def test_add_take_off_and_arrange_monitors(telegram: FakeTelegram) -> None:
    owner, (_alpha, beta, _gamma) = await owner_with(1, "Alpha", "Beta <b>", "Gamma")
    page = await pages.create_page(owner, "Acme")
    me = telegram.user(1, language_code="en")
    card = await open_card(me, "Acme")
    assert tr("en", "No monitors on this page yet: ➕ Add monitors.") in card.plain
    await me.press("➕ Add monitors")
    picker = await me.next_reply()
    assert me.buttons(picker)[:3] == ["▫️ Alpha", "▫️ Beta <b>", "▫️ Gamma"]
    for name in ("Alpha", "Beta <b>", "Gamma"):
        await me.press(f"▫️ {name}")
        assert f"✅ {name}" in me.buttons(await me.next_reply())
    assert await items(page) == [("", ["Alpha", "Beta <b>", "Gamma"])]
    await me.press("✅ Gamma")  # off again
    assert "▫️ Gamma" in me.buttons(await me.next_reply())
    await me.press("✔️ Done")
    card = await me.next_reply()
    assert "Alpha" in card.plain and "Beta <b>" in card.plain and "Gamma" not in card.plain
    assert "Beta &lt;b&gt;" in card.text
    assert await items(page) == [("", ["Alpha", "Beta <b>"])]

    await me.press("↕️ Arrange monitors")
    arrange = await me.next_reply()
    beta_button = next(b for b in me.buttons(arrange) if b.startswith("Beta <b>"))
    await me.press(beta_button)
    screen = await me.next_reply()
    assert tr("en", "Its URL is hidden from the public page.") in screen.plain
    await me.press("⬆️ Up")
    assert tr("en", "Group: {group}, place {place} of {count}", group=tr("en", "(no group name)"),
              place=1, count=2) in (await me.next_reply()).plain  # fmt: skip
    assert await items(page) == [("", ["Beta <b>", "Alpha"])]
    await me.press("⬆️ Up")  # first already: nothing moves
    assert "text" not in await me.next_answer()
    assert await items(page) == [("", ["Beta <b>", "Alpha"])]
    await me.press("👁 Show URL")
    assert "🙈 Hide URL" in me.buttons(await me.next_reply())
    assert (await StatusPageMonitor.get(monitor_id=beta.id)).show_url
    await me.press("🙈 Hide URL")
    assert "👁 Show URL" in me.buttons(await me.next_reply())
    assert not (await StatusPageMonitor.get(monitor_id=beta.id)).show_url
    await me.press("⬇️ Down")
    await me.next_reply()
    assert await items(page) == [("", ["Alpha", "Beta <b>"])]
    await me.press("➖ Take off the page")
    await me.next_reply()
    assert await items(page) == [("", ["Alpha"])]
    assert await Monitor.exists(id=beta.id)


async def test_groups(telegram: FakeTelegram) -> None:
    owner, (alpha, beta, _gamma) = await owner_with(1, "Alpha", "Beta", "Gamma")
    page = await pages.create_page(owner, "Acme")
    await pages.add_monitors(page, [alpha.id, beta.id])
    me = telegram.user(1, language_code="en")
    await open_card(me, "Acme")
    await me.press("📁 Groups")
    groups = await me.next_reply()
    assert me.buttons(groups)[0] == f"{tr('en', '(no group name)')} (2)"
    await me.press("➕ Add a group")
    await me.next_reply()
    await me.send("x" * 65)
    assert tr_n("en", "The group name is too long (at most {max} character).",
                "The group name is too long (at most {max} characters).", 64, max=64) in (
        await me.next_reply()
    ).plain  # fmt: skip
    await me.send(f"API {SCRIPT}")
    screen = await me.next_reply()
    assert f"📁 API {SCRIPT}" in screen.plain and "&lt;script&gt;" in screen.text
    assert await items(page) == [("", ["Alpha", "Beta"]), (f"API {SCRIPT}", [])]

    await me.press("➕ Add monitors here")
    picker = await me.next_reply()
    assert f"API {SCRIPT}" in picker.plain
    await me.press("▫️ Gamma")
    await me.next_reply()
    assert await items(page) == [("", ["Alpha", "Beta"]), (f"API {SCRIPT}", ["Gamma"])]

    # Move Alpha into the new group, then the group up.
    await me.press("✔️ Done")
    await me.next_reply()
    await me.press("↕️ Arrange monitors")
    await me.next_reply()
    await me.press(next(b for b in me.buttons() if b.startswith("Alpha")))
    await me.next_reply()
    await me.press("📁 Move to another group")
    assert me.buttons(await me.next_reply())[0] == f"API {SCRIPT}"
    await me.press(f"API {SCRIPT}")
    assert f"API {SCRIPT}" in (await me.next_reply()).plain
    assert await items(page) == [("", ["Beta"]), (f"API {SCRIPT}", ["Gamma", "Alpha"])]

    group = await StatusPageGroup.get(name=f"API {SCRIPT}")
    await me.press_data(StatusPageCb(action="group", id=page.id, group=group.id).pack())
    await me.next_reply()
    await me.press("⬆️ Up")
    assert tr("en", "Place {place} of {count} on the page, {monitors}", place=1, count=2,
              monitors=tr_n("en", "{count} monitor", "{count} monitors", 2, count=2)) in (
        await me.next_reply()
    ).plain  # fmt: skip
    assert [name for name, _monitors in await items(page)] == [f"API {SCRIPT}", ""]
    await me.press("✏️ Rename")
    await me.next_reply()
    await me.send("Public API")
    assert "📁 Public API" in (await me.next_reply()).plain
    await me.press("🗑 Delete group")
    confirm = await me.next_reply()
    assert "Public API" in confirm.plain
    await me.press("Yes, delete")
    await me.next_reply()
    assert await items(page) == [("", ["Beta", "Gamma", "Alpha"])]
    # The last group cannot go while it holds monitors.
    last = await StatusPageGroup.get(page_id=page.id)
    await me.press_data(StatusPageCb(action="group_delete_yes", id=page.id, group=last.id).pack())
    answer = await me.next_answer()
    assert answer["show_alert"] and answer["text"] == tr(
        "en", "This is the page's only group and it still has monitors: remove them first."
    )
    assert await items(page) == [("", ["Beta", "Gamma", "Alpha"])]


# --- fields, preview, delete -----------------------------------------------------------


async def test_set_and_clear_the_fields(telegram: FakeTelegram, settings: Settings) -> None:
    owner, _monitors = await owner_with(1)
    page = await pages.create_page(owner, "Acme")
    me = telegram.user(1, language_code="es")

    async def set_field(button: str, *typed: str):
        await me.press(tr("es", button))
        prompt = await me.next_reply()
        replies = []
        for text in typed:
            await me.send(text)
            replies.append(await me.next_reply())
        return prompt, replies

    await open_card(me, "Acme")
    prompt, (saved,) = await set_field("📝 Description", f"Our APIs {SCRIPT}\nand more")
    assert tr("es", "🧹 Clear") in me.buttons(prompt)
    assert saved.plain.startswith(tr("es", "✅ Saved."))
    assert f"Our APIs {SCRIPT}" in saved.plain and "&lt;script&gt;" in saved.text
    _prompt, (https, private, saved) = await set_field(
        "🖼 Logo", "http://93.184.216.34/logo.png", "https://10.0.0.1/logo.png", PUBLIC_LOGO
    )
    assert tr("es", "The logo's address must start with https://.") in https.plain
    assert tr("es", "Try again, or /cancel.") in https.plain
    assert (
        tr(
            "es",
            "The logo's address is on a private or local network: visitors of a public page "
            "could not load it. Use a public address.",
        )
        in private.plain
    )
    assert PUBLIC_LOGO in saved.plain
    _prompt, (too_long, saved) = await set_field("📣 Note", "n" * 2001, f"Down {SCRIPT} at 5")
    too_long_note = tr_n(
        "es",
        "The note is too long (at most {max} character).",
        "The note is too long (at most {max} characters).",
        2000,
        max=2000,
    )
    assert too_long_note in too_long.plain
    _prompt, (saved,) = await set_field("✏️ Title", f"Acme {SCRIPT}")
    _prompt, (saved,) = await set_field("🔗 Address", "acme-status")
    assert public(settings, "acme-status") in saved.plain
    stored = await StatusPage.get(id=page.id)
    assert (stored.title, stored.slug, stored.logo_url) == (
        f"Acme {SCRIPT}", "acme-status", PUBLIC_LOGO,
    )  # fmt: skip
    assert (stored.description, stored.note) == (
        f"Our APIs {SCRIPT}\nand more",
        f"Down {SCRIPT} at 5",
    )

    for button in ("📝 Description", "🖼 Logo", "📣 Note"):
        await me.press(tr("es", button))
        await me.next_reply()
        await me.press(tr("es", "🧹 Clear"))
        assert (await me.next_answer())["text"] == tr("es", "Cleared.")
        await me.next_reply()
    stored = await StatusPage.get(id=page.id)
    assert (stored.description, stored.logo_url, stored.note) == ("", None, "")


async def test_preview_and_delete(telegram: FakeTelegram, settings: Settings) -> None:
    owner, (alpha,) = await owner_with(1, "Alpha")
    page = await pages.create_page(owner, SCRIPT, "acme")
    await pages.add_monitors(page, [alpha.id])
    me = telegram.user(1, language_code="en")
    await open_card(me, SCRIPT)
    await me.press("🌐 Preview")
    link = await me.next_reply()
    assert (
        public(settings, "acme") in link.plain and f"{public(settings, 'acme')}.json" in link.plain
    )
    assert SCRIPT in link.plain and "&lt;script&gt;" in link.text
    await me.press("🗑 Delete")
    confirm = await me.next_reply()
    assert SCRIPT in confirm.plain
    await me.press("No, keep it")
    await me.next_reply()
    assert await StatusPage.exists(id=page.id)
    await me.press("🗑 Delete")
    await me.next_reply()
    await me.press("Yes, delete")
    assert (await me.next_answer())["text"] == tr("en", "Deleted.")
    assert not await StatusPage.exists(id=page.id)
    assert await Monitor.exists(id=alpha.id)


# --- forged buttons and escaping -------------------------------------------------------


async def test_a_foreign_page_or_monitor_in_a_button_changes_nothing(
    telegram: FakeTelegram,
) -> None:
    bob, (bobs,) = await owner_with(2, "Bob's")
    theirs = await pages.create_page(bob, "Bob's page", "bobs")
    await pages.replace_layout(theirs, [GroupSpec("Web", [(bobs.id, False)])])
    group = await StatusPageGroup.get(page_id=theirs.id)
    mallory, (own,) = await owner_with(3, "Mine")
    mine = await pages.create_page(mallory, "Mine")
    me = telegram.user(3, language_code="en")
    await me.send("/pages")
    await me.next_reply()

    async def snapshot() -> tuple:
        page_rows = await StatusPage.all().order_by("id").values_list("slug", "title", "note")
        group_rows = await StatusPageGroup.all().order_by("id").values_list("name", "position")
        item_rows = (
            await StatusPageMonitor.all()
            .order_by("id")
            .values_list("page_id", "monitor_id", "position", "show_url")
        )
        return page_rows, group_rows, item_rows

    before = await snapshot()
    not_found = tr("en", "Status page not found.")
    for action in ("open", "pick", "arrange", "monitor", "move", "groups", "group", "toggle",
                   "up", "down", "show_url", "hide_url", "move_to", "remove", "group_up",
                   "group_down", "group_delete", "group_delete_yes", "delete", "delete_yes",
                   "preview", "edit", "clear", "group_add", "group_rename"):  # fmt: skip
        data = StatusPageCb(
            action=action, id=theirs.id, monitor=bobs.id, group=group.id, what="note"
        )
        await me.press_data(data.pack())
        answer = await me.next_answer()
        assert (answer["text"], answer.get("show_alert")) == (not_found, True), action
    assert await snapshot() == before
    # Someone else's monitor or group named on one's own page.
    await me.press_data(StatusPageCb(action="toggle", id=mine.id, monitor=bobs.id).pack())
    answer = await me.next_answer()
    assert answer["show_alert"] and answer["text"] == tr(
        "en", "Monitor {id} does not exist or is not yours.", id=bobs.id
    )
    await pages.add_monitors(mine, [own.id])
    await me.press_data(
        StatusPageCb(action="move_to", id=mine.id, monitor=own.id, group=group.id).pack()
    )
    assert (await me.next_answer())["text"] == tr(
        "en", "Group {id} is not on this page.", id=group.id
    )
    await me.press_data(StatusPageCb(action="remove", id=mine.id, monitor=bobs.id).pack())
    assert (await me.next_answer())["show_alert"]
    assert (await snapshot())[0] == before[0]
    assert await items(theirs) == [("Web", ["Bob's"])]
    assert await items(mine) == [("", ["Mine"])]


async def test_html_in_a_title_and_names_is_escaped_everywhere(telegram: FakeTelegram) -> None:
    owner, (monitor,) = await owner_with(1, f"Site {SCRIPT}")
    page = await pages.create_page(owner, f"Status {SCRIPT}", "acme")
    await pages.replace_layout(page, [GroupSpec(f"Group {SCRIPT}", [(monitor.id, False)])])
    me = telegram.user(1, language_code="en")
    await me.send("/pages")
    seen = [await me.next_reply()]
    for button in (f"Status {SCRIPT}", "➕ Add monitors", "✔️ Done", "↕️ Arrange monitors"):
        await me.press(button)
        seen.append(await me.next_reply())
    await me.press(next(b for b in me.buttons() if b.startswith("Site")))
    seen.append(await me.next_reply())
    await me.press("⬅️ Back")
    await me.next_reply()
    await me.press("⬅️ Back")
    await me.next_reply()
    await me.press("📁 Groups")
    seen.append(await me.next_reply())
    await me.press(f"Group {SCRIPT} (1)")
    seen.append(await me.next_reply())
    for message in seen:
        assert SCRIPT in message.plain, message.plain  # shown as text...
        assert "<script>" not in message.text  # ...sent escaped
        assert "&lt;script&gt;" in message.text


async def test_pages_is_in_the_menu_and_help(telegram: FakeTelegram) -> None:
    menus = [c.params for c in telegram.calls if c.method == "setMyCommands"]
    private = next(m for m in menus if "scope" not in m and "language_code" not in m)
    assert "pages" in [c["command"] for c in private["commands"]]
    me = telegram.user(1, language_code="en")
    await me.send("/help")
    await me.next_reply()
    await me.press("Status pages")
    assert "/pages" in (await me.next_reply()).plain
