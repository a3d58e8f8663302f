"""/pages: the user's public status pages. The list; making one (a title, then the
address suggested from it, taken with a button or typed); a page's card with its
monitors in their groups, and from there: adding and taking off monitors (the user's
monitors as toggles, paged like /monitors), arranging them (up and down, into another
group, the URL shown or hidden, off the page), the groups (added, renamed, moved,
deleted), the title, address, description, logo and note (the last three can be
cleared), the public link, and deleting the page.

The rules live in core.status_pages; handlers parse, call it and render. Every button
names a page, and `page_of` checks it is the presser's: a forged or stale button gets
"not found" and changes nothing; a monitor or group the button names is checked by
core against that page. Titles, names, notes and URLs come from users: every one is
escaped.
"""

from __future__ import annotations

import math

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import keyboards
from bot.callbacks import StatusPageCb
from bot.filters import TEXT_INPUT
from bot.messages import edit, please_send_text
from bot.render import rule_message, rule_text
from bot.routers.channels import fit
from core.i18n import _, ngettext
from core.monitor_rules import RuleError
from core.monitors import monitor_page
from core.render import cut, esc, state_emoji
from core.runtime import Runtime
from core.settings import Settings
from core.status_pages import (
    MAX_DESCRIPTION,
    MAX_GROUP_NAME,
    MAX_GROUPS,
    MAX_NOTE,
    MAX_PAGE_MONITORS,
    MAX_PAGES,
    MAX_SLUG,
    MAX_TITLE,
    MIN_SLUG,
    Layout,
    PageGroup,
    add_group,
    add_monitors,
    create_page,
    delete_group,
    delete_page,
    layout_of,
    move_group,
    move_monitor,
    move_monitor_to_group,
    page_json_url,
    page_of,
    page_url,
    pages_of,
    parse_title,
    remove_monitor,
    rename_group,
    set_show_url,
    suggest_slug,
    update_page,
)
from core.targets import TargetError
from db.models import Monitor, StatusPage, User

ARRANGE_PAGE = 8  # monitors a page of the arrange list
# How much of a page's words the card shows (cut before escaping).
TITLE_SHOWN = 128
TEXT_SHOWN = 200
NAME_SHOWN = 64
BUTTON_NAME = 40
# The fields typed in the chat, and which of them can be cleared.
TEXT_FIELDS = ("title", "slug", "description", "logo_url", "note")
CLEARABLE = ("description", "logo_url", "note")


class PageFlow(StatesGroup):
    title = State()  # a new page's title
    slug = State()  # data: title, slug (the suggestion)
    field = State()  # data: page_id, what (one of TEXT_FIELDS)
    group_name = State()  # data: page_id, group_id (0: a new group)


def _cb(action: str, page_id: int = 0, **more) -> StatusPageCb:
    return StatusPageCb(action=action, id=page_id, **more)


# --- texts --------------------------------------------------------------------------


def group_label(group: PageGroup) -> str:
    """A group's name as plain text; the unnamed one says so."""
    return group.name or _("(no group name)")


def slug_rule() -> str:
    """What an address may be, for the questions that ask for one."""
    return ngettext(
        "{min} to {max} lowercase Latin letter, digit or hyphen",
        "{min} to {max} lowercase Latin letters, digits and hyphens",
        MAX_SLUG,
    ).format(min=MIN_SLUG, max=MAX_SLUG)


def field_prompt(what: str) -> str:
    prompts = {
        "title": ngettext(
            "Send the new title (at most {max} character).",
            "Send the new title (at most {max} characters).",
            MAX_TITLE,
        ).format(max=MAX_TITLE),
        "slug": _("Send the new address: {rule}. The old link stops working.").format(
            rule=slug_rule()
        ),
        "description": ngettext(
            "Send the description shown under the title (at most {max} character).",
            "Send the description shown under the title (at most {max} characters).",
            MAX_DESCRIPTION,
        ).format(max=MAX_DESCRIPTION),
        "logo_url": _("Send the address of the logo: an https:// link to an image."),
        "note": ngettext(
            "Send the note shown above the incidents, such as an announcement (at most "
            "{max} character).",
            "Send the note shown above the incidents, such as an announcement (at most "
            "{max} characters).",
            MAX_NOTE,
        ).format(max=MAX_NOTE),
    }
    return prompts[what] + "\n" + _("/cancel to stop.")


def group_name_prompt() -> str:
    return ngettext(
        "Send the group's name (at most {max} character), or - for a group without one.",
        "Send the group's name (at most {max} characters), or - for a group without one.",
        MAX_GROUP_NAME,
    ).format(max=MAX_GROUP_NAME) + "\n" + _("/cancel to stop.")  # fmt: skip


def slug_question(public_url: str, slug: str) -> str:
    return "\n".join(
        [
            _("The page's address will be:"),
            f"<code>{esc(page_url(public_url, slug))}</code>",
            _("Tap the button to take it, or send another address: {rule}.").format(
                rule=slug_rule()
            ),
            _("/cancel to stop."),
        ]
    )


def monitor_count(count: int) -> str:
    return ngettext("{count} monitor", "{count} monitors", count).format(count=count)


# --- screens ------------------------------------------------------------------------


async def list_screen(user: User, public_url: str) -> tuple[str, InlineKeyboardMarkup]:
    found = await pages_of(user)
    kb = InlineKeyboardBuilder()
    if not found:
        text = _(
            "You have no status pages yet. A status page shows your customers the state of "
            "the monitors you choose, at a public address."
        )
    else:
        head = [
            _("<b>Your status pages</b>: {count} of {max}").format(count=len(found), max=MAX_PAGES)
        ]
        lines = [
            f"• <b>{esc(cut(page.title, NAME_SHOWN))}</b> · {monitor_count(count)}\n"
            f"  {esc(page_url(public_url, page.slug))}"
            for page, count in found
        ]
        text = "\n".join(fit(head + lines))
        for page, _count in found:
            kb.button(text=cut(page.title, BUTTON_NAME), callback_data=_cb("open", page.id))
    if len(found) < MAX_PAGES:
        kb.button(text=_("➕ New status page"), callback_data=_cb("new"))
    kb.adjust(1)
    return text, kb.as_markup()


def page_card(
    page: StatusPage, layout: Layout, public_url: str
) -> tuple[str, InlineKeyboardMarkup]:
    def optional(text: str | None) -> str:
        return esc(cut(text, TEXT_SHOWN)) if text else "—"

    lines = [
        f"📄 <b>{esc(cut(page.title, TITLE_SHOWN))}</b>",
        f"🔗 {esc(page_url(public_url, page.slug))}",
        _("Description: {text}").format(text=optional(page.description)),
        _("Logo: {url}").format(url=optional(page.logo_url)),
        _("Note: {text}").format(text=optional(page.note)),
        _("Monitors: {count} of {max}, groups: {groups}").format(
            count=layout.monitor_count, max=MAX_PAGE_MONITORS, groups=len(layout.groups)
        ),
    ]
    for group in layout.groups:
        lines.append(f"\n<b>{esc(cut(group_label(group), NAME_SHOWN))}</b>")
        lines += [
            f"{state_emoji(shown.state)} {esc(cut(shown.name, NAME_SHOWN))}"
            + (" · 👁 " + _("URL shown") if shown.show_url else "")
            for shown in group.monitors
        ]
    if not layout.monitor_count:
        lines.append("\n" + _("No monitors on this page yet: ➕ Add monitors."))
    kb = InlineKeyboardBuilder()
    for text, action in [
        (_("➕ Add monitors"), "pick"),
        (_("↕️ Arrange monitors"), "arrange"),
        (_("📁 Groups"), "groups"),
        (_("✏️ Title"), "edit:title"),
        (_("🔗 Address"), "edit:slug"),
        (_("📝 Description"), "edit:description"),
        (_("🖼 Logo"), "edit:logo_url"),
        (_("📣 Note"), "edit:note"),
        (_("🌐 Preview"), "preview"),
        (_("🗑 Delete"), "delete"),
    ]:
        action, _sep, what = action.partition(":")
        kb.button(text=text, callback_data=_cb(action, page.id, what=what))
    kb.button(text=_("⬅️ All pages"), callback_data=_cb("list"))
    kb.adjust(2)
    return "\n".join(fit(lines)), kb.as_markup()


async def picker_screen(
    page: StatusPage, layout: Layout, n: int, group_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    """The owner's monitors, a page of them, as toggles: ✅ on the page. New ones go
    to group `group_id` (0: the page's first group)."""
    total = await Monitor.filter(owner_id=page.owner_id).count()
    monitors, n, pages = await monitor_page(page.owner_id, n, total)
    on_page = {shown.monitor_id for group in layout.groups for shown in group.monitors}
    target = layout.group(group_id) or (layout.groups[0] if layout.groups else None)
    lines = [
        _(
            "Which monitors does <b>{title}</b> show? Tap one to put it on ✅ or take it off."
        ).format(title=esc(cut(page.title, TITLE_SHOWN)))
    ]
    if target is not None:
        name = esc(cut(group_label(target), NAME_SHOWN))
        lines.append(_("New ones go to the group {group}.").format(group=f"<b>{name}</b>"))
    lines.append(
        _("Monitors: {count} of {max}").format(count=layout.monitor_count, max=MAX_PAGE_MONITORS)
    )
    if not total:
        lines.append(_("You have no monitors yet. Add one with /add."))
    markup = keyboards.monitor_toggles(
        [(monitor, monitor.id in on_page) for monitor in monitors],
        n,
        pages,
        lambda monitor: _cb("toggle", page.id, monitor=monitor.id, group=group_id, n=n),
        lambda target_n: _cb("pick", page.id, group=group_id, n=target_n),
        _cb("open", page.id),
    )
    return "\n".join(lines), markup


def arrange_screen(page: StatusPage, layout: Layout, n: int) -> tuple[str, InlineKeyboardMarkup]:
    """The page's monitors in order, a page of them: each opens its own screen."""
    shown = [(group, item) for group in layout.groups for item in group.monitors]
    pages = max(1, math.ceil(len(shown) / ARRANGE_PAGE))
    n = min(max(n, 0), pages - 1)
    text = _(
        "<b>{title}</b>: tap a monitor to move it, show or hide its URL, or take it off."
    ).format(title=esc(cut(page.title, TITLE_SHOWN)))
    if not shown:
        text += "\n\n" + _("No monitors on this page yet: ➕ Add monitors.")
    kb = InlineKeyboardBuilder()
    for group, item in shown[n * ARRANGE_PAGE : (n + 1) * ARRANGE_PAGE]:
        label = f"{cut(item.name, BUTTON_NAME)} · {cut(group_label(group), 20)}"
        kb.button(text=label, callback_data=_cb("monitor", page.id, monitor=item.monitor_id, n=n))
    kb.adjust(1)
    nav = InlineKeyboardBuilder()
    if n > 0:
        nav.button(text="◀️", callback_data=_cb("arrange", page.id, n=n - 1))
    if n + 1 < pages:
        nav.button(text="▶️", callback_data=_cb("arrange", page.id, n=n + 1))
    kb.attach(nav)
    back = InlineKeyboardBuilder()
    back.button(text=_("⬅️ Back"), callback_data=_cb("open", page.id))
    kb.attach(back)
    return text, kb.as_markup()


def monitor_screen(
    page: StatusPage, layout: Layout, monitor_id: int, n: int
) -> tuple[str, InlineKeyboardMarkup] | None:
    """One monitor on the page (None when it is not on it)."""
    found = layout.find(monitor_id)
    if found is None:
        return None
    group, item = found
    place = [m.monitor_id for m in group.monitors].index(monitor_id) + 1
    lines = [
        f"{state_emoji(item.state)} <b>{esc(cut(item.name, TITLE_SHOWN))}</b>",
        _("On the page {title}").format(title=f"<b>{esc(cut(page.title, TITLE_SHOWN))}</b>"),
        _("Group: {group}, place {place} of {count}").format(
            group=esc(cut(group_label(group), NAME_SHOWN)), place=place, count=len(group.monitors)
        ),
        _("Its URL is shown on the public page.")
        if item.show_url
        else _("Its URL is hidden from the public page."),
    ]
    kb = InlineKeyboardBuilder()

    def button(text: str, action: str, **more) -> None:
        kb.button(text=text, callback_data=_cb(action, page.id, monitor=monitor_id, n=n, **more))

    button(_("⬆️ Up"), "up")
    button(_("⬇️ Down"), "down")
    if len(layout.groups) > 1:
        button(_("📁 Move to another group"), "move")
    if item.show_url:
        button(_("🙈 Hide URL"), "hide_url")
    else:
        button(_("👁 Show URL"), "show_url")
    button(_("➖ Take off the page"), "remove")
    kb.button(text=_("⬅️ Back"), callback_data=_cb("arrange", page.id, n=n))
    kb.adjust(2)
    return "\n".join(lines), kb.as_markup()


def move_screen(
    page: StatusPage, layout: Layout, monitor_id: int, n: int
) -> tuple[str, InlineKeyboardMarkup] | None:
    found = layout.find(monitor_id)
    if found is None:
        return None
    current, item = found
    kb = InlineKeyboardBuilder()
    for group in layout.groups:
        if group.id != current.id:
            kb.button(
                text=cut(group_label(group), BUTTON_NAME),
                callback_data=_cb("move_to", page.id, monitor=monitor_id, group=group.id, n=n),
            )
    kb.button(text=_("⬅️ Back"), callback_data=_cb("monitor", page.id, monitor=monitor_id, n=n))
    kb.adjust(1)
    text = _("Move <b>{name}</b> to which group?").format(name=esc(cut(item.name, NAME_SHOWN)))
    return text, kb.as_markup()


def groups_screen(page: StatusPage, layout: Layout) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        _("<b>Groups of {title}</b>: {count} of {max}").format(
            title=esc(cut(page.title, TITLE_SHOWN)), count=len(layout.groups), max=MAX_GROUPS
        ),
        _("The public page shows them in this order, each with its monitors."),
    ]
    kb = InlineKeyboardBuilder()
    for group in layout.groups:
        kb.button(
            text=f"{cut(group_label(group), BUTTON_NAME)} ({len(group.monitors)})",
            callback_data=_cb("group", page.id, group=group.id),
        )
    if len(layout.groups) < MAX_GROUPS:
        kb.button(text=_("➕ Add a group"), callback_data=_cb("group_add", page.id))
    kb.button(text=_("⬅️ Back"), callback_data=_cb("open", page.id))
    kb.adjust(1)
    return "\n".join(lines), kb.as_markup()


def group_screen(
    page: StatusPage, layout: Layout, group_id: int
) -> tuple[str, InlineKeyboardMarkup] | None:
    group = layout.group(group_id)
    if group is None:
        return None
    place = layout.groups.index(group) + 1
    lines = [
        f"📁 <b>{esc(cut(group_label(group), NAME_SHOWN))}</b>",
        _("Place {place} of {count} on the page, {monitors}").format(
            place=place, count=len(layout.groups), monitors=monitor_count(len(group.monitors))
        ),
    ]
    lines += [f"{state_emoji(m.state)} {esc(cut(m.name, NAME_SHOWN))}" for m in group.monitors]
    kb = InlineKeyboardBuilder()

    def button(text: str, action: str) -> None:
        kb.button(text=text, callback_data=_cb(action, page.id, group=group_id))

    button(_("⬆️ Up"), "group_up")
    button(_("⬇️ Down"), "group_down")
    button(_("✏️ Rename"), "group_rename")
    button(_("➕ Add monitors here"), "pick")
    button(_("🗑 Delete group"), "group_delete")
    kb.button(text=_("⬅️ Back"), callback_data=_cb("groups", page.id))
    kb.adjust(2)
    return "\n".join(fit(lines)), kb.as_markup()


# --- the list, making a page --------------------------------------------------------


async def pages_command(
    message: Message, state: FSMContext, user: User, settings: Settings
) -> None:
    await state.clear()
    text, markup = await list_screen(user, settings.public_base_url)
    await message.answer(text, reply_markup=markup)


async def show_list(
    callback: CallbackQuery, state: FSMContext, user: User, settings: Settings
) -> None:
    await state.clear()
    await callback.answer()
    await edit(callback, *await list_screen(user, settings.public_base_url))


async def new_page(callback: CallbackQuery, state: FSMContext, user: User) -> None:
    if len(await pages_of(user)) >= MAX_PAGES:
        await _refused(callback, RuleError("page_quota", {"max": MAX_PAGES}))
        return
    await callback.answer()
    await state.set_state(PageFlow.title)
    await callback.message.answer(
        _("Send the title of the new status page, for example Acme status.")
        + "\n"
        + _("/cancel to stop.")
    )


async def got_title(message: Message, state: FSMContext, settings: Settings) -> None:
    try:
        title = parse_title(message.text)
    except RuleError as error:
        await message.answer(rule_message(error) + "\n" + _("Try again, or /cancel."))
        return
    await ask_slug(message, state, settings, title)


async def ask_slug(message: Message, state: FSMContext, settings: Settings, title: str) -> None:
    slug = await suggest_slug(title)
    await state.set_state(PageFlow.slug)
    await state.update_data(title=title, slug=slug)
    kb = InlineKeyboardBuilder()
    kb.button(text=_("✅ Use {slug}").format(slug=slug), callback_data=_cb("slug_ok"))
    await message.answer(slug_question(settings.public_base_url, slug), reply_markup=kb.as_markup())


async def make_page(
    message: Message, state: FSMContext, user: User, settings: Settings, slug: str
) -> None:
    """Create the page the flow asked for; a refused address is asked again (with a
    fresh suggestion when the suggested one was taken meanwhile)."""
    title = (await state.get_data()).get("title", "")
    try:
        page = await create_page(user, title, slug)
    except RuleError as error:
        if error.code == "page_quota":  # asking again cannot help
            await state.clear()
            await message.answer(rule_message(error))
            return
        await message.answer(rule_message(error))
        await ask_slug(message, state, settings, title)
        return
    await state.clear()
    text, markup = page_card(page, Layout([]), settings.public_base_url)
    await message.answer(_("✅ Status page made.") + "\n\n" + text, reply_markup=markup)


async def got_slug(message: Message, state: FSMContext, user: User, settings: Settings) -> None:
    await make_page(message, state, user, settings, message.text)


async def slug_accepted(
    callback: CallbackQuery, state: FSMContext, user: User, settings: Settings
) -> None:
    data = await state.get_data()
    if await state.get_state() != PageFlow.slug.state or "slug" not in data:
        await callback.answer(_("This button is no longer valid."), show_alert=True)
        return
    await callback.answer()
    await make_page(callback.message, state, user, settings, data["slug"])


# --- a page's card and what its buttons open ----------------------------------------


async def pressed_page(callback: CallbackQuery, user: User, page_id: int) -> StatusPage | None:
    """The page a button names if it is the presser's; else the press is answered
    "Status page not found." and None returned."""
    page = await page_of(user, page_id)
    if page is None:
        await callback.answer(_("Status page not found."), show_alert=True)
    return page


async def _refused(callback: CallbackQuery, error: RuleError) -> None:
    await callback.answer(rule_text(error), show_alert=True)


async def page_action(
    callback: CallbackQuery,
    callback_data: StatusPageCb,
    state: FSMContext,
    user: User,
    settings: Settings,
) -> None:
    """The card's buttons and the screens they open: reading only, nothing changes."""
    page = await pressed_page(callback, user, callback_data.id)
    if page is None:
        return
    await state.clear()
    action, public_url = callback_data.action, settings.public_base_url
    layout = await layout_of(page)
    screen: tuple[str, InlineKeyboardMarkup] | None
    if action == "open":
        screen = page_card(page, layout, public_url)
    elif action == "pick":
        screen = await picker_screen(page, layout, callback_data.n, callback_data.group)
    elif action == "arrange":
        screen = arrange_screen(page, layout, callback_data.n)
    elif action == "monitor":
        screen = monitor_screen(page, layout, callback_data.monitor, callback_data.n)
    elif action == "move":
        screen = move_screen(page, layout, callback_data.monitor, callback_data.n)
    elif action == "groups":
        screen = groups_screen(page, layout)
    else:  # group
        screen = group_screen(page, layout, callback_data.group)
    if screen is None:  # a monitor or group no longer on the page
        await callback.answer(_("Not on this page any more."), show_alert=True)
        await edit(callback, *page_card(page, layout, public_url))
        return
    await callback.answer()
    await edit(callback, *screen)


async def layout_action(
    callback: CallbackQuery, callback_data: StatusPageCb, user: User, settings: Settings
) -> None:
    """The buttons that change a page's layout; the screen they were on is shown again."""
    page = await pressed_page(callback, user, callback_data.id)
    if page is None:
        return
    action, monitor_id, group_id = callback_data.action, callback_data.monitor, callback_data.group
    n = callback_data.n
    try:
        if action == "toggle":
            layout = await layout_of(page)
            if layout.find(monitor_id) is None:
                layout = await add_monitors(page, [monitor_id], group_id or None)
            else:
                layout = await remove_monitor(page, monitor_id)
            screen = await picker_screen(page, layout, n, group_id)
        elif action in ("up", "down"):
            layout = await move_monitor(page, monitor_id, -1 if action == "up" else 1)
            screen = monitor_screen(page, layout, monitor_id, n)
        elif action in ("show_url", "hide_url"):
            layout = await set_show_url(page, monitor_id, action == "show_url")
            screen = monitor_screen(page, layout, monitor_id, n)
        elif action == "move_to":
            layout = await move_monitor_to_group(page, monitor_id, group_id)
            screen = monitor_screen(page, layout, monitor_id, n)
        elif action == "remove":
            layout = await remove_monitor(page, monitor_id)
            screen = arrange_screen(page, layout, n)
        elif action in ("group_up", "group_down"):
            layout = await move_group(page, group_id, -1 if action == "group_up" else 1)
            screen = group_screen(page, layout, group_id)
        else:  # group_delete_yes
            layout = await delete_group(page, group_id)
            screen = groups_screen(page, layout)
    except RuleError as error:
        await _refused(callback, error)
        return
    await callback.answer()
    await edit(callback, *(screen or page_card(page, layout, settings.public_base_url)))


async def confirm_action(callback: CallbackQuery, callback_data: StatusPageCb, user: User) -> None:
    """Deleting a page or a group asks first."""
    page = await pressed_page(callback, user, callback_data.id)
    if page is None:
        return
    kb = InlineKeyboardBuilder()
    if callback_data.action == "delete":
        text = _(
            "Delete the status page <b>{title}</b>? Its address stops working at once; "
            "the monitors stay."
        ).format(title=esc(cut(page.title, TITLE_SHOWN)))
        kb.button(text=_("Yes, delete"), callback_data=_cb("delete_yes", page.id))
        kb.button(text=_("No, keep it"), callback_data=_cb("open", page.id))
    else:
        group = (await layout_of(page)).group(callback_data.group)
        if group is None:
            await callback.answer(_("Not on this page any more."), show_alert=True)
            return
        text = _(
            "Delete the group <b>{name}</b>? Its monitors move to the end of the first other group."
        ).format(name=esc(cut(group_label(group), NAME_SHOWN)))
        kb.button(
            text=_("Yes, delete"), callback_data=_cb("group_delete_yes", page.id, group=group.id)
        )
        kb.button(text=_("No, keep it"), callback_data=_cb("group", page.id, group=group.id))
    kb.adjust(2)
    await callback.answer()
    await edit(callback, text, kb.as_markup())


async def delete_confirmed(
    callback: CallbackQuery, callback_data: StatusPageCb, user: User, settings: Settings
) -> None:
    page = await pressed_page(callback, user, callback_data.id)
    if page is None:
        return
    await delete_page(page)
    await callback.answer(_("Deleted."))
    await edit(callback, *await list_screen(user, settings.public_base_url))


async def preview(
    callback: CallbackQuery, callback_data: StatusPageCb, user: User, settings: Settings
) -> None:
    page = await pressed_page(callback, user, callback_data.id)
    if page is None:
        return
    await callback.answer()
    public_url = settings.public_base_url
    await callback.message.answer(
        "\n".join(
            [
                _("🌐 The public page of <b>{title}</b>:").format(
                    title=esc(cut(page.title, TITLE_SHOWN))
                ),
                esc(page_url(public_url, page.slug)),
                _("The same as JSON: {url}").format(url=esc(page_json_url(public_url, page.slug))),
            ]
        )
    )


# --- typed fields and group names ---------------------------------------------------


async def ask_text(
    callback: CallbackQuery, callback_data: StatusPageCb, state: FSMContext, user: User
) -> None:
    """A field to type (edit), or a group's name (group_add, group_rename)."""
    page = await pressed_page(callback, user, callback_data.id)
    if page is None:
        return
    action = callback_data.action
    kb = InlineKeyboardBuilder()
    if action == "edit":
        what = callback_data.what
        if what not in TEXT_FIELDS:
            await callback.answer(_("This button is no longer valid."), show_alert=True)
            return
        await state.set_state(PageFlow.field)
        await state.update_data(page_id=page.id, what=what)
        text = field_prompt(what)
        if what in CLEARABLE:
            kb.button(text=_("🧹 Clear"), callback_data=_cb("clear", page.id, what=what))
    else:
        group_id = callback_data.group if action == "group_rename" else 0
        await state.set_state(PageFlow.group_name)
        await state.update_data(page_id=page.id, group_id=group_id)
        text = group_name_prompt()
    await callback.answer()
    await callback.message.answer(text, reply_markup=kb.as_markup() if action == "edit" else None)


async def _page_in_flow(message: Message, state: FSMContext, user: User) -> StatusPage | None:
    page = await page_of(user, (await state.get_data()).get("page_id", 0))
    if page is None:  # deleted meanwhile
        await state.clear()
        await message.answer(_("Status page not found."))
    return page


async def got_field(message: Message, state: FSMContext, user: User, runtime: Runtime) -> None:
    page = await _page_in_flow(message, state, user)
    if page is None:
        return
    what = (await state.get_data()).get("what")
    if what not in TEXT_FIELDS:  # state from an older version of the flow
        await state.clear()
        await message.answer(_("That value is not valid."))
        return
    try:
        await update_page(
            page,
            **{what: message.text},
            allow_private=runtime.allow_private(user.telegram_id),
            resolver=runtime.resolve,
        )
    except (RuleError, TargetError) as error:
        await message.answer(rule_message(error) + "\n" + _("Try again, or /cancel."))
        return
    await state.clear()
    text, markup = page_card(page, await layout_of(page), runtime.settings.public_base_url)
    await message.answer(_("✅ Saved.") + "\n\n" + text, reply_markup=markup)


async def clear_field(
    callback: CallbackQuery,
    callback_data: StatusPageCb,
    state: FSMContext,
    user: User,
    settings: Settings,
) -> None:
    page = await pressed_page(callback, user, callback_data.id)
    if page is None:
        return
    if callback_data.what not in CLEARABLE:
        await callback.answer(_("This button is no longer valid."), show_alert=True)
        return
    await state.clear()
    await update_page(page, **{callback_data.what: ""})
    await callback.answer(_("Cleared."))
    await edit(callback, *page_card(page, await layout_of(page), settings.public_base_url))


async def got_group_name(message: Message, state: FSMContext, user: User) -> None:
    page = await _page_in_flow(message, state, user)
    if page is None:
        return
    group_id = (await state.get_data()).get("group_id", 0)
    name = "" if message.text.strip() == "-" else message.text
    try:
        if group_id:
            layout = await rename_group(page, group_id, name)
        else:
            layout, group_id = await add_group(page, name)
    except RuleError as error:
        if error.code in ("page_groups_max", "page_group_unknown"):  # asking again cannot help
            await state.clear()
            await message.answer(rule_message(error))
            return
        await message.answer(rule_message(error) + "\n" + _("Try again, or /cancel."))
        return
    await state.clear()
    text, markup = group_screen(page, layout, group_id) or groups_screen(page, layout)
    await message.answer(_("✅ Saved.") + "\n\n" + text, reply_markup=markup)


# Buttons that only show something, and those that change the layout.
SCREENS = {"open", "pick", "arrange", "monitor", "move", "groups", "group"}
LAYOUT_CHANGES = {"toggle", "up", "down", "show_url", "hide_url", "move_to", "remove",
                  "group_up", "group_down", "group_delete_yes"}  # fmt: skip


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    router = Router(name="pages")
    router.message.register(pages_command, Command("pages"))
    router.callback_query.register(show_list, StatusPageCb.filter(F.action == "list"))
    router.callback_query.register(new_page, StatusPageCb.filter(F.action == "new"))
    router.callback_query.register(slug_accepted, StatusPageCb.filter(F.action == "slug_ok"))
    router.callback_query.register(page_action, StatusPageCb.filter(F.action.in_(SCREENS)))
    router.callback_query.register(layout_action, StatusPageCb.filter(F.action.in_(LAYOUT_CHANGES)))
    router.callback_query.register(
        confirm_action, StatusPageCb.filter(F.action.in_({"delete", "group_delete"}))
    )
    router.callback_query.register(delete_confirmed, StatusPageCb.filter(F.action == "delete_yes"))
    router.callback_query.register(preview, StatusPageCb.filter(F.action == "preview"))
    router.callback_query.register(
        ask_text, StatusPageCb.filter(F.action.in_({"edit", "group_add", "group_rename"}))
    )
    router.callback_query.register(clear_field, StatusPageCb.filter(F.action == "clear"))
    router.message.register(got_title, PageFlow.title, TEXT_INPUT)
    router.message.register(got_slug, PageFlow.slug, TEXT_INPUT)
    router.message.register(got_field, PageFlow.field, TEXT_INPUT)
    router.message.register(got_group_name, PageFlow.group_name, TEXT_INPUT)
    router.message.register(please_send_text, StateFilter(*PageFlow.__states__))
    return router
