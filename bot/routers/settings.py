"""/settings: language, time zone (a common one by button, or any IANA name or UTC
offset typed in), email (confirmed with a code), the way to the alert channels
(bot/routers/channels.py, where the email channel is turned on and off too), reminders
while down, and API tokens.

The rules live in core (core.email_verification, core.api_tokens); handlers parse,
call them and render. Every callback that names a token goes through the ownership
check of core.api_tokens, so a forged or stale button gets "not found" and changes
nothing. Email needs a mail server: without SMTP_HOST the screen says so instead of
offering an address that could never receive its code.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import keyboards
from bot.callbacks import ChannelCb, MenuCb
from bot.filters import TEXT_INPUT
from bot.messages import edit, please_send_text
from bot.render import locale, rule_message, rule_text
from core import api_tokens
from core import email_verification as email
from core.i18n import LANGUAGES, _, ngettext
from core.monitor_rules import RuleError
from core.render import cut, esc, fmt_ago, fmt_datetime, fmt_duration
from core.settings import Settings
from core.timezones import COMMON_ZONES, tz_of, use_zone, zone_label
from core.users import set_timezone
from db.models import ApiToken, Channel, User

# Minutes between "still down" reminders; 0 is off.
REMINDER_CHOICES = (0, 30, 60, 360, 1440)


class SettingsCb(CallbackData, prefix="set"):
    # show | language | timezone | zone (value: index in COMMON_ZONES) | email |
    # email_remove | resend | reminder | tokens | token_new | token_skip | revoke |
    # revoke_yes
    action: str
    value: int = 0


class SettingsFlow(StatesGroup):
    timezone = State()
    email = State()
    code = State()
    token_name = State()


# --- texts --------------------------------------------------------------------------


def reminder_labels() -> dict[int, str]:
    return {0: _("Off"), 30: _("30 min"), 60: _("1 h"), 360: _("6 h"), 1440: _("24 h")}


def zone_text(name: str) -> str:
    """ "Europe/Berlin (CEST)": the stored name and, when it differs, what times show."""
    label = zone_label(datetime.now(UTC), tz_of(name))
    return esc(name if label == name else f"{name} ({label})")


def _email_available(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def _email_lines(user: User, settings: Settings) -> list[str]:
    if user.email:
        address = esc(user.email)
        lines = [
            _("Email: {email} (verified)").format(email=address)
            if user.email_verified
            else _("Email: {email} (not verified)").format(email=address)
        ]
        if user.pending_email and user.pending_email != user.email:
            lines.append(
                _("Waiting for confirmation: {email}").format(email=esc(user.pending_email))
            )
        return lines
    if user.pending_email:
        return [_("Email: {email} (not verified)").format(email=esc(user.pending_email))]
    if not _email_available(settings):
        return [_("Email: not available (this server sends no mail)")]
    return [_("Email: none")]


async def settings_screen(user: User, settings: Settings) -> tuple[str, InlineKeyboardMarkup]:
    tokens = await ApiToken.filter(user_id=user.id).count()
    channels = await Channel.filter(owner_id=user.id).count()
    minutes = user.reminder_interval_minutes
    lines = [
        _("<b>Settings</b>"),
        _("Language: {name}").format(name=LANGUAGES.get(locale(), locale())),
        _("Time zone: {zone}").format(zone=zone_text(user.timezone)),
        *_email_lines(user, settings),
        _("Alert channels: {count}").format(count=channels),
        _("Reminders while down: every {interval}").format(
            interval=fmt_duration(minutes * 60, locale())
        )
        if minutes
        else _("Reminders while down: off"),
        _("API tokens: {count}").format(count=tokens),
    ]
    return "\n".join(lines), settings_keyboard(user, settings)


def _button(text: str, action: str, value: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=SettingsCb(action=action, value=value).pack()
    )


def settings_keyboard(user: User, settings: Settings) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    first = [_button(_("🌐 Language"), "language")]
    if _email_available(settings):
        has_address = user.email or user.pending_email
        first.append(_button(_("✉️ Change email") if has_address else _("✉️ Add email"), "email"))
    kb.row(*first)
    kb.row(_button(_("🕓 Time zone"), "timezone"))
    if user.email or user.pending_email:
        kb.row(_button(_("🗑 Remove email"), "email_remove"))
    kb.row(
        InlineKeyboardButton(
            text=_("🔔 Alert channels"), callback_data=ChannelCb(action="list").pack()
        )
    )
    current = user.reminder_interval_minutes
    kb.row(
        *(
            _button(("✓ " if minutes == current else "") + label, "reminder", minutes)
            for minutes, label in reminder_labels().items()
        )
    )
    kb.row(_button(_("🔑 API tokens"), "tokens"))
    return kb.as_markup()


async def tokens_screen(user: User) -> tuple[str, InlineKeyboardMarkup]:
    tokens = await api_tokens.list_tokens(user)
    loc = locale()
    lines = [
        _("<b>API tokens</b>: {count} of {max}").format(
            count=len(tokens), max=api_tokens.MAX_TOKENS_PER_USER
        ),
        _("Send a token as the X-API-KEY header of the REST API."),
    ]
    if not tokens:
        lines += ["", _("You have no API tokens yet.")]
    for token in tokens:
        used = fmt_ago(token.last_used_at, loc) if token.last_used_at else _("never")
        lines += [
            "",
            f"<code>{esc(token.prefix)}…</code> {esc(cut(token.name, 64))}",
            _("created {created}, last used {used}").format(
                created=fmt_datetime(token.created_at, loc), used=used
            ),
        ]
    kb = InlineKeyboardBuilder()
    if len(tokens) < api_tokens.MAX_TOKENS_PER_USER:
        kb.row(_button(_("➕ Create token"), "token_new"))
    for token in tokens:
        kb.row(
            _button(
                _("🗑 Revoke {prefix}… {name}").format(
                    prefix=token.prefix, name=cut(token.name, 24)
                ),
                "revoke",
                token.id,
            )
        )
    kb.row(_button(_("⬅️ Back to settings"), "show"))
    return "\n".join(lines), kb.as_markup()


def new_code_keyboard() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.row(_button(_("📨 Send a new code"), "resend"))
    return kb.as_markup()


def skip_keyboard() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.row(_button(_("Skip"), "token_skip"))
    return kb.as_markup()


# --- the screen ---------------------------------------------------------------------


async def settings_command(
    message: Message, state: FSMContext, user: User, settings: Settings
) -> None:
    await state.clear()
    text, markup = await settings_screen(user, settings)
    await message.answer(text, reply_markup=markup)


async def settings_from_menu(
    callback: CallbackQuery, state: FSMContext, user: User, settings: Settings
) -> None:
    await state.clear()
    await callback.answer()
    text, markup = await settings_screen(user, settings)
    await callback.message.answer(text, reply_markup=markup)


async def show(callback: CallbackQuery, user: User, settings: Settings) -> None:
    await callback.answer()
    await edit(callback, *await settings_screen(user, settings))


async def choose_language(callback: CallbackQuery) -> None:
    """The same choice as /language; the language router handles the presses."""
    await callback.answer()
    await callback.message.answer(_("Choose your language:"), reply_markup=keyboards.languages())


async def choose_reminder(
    callback: CallbackQuery, callback_data: SettingsCb, user: User, settings: Settings
) -> None:
    if callback_data.value not in REMINDER_CHOICES:
        await callback.answer(_("That value is not valid."), show_alert=True)
        return
    user.reminder_interval_minutes = callback_data.value
    await user.save(update_fields=["reminder_interval_minutes"])
    await callback.answer()
    await edit(callback, *await settings_screen(user, settings))


# --- time zone ----------------------------------------------------------------------


def zones_keyboard(current: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for index, name in enumerate(COMMON_ZONES):
        kb.add(_button(("✓ " if name == current else "") + name, "zone", index))
    kb.adjust(3)
    kb.row(_button(_("⬅️ Back to settings"), "show"))
    return kb.as_markup()


async def choose_zone(callback: CallbackQuery, state: FSMContext, user: User) -> None:
    await callback.answer()
    await state.set_state(SettingsFlow.timezone)
    await callback.message.answer(
        _(
            "Your time zone is {zone}. Times are shown in it, and maintenance windows are "
            "typed in it.\nPick one, or send its name (such as Europe/Berlin) or an offset "
            "from UTC (such as +3 or UTC-05:30).\n/cancel to stop."
        ).format(zone=zone_text(user.timezone)),
        reply_markup=zones_keyboard(user.timezone),
    )


async def _zone_chosen(user: User, settings: Settings) -> tuple[str, InlineKeyboardMarkup]:
    """The confirmation and the settings screen, its times already in the new zone."""
    with use_zone(user.timezone):
        text, markup = await settings_screen(user, settings)
        done = _("✅ Time zone: {zone}.").format(zone=zone_text(user.timezone))
        return done + "\n\n" + text, markup


async def pick_zone(
    callback: CallbackQuery,
    callback_data: SettingsCb,
    state: FSMContext,
    user: User,
    settings: Settings,
) -> None:
    if not 0 <= callback_data.value < len(COMMON_ZONES):
        await callback.answer(_("That value is not valid."), show_alert=True)
        return
    await set_timezone(user, COMMON_ZONES[callback_data.value])
    if await state.get_state() == SettingsFlow.timezone.state:
        await state.clear()
    await callback.answer()
    await edit(callback, *await _zone_chosen(user, settings))


async def got_zone(message: Message, state: FSMContext, user: User, settings: Settings) -> None:
    try:
        await set_timezone(user, message.text)
    except RuleError as error:
        await message.answer(rule_message(error) + "\n" + _("Try again, or /cancel."))
        return
    await state.clear()
    text, markup = await _zone_chosen(user, settings)
    await message.answer(text, reply_markup=markup)


# --- email --------------------------------------------------------------------------


async def email_start(callback: CallbackQuery, state: FSMContext, settings: Settings) -> None:
    if not _email_available(settings):
        await callback.answer(
            _("Email: not available (this server sends no mail)"), show_alert=True
        )
        return
    await callback.answer()
    await state.set_state(SettingsFlow.email)
    await callback.message.answer(
        _(
            "Send your email address. I will email you a {digits}-digit code to confirm it.\n"
            "/cancel to stop."
        ).format(digits=email.CODE_DIGITS)
    )


async def _request_code(message: Message, state: FSMContext, user: User, address: str) -> None:
    try:
        queued = await email.request_code(user, address)
    except RuleError as error:
        await message.answer(rule_message(error) + "\n" + _("Send another address or /cancel."))
        return
    await state.set_state(SettingsFlow.code)
    minutes = int(email.CODE_TTL.total_seconds() // 60)
    await message.answer(
        ngettext(
            "A {digits}-digit code is on its way to {email}. Send it here within {minutes} "
            "minute.\n/cancel to stop.",
            "A {digits}-digit code is on its way to {email}. Send it here within {minutes} "
            "minutes.\n/cancel to stop.",
            minutes,
        ).format(digits=email.CODE_DIGITS, email=esc(queued.payload["email"]), minutes=minutes)
    )


async def got_address(message: Message, state: FSMContext, user: User) -> None:
    await _request_code(message, state, user, message.text)


async def got_code(message: Message, state: FSMContext, user: User, settings: Settings) -> None:
    if "@" in message.text:  # another address instead of the code
        await _request_code(message, state, user, message.text)
        return
    try:
        address = await email.confirm_code(user, message.text)
    except RuleError as error:
        if error.code in ("code_void", "code_expired", "code_none"):
            await message.answer(
                rule_message(error)
                + "\n"
                + _("Ask for a new code with the button, or send another address."),
                reply_markup=new_code_keyboard(),
            )
        else:
            await message.answer(rule_message(error))
        return
    await state.clear()
    text, markup = await settings_screen(user, settings)
    confirmed = _("✅ {email} is confirmed.").format(email=esc(address))
    await message.answer(confirmed + "\n\n" + text, reply_markup=markup)


async def resend(
    callback: CallbackQuery, state: FSMContext, user: User, settings: Settings
) -> None:
    if not user.pending_email or not _email_available(settings):
        await callback.answer(_("No code is waiting to be confirmed."), show_alert=True)
        return
    await callback.answer()
    await _request_code(callback.message, state, user, user.pending_email)


async def remove(
    callback: CallbackQuery, state: FSMContext, user: User, settings: Settings
) -> None:
    await email.remove_email(user)
    if await state.get_state() in (SettingsFlow.email.state, SettingsFlow.code.state):
        await state.clear()
    await callback.answer(_("Email removed."))
    await edit(callback, *await settings_screen(user, settings))


# --- API tokens ---------------------------------------------------------------------


async def tokens(callback: CallbackQuery, user: User) -> None:
    await callback.answer()
    await edit(callback, *await tokens_screen(user))


async def token_new(callback: CallbackQuery, state: FSMContext, user: User) -> None:
    if await ApiToken.filter(user_id=user.id).count() >= api_tokens.MAX_TOKENS_PER_USER:
        limit = api_tokens.TokenError("token_limit", {"max": api_tokens.MAX_TOKENS_PER_USER})
        await callback.answer(rule_text(limit), show_alert=True)
        return
    await callback.answer()
    await state.set_state(SettingsFlow.token_name)
    await callback.message.answer(
        ngettext(
            "Name the new token (at most {max} character), or skip.",
            "Name the new token (at most {max} characters), or skip.",
            api_tokens.MAX_NAME_LENGTH,
        ).format(max=api_tokens.MAX_NAME_LENGTH),
        reply_markup=skip_keyboard(),
    )


async def _issue(message: Message, state: FSMContext, user: User, name: str) -> None:
    try:
        row, token = await api_tokens.create_token(user, name)
    except RuleError as error:
        if error.code == "token_limit":
            await state.clear()
        await message.answer(rule_message(error))
        return
    await state.clear()
    await message.answer(
        _("🔑 Your new API token “{name}”:").format(name=esc(row.name))
        + f"\n\n<code>{esc(token)}</code>\n\n"
        + _(
            "⚠️ Copy it now: it is shown only this once. Only its hash is stored, so it "
            "cannot be shown again. Send it as the X-API-KEY header."
        )
    )
    text, markup = await tokens_screen(user)
    await message.answer(text, reply_markup=markup)


async def got_token_name(message: Message, state: FSMContext, user: User) -> None:
    await _issue(message, state, user, message.text)


async def token_skip(callback: CallbackQuery, state: FSMContext, user: User) -> None:
    await callback.answer()
    await _issue(callback.message, state, user, "")


async def revoke_ask(callback: CallbackQuery, callback_data: SettingsCb, user: User) -> None:
    token = await api_tokens.token_of(user, callback_data.value)
    if token is None:
        await callback.answer(_("Token not found."), show_alert=True)
        return
    await callback.answer()
    kb = InlineKeyboardBuilder()
    kb.row(
        _button(_("Yes, revoke"), "revoke_yes", token.id),
        _button(_("No, keep it"), "tokens"),
    )
    await edit(
        callback,
        _(
            "Revoke the token <code>{prefix}…</code> {name}? Programs that use it lose access "
            "at once."
        ).format(prefix=esc(token.prefix), name=esc(cut(token.name, 64))),
        kb.as_markup(),
    )


async def revoke_yes(callback: CallbackQuery, callback_data: SettingsCb, user: User) -> None:
    if not await api_tokens.revoke(user, callback_data.value):
        await callback.answer(_("Token not found."), show_alert=True)
        return
    await callback.answer(_("Token revoked."))
    await edit(callback, *await tokens_screen(user))


# --- wrong input inside the flow ----------------------------------------------------


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    router = Router(name="settings")
    router.message.register(settings_command, Command("settings"))
    router.callback_query.register(settings_from_menu, MenuCb.filter(F.item == "settings"))

    def on(action: str, handler) -> None:
        router.callback_query.register(handler, SettingsCb.filter(F.action == action))

    on("show", show)
    on("language", choose_language)
    on("timezone", choose_zone)
    on("zone", pick_zone)
    on("reminder", choose_reminder)
    on("email", email_start)
    on("resend", resend)
    on("email_remove", remove)
    on("tokens", tokens)
    on("token_new", token_new)
    router.callback_query.register(
        token_skip, SettingsFlow.token_name, SettingsCb.filter(F.action == "token_skip")
    )
    on("revoke", revoke_ask)
    on("revoke_yes", revoke_yes)
    router.message.register(got_zone, SettingsFlow.timezone, TEXT_INPUT)
    router.message.register(got_address, SettingsFlow.email, TEXT_INPUT)
    router.message.register(got_code, SettingsFlow.code, TEXT_INPUT)
    router.message.register(got_token_name, SettingsFlow.token_name, TEXT_INPUT)
    router.message.register(
        please_send_text,
        StateFilter(
            SettingsFlow.timezone, SettingsFlow.email, SettingsFlow.code, SettingsFlow.token_name
        ),
    )
    return router
