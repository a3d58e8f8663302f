"""Status pages in the REST API, served for real on loopback, on both databases: every
route, who may see and touch what, and bad input of every kind (a clear 4xx in the
project's error format that changes nothing). Text is stored as sent and returned as
is: escaping is for the page and the bot that render it. Hosts resolve from a table
(DNS is outside the test machine)."""

from __future__ import annotations

import pytest

from core.status_pages import MAX_GROUPS, MAX_PAGE_MONITORS, MAX_PAGES
from db.models import Monitor, StatusPage, StatusPageGroup, StatusPageMonitor, User
from tests.support.api import ADMIN_KEY, serving
from tests.support.bot_harness import tr, tr_n
from tests.test_api import strict, user_with_key  # noqa: F401 (a fixture)
from tests.test_api_channels import table_dns

V1 = "/api/v1"
PUBLIC = "https://status.example.com"
LOGO = "https://hooks.example/logo.png"  # public in table_dns
HTML = '<script>alert("x")</script><b onmouseover=alert(1)>&amp;'


@pytest.fixture
async def api(db, strict, probe):  # noqa: F811 (the fixture imported above)
    async with serving(strict.model_copy(update={"public_url": PUBLIC}), probe, table_dns) as c:
        yield c


async def monitors_of(user: User, count: int) -> list[int]:
    await Monitor.bulk_create(
        [Monitor(owner_id=user.id, name=f"site {i}", url=f"https://s{i}.example/")
         for i in range(count)]
    )  # fmt: skip
    return list(await Monitor.filter(owner_id=user.id).order_by("id").values_list("id", flat=True))


async def rows() -> tuple:
    """What a refused request must leave as it was."""
    found = (
        await StatusPage.all()
        .order_by("id")
        .values_list(
            "id", "owner_id", "slug", "title", "description", "logo_url", "note", "updated_at"
        )
    )
    groups = await StatusPageGroup.all().order_by("id").values_list("id", "page_id", "name",
                                                                    "position")  # fmt: skip
    items = (
        await StatusPageMonitor.all()
        .order_by("id")
        .values_list("page_id", "group_id", "monitor_id", "position", "show_url")
    )
    return found, groups, items


async def new_page(api, key: str, **fields) -> dict:
    reply = await api.call("POST", f"{V1}/pages", key, {"title": "Acme", **fields})
    assert reply.status == 201, reply.body
    return reply.body


# --- CRUD ----------------------------------------------------------------------------------


async def test_create_list_get_patch_delete(api) -> None:
    ann, key = await user_with_key(1)
    a, b, c = await monitors_of(ann, 3)
    assert (await api.get(f"{V1}/pages", key)).body == {"items": [], "next_cursor": None}

    made = await new_page(api, key, title="  Acme   Status ")
    assert made == {
        "id": made["id"], "owner_telegram_id": 1, "slug": "acme-status", "title": "Acme Status",
        "description": "", "logo_url": None, "note": "",
        "url": f"{PUBLIC}/status/acme-status", "json_url": f"{PUBLIC}/status/acme-status.json",
        "groups": [], "created_at": made["created_at"], "updated_at": made["updated_at"],
    }  # fmt: skip
    full = await new_page(
        api, key, title="Acme API", slug="Acme-API", description="All our APIs.",
        logo_url=LOGO.upper().replace("/LOGO.PNG", "/logo.png"), note="Maintenance on Sunday.",
        groups=[
            {"name": "Web", "monitors": [{"id": b, "show_url": True}, {"id": a}]},
            {"monitors": [{"id": c, "show_url": False}]},
            {"name": "Empty"},
        ],
    )  # fmt: skip
    assert (full["slug"], full["logo_url"]) == ("acme-api", LOGO)
    assert full["groups"] == [
        {"name": "Web", "monitors": [{"id": b, "name": "site 1", "show_url": True},
                                     {"id": a, "name": "site 0", "show_url": False}]},
        {"name": "", "monitors": [{"id": c, "name": "site 2", "show_url": False}]},
        {"name": "Empty", "monitors": []},
    ]  # fmt: skip
    assert (await api.get(f"{V1}/pages/{full['id']}", key)).body == full

    listed = await api.get(f"{V1}/pages", key)
    assert listed.body == {"items": [made, full], "next_cursor": None}
    first = await api.get(f"{V1}/pages", key, limit="1")
    assert first.body["items"] == [made] and first.body["next_cursor"]
    rest = await api.get(f"{V1}/pages", key, cursor=first.body["next_cursor"])
    assert rest.body == {"items": [full], "next_cursor": None}

    patched = await api.call("PATCH", f"{V1}/pages/{full['id']}", key, {"note": "All good."})
    assert patched.status == 200
    assert patched.body == {**full, "note": "All good.", "updated_at": patched.body["updated_at"]}
    assert patched.body["updated_at"] >= full["updated_at"]
    relaid = await api.call(
        "PATCH", f"{V1}/pages/{full['id']}", key,
        {"groups": [{"name": "All", "monitors": [{"id": c}, {"id": a, "show_url": True}]}],
         "logo_url": None, "slug": "acme-apis", "title": "APIs", "description": ""},
    )  # fmt: skip
    assert relaid.status == 200
    assert relaid.body["groups"] == [
        {"name": "All", "monitors": [{"id": c, "name": "site 2", "show_url": False},
                                     {"id": a, "name": "site 0", "show_url": True}]},
    ]  # fmt: skip
    assert (relaid.body["logo_url"], relaid.body["slug"], relaid.body["title"]) == (
        None, "acme-apis", "APIs",
    )  # fmt: skip
    assert relaid.body["url"] == f"{PUBLIC}/status/acme-apis"
    assert await StatusPageGroup.filter(page_id=full["id"]).count() == 1
    unchanged = await api.call("PATCH", f"{V1}/pages/{full['id']}", key, {})
    assert unchanged.status == 200 and unchanged.body["groups"] == relaid.body["groups"]

    assert (await api.call("DELETE", f"{V1}/pages/{full['id']}", key)).status == 204
    assert (await api.get(f"{V1}/pages/{full['id']}", key)).status == 404
    assert await StatusPageMonitor.filter(page_id=full["id"]).count() == 0
    assert await Monitor.filter(owner_id=ann.id).count() == 3  # the monitors stay


async def test_html_in_every_field_is_stored_and_returned_as_text(api) -> None:
    ann, key = await user_with_key(1)
    (monitor,) = await monitors_of(ann, 1)
    await Monitor.filter(id=monitor).update(name=HTML)
    made = await new_page(
        api, key, title=HTML, description=HTML + "\nsecond line", note=HTML,
        groups=[{"name": HTML, "monitors": [{"id": monitor}]}],
    )  # fmt: skip
    assert made["title"] == made["note"] == HTML
    assert made["description"] == HTML + "\nsecond line"
    assert made["groups"] == [{"name": HTML, "monitors": [{"id": monitor, "name": HTML,
                                                           "show_url": False}]}]  # fmt: skip
    stored = await StatusPage.get(id=made["id"])
    assert (stored.title, stored.note) == (HTML, HTML)
    assert (await api.get(f"{V1}/pages/{made['id']}", key)).body == made


# --- who sees what -------------------------------------------------------------------------


async def test_someone_elses_page_is_not_found_anywhere(api) -> None:
    _ann, ann_key = await user_with_key(1)
    bob, bob_key = await user_with_key(2)
    (bobs_monitor,) = await monitors_of(bob, 1)
    theirs = await new_page(api, bob_key, groups=[{"monitors": [{"id": bobs_monitor}]}])
    missing = await api.get(f"{V1}/pages/2000000", ann_key)
    assert missing.status == 404 and missing.error["code"] == "not_found"
    before = await rows()
    for method, body in (("GET", None), ("PATCH", {"title": "Mine now"}), ("DELETE", None)):
        reply = await api.call(method, f"{V1}/pages/{theirs['id']}", ann_key, body)
        assert (reply.status, reply.body) == (404, missing.body), method
    assert await rows() == before
    assert (await api.get(f"{V1}/pages", ann_key)).body["items"] == []
    refused = await api.get(f"{V1}/pages", ann_key, owner="2")
    assert refused.status == 403 and refused.error["code"] == "admin_only"
    other = await api.call("POST", f"{V1}/pages", ann_key, {"title": "X", "owner_telegram_id": 2})
    assert other.status == 422 and other.error["code"] == "owner_forbidden"
    assert await rows() == before


async def test_the_admin_key_sees_and_changes_every_page(api) -> None:
    ann, ann_key = await user_with_key(1)
    _bob, bob_key = await user_with_key(2)
    mine = await new_page(api, ann_key, title="Ann")
    theirs = await new_page(api, bob_key, title="Bob")
    everything = await api.get(f"{V1}/pages")
    assert [(p["id"], p["owner_telegram_id"]) for p in everything.body["items"]] == [
        (mine["id"], 1), (theirs["id"], 2),
    ]  # fmt: skip
    assert [p["id"] for p in (await api.get(f"{V1}/pages", owner="2")).body["items"]] == [
        theirs["id"]
    ]
    unnamed = await api.call("POST", f"{V1}/pages", ADMIN_KEY, {"title": "X"})
    assert unnamed.status == 422 and unnamed.error["code"] == "field_missing"
    for_ann = await new_page(api, ADMIN_KEY, owner_telegram_id=1, title="For Ann")
    assert for_ann["owner_telegram_id"] == 1
    assert await StatusPage.filter(owner_id=ann.id).count() == 2
    # The admin key lays out a page with its owner's monitors, not anyone's.
    (anns_monitor,) = await monitors_of(ann, 1)
    refused = await api.call("PATCH", f"{V1}/pages/{theirs['id']}", ADMIN_KEY,
                             {"groups": [{"monitors": [{"id": anns_monitor}]}]})  # fmt: skip
    assert refused.status == 422 and refused.error["code"] == "page_monitor_unknown"
    patched = await api.call("PATCH", f"{V1}/pages/{theirs['id']}", ADMIN_KEY, {"title": "B"})
    assert patched.status == 200 and patched.body["title"] == "B"
    assert (await api.call("DELETE", f"{V1}/pages/{theirs['id']}")).status == 204


# --- bad input -----------------------------------------------------------------------------


async def test_slugs_taken_reserved_and_malformed(api) -> None:
    _ann, key = await user_with_key(1)
    _bob, bob_key = await user_with_key(2)
    await new_page(api, bob_key, slug="taken")
    page = await new_page(api, key, slug="mine")
    before = await rows()
    for method, path in (("POST", f"{V1}/pages"), ("PATCH", f"{V1}/pages/{page['id']}")):
        taken = await api.call(method, path, key, {"title": "T", "slug": "Taken"})
        assert taken.status == 409 and taken.error["code"] == "slug_taken"
        message = tr("en", "{slug} is already taken. Choose another address.", slug="taken")
        assert taken.error == {"code": "slug_taken", "message": message,
                               "fields": {"slug": message}}  # fmt: skip
        for slug, code in [
            ("api", "slug_reserved"), ("STATUS", "slug_reserved"), ("ab", "slug_length"),
            ("a" * 65, "slug_length"), ("my_page", "slug_characters"),
            ("my page", "slug_characters"), ("mý-page", "slug_characters"),
            ("-page", "slug_dash"), ("page-", "slug_dash"),
        ]:  # fmt: skip
            reply = await api.call(method, path, key, {"title": "T", "slug": slug})
            assert (reply.status, reply.error["code"]) == (422, code), slug
            assert set(reply.error["fields"]) == {"slug"}
    assert await rows() == before
    german = await api.call("POST", f"{V1}/pages", key, {"title": "T", "slug": "admin"},
                            headers={"Accept-Language": "de"})  # fmt: skip
    assert german.error["message"] == tr(
        "de", "{slug} is reserved. Choose another address.", slug="admin"
    )


async def test_logo_urls_must_be_public_https(api) -> None:
    _ann, key = await user_with_key(1)
    page = await new_page(api, key)
    before = await rows()
    for url, code in [
        ("http://hooks.example/logo.png", "logo_https"),
        ("ftp://hooks.example/logo.png", "logo_https"),
        ("https://intranet.example/logo.png", "logo_private"),
        ("https://mixed.example/logo.png", "logo_private"),
        ("https://10.1.2.3/logo.png", "logo_private"),
        ("https://[::1]/logo.png", "logo_private"),
        ("https://nowhere.example/logo.png", "dns"),
        ("https://hooks.example/" + "x" * 2048, "url_too_long"),
        ("https://2130706433/logo.png", "url_numeric_host"),
    ]:
        for method, path in (("POST", f"{V1}/pages"), ("PATCH", f"{V1}/pages/{page['id']}")):
            reply = await api.call(method, path, key, {"title": "T", "logo_url": url})
            assert (reply.status, reply.error["code"]) == (422, code), url
            assert set(reply.error["fields"]) == {"logo_url"}
    assert await rows() == before
    private = {"title": "T", "logo_url": "https://intranet.example/l.png"}
    refused = await api.call("POST", f"{V1}/pages", key, private)
    assert refused.error["message"] == tr(
        "en",
        "The logo's address is on a private or local network: visitors of a public page "
        "could not load it. Use a public address.",
    )


async def test_monitors_on_a_page_are_the_owners_and_at_most_500(api) -> None:
    ann, key = await user_with_key(1)
    bob, _bob_key = await user_with_key(2)
    ids = await monitors_of(ann, MAX_PAGE_MONITORS + 1)
    (theirs,) = await monitors_of(bob, 1)
    page = await new_page(api, key, groups=[{"name": "Web", "monitors": [{"id": ids[0]}]}])
    before = await rows()
    too_many = [{"id": i} for i in ids]
    for method, path in (("POST", f"{V1}/pages"), ("PATCH", f"{V1}/pages/{page['id']}")):
        for groups, code in [
            ([{"monitors": too_many}], "page_monitors_max"),
            ([{"monitors": too_many[:300]}, {"monitors": too_many[300:]}], "page_monitors_max"),
            ([{"monitors": [{"id": ids[1]}, {"id": theirs}]}], "page_monitor_unknown"),
            ([{"monitors": [{"id": 2_000_000}]}], "page_monitor_unknown"),
            ([{"monitors": [{"id": ids[1]}]}, {"monitors": [{"id": ids[1]}]}],
             "page_monitor_twice"),
            ([{"name": f"g{i}"} for i in range(MAX_GROUPS + 1)], "page_groups_max"),
            ([{"name": "g" * 65}], "page_group_name_too_long"),
        ]:  # fmt: skip
            reply = await api.call(method, path, key, {"title": "T", "groups": groups})
            assert (reply.status, reply.error["code"]) == (422, code), (method, code)
            assert set(reply.error["fields"]) == {"groups"}
    assert await rows() == before
    capped = await api.call(
        "POST", f"{V1}/pages", key, {"title": "T", "groups": [{"monitors": too_many}]}
    )
    assert capped.error["message"] == tr_n(
        "en", "A status page can show at most {max} monitor.",
        "A status page can show at most {max} monitors.", MAX_PAGE_MONITORS, max=MAX_PAGE_MONITORS,
    )  # fmt: skip
    full = await api.call("PATCH", f"{V1}/pages/{page['id']}", key,
                          {"groups": [{"monitors": too_many[:MAX_PAGE_MONITORS]}]})  # fmt: skip
    assert full.status == 200
    assert len(full.body["groups"][0]["monitors"]) == MAX_PAGE_MONITORS


async def test_fields_break_their_rules(api) -> None:
    _ann, key = await user_with_key(1)
    page = await new_page(api, key)
    before = await rows()
    for fields, code, field in [
        ({"title": "   "}, "page_title_empty", "title"),
        ({"title": "t" * 129}, "page_title_too_long", "title"),
        ({"title": "evil\u202etxt.exe"}, "page_text_invalid", "title"),
        ({"description": "d" * 1001}, "page_description_too_long", "description"),
        ({"note": "n" * 2001}, "page_note_too_long", "note"),
        ({"note": "bell\x07"}, "page_text_invalid", "note"),
        ({"title": "Fine", "note": "n" * 2001}, "page_note_too_long", "note"),
    ]:
        for method, path in (("POST", f"{V1}/pages"), ("PATCH", f"{V1}/pages/{page['id']}")):
            reply = await api.call(method, path, key, {"title": "T", **fields})
            assert (reply.status, reply.error["code"]) == (422, code), (method, fields)
            assert set(reply.error["fields"]) == {field}
    assert await rows() == before


async def test_malformed_bodies_wrong_types_and_unknown_fields(api) -> None:
    _ann, key = await user_with_key(1)
    page = await new_page(api, key)
    before = await rows()
    for method, path in (("POST", f"{V1}/pages"), ("PATCH", f"{V1}/pages/{page['id']}")):
        for raw in (b"{", b"[]", b'"title"', b'{"title": NaN}', b"\xff\xfe"):
            reply = await api.call(method, path, key, raw=raw)
            assert (reply.status, reply.error["code"]) == (400, "invalid_json"), raw
        for body, code, names in [
            ({"title": 5}, "field_type", ["title"]),
            ({"title": "T", "slug": 7, "note": None}, "field_type", ["note", "slug"]),
            ({"title": "T", "logo_url": ["https://x"]}, "field_type", ["logo_url"]),
            ({"title": "T", "groups": {}}, "field_type", ["groups"]),
            ({"title": "T", "groups": ["Web"]}, "field_type", ["groups"]),
            ({"title": "T", "groups": [{"name": 1}]}, "field_type", ["groups"]),
            ({"title": "T", "groups": [{"monitors": {"id": 1}}]}, "field_type", ["groups"]),
            ({"title": "T", "groups": [{"monitors": [{"show_url": True}]}]}, "field_type",
             ["groups"]),
            ({"title": "T", "groups": [{"monitors": [{"id": "1"}]}]}, "field_type", ["groups"]),
            ({"title": "T", "groups": [{"monitors": [{"id": 1, "show_url": "yes"}]}]},
             "field_type", ["groups"]),
            ({"title": "T", "groups": [{"name": "W", "color": "red"}]}, "field_type", ["groups"]),
            ({"title": "T", "groups": [{"monitors": [{"id": 2**40}]}]}, "field_range",
             ["groups"]),
            ({"title": "T\x00"}, "field_text", ["title"]),
            ({"title": "T", "theme": "dark", "id": 3}, "unknown_field", ["id", "theme"]),
        ]:  # fmt: skip
            reply = await api.call(method, path, key, body)
            assert (reply.status, reply.error["code"]) == (422, code), (method, body)
            assert sorted(reply.error["fields"]) == names
    missing = await api.call("POST", f"{V1}/pages", key, {"slug": "no-title"})
    assert (missing.status, missing.error["fields"]) == (
        422, {"title": tr("en", "This field is required.")},
    )  # fmt: skip
    assert (await api.call("PUT", f"{V1}/pages/{page['id']}", key, {})).status == 405
    assert (await api.get(f"{V1}/pages/99999999999", key)).status == 404
    assert (await api.get(f"{V1}/pages", key, limit="0")).status == 400
    assert await rows() == before


async def test_the_page_quota(api) -> None:
    ann, key = await user_with_key(1)
    await StatusPage.bulk_create(
        [StatusPage(owner_id=ann.id, slug=f"p-{i}", title="P") for i in range(MAX_PAGES)]
    )
    before = await rows()
    refused = await api.call("POST", f"{V1}/pages", key, {"title": "One more"})
    assert refused.status == 409 and refused.error["code"] == "page_quota"
    assert refused.error["message"] == tr_n(
        "en", "You already have {max} status page. Delete it to make another.",
        "You already have {max} status pages. Delete one to make another.", MAX_PAGES,
        max=MAX_PAGES,
    )  # fmt: skip
    assert await rows() == before
    assert set(refused.body) == {"error"}
