"""The rules and management of status pages (core/status_pages.py), on both databases:
slugs (their rules, suggestions, and a slug taken under a race), the fields and their
limits, the logo URL's rules, the caps, and every change to a page's layout, each
refused change leaving the page as it was."""

from __future__ import annotations

import asyncio

import pytest

from core import status_pages as pages
from core.monitor_rules import RuleError
from core.status_pages import (
    MAX_DESCRIPTION,
    MAX_GROUP_NAME,
    MAX_GROUPS,
    MAX_NOTE,
    MAX_PAGE_MONITORS,
    MAX_PAGES,
    MAX_TITLE,
    GroupSpec,
    Layout,
)
from core.targets import TargetError
from db.models import Monitor, StatusPage, StatusPageGroup, StatusPageMonitor, User
from tests.test_api_channels import table_dns

PUBLIC_HOST = "hooks.example"  # public in table_dns
PRIVATE_HOST = "intranet.example"  # 10.0.0.5 in table_dns


def refused(code: str):
    """pytest.raises for a RuleError with `code`."""
    return pytest.raises(RuleError, match=f"^{code}$")


async def owner_with_monitors(telegram_id: int, count: int) -> tuple[User, list[Monitor]]:
    user = await User.create(telegram_id=telegram_id)
    await Monitor.bulk_create(
        [
            Monitor(owner_id=user.id, name=f"m{i}", url=f"https://s{i}.example/")
            for i in range(count)
        ]
    )
    return user, await Monitor.filter(owner_id=user.id).order_by("id")


def shape(layout: Layout) -> list[tuple[str, list[int]]]:
    """A layout as (group name, [monitor ids]) in order."""
    return [(g.name, [m.monitor_id for m in g.monitors]) for g in layout.groups]


async def stored(page: StatusPage) -> tuple:
    """Everything a refused change must leave as it was."""
    row = await StatusPage.get(id=page.id)
    groups = (
        await StatusPageGroup.filter(page_id=page.id)
        .order_by("id")
        .values_list("id", "name", "position")
    )
    items = (
        await StatusPageMonitor.filter(page_id=page.id)
        .order_by("id")
        .values_list("monitor_id", "group_id", "position", "show_url")
    )
    return (row.slug, row.title, row.description, row.note, row.logo_url), groups, items


# --- slugs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "slug"),
    [("acme", "acme"), ("  Acme-Status-2 ", "acme-status-2"), ("a" * 64, "a" * 64), ("a-b", "a-b")],
)
def test_slugs_that_are_taken_as_typed(typed: str, slug: str) -> None:
    assert pages.parse_slug(typed) == slug


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("ab", "slug_length"),
        ("a" * 65, "slug_length"),
        ("", "slug_length"),
        ("acme_status", "slug_characters"),
        ("acme status", "slug_characters"),
        ("acme.json", "slug_characters"),
        ("ÄCME", "slug_characters"),
        ("статус", "slug_characters"),
        ("-acme", "slug_dash"),
        ("acme-", "slug_dash"),
        ("api", "slug_reserved"),
        ("Status", "slug_reserved"),
        ("badges", "slug_reserved"),
        ("admin", "slug_reserved"),
    ],
)
def test_slugs_refused_with_the_reason(typed: str, code: str) -> None:
    with refused(code) as caught:
        pages.parse_slug(typed)
    assert caught.value.field == "slug"


@pytest.mark.parametrize(
    ("title", "base"),
    [
        ("Acme Status", "acme-status"),
        ("  Acme   <b>API</b> & Co!  ", "acme-b-api-b-co"),
        ("Мой сервис: статус", "moy-servis-status"),
        ("Щука и Ёж", "shchuka-i-ezh"),
        ("Über die Straße", "ueber-die-strasse"),
        ("Café Olé 2026", "cafe-ole-2026"),
        ("日本語", "page"),
        ("!!!", "page"),
        ("X", "x-page"),
        ("Status", "status-page"),
        ("API", "api-page"),
    ],
)
def test_slug_bases_from_titles(title: str, base: str) -> None:
    assert pages.slug_base(title) == base
    assert pages.parse_slug(base) == base  # always a valid slug


def test_a_long_title_is_cut_at_a_word_with_room_for_a_number() -> None:
    base = pages.slug_base("word " * 40)
    assert base.startswith("word-word") and not base.endswith("-")
    room = pages.MAX_SLUG - pages.SLUG_NUMBER_ROOM
    assert len(base) <= room and pages.parse_slug(base + "-99999")
    assert pages.slug_base("word " * 40) == "-".join(["word"] * 11)  # 54 characters
    assert pages.slug_base("a" * 57 + " bc") == "a" * 57  # ends at a word
    unbroken = pages.slug_base("x" * 100)
    assert unbroken == "x" * room


async def test_a_suggested_slug_is_free(db) -> None:
    owner = await User.create(telegram_id=1)
    assert await pages.suggest_slug("Acme") == "acme"
    for slug in ("acme", "acme-2", "acme-status"):
        await StatusPage.create(owner_id=owner.id, slug=slug, title="t")
    assert await pages.suggest_slug("Acme") == "acme-3"
    made = await pages.create_page(owner, "ACME")
    assert made.slug == "acme-3"


async def test_a_slug_taken_by_a_concurrent_creation_is_refused(db) -> None:
    """Two creations of one slug at once: the unique index lets one through, and the
    other gets the reason, not a database error; suggested slugs both find room."""
    ann = await User.create(telegram_id=1)
    bob = await User.create(telegram_id=2)
    results = await asyncio.gather(
        pages.create_page(ann, "Ann", "shared"),
        pages.create_page(bob, "Bob", "shared"),
        return_exceptions=True,
    )
    made = [r for r in results if isinstance(r, StatusPage)]
    errors = [r for r in results if isinstance(r, RuleError)]
    assert len(made) == 1 and made[0].slug == "shared"
    assert [(e.code, e.params, e.field) for e in errors] == [
        ("slug_taken", {"slug": "shared"}, "slug")
    ]
    assert await StatusPage.all().count() == 1

    both = await asyncio.gather(pages.create_page(ann, "Acme"), pages.create_page(bob, "Acme"))
    assert sorted(p.slug for p in both) == ["acme", "acme-2"]


async def test_changing_the_slug(db) -> None:
    owner = await User.create(telegram_id=1)
    first = await pages.create_page(owner, "First")
    second = await pages.create_page(owner, "Second")
    before = await stored(second)
    with refused("slug_taken"):
        await pages.update_page(second, slug="first", title="Renamed")
    assert await stored(second) == before
    await pages.update_page(second, slug="Second-Page")
    assert (await StatusPage.get(id=second.id)).slug == "second-page"
    await pages.update_page(first, slug="first")  # its own: not "taken"
    assert (await StatusPage.get(id=first.id)).slug == "first"


# --- fields --------------------------------------------------------------------------------


async def test_fields_are_checked_and_kept_as_text(db) -> None:
    owner = await User.create(telegram_id=1)
    html = '<script>alert("x")</script> & <b>'
    page = await pages.create_page(
        owner,
        f"  {html}  title ",
        "acme",
        description=f"  {html}\r\nline two  ",
        note="🧑‍💻 Deploy at 05:00 ❤️\n\tdetails",
    )
    assert page.title == f"{html} title"
    assert page.description == f"{html}\nline two"
    assert page.note == "🧑‍💻 Deploy at 05:00 ❤️\n\tdetails"
    before = await stored(page)
    cases = [
        ({"title": " \n "}, "page_title_empty", "title"),
        ({"title": "x" * (MAX_TITLE + 1)}, "page_title_too_long", "title"),
        ({"title": "bank\u202emoc"}, "page_text_invalid", "title"),
        ({"description": "d" * (MAX_DESCRIPTION + 1)}, "page_description_too_long", "description"),
        ({"description": "a\x00b"}, "page_text_invalid", "description"),
        ({"note": "n" * (MAX_NOTE + 1)}, "page_note_too_long", "note"),
        ({"note": "read \u2067this\u2069"}, "page_text_invalid", "note"),
        # all or nothing: a good title with a bad note changes neither
        ({"title": "Fine", "note": "\x07"}, "page_text_invalid", "note"),
    ]
    for change, code, field in cases:
        with refused(code) as caught:
            await pages.update_page(page, **change)
        assert caught.value.field == field
        assert await stored(page) == before
    await pages.update_page(
        page, title="t" * MAX_TITLE, description="d" * MAX_DESCRIPTION, note="n" * MAX_NOTE
    )
    row = await StatusPage.get(id=page.id)
    assert (len(row.title), len(row.description), len(row.note)) == (
        MAX_TITLE, MAX_DESCRIPTION, MAX_NOTE,
    )  # fmt: skip
    await pages.update_page(page, description="", note="")
    row = await StatusPage.get(id=page.id)
    assert (row.description, row.note) == ("", "")
    assert row.updated_at >= row.created_at


async def test_the_logo_url(db) -> None:
    owner = await User.create(telegram_id=1)
    page = await pages.create_page(owner, "Acme")

    async def set_logo(url: str | None, allow_private: bool = False) -> str | None:
        await pages.update_page(page, logo_url=url, allow_private=allow_private, resolver=table_dns)
        return (await StatusPage.get(id=page.id)).logo_url

    assert await set_logo(f"https://{PUBLIC_HOST.upper()}/logo.png") == (
        f"https://{PUBLIC_HOST}/logo.png"
    )
    before = await stored(page)
    for url, error, code in [
        (f"http://{PUBLIC_HOST}/logo.png", RuleError, "logo_https"),
        (f"ftp://{PUBLIC_HOST}/logo.png", RuleError, "logo_https"),
        (f"https://{PRIVATE_HOST}/logo.png", RuleError, "logo_private"),
        ("https://127.0.0.1/logo.png", RuleError, "logo_private"),
        ("https://169.254.169.254/logo.png", RuleError, "logo_private"),
        ("https://nowhere.example/logo.png", TargetError, "dns"),
        (f"https://{PUBLIC_HOST}/" + "x" * 2048, TargetError, "url_too_long"),
        ("https://user:pw@hooks.example/", TargetError, "url_credentials"),
    ]:
        with pytest.raises(error) as caught:
            await set_logo(url)
        assert (caught.value.code, caught.value.field) == (code, "logo_url")
        assert await stored(page) == before
    # Admins and ALLOW_PRIVATE_TARGETS may, as with monitors.
    assert await set_logo(f"https://{PRIVATE_HOST}/l.png", allow_private=True) == (
        f"https://{PRIVATE_HOST}/l.png"
    )
    assert await set_logo("  ") is None
    await set_logo(f"https://{PUBLIC_HOST}/logo.png")
    assert await set_logo(None) is None


# --- caps ----------------------------------------------------------------------------------


async def test_at_most_max_pages_per_user_even_at_once(db) -> None:
    owner = await User.create(telegram_id=1)
    for number in range(MAX_PAGES - 1):
        await pages.create_page(owner, f"Page {number}")
    results = await asyncio.gather(
        pages.create_page(owner, "Last"), pages.create_page(owner, "One too many"),
        return_exceptions=True,
    )  # fmt: skip
    errors = [r for r in results if isinstance(r, Exception)]
    assert [(e.code, e.params) for e in errors] == [("page_quota", {"max": MAX_PAGES})]
    assert await StatusPage.filter(owner_id=owner.id).count() == MAX_PAGES
    other = await User.create(telegram_id=2)
    assert await pages.create_page(other, "Mine")  # the cap is per user


async def test_at_most_max_monitors_on_a_page(db) -> None:
    owner, monitors = await owner_with_monitors(1, MAX_PAGE_MONITORS + 1)
    ids = [m.id for m in monitors]
    page = await pages.create_page(owner, "Big")
    with refused("page_monitors_max") as caught:
        await pages.add_monitors(page, ids)
    assert caught.value.params == {"max": MAX_PAGE_MONITORS}
    with refused("page_monitors_max"):
        await pages.replace_layout(page, [GroupSpec("", [(i, False) for i in ids])])
    assert await StatusPageMonitor.filter(page_id=page.id).count() == 0
    layout = await pages.add_monitors(page, ids[:MAX_PAGE_MONITORS])
    assert layout.monitor_count == MAX_PAGE_MONITORS
    before = await stored(page)
    with refused("page_monitors_max"):
        await pages.add_monitors(page, ids[-1:])
    assert await stored(page) == before
    # Adding monitors already there is no growth.
    assert (await pages.add_monitors(page, ids[:3])).monitor_count == MAX_PAGE_MONITORS


async def test_at_most_max_groups(db) -> None:
    owner = await User.create(telegram_id=1)
    page = await pages.create_page(owner, "Groups")
    with refused("page_groups_max"):
        await pages.replace_layout(page, [GroupSpec(f"g{i}") for i in range(MAX_GROUPS + 1)])
    layout = await pages.replace_layout(page, [GroupSpec(f"g{i}") for i in range(MAX_GROUPS)])
    assert len(layout.groups) == MAX_GROUPS
    with refused("page_groups_max"):
        await pages.add_group(page, "one more")
    assert await StatusPageGroup.filter(page_id=page.id).count() == MAX_GROUPS


# --- layout --------------------------------------------------------------------------------


async def test_only_the_owners_monitors_go_on_a_page(db) -> None:
    owner, (mine,) = await owner_with_monitors(1, 1)
    _other, (theirs,) = await owner_with_monitors(2, 1)
    page = await pages.create_page(owner, "Mine")
    for monitor_id in (theirs.id, 999_999):
        with refused("page_monitor_unknown") as caught:
            await pages.add_monitors(page, [mine.id, monitor_id])
        assert caught.value.params == {"id": monitor_id}
        with refused("page_monitor_unknown"):
            await pages.replace_layout(
                page, [GroupSpec("", [(mine.id, False), (monitor_id, True)])]
            )
    assert await StatusPageMonitor.all().count() == 0
    assert await StatusPageGroup.all().count() == 0


async def test_adding_moving_and_removing_monitors(db) -> None:
    owner, monitors = await owner_with_monitors(1, 4)
    a, b, c, d = (m.id for m in monitors)
    page = await pages.create_page(owner, "Acme")
    assert (await pages.layout_of(page)).groups == []
    layout = await pages.add_monitors(page, [a, b, a])  # repeats once
    assert shape(layout) == [("", [a, b])]  # the unnamed group, made for them
    layout, api_group = await pages.add_group(page, "  Public   API ")
    assert shape(layout) == [("", [a, b]), ("Public API", [])]
    layout = await pages.add_monitors(page, [c, d, b], api_group)  # b stays where it is
    assert shape(layout) == [("", [a, b]), ("Public API", [c, d])]
    assert [m.name for m in layout.groups[1].monitors] == ["m2", "m3"]

    assert shape(await pages.move_monitor(page, d, -1)) == [("", [a, b]), ("Public API", [d, c])]
    assert shape(await pages.move_monitor(page, d, -1)) == [("", [a, b]), ("Public API", [d, c])]
    assert shape(await pages.move_monitor(page, a, +1)) == [("", [b, a]), ("Public API", [d, c])]
    assert shape(await pages.move_monitor(page, a, +1)) == [("", [b, a]), ("Public API", [d, c])]
    layout = await pages.move_monitor_to_group(page, b, api_group)
    assert shape(layout) == [("", [a]), ("Public API", [d, c, b])]
    assert shape(await pages.move_group(page, api_group, -1)) == [("Public API", [d, c, b]),
                                                                   ("", [a])]  # fmt: skip
    assert shape(await pages.move_group(page, api_group, -1)) == [("Public API", [d, c, b]),
                                                                   ("", [a])]  # fmt: skip

    layout = await pages.set_show_url(page, c, True)
    assert [(m.monitor_id, m.show_url) for m in layout.groups[0].monitors] == [
        (d, False), (c, True), (b, False),
    ]  # fmt: skip
    layout = await pages.remove_monitor(page, c)
    assert shape(layout) == [("Public API", [d, b]), ("", [a])]
    assert await Monitor.exists(id=c)  # off the page, not deleted
    assert shape(await pages.add_monitors(page, [c])) == [("Public API", [d, b, c]), ("", [a])]

    before = await stored(page)
    other = await pages.create_page(owner, "Other")
    _layout, foreign_group = await pages.add_group(other, "Theirs")
    for call, code in [
        (pages.remove_monitor(page, 999_999), "page_monitor_absent"),
        (pages.move_monitor(page, 999_999, 1), "page_monitor_absent"),
        (pages.set_show_url(page, 999_999, True), "page_monitor_absent"),
        (pages.move_monitor_to_group(page, a, foreign_group), "page_group_unknown"),
        (pages.add_monitors(page, [a], foreign_group), "page_group_unknown"),
        (pages.rename_group(page, foreign_group, "Mine now"), "page_group_unknown"),
        (pages.move_group(page, foreign_group, 1), "page_group_unknown"),
        (pages.delete_group(page, foreign_group), "page_group_unknown"),
        (pages.add_group(page, "g" * (MAX_GROUP_NAME + 1)), "page_group_name_too_long"),
        (pages.rename_group(page, api_group, "zero\u200bwidth"), "page_text_invalid"),
    ]:
        with refused(code):
            await call
    assert await stored(page) == before
    assert (await StatusPageGroup.get(id=foreign_group)).name == "Theirs"


async def test_deleting_a_group_moves_its_monitors(db) -> None:
    owner, monitors = await owner_with_monitors(1, 4)
    a, b, c, d = (m.id for m in monitors)
    page = await pages.create_page(owner, "Acme")
    layout = await pages.replace_layout(
        page, [GroupSpec("One", [(a, False)]), GroupSpec("Two", [(b, True), (c, False)]),
               GroupSpec("Three", [(d, False)])],
    )  # fmt: skip
    one, two, three = (g.id for g in layout.groups)
    layout = await pages.rename_group(page, two, "")
    assert [g.name for g in layout.groups] == ["One", "", "Three"]
    layout = await pages.delete_group(page, two)  # to the end of the first other group
    assert shape(layout) == [("One", [a, b, c]), ("Three", [d])]
    assert [m.show_url for m in layout.groups[0].monitors] == [False, True, False]
    layout = await pages.delete_group(page, one)
    assert shape(layout) == [("Three", [d, a, b, c])]
    with refused("page_group_last"):
        await pages.delete_group(page, three)
    assert shape(await pages.layout_of(page)) == [("Three", [d, a, b, c])]
    for monitor_id in (d, a, b, c):
        await pages.remove_monitor(page, monitor_id)
    assert (await pages.delete_group(page, three)).groups == []  # empty: it may go


async def test_replace_layout_is_all_or_nothing(db) -> None:
    owner, monitors = await owner_with_monitors(1, 3)
    a, b, c = (m.id for m in monitors)
    page = await pages.create_page(owner, "Acme")
    await pages.replace_layout(page, [GroupSpec("Web", [(a, True), (b, False)])])
    before = await stored(page)
    for groups, code in [
        ([GroupSpec("Web", [(a, False)]), GroupSpec("Again", [(a, True)])], "page_monitor_twice"),
        ([GroupSpec("x" * (MAX_GROUP_NAME + 1), [(c, False)])], "page_group_name_too_long"),
        ([GroupSpec("Fine", [(c, False)]), GroupSpec("\x1b[31m")], "page_text_invalid"),
    ]:
        with refused(code) as caught:
            await pages.replace_layout(page, groups)
        assert caught.value.field == "groups"
        assert await stored(page) == before
    layout = await pages.replace_layout(
        page, [GroupSpec("", [(c, True)]), GroupSpec("Web", [(a, False)])]
    )
    assert shape(layout) == [("", [c]), ("Web", [a])]
    assert [m.show_url for g in layout.groups for m in g.monitors] == [True, False]
    assert (await pages.replace_layout(page, [])).groups == []


async def test_layouts_of_many_pages_and_the_page_list(db) -> None:
    owner, monitors = await owner_with_monitors(1, 3)
    first = await pages.create_page(owner, "First")
    second = await pages.create_page(owner, "Second")
    await pages.create_page(await User.create(telegram_id=2), "Not mine")
    await pages.add_monitors(first, [m.id for m in monitors])
    await pages.add_monitors(second, [monitors[0].id])
    found = await pages.layouts_of([first.id, second.id])
    assert [found[first.id].monitor_count, found[second.id].monitor_count] == [3, 1]
    shown = found[first.id].groups[0].monitors[0]
    assert (shown.name, shown.url, shown.state) == ("m0", "https://s0.example/", "unknown")
    assert [(p.slug, n) for p, n in await pages.pages_of(owner)] == [("first", 3), ("second", 1)]
    assert await pages.page_of(owner, second.id) is not None
    assert await pages.page_of(await User.get(telegram_id=2), second.id) is None
    # A monitor deleted leaves the pages that showed it.
    await monitors[0].delete()
    assert [n for _p, n in await pages.pages_of(owner)] == [2, 0]
    await pages.delete_page(first)
    assert await StatusPageMonitor.filter(page_id=first.id).count() == 0
    assert await Monitor.filter(owner_id=owner.id).count() == 2


def test_public_urls() -> None:
    assert pages.page_url("https://up.example.com/", "acme") == "https://up.example.com/status/acme"
    assert pages.page_json_url("https://up.example.com", "acme") == (
        "https://up.example.com/status/acme.json"
    )
