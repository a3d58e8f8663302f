"""Public status pages: what a valid page is, and managing one (the bot and the API
both call this module; the public page itself only reads what is made here).

A page belongs to one user and lists some of that user's monitors, in named groups:
- its slug names it in its address (`/status/<slug>`): 3-64 characters of a-z, 0-9 and
  "-", not starting or ending with "-", unique, and none of RESERVED_SLUGS (words that
  are, or may one day be, paths of the app or look official). Typed slugs are
  lower-cased; `suggest_slug` makes a free one from a title (Cyrillic and German
  letters transliterated, accents dropped, anything else left out);
- its title (1-128 characters, one line), description (at most 1,000 characters),
  owner's note (at most 2,000) and group names (at most 64, one line) are text: stored
  as typed, escaped wherever they are shown; control and text-direction characters are
  refused (they make text read as something else);
- its logo URL is https only, at most 2,048 characters, on a public host (the SSRF rule
  of monitors, core/targets.py: a visitor's browser loads it, and an address on the
  owner's private network says nothing to them), unless the owner may reach private
  addresses (admins, ALLOW_PRIVATE_TARGETS);
- caps: MAX_PAGES per user, MAX_PAGE_MONITORS monitors and MAX_GROUPS groups a page;
- only the owner's own monitors can go on it, each at most once.

Monitors sit in groups; a page's monitors without a group of their choice go to its
first group, and an unnamed one ("") is made when the page has none. Deleting a group
moves its monitors to the end of the first other group, so nothing drops off the page
by accident; the last group cannot be deleted while it holds monitors (remove them
first). Groups and the monitors within a group are shown in `position` order (ties by
id); moves swap neighbours and keep the positions of a group dense.

Every refusal is a RuleError with a stable code (core/rule_texts.py words it) and,
where the API needs it, the field it is about. Layout changes lock the page's row, so
two at once (two replicas, a double tap) cannot pass a cap together or interleave
their positions. Queries of a page's monitors always name the page: the unique index
on (page_id, monitor_id) is the one index those rows have.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from core.monitor_rules import RuleError, has_hidden_characters
from core.targets import Resolver, TargetError, check_target, normalize_url, resolve
from db.connection import current_connection
from db.models import Monitor, StatusPage, StatusPageGroup, StatusPageMonitor, User

MIN_SLUG, MAX_SLUG = 3, 64
MAX_TITLE = 128
MAX_DESCRIPTION = 1000
MAX_NOTE = 2000
MAX_GROUP_NAME = 64
MAX_LOGO_URL = 2048
MAX_PAGES = 20  # per user: a page is for customers, a team needs a handful
MAX_PAGE_MONITORS = 500
MAX_GROUPS = 50
SLUG_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
# Paths of the app (now or likely later) and words that would pass for the operator's
# own pages: a user's page may not take them.
RESERVED_SLUGS = frozenset(
    {
        "about", "account", "admin", "administrator", "api", "app", "assets", "auth",
        "badge", "badges", "billing", "blog", "dashboard", "docs", "favicon", "health",
        "help", "home", "index", "login", "logout", "metrics", "new", "oauth", "openapi",
        "pages", "ping", "privacy", "register", "root", "security", "settings", "signup",
        "static", "status", "support", "system", "telegram", "terms", "webhook", "www",
    }
)  # fmt: skip
# What a slug gets when the title gives too little, or a reserved word.
SLUG_FALLBACK = "page"
SLUG_SUFFIX = "-page"
# Room a suggested slug's base leaves for the number that makes it free ("-2"...).
SLUG_NUMBER_ROOM = len("-99999")
# Suggested slugs tried at most this many times when another page takes one first.
SLUG_ATTEMPTS = 3

# Letters whose ASCII spelling is not their decomposition: Russian and Ukrainian
# Cyrillic (a simple phonetic scheme, as in URLs), and German's umlauts and ß.
_TRANSLITERATION = {
    **dict(zip("абвгдезийклмнопрстуфыэ", "abvgdeziyklmnoprstufye", strict=True)),
    "ё": "e", "ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "", "ь": "", "ю": "yu", "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g",
    "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss",
}  # fmt: skip
# Characters a page's longer texts may hold although their category is refused in
# names: line breaks and tabs, and the zero-width joiner and variation selectors that
# emoji sequences are made of (U+200D, U+FE0F are format characters).
_PROSE_ALLOWED = frozenset("\n\t\u200d\ufe0e\ufe0f")


# --- what the callers render ------------------------------------------------------


@dataclass(frozen=True)
class PageMonitor:
    """A monitor on a page, with what its managers see of it."""

    monitor_id: int
    name: str
    url: str
    state: str
    show_url: bool
    position: int


@dataclass(frozen=True)
class PageGroup:
    id: int
    name: str  # "" for the unnamed group
    position: int
    monitors: list[PageMonitor] = field(default_factory=list)


@dataclass(frozen=True)
class Layout:
    """A page's groups in order, each with its monitors in order."""

    groups: list[PageGroup]

    @property
    def monitor_count(self) -> int:
        return sum(len(group.monitors) for group in self.groups)

    def find(self, monitor_id: int) -> tuple[PageGroup, PageMonitor] | None:
        for group in self.groups:
            for shown in group.monitors:
                if shown.monitor_id == monitor_id:
                    return group, shown
        return None

    def group(self, group_id: int) -> PageGroup | None:
        return next((g for g in self.groups if g.id == group_id), None)


@dataclass(frozen=True)
class GroupSpec:
    """One group of a declared layout (replace_layout): its name and its monitors as
    (monitor id, show_url) in order."""

    name: str
    monitors: Sequence[tuple[int, bool]] = ()


def page_url(public_url: str, slug: str) -> str:
    """The public address of a page (PUBLIC_URL + /status/<slug>)."""
    return f"{public_url.rstrip('/')}/status/{slug}"


def page_json_url(public_url: str, slug: str) -> str:
    return page_url(public_url, slug) + ".json"


# --- the rules of the fields -------------------------------------------------------


def parse_slug(text: str) -> str:
    """A slug as typed, lower-cased, if it may name a page (not whether it is free)."""
    slug = text.strip()
    if slug.isascii():
        slug = slug.lower()
    if not MIN_SLUG <= len(slug) <= MAX_SLUG:
        raise RuleError("slug_length", {"min": MIN_SLUG, "max": MAX_SLUG}, field="slug")
    if not set(slug) <= SLUG_CHARACTERS:
        raise RuleError("slug_characters", field="slug")
    if slug[0] == "-" or slug[-1] == "-":
        raise RuleError("slug_dash", field="slug")
    if slug in RESERVED_SLUGS:
        raise RuleError("slug_reserved", {"slug": slug}, field="slug")
    return slug


def slug_base(title: str) -> str:
    """A slug-shaped form of `title` (not yet checked to be free): letters
    transliterated (Cyrillic, umlauts) or stripped of their accents, every run of
    anything else one "-", cut at a word's end to leave room for a "-N" suffix."""
    out = []
    for char in title.lower():
        if char in _TRANSLITERATION:
            out.append(_TRANSLITERATION[char])
            continue
        plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
        out.append("".join(c for c in plain.lower() if c in SLUG_CHARACTERS and c != "-") or " ")
    words = "".join(out).split()
    base = "-".join(words)
    room = MAX_SLUG - SLUG_NUMBER_ROOM
    if len(base) > room:
        cut = base[:room]
        if base[room] != "-" and "-" in cut:  # cut inside a word: drop that word
            cut = cut.rsplit("-", 1)[0]
        base = cut.rstrip("-")
    if not base:
        return SLUG_FALLBACK
    if len(base) < MIN_SLUG or base in RESERVED_SLUGS:
        base += SLUG_SUFFIX
    return base


async def suggest_slug(title: str) -> str:
    """A free slug made from `title`: its slug_base, or that with -2, -3... (one query
    for every slug that starts with it)."""
    base = slug_base(title)
    taken = set(await StatusPage.filter(slug__startswith=base).values_list("slug", flat=True))
    number = 1
    candidate = base
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def parse_title(text: str) -> str:
    title = " ".join(text.split())
    if not title:
        raise RuleError("page_title_empty", field="title")
    if len(title) > MAX_TITLE:
        raise RuleError("page_title_too_long", {"max": MAX_TITLE}, field="title")
    if has_hidden_characters(title):
        raise RuleError("page_text_invalid", field="title")
    return title


def parse_group_name(text: str, field_name: str = "name") -> str:
    """A group's name, one line ("" for the unnamed group)."""
    name = " ".join(text.split())
    if len(name) > MAX_GROUP_NAME:
        raise RuleError("page_group_name_too_long", {"max": MAX_GROUP_NAME}, field=field_name)
    if has_hidden_characters(name):
        raise RuleError("page_text_invalid", field=field_name)
    return name


def _prose(text: str, most: int, code: str, field_name: str) -> str:
    """A longer text (description, note): its lines kept, outer blanks trimmed."""
    prose = text.replace("\r\n", "\n").strip()
    if len(prose) > most:
        raise RuleError(code, {"max": most}, field=field_name)
    if has_hidden_characters("".join(c for c in prose if c not in _PROSE_ALLOWED)):
        raise RuleError("page_text_invalid", field=field_name)
    return prose


def parse_description(text: str) -> str:
    return _prose(text, MAX_DESCRIPTION, "page_description_too_long", "description")


def parse_note(text: str) -> str:
    return _prose(text, MAX_NOTE, "page_note_too_long", "note")


async def check_logo_url(
    raw: str | None, allow_private: bool, resolver: Resolver = resolve
) -> str | None:
    """The logo's URL, normalised (None or blank: no logo): https, at most 2,048
    characters, a host that resolves to public addresses unless `allow_private`.
    RuleError or TargetError about the field `logo_url` otherwise."""
    if raw is None or not raw.strip():
        return None
    try:
        url = normalize_url(raw)
        if urlsplit(url).scheme != "https":
            raise RuleError("logo_https", field="logo_url")
        return (await check_target(url, allow_private, resolver=resolver)).url
    except TargetError as error:
        if error.code == "url_scheme":
            raise RuleError("logo_https", field="logo_url") from None
        if error.code == "private_address":
            raise RuleError("logo_private", field="logo_url") from None
        error.field = "logo_url"
        raise


# --- reading ---------------------------------------------------------------------------


async def page_of(owner: User, page_id: int) -> StatusPage | None:
    """The page if it exists and is `owner`'s."""
    return await StatusPage.get_or_none(id=page_id, owner_id=owner.id)


async def pages_of(owner: User) -> list[tuple[StatusPage, int]]:
    """The owner's pages in the order made, each with how many monitors it shows (one
    query)."""
    pages = (
        await StatusPage.filter(owner_id=owner.id)
        .annotate(monitor_count=Count("items__id"))
        .group_by("id")
        .order_by("id")
    )
    return [(page, page.monitor_count) for page in pages]


async def layouts_of(page_ids: Sequence[int]) -> dict[int, Layout]:
    """The layouts of many pages in two queries (their groups, then their monitors
    with the monitor's columns joined in as plain values)."""
    if not page_ids:
        return {}
    groups: dict[int, PageGroup] = {}
    by_page: dict[int, list[PageGroup]] = {page_id: [] for page_id in page_ids}
    for row in (
        await StatusPageGroup.filter(page_id__in=page_ids)
        .order_by("position", "id")
        .values("id", "page_id", "name", "position")
    ):
        group = PageGroup(id=row["id"], name=row["name"], position=row["position"])
        groups[group.id] = group
        by_page[row["page_id"]].append(group)
    for row in (
        await StatusPageMonitor.filter(page_id__in=page_ids)
        .order_by("position", "id")
        .values(
            "group_id", "monitor_id", "show_url", "position",
            name="monitor__name", url="monitor__url", state="monitor__state",
        )
    ):  # fmt: skip
        groups[row["group_id"]].monitors.append(
            PageMonitor(
                monitor_id=row["monitor_id"],
                name=row["name"],
                url=row["url"],
                state=str(row["state"]),
                show_url=bool(row["show_url"]),
                position=row["position"],
            )
        )
    return {page_id: Layout(found) for page_id, found in by_page.items()}


async def layout_of(page: StatusPage) -> Layout:
    return (await layouts_of([page.id]))[page.id]


# --- pages ---------------------------------------------------------------------------


async def _checked_fields(
    *,
    title: str | None,
    slug: str | None,
    description: str | None,
    note: str | None,
    logo_url: str | None,
    set_logo: bool,
    allow_private: bool,
    resolver: Resolver,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if title is not None:
        values["title"] = parse_title(title)
    if slug is not None:
        values["slug"] = parse_slug(slug)
    if description is not None:
        values["description"] = parse_description(description)
    if note is not None:
        values["note"] = parse_note(note)
    if set_logo:
        values["logo_url"] = await check_logo_url(logo_url, allow_private, resolver)
    return values


async def create_page(
    owner: User,
    title: str,
    slug: str | None = None,
    *,
    description: str = "",
    note: str = "",
    logo_url: str | None = None,
    groups: Sequence[GroupSpec] | None = None,
    allow_private: bool = False,
    resolver: Resolver = resolve,
) -> StatusPage:
    """A new page of `owner`'s, all or nothing: every field and the layout (`groups`,
    as replace_layout takes it) are checked before anything is written. Without a
    slug one is suggested from the title (tried again with the next free one if
    another page takes it meanwhile); a slug given and taken is refused."""
    values = await _checked_fields(
        title=title, slug=slug, description=description, note=note, logo_url=logo_url,
        set_logo=True, allow_private=allow_private, resolver=resolver,
    )  # fmt: skip
    plan = await _layout_plan(owner.id, groups) if groups is not None else None
    for _attempt in range(1 if slug is not None else SLUG_ATTEMPTS):
        if slug is None:
            values["slug"] = await suggest_slug(values["title"])
        try:
            async with in_transaction(current_connection().connection_name):
                # The owner's row is locked so two creations at once cannot both pass the cap.
                await User.filter(id=owner.id).select_for_update().first()
                if await StatusPage.filter(owner_id=owner.id).count() >= MAX_PAGES:
                    raise RuleError("page_quota", {"max": MAX_PAGES})
                page = await StatusPage.create(owner_id=owner.id, **values)
                if plan is not None:
                    await _write_layout(page.id, plan)
            return page
        except IntegrityError:
            if not await StatusPage.exists(slug=values["slug"]):
                raise
    raise RuleError("slug_taken", {"slug": values["slug"]}, field="slug")


_UNCHANGED: Any = object()


async def update_page(
    page: StatusPage,
    *,
    title: str | None = None,
    slug: str | None = None,
    description: str | None = None,
    note: str | None = None,
    logo_url: str | None = _UNCHANGED,
    groups: Sequence[GroupSpec] | None = None,
    allow_private: bool = False,
    resolver: Resolver = resolve,
) -> StatusPage:
    """Change what is given (None: unchanged; `logo_url` None or "" removes the logo,
    `groups` replaces the layout), all or nothing: everything is checked first, then
    saved in one transaction. A slug another page has is refused (also when that page
    takes it at the same moment: the unique index decides)."""
    values = await _checked_fields(
        title=title, slug=slug, description=description, note=note,
        logo_url=None if logo_url is _UNCHANGED else logo_url,
        set_logo=logo_url is not _UNCHANGED, allow_private=allow_private, resolver=resolver,
    )  # fmt: skip
    plan = await _layout_plan(page.owner_id, groups) if groups is not None else None
    if values.get("slug", page.slug) != page.slug and await StatusPage.exists(slug=values["slug"]):
        raise RuleError("slug_taken", {"slug": values["slug"]}, field="slug")
    try:
        async with in_transaction(current_connection().connection_name):
            if plan is not None:
                await _lock(page.id)
                await StatusPageGroup.filter(page_id=page.id).delete()
                await _write_layout(page.id, plan)
            for name, value in values.items():
                setattr(page, name, value)
            page.updated_at = datetime.now(UTC)
            await page.save(update_fields=[*values, "updated_at"])
    except IntegrityError:
        if "slug" not in values:
            raise
        await page.refresh_from_db()
        raise RuleError("slug_taken", {"slug": values["slug"]}, field="slug") from None
    return page


async def delete_page(page: StatusPage) -> None:
    """The page goes, with its groups and its list of monitors (the monitors stay)."""
    await page.delete()


# --- layout ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """A declared layout, checked: the groups' names and their monitors."""

    groups: list[tuple[str, list[tuple[int, bool]]]]


async def _layout_plan(owner_id: int, groups: Sequence[GroupSpec]) -> _Plan:
    """`groups` checked against the rules (caps before any query, then the monitors:
    each the owner's, each once)."""
    if len(groups) > MAX_GROUPS:
        raise RuleError("page_groups_max", {"max": MAX_GROUPS}, field="groups")
    total = sum(len(group.monitors) for group in groups)
    if total > MAX_PAGE_MONITORS:
        raise RuleError("page_monitors_max", {"max": MAX_PAGE_MONITORS}, field="groups")
    plan, seen = [], set()
    for group in groups:
        name = parse_group_name(group.name, "groups")
        for monitor_id, _show in group.monitors:
            if monitor_id in seen:
                raise RuleError("page_monitor_twice", {"id": monitor_id}, field="groups")
            seen.add(monitor_id)
        plan.append((name, [(monitor_id, bool(show)) for monitor_id, show in group.monitors]))
    await _check_owned(owner_id, list(seen), "groups")
    return _Plan(plan)


async def _check_owned(owner_id: int, monitor_ids: Sequence[int], field_name: str) -> None:
    """RuleError naming the first of `monitor_ids` that is not one of the owner's
    monitors (unknown and someone else's look the same)."""
    if not monitor_ids:
        return
    owned = set(
        await Monitor.filter(id__in=monitor_ids, owner_id=owner_id).values_list("id", flat=True)
    )
    for monitor_id in monitor_ids:
        if monitor_id not in owned:
            raise RuleError("page_monitor_unknown", {"id": monitor_id}, field=field_name)


async def _write_layout(page_id: int, plan: _Plan) -> None:
    """Write a checked layout onto a page that has none (in the caller's transaction):
    one insert per group (their ids are needed), one for all the monitors."""
    items = []
    for position, (name, monitors) in enumerate(plan.groups):
        group = await StatusPageGroup.create(page_id=page_id, name=name, position=position)
        items += [
            StatusPageMonitor(
                page_id=page_id, group_id=group.id, monitor_id=monitor_id, position=index,
                show_url=show,
            )
            for index, (monitor_id, show) in enumerate(monitors)
        ]  # fmt: skip
    if items:
        await StatusPageMonitor.bulk_create(items)


async def replace_layout(page: StatusPage, groups: Sequence[GroupSpec]) -> Layout:
    """The page's groups and monitors become exactly `groups` (the API's declarative
    form), all or nothing."""
    await update_page(page, groups=groups)
    return await layout_of(page)


async def _lock(page_id: int) -> None:
    """Lock the page's row for the rest of the transaction (a deleted page: refused)."""
    if await StatusPage.filter(id=page_id).select_for_update().first() is None:
        raise RuleError("page_unknown")


async def _touch(page_id: int) -> None:
    await StatusPage.filter(id=page_id).update(updated_at=datetime.now(UTC))


def _transaction():
    return in_transaction(current_connection().connection_name)


async def _group_on(page_id: int, group_id: int) -> StatusPageGroup:
    group = await StatusPageGroup.get_or_none(id=group_id, page_id=page_id)
    if group is None:
        raise RuleError("page_group_unknown", {"id": group_id}, field="group_id")
    return group


async def _item_on(page_id: int, monitor_id: int) -> StatusPageMonitor:
    item = await StatusPageMonitor.get_or_none(page_id=page_id, monitor_id=monitor_id)
    if item is None:
        raise RuleError("page_monitor_absent", {"id": monitor_id}, field="monitor_id")
    return item


async def _next_position(model: type[StatusPageGroup | StatusPageMonitor], **where: Any) -> int:
    positions = await model.filter(**where).values_list("position", flat=True)
    return max(positions, default=-1) + 1


async def add_monitors(
    page: StatusPage, monitor_ids: Iterable[int], group_id: int | None = None
) -> Layout:
    """Put some of the owner's monitors on the page, at the end of group `group_id`
    (default: the first group, an unnamed one made when there is none); monitors on
    the page already stay where they are."""
    wanted = list(dict.fromkeys(int(i) for i in monitor_ids))
    if len(wanted) > MAX_PAGE_MONITORS:
        raise RuleError("page_monitors_max", {"max": MAX_PAGE_MONITORS}, field="monitor_ids")
    await _check_owned(page.owner_id, wanted, "monitor_ids")
    async with _transaction():
        await _lock(page.id)
        present = set(
            await StatusPageMonitor.filter(page_id=page.id).values_list("monitor_id", flat=True)
        )
        new = [i for i in wanted if i not in present]
        if len(present) + len(new) > MAX_PAGE_MONITORS:
            raise RuleError("page_monitors_max", {"max": MAX_PAGE_MONITORS}, field="monitor_ids")
        if group_id is not None:
            group = await _group_on(page.id, group_id)
        else:
            group = await StatusPageGroup.filter(page_id=page.id).order_by("position", "id").first()
            if group is None:
                group = await StatusPageGroup.create(page_id=page.id, name="", position=0)
        start = await _next_position(StatusPageMonitor, page_id=page.id, group_id=group.id)
        await StatusPageMonitor.bulk_create(
            [
                StatusPageMonitor(page_id=page.id, group_id=group.id, monitor_id=i, position=p)
                for p, i in enumerate(new, start)
            ]
        )
        await _touch(page.id)
    return await layout_of(page)


async def remove_monitor(page: StatusPage, monitor_id: int) -> Layout:
    """Take a monitor off the page (the monitor itself stays)."""
    async with _transaction():
        await _lock(page.id)
        item = await _item_on(page.id, monitor_id)
        await item.delete()
        await _touch(page.id)
    return await layout_of(page)


async def _swap(rows: list, index: int, step: int) -> None:
    """Move rows[index] one place up (step -1) or down (+1) among `rows` (in shown
    order; a move past either end changes nothing), then number them 0, 1, 2...,
    writing only the positions that changed."""
    other = index + step
    if not 0 <= other < len(rows):
        return
    rows[index], rows[other] = rows[other], rows[index]
    for position, row in enumerate(rows):
        if row.position != position:
            row.position = position
            await row.save(update_fields=["position"])


async def move_monitor(page: StatusPage, monitor_id: int, step: int) -> Layout:
    """Move a monitor one place up (`step` -1) or down (+1) within its group."""
    async with _transaction():
        await _lock(page.id)
        item = await _item_on(page.id, monitor_id)
        rows = await StatusPageMonitor.filter(page_id=page.id, group_id=item.group_id).order_by(
            "position", "id"
        )
        index = next(i for i, row in enumerate(rows) if row.id == item.id)
        await _swap(rows, index, 1 if step > 0 else -1)
        await _touch(page.id)
    return await layout_of(page)


async def move_monitor_to_group(page: StatusPage, monitor_id: int, group_id: int) -> Layout:
    """Move a monitor to the end of another group of the page."""
    async with _transaction():
        await _lock(page.id)
        item = await _item_on(page.id, monitor_id)
        group = await _group_on(page.id, group_id)
        if item.group_id != group.id:
            item.group_id = group.id
            item.position = await _next_position(
                StatusPageMonitor, page_id=page.id, group_id=group.id
            )
            await item.save(update_fields=["group_id", "position"])
            await _touch(page.id)
    return await layout_of(page)


async def set_show_url(page: StatusPage, monitor_id: int, show: bool) -> Layout:
    """Whether the public page shows this monitor's URL (hidden unless the owner says)."""
    async with _transaction():
        item = await _item_on(page.id, monitor_id)
        item.show_url = show
        await item.save(update_fields=["show_url"])
        await _touch(page.id)
    return await layout_of(page)


async def add_group(page: StatusPage, name: str) -> tuple[Layout, int]:
    """A new group at the end of the page; the layout and the group's id."""
    name = parse_group_name(name)
    async with _transaction():
        await _lock(page.id)
        if await StatusPageGroup.filter(page_id=page.id).count() >= MAX_GROUPS:
            raise RuleError("page_groups_max", {"max": MAX_GROUPS}, field="name")
        position = await _next_position(StatusPageGroup, page_id=page.id)
        group = await StatusPageGroup.create(page_id=page.id, name=name, position=position)
        await _touch(page.id)
    return await layout_of(page), group.id


async def rename_group(page: StatusPage, group_id: int, name: str) -> Layout:
    name = parse_group_name(name)
    async with _transaction():
        group = await _group_on(page.id, group_id)
        group.name = name
        await group.save(update_fields=["name"])
        await _touch(page.id)
    return await layout_of(page)


async def move_group(page: StatusPage, group_id: int, step: int) -> Layout:
    """Move a group one place up (`step` -1) or down (+1) on the page."""
    async with _transaction():
        await _lock(page.id)
        group = await _group_on(page.id, group_id)
        rows = await StatusPageGroup.filter(page_id=page.id).order_by("position", "id")
        index = next(i for i, row in enumerate(rows) if row.id == group.id)
        await _swap(rows, index, 1 if step > 0 else -1)
        await _touch(page.id)
    return await layout_of(page)


async def delete_group(page: StatusPage, group_id: int) -> Layout:
    """Delete a group; its monitors move to the end of the first other group, in their
    order. The last group cannot go while it holds monitors (RuleError)."""
    async with _transaction():
        await _lock(page.id)
        group = await _group_on(page.id, group_id)
        items = StatusPageMonitor.filter(page_id=page.id, group_id=group.id)
        heir = (
            await StatusPageGroup.filter(page_id=page.id, id__not=group.id)
            .order_by("position", "id")
            .first()
        )
        if await items.exists():
            if heir is None:
                raise RuleError("page_group_last")
            start = await _next_position(StatusPageMonitor, page_id=page.id, group_id=heir.id)
            first = min(await items.values_list("position", flat=True))
            await items.update(group_id=heir.id, position=F("position") + (start - first))
        await group.delete()
        await _touch(page.id)
    return await layout_of(page)
