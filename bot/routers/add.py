"""/add: the guided flow and `/add <url>`, which creates a monitor with defaults in one
message.

The flow asks for the kind first (a button per registered kind and per preset, such as
"Keyword" or "JSON API", core/kinds). The http kind's own button keeps its steps
(address, name, interval, optional rules); every other kind, and every preset, is asked
its declared steps one by one (core.kinds.add_steps: the prompt, choices, suggestions
and default a Field or Question declares, its parse as the rule; a preset only the
fields it names), then the name (unless the kind asks it first) and the interval (unless
nobody checks the kind: a heartbeat). Text sent at the kind step is read as an address:
one a kind recognises (`host:port`) offers that kind, anything else is the default
kind's address, as before kinds existed. A heartbeat's answer after Save carries its
ping URL, shown in full only then, with examples.

Every step re-asks with the translated reason when the input breaks a rule; nothing is
written before Save, and the quota is checked when the flow starts and again at Save.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import keyboards
from bot.callbacks import AddCb, MenuCb
from bot.filters import NOT_COMMAND, TEXT_INPUT
from bot.messages import forget_secret, please_send_text
from bot.render import (
    card,
    field_lines,
    field_question,
    locale,
    ping_instructions,
    rule_message,
)
from bot.states import AddMonitor
from core import kinds
from core import monitor_rules as rules
from core.i18n import _, ngettext
from core.monitors import create_monitor
from core.render import esc, fmt_duration
from core.rule_texts import rule_text
from core.runtime import Runtime
from core.settings import Settings
from core.targets import TargetError
from db.models import User


async def _quota_refusal(user: User, settings: Settings) -> str | None:
    try:
        await rules.check_quota(user, settings)
    except rules.RuleError as error:
        return rule_message(error)
    return None


async def _begin(message: Message, state: FSMContext, user: User, settings: Settings) -> None:
    refusal = await _quota_refusal(user, settings)
    if refusal:
        await message.answer(refusal)
        return
    await state.clear()
    await state.set_state(AddMonitor.kind)
    lines = [
        _(
            "What should I monitor? Choose a kind, or send an address such as "
            "https://example.com or db.example.com:5432."
        )
    ]
    lines += [
        f"<b>{esc(str(label))}</b>: {esc(str(hint))}" for _value, label, hint in kinds.add_choices()
    ]
    lines.append(_("/cancel to stop."))
    await message.answer("\n".join(lines), reply_markup=keyboards.monitor_kinds())


async def chose_kind(
    callback: CallbackQuery, callback_data: AddCb, state: FSMContext, user: User, runtime: Runtime
) -> None:
    try:
        kind, preset = kinds.choice_of(callback_data.value)
    except rules.RuleError as refusal:
        await callback.answer(rule_text(refusal), show_alert=True)
        return
    await callback.answer()
    await _start_kind(callback.message, state, user, runtime, kind, {}, preset)


async def _start_kind(
    message: Message,
    state: FSMContext,
    user: User,
    runtime: Runtime,
    kind: str,
    values: dict[str, Any],
    preset: kinds.Preset | None = None,
) -> None:
    """Begin a kind's own steps; `values` are fields already known (from a paste); a
    preset asks only its fields, and may not let some be skipped."""
    if kind == kinds.DEFAULT_KIND and preset is None:
        await state.set_state(AddMonitor.url)
        await message.answer(
            _("Send the address to monitor, for example https://example.com\n/cancel to stop.")
        )
        return
    # Fields a new monitor takes from its owner (a cron's zone) are not asked.
    owned = {
        f.name: getattr(user, f.from_owner)
        for f in kinds.fields_of(kind)
        if f.from_owner is not None and f.name not in values
    }
    await state.update_data(
        kind=kind,
        values=owned | values,
        done=[*values, *owned],
        asks=list(kinds.add_steps(kind, preset)),
        requires=preset.requires if preset else (),
    )
    await _ask_field(message, state, user, runtime)


async def pasted_at_kind(
    message: Message, state: FSMContext, user: User, runtime: Runtime, text: str | None = None
) -> None:
    """An address sent instead of a kind: one a kind recognises offers that kind (a
    button per kind, with what was understood); any other is the default kind's."""
    found = kinds.recognise(message.text if text is None else text)
    if not found:
        await got_url(message, state, user, runtime)
        return
    await state.update_data(pasted=found)
    await message.answer(
        _("Shall I monitor it as this?"), reply_markup=keyboards.pasted_kinds(found)
    )


async def chose_pasted(
    callback: CallbackQuery, callback_data: AddCb, state: FSMContext, user: User, runtime: Runtime
) -> None:
    pasted = (await state.get_data()).get("pasted", {})
    if callback_data.value not in pasted:
        await callback.answer(_("That button is no longer valid."), show_alert=True)
        return
    await callback.answer()
    await _start_kind(
        callback.message, state, user, runtime, callback_data.value, pasted[callback_data.value]
    )


def _next_step(data: dict[str, Any]) -> str | None:
    """The next step of the kind being added (core.kinds.add_steps) with no answer yet."""
    done = set(data.get("done", ()))
    return next((step for step in data.get("asks", ()) if step not in done), None)


def _pending_field(data: dict[str, Any]) -> kinds.Field | kinds.Question | None:
    """The field (or question) the next step asks; None at the name or at the end."""
    step = _next_step(data)
    if step is None or step == kinds.NAME_STEP:
        return None
    return kinds.questions_of(data["kind"]).get(step)


async def _ask_name(message: Message, state: FSMContext, default: str) -> None:
    await state.update_data(name=default)
    await state.set_state(AddMonitor.name)
    await message.answer(
        _("Name it, or skip to call it {host}.").format(host=esc(default)),
        reply_markup=keyboards.skip(),
    )


async def _ask_field(message: Message, state: FSMContext, user: User, runtime: Runtime) -> None:
    """Ask the next step; when all are answered, vet the target and go on to the name
    (or past it, when the kind asked it first)."""
    data = await state.get_data()
    module = kinds.kind_module(data["kind"])
    if _next_step(data) == kinds.NAME_STEP:
        await _ask_name(message, state, str(module.DEFAULT_NAME))
        return
    declared = _pending_field(data)
    if declared is not None:
        await state.set_state(AddMonitor.field)
        await message.answer(
            field_question(declared),
            reply_markup=keyboards.field_answers(
                declared, needed=declared.name in data.get("requires", ())
            ),
        )
        return
    values = {f.name: f.initial() for f in module.FIELDS if not f.required} | data["values"]
    try:
        host = await module.vet(values, runtime.allow_private(user.telegram_id), runtime.resolve)
    except (TargetError, rules.RuleError) as error:
        # Where the check goes was refused: ask for it again.
        again = set(module.TARGET_FIELDS)
        await state.update_data(
            values={k: v for k, v in data["values"].items() if k not in again},
            done=[name for name in data["done"] if name not in again],
        )
        await message.answer(rule_message(error))
        await _ask_field(message, state, user, runtime)
        return
    if kinds.NAME_STEP in data["done"]:
        await _after_name(message, state, runtime.settings)
        return
    await _ask_name(message, state, host)


async def _answer_field(
    message: Message, state: FSMContext, user: User, runtime: Runtime, raw: Any
) -> None:
    """Parse an answer with the field's rule: re-ask with the reason, or store it and go
    on. `raw` None: the field keeps its default (or stays unset, if optional)."""
    data = await state.get_data()
    declared = _pending_field(data)
    if declared is None:
        return
    values = dict(data["values"])
    if raw is not None:
        try:
            values |= declared.answer(raw)
        except (TargetError, rules.RuleError) as error:
            await message.answer(rule_message(error))
            return
    answered = [declared.name, *(name for name in declared.sets if name != declared.name)]
    await state.update_data(values=values, done=[*data["done"], *answered])
    await _ask_field(message, state, user, runtime)


async def got_field(message: Message, state: FSMContext, user: User, runtime: Runtime) -> None:
    await forget_secret(message, _pending_field(await state.get_data()))
    await _answer_field(message, state, user, runtime, message.text)


async def pressed_field(
    callback: CallbackQuery, callback_data: AddCb, state: FSMContext, user: User, runtime: Runtime
) -> None:
    """A choice, "use the default" or "skip" under a field's question."""
    await callback.answer()
    data = await state.get_data()
    declared = _pending_field(data)
    if declared is None:
        return
    needed = declared.required or declared.name in data.get("requires", ())
    if callback_data.step == "choice":
        raw = callback_data.value
    elif needed or (callback_data.step == "skip" and not declared.optional):
        await callback.message.answer(_("This one is needed: please send it, or /cancel."))
        return
    else:
        raw = None
    await _answer_field(callback.message, state, user, runtime, raw)


async def add_command(
    message: Message, command: CommandObject, state: FSMContext, user: User, runtime: Runtime
) -> None:
    if not command.args:
        await _begin(message, state, user, runtime.settings)
        return
    refusal = await _quota_refusal(user, runtime.settings)
    if refusal:
        await message.answer(refusal)
        return
    if kinds.recognise(command.args):  # `/add db.example.com:5432`: offer the kind
        await state.clear()
        await state.set_state(AddMonitor.kind)
        await pasted_at_kind(message, state, user, runtime, command.args)
        return
    try:
        monitor = await create_monitor(runtime, user, command.args)
    except (TargetError, rules.RuleError) as error:
        await message.answer(rule_message(error))
        return
    await message.answer(
        _("Added. The first check runs within a minute.")
        + "\n\n"
        + await card(monitor, runtime.settings),
        reply_markup=keyboards.monitor_card(monitor),
    )


async def add_from_menu(
    callback: CallbackQuery, state: FSMContext, user: User, settings: Settings
) -> None:
    await callback.answer()
    await _begin(callback.message, state, user, settings)


async def got_url(message: Message, state: FSMContext, user: User, runtime: Runtime) -> None:
    try:
        target = await runtime.check_target(message.text, user.telegram_id)
    except TargetError as error:
        await message.answer(rule_message(error) + "\n" + _("Send another address or /cancel."))
        return
    await state.update_data(url=target.url)
    await _ask_name(message, state, target.host)


async def got_name(message: Message, state: FSMContext, user: User, runtime: Runtime) -> None:
    try:
        name = rules.parse_name(message.text)
    except rules.RuleError as error:
        await message.answer(rule_message(error))
        return
    await state.update_data(name=name)
    await _named(message, state, user, runtime)


async def skip_name(
    callback: CallbackQuery, state: FSMContext, user: User, runtime: Runtime
) -> None:
    await callback.answer()
    await _named(callback.message, state, user, runtime)


async def _named(message: Message, state: FSMContext, user: User, runtime: Runtime) -> None:
    """On from the name: to the kind's fields when it asks the name first, else on."""
    data = await state.get_data()
    if "values" in data and _next_step(data) == kinds.NAME_STEP:
        await state.update_data(done=[*data["done"], kinds.NAME_STEP])
        await _ask_field(message, state, user, runtime)
        return
    await _after_name(message, state, runtime.settings)


async def _after_name(message: Message, state: FSMContext, settings: Settings) -> None:
    """The interval, unless nobody checks the kind (a heartbeat): then the summary."""
    kind = (await state.get_data()).get("kind")
    if kind is not None and not getattr(kinds.kind_module(kind), "PROBED", True):
        await _summary(message, state)
        return
    await _ask_interval(message, state, settings)


async def _ask_interval(message: Message, state: FSMContext, settings: Settings) -> None:
    await state.set_state(AddMonitor.interval)
    minimum = settings.min_interval_seconds
    choices = tuple(c for c in rules.INTERVAL_CHOICES if c >= minimum)
    await message.answer(_("How often should I check?"), reply_markup=keyboards.intervals(choices))


async def chose_interval(
    callback: CallbackQuery, callback_data: AddCb, state: FSMContext, settings: Settings
) -> None:
    await callback.answer()
    if callback_data.value == "custom":
        await state.set_state(AddMonitor.custom_interval)
        await callback.message.answer(
            _("Send the interval, for example 90s, 10m or 2h ({min} s to 24 h).").format(
                min=settings.min_interval_seconds
            )
        )
        return
    await _set_interval(callback.message, state, callback_data.value, settings)


async def got_custom_interval(message: Message, state: FSMContext, settings: Settings) -> None:
    await _set_interval(message, state, message.text, settings)


async def _set_interval(
    message: Message, state: FSMContext, value: str, settings: Settings
) -> None:
    try:
        interval = rules.parse_interval(value, settings)
    except rules.RuleError as error:
        await message.answer(rule_message(error))
        return
    await state.update_data(interval_seconds=interval)
    if "values" in await state.get_data():
        await _summary(message, state)  # a kind's own fields were asked before the name
        return
    await state.set_state(AddMonitor.advanced)
    await message.answer(
        _("Keep the default rules (HTTP 200-399 means up), or set your own?"),
        reply_markup=keyboards.advanced_choice(),
    )


async def chose_advanced(callback: CallbackQuery, callback_data: AddCb, state: FSMContext) -> None:
    await callback.answer()
    if callback_data.value != "yes":
        await _summary(callback.message, state)
        return
    await state.set_state(AddMonitor.status_codes)
    await callback.message.answer(
        _("Which HTTP status codes mean up? For example 200-299,301 (default 200-399)."),
        reply_markup=keyboards.skip(),
    )


def _next_question(step: Any) -> tuple[str, Any]:
    """The question (and buttons) that opens an advanced step."""
    questions = {
        AddMonitor.latency: (
            _("Latency threshold in ms: slower answers count as failures (e.g. 2000)."),
            keyboards.skip(),
        ),
        AddMonitor.keyword: (
            _("A keyword to look for in the page (plain text, case-sensitive)."),
            keyboards.skip(),
        ),
        AddMonitor.cert_days: (
            _("Days before certificate expiry to warn at (default 14,7,3,1)."),
            keyboards.skip(),
        ),
        AddMonitor.method: (_("HTTP method:"), keyboards.methods()),
    }
    return questions[step]


# Text steps of the advanced part: state -> (option, parser, next state).
_STEPS = {
    AddMonitor.status_codes.state: (
        "accepted_status_codes",
        rules.parse_status_codes,
        AddMonitor.latency,
    ),
    AddMonitor.latency.state: (
        "latency_threshold_ms",
        rules.parse_latency_threshold,
        AddMonitor.keyword,
    ),
    AddMonitor.keyword.state: ("keyword", rules.parse_keyword, AddMonitor.cert_days),
    AddMonitor.cert_days.state: ("cert_warning_days", rules.parse_cert_days, AddMonitor.method),
}


async def _advance(message: Message, state: FSMContext, following: Any) -> None:
    await state.set_state(following)
    text, markup = _next_question(following)
    await message.answer(text, reply_markup=markup)


async def got_option(message: Message, state: FSMContext) -> None:
    option, parse, following = _STEPS[await state.get_state()]
    try:
        value = parse(message.text)
    except rules.RuleError as error:
        await message.answer(rule_message(error))
        return
    await state.update_data(**{option: value})
    if option == "keyword":
        await state.set_state(AddMonitor.keyword_mode)
        await message.answer(
            _("Should the keyword be present or absent?"), reply_markup=keyboards.keyword_modes()
        )
        return
    await _advance(message, state, following)


async def skip_option(callback: CallbackQuery, state: FSMContext) -> None:
    current = await state.get_state()
    if current not in _STEPS:
        await callback.answer()
        return
    await callback.answer()
    await _advance(callback.message, state, _STEPS[current][2])


async def chose_mode(callback: CallbackQuery, callback_data: AddCb, state: FSMContext) -> None:
    await callback.answer()
    await state.update_data(keyword_mode=rules.parse_keyword_mode(callback_data.value).value)
    await _advance(callback.message, state, AddMonitor.cert_days)


async def chose_method(callback: CallbackQuery, callback_data: AddCb, state: FSMContext) -> None:
    await callback.answer()
    await state.update_data(method=rules.parse_method(callback_data.value).value)
    await _summary(callback.message, state)


async def _summary(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    await state.set_state(AddMonitor.confirm)
    kind = data.get("kind", kinds.DEFAULT_KIND)
    lines = [_("<b>New monitor</b>"), _("Name: {name}").format(name=esc(data["name"]))]
    if "values" not in data:
        lines.append(_("Address: {url}").format(url=esc(data["url"])))
    else:
        lines.append(f"<b>{esc(str(kinds.kind_module(kind).LABEL))}</b>")
        lines += field_lines(kind, data["values"])
    if "interval_seconds" in data:  # a heartbeat has none: nobody checks it
        lines.append(
            _("Every {interval}").format(interval=fmt_duration(data["interval_seconds"], locale()))
        )
    if "accepted_status_codes" in data:
        lines.append(_("Up when HTTP {codes}").format(codes=data["accepted_status_codes"]))
    if "latency_threshold_ms" in data:
        lines.append(
            _("Slower than {ms} ms counts as down").format(ms=data["latency_threshold_ms"])
        )
    if "keyword" in data:
        mode = _("present") if data.get("keyword_mode", "present") == "present" else _("absent")
        lines.append(
            _("Keyword “{keyword}” must be {mode}").format(keyword=esc(data["keyword"]), mode=mode)
        )
    if "cert_warning_days" in data:
        lines.append(
            ngettext(  # "7, 14, 21 days": the last number governs the noun
                "Certificate warnings: {days} day before expiry",
                "Certificate warnings: {days} days before expiry",
                data["cert_warning_days"][-1] if data["cert_warning_days"] else 0,
            ).format(days=", ".join(str(d) for d in data["cert_warning_days"]))
        )
    if "method" in data:
        lines.append(_("Method: {method}").format(method=data["method"]))
    await message.answer("\n".join(lines), reply_markup=keyboards.save_or_cancel())


async def save(callback: CallbackQuery, state: FSMContext, user: User, runtime: Runtime) -> None:
    data = await state.get_data()
    refusal = await _quota_refusal(user, runtime.settings)
    if refusal:
        await state.clear()
        await callback.answer()
        await callback.message.answer(refusal)
        return
    name, kind = data.pop("name"), data.pop("kind", None)
    options = data.pop("values", {}) if kind is not None else {"url": data.pop("url")}
    for bookkeeping in ("done", "pasted", "asks", "requires"):
        data.pop(bookkeeping, None)
    if "interval_seconds" in data:
        data["timeout_seconds"] = rules.default_timeout(data["interval_seconds"])
    try:
        monitor = await create_monitor(runtime, user, name=name, kind=kind, **(options | data))
    except (TargetError, rules.RuleError) as error:
        await callback.answer()
        await callback.message.answer(rule_message(error))
        return
    await state.clear()
    await callback.answer(_("Saved."))
    await callback.message.edit_text(
        await card(monitor, runtime.settings), reply_markup=keyboards.monitor_card(monitor)
    )
    token = getattr(monitor, "ping_token", None)  # a heartbeat's, known only now
    if token is not None:
        await callback.message.answer(
            ping_instructions(monitor, token, runtime.settings.public_base_url)
        )


async def cancel(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await callback.answer()
    await callback.message.edit_text(_("Cancelled."))


async def expected_a_button(message: Message) -> None:
    await message.answer(_("Please choose with the buttons above, or /cancel."))


TEXT_STEPS = (
    AddMonitor.kind,
    AddMonitor.field,
    AddMonitor.url,
    AddMonitor.name,
    AddMonitor.custom_interval,
    AddMonitor.status_codes,
    AddMonitor.latency,
    AddMonitor.keyword,
    AddMonitor.cert_days,
)
BUTTON_STEPS = (
    AddMonitor.interval,
    AddMonitor.advanced,
    AddMonitor.keyword_mode,
    AddMonitor.method,
    AddMonitor.confirm,
)


def create_router() -> Router:
    """A fresh router with this feature's handlers (a router joins one dispatcher)."""
    router = Router(name="add")
    router.message.register(add_command, Command("add"))
    router.callback_query.register(add_from_menu, MenuCb.filter(F.item == "add"))
    router.callback_query.register(chose_kind, AddMonitor.kind, AddCb.filter(F.step == "kind"))
    router.callback_query.register(chose_pasted, AddMonitor.kind, AddCb.filter(F.step == "pasted"))
    router.message.register(pasted_at_kind, AddMonitor.kind, TEXT_INPUT)
    router.message.register(got_field, AddMonitor.field, TEXT_INPUT)
    router.callback_query.register(
        pressed_field, AddMonitor.field, AddCb.filter(F.step.in_({"choice", "default", "skip"}))
    )
    router.message.register(got_url, AddMonitor.url, TEXT_INPUT)
    router.message.register(got_name, AddMonitor.name, TEXT_INPUT)
    router.callback_query.register(skip_name, AddMonitor.name, AddCb.filter(F.step == "skip"))
    router.callback_query.register(
        chose_interval, AddMonitor.interval, AddCb.filter(F.step == "interval")
    )
    router.message.register(got_custom_interval, AddMonitor.custom_interval, TEXT_INPUT)
    router.callback_query.register(
        chose_advanced, AddMonitor.advanced, AddCb.filter(F.step == "advanced")
    )
    for step in _STEPS:
        router.message.register(got_option, TEXT_INPUT, StateFilter(step))
    router.callback_query.register(skip_option, AddCb.filter(F.step == "skip"))
    router.callback_query.register(
        chose_mode, AddMonitor.keyword_mode, AddCb.filter(F.step == "mode")
    )
    router.callback_query.register(
        chose_method, AddMonitor.method, AddCb.filter(F.step == "method")
    )
    router.callback_query.register(save, AddMonitor.confirm, AddCb.filter(F.step == "save"))
    router.callback_query.register(
        cancel, StateFilter(*AddMonitor.__all_states__), AddCb.filter(F.step == "cancel")
    )
    router.message.register(please_send_text, StateFilter(*TEXT_STEPS), NOT_COMMAND)
    router.message.register(expected_a_button, StateFilter(*BUTTON_STEPS), NOT_COMMAND)
    return router
