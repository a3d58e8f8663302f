"""Texts the bot sends, rendered in the current locale (set by the i18n middleware)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from aiogram.utils.i18n import get_i18n

from core import badges, kinds, push_schedule, push_tokens
from core.alerts import cause_words
from core.i18n import _
from core.kinds import push
from core.monitor_rules import RuleError
from core.probe import ProbeResult
from core.render import (
    cut,
    esc,
    fmt_ago,
    fmt_datetime,
    fmt_duration,
    fmt_exact_duration,
    fmt_percent,
    state_emoji,
)
from core.rule_texts import rule_text
from core.settings import Settings
from core.stats import LastIncident, WindowStats, uptime_since
from core.targets import TargetError
from db.models import Monitor, MonitorState

# Push monitors (core/kinds/push.py): nobody checks them, jobs ping their URL. Their
# card shows what the pings said instead of checks.
HEARTBEAT = "push"
# The characters of a ping's body a card quotes.
BODY_SHOWN = push.ALERT_BODY_CHARS


def locale() -> str:
    return get_i18n().current_locale


def state_name(state: str) -> str:
    return {
        MonitorState.UP: _("up"),
        MonitorState.DOWN: _("down"),
        MonitorState.UNKNOWN: _("not checked yet"),
        MonitorState.PAUSED: _("paused"),
    }[MonitorState(state)]


def error_kind_name(kind: str | None) -> str:
    return cause_words(kind) if kind else ""


def rule_message(error: RuleError | TargetError) -> str:
    """The reason, escaped for an HTML message."""
    return esc(rule_text(error))


def monitor_card(monitor: Monitor, uptime_24h: float | None, public_url: str = "") -> str:
    """The card; `public_url` is where jobs reach the web port (a heartbeat's URL)."""
    loc = locale()
    heartbeat = monitor.kind == HEARTBEAT
    lines = [
        f"{state_emoji(monitor.state)} <b>{esc(cut(monitor.name, 128))}</b>",
        f"🔗 {esc(masked_url(monitor, public_url) if heartbeat else monitor.url)}",
        *(heartbeat_schedule(monitor) if heartbeat else kind_lines(monitor)),
        _("State: {state}, since {since}").format(
            state=state_name(monitor.state), since=fmt_ago(monitor.state_since, loc)
        )
        if monitor.state_since
        else _("State: {state}").format(state=state_name(monitor.state)),
    ]
    if heartbeat:
        lines += heartbeat_lines(monitor)
    else:
        lines.append(
            _("Checked every {interval}").format(
                interval=fmt_duration(monitor.interval_seconds, loc)
            )
        )
    if monitor.last_check_at is not None and not heartbeat:
        status = (
            str(monitor.last_status_code)
            if monitor.last_status_code is not None
            else error_kind_name(monitor.last_error_kind)
        )
        latency = (
            _("{latency} ms").format(latency=monitor.last_latency_ms)
            if monitor.last_latency_ms is not None
            else "—"
        )
        lines.append(
            _("Last check: {status}, {latency}, {ago}").format(
                status=esc(status), latency=latency, ago=fmt_ago(monitor.last_check_at, loc)
            )
        )
    lines.append(_("Uptime 24 h: {uptime}").format(uptime=fmt_percent(uptime_24h, loc)))
    return "\n".join(lines)


async def card(monitor: Monitor, settings: Settings) -> str:
    """The card as the bot shows it: uptime over 24 hours, a heartbeat's URL."""
    return monitor_card(monitor, await card_uptime(monitor), settings.public_base_url)


def masked_url(monitor: Monitor, public_url: str) -> str:
    """A heartbeat's ping URL as cards show it: its token's first characters."""
    return push_tokens.masked_ping_url(public_url, monitor.push_token_prefix or "")


def _schedule_of(values: dict) -> dict:
    """The schedule core/push_schedule reads (a period by default, when a row has none)."""
    schedule = push.schedule_of(values)
    if schedule["cron"] is None and schedule["period"] is None:
        schedule["period"] = push.DEFAULT_PERIOD
    return schedule


def heartbeat_schedule(monitor: Monitor) -> list[str]:
    loc = locale()
    values = kinds.monitor_values(monitor)
    return [
        _("Schedule: {schedule}").format(
            schedule=esc(push_schedule.describe(locale=loc, **_schedule_of(values)))
        ),
        _("Grace time: {grace}").format(grace=fmt_exact_duration(values["grace"], loc)),
    ]


def heartbeat_lines(monitor: Monitor) -> list[str]:
    """The last ping (when, and what it said), the next one expected, the last run time."""
    loc = locale()
    if monitor.push_last_ping_at is None:
        return [_("Waiting for the first ping: no alert before it.")]
    values = kinds.monitor_values(monitor)
    lines = [
        _("Last ping: {when} ({ago})").format(
            when=fmt_datetime(monitor.push_last_ping_at, loc),
            ago=fmt_ago(monitor.push_last_ping_at, loc),
        )
    ]
    if monitor.push_started_at is not None:
        lines.append(
            _("Running since {when}: no end reported yet.").format(
                when=fmt_datetime(monitor.push_started_at, loc)
            )
        )
    anchor = monitor.push_last_success_at or monitor.push_last_ping_at
    if not monitor.paused:
        expected = push_schedule.next_expected(anchor, **_schedule_of(values))
        lines.append(
            _("Next ping expected: {when}, late after {deadline}").format(
                when=fmt_datetime(expected, loc),
                deadline=fmt_datetime(expected + timedelta(seconds=values["grace"]), loc),
            )
        )
    if monitor.last_latency_ms is not None:  # only a run (/start, then its end) has one
        lines.append(
            _("Last run time: {duration}").format(duration=run_time(monitor.last_latency_ms))
        )
    said = push.said(monitor.push_last_body)
    if said:
        lines.append(_("The last ping said:") + f"\n<pre>{esc(cut(said, BODY_SHOWN))}</pre>")
    return lines


def run_time(ms: int) -> str:
    """A run's length: milliseconds under 10 s, else whole seconds and up."""
    if ms < 10_000:
        return _("{latency} ms").format(latency=ms)
    return fmt_exact_duration(round(ms / 1000), locale())


def crontab_schedule(values: dict) -> str:
    """The schedule of a crontab line for a heartbeat's example: its cron expression, or
    one for its period where cron can say it, else a daily run."""
    if values.get("cron"):
        return values["cron"]
    period = values.get("period") or push.DEFAULT_PERIOD
    if period < 3600 and period % 60 == 0 and 3600 % period == 0:
        return "* * * * *" if period == 60 else f"*/{period // 60} * * * *"
    if period < 86400 and period % 3600 == 0 and 86400 % period == 0:
        return "0 * * * *" if period == 3600 else f"0 */{period // 3600} * * *"
    return "0 3 * * *"


def ping_instructions(monitor: Monitor, token: str, public_url: str) -> str:
    """A heartbeat's full ping URL, known only when made, with copy-ready examples."""
    url = esc(push_tokens.ping_url(public_url, token))
    schedule = esc(crontab_schedule(kinds.monitor_values(monitor)))
    return "\n".join(
        [
            _("🔑 The ping URL of <b>{name}</b>:").format(name=esc(cut(monitor.name, 128))),
            f"<code>{url}</code>",
            _(
                "I show it in full only now, so copy it. The card shows its first "
                "characters; its 🔑 New ping URL button makes a new one."
            ),
            "",
            _("Ping it each time the job succeeds:"),
            f"<pre>curl -fsS -m 10 --retry 5 {url}</pre>",
            _("In a crontab, after the job:"),
            f"<pre>{schedule} /backup.sh &amp;&amp; curl -fsS {url}</pre>",
            _("Report a failure at once:"),
            f"<pre>/backup.sh || curl -fsS {url}/fail</pre>",
            _("Or send the job's exit code (0 is a success, anything else a failure):"),
            f"<pre>/backup.sh; curl -fsS {url}/$?</pre>",
            _("Measure the run time: ping /start as the job begins, the URL when it ends:"),
            f"<pre>curl -fsS {url}/start\n/backup.sh &amp;&amp; curl -fsS {url}</pre>",
            _(
                "A POST body (its first 10 KB, such as the job's last lines of output) is "
                "kept and quoted in the alert."
            ),
        ]
    )


def kind_lines(monitor: Monitor) -> list[str]:
    """A kind's fields, as its declaration labels them. The address line already says
    where an http monitor goes, and most of its many fields keep their defaults: its
    card shows the ones changed (a JSON rule, headers, credentials set, ...)."""
    values = kinds.monitor_values(monitor)
    if monitor.kind != kinds.DEFAULT_KIND:
        return field_lines(monitor.kind, values)
    module = kinds.kind_module(monitor.kind)
    changed = {
        f.name: values[f.name]
        for f in module.FIELDS
        if f.name not in module.TARGET_FIELDS and values[f.name] != f.initial()
    }
    return field_lines(monitor.kind, changed)


def field_question(declared: kinds.Field) -> str:
    """What the bot asks for a kind's field: its prompt, or at least its label."""
    return str(declared.prompt or declared.label or declared.name)


# A field's value on the card is cut to this (a body may be 16 KiB, a message 4,096).
FIELD_VALUE_SHOWN = 64


def field_lines(kind: str, values: dict) -> list[str]:
    """One "Label: value" line per set field of `kind` (a secret only says it is set, a
    choice shows its words, headers their names): the card and the /add summary show a
    kind's fields the same way."""
    lines = []
    for declared in kinds.fields_of(kind):
        value = values.get(declared.name)
        if not declared.writable or value is None:
            continue
        if declared.shown_with is not None and values.get(declared.shown_with) is None:
            continue
        choices = {choice: str(label) for choice, label in declared.choices}
        if declared.secret:
            value = "••••"
        elif declared.show is not None:
            value = declared.show(value, locale())
        elif isinstance(value, bool):
            value = _("Yes") if value else _("No")
        elif isinstance(value, str) and value in choices:
            value = choices[value]
        elif isinstance(value, dict):
            value = ", ".join(str(name) for name in value)  # a header's value may be a key
        elif isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        lines.append(f"{declared.label}: {esc(cut(str(value), FIELD_VALUE_SHOWN))}")
    return lines


def check_result(monitor: Monitor, result: ProbeResult) -> str:
    loc = locale()
    head = f"{state_emoji(monitor.state)} <b>{esc(cut(monitor.name, 128))}</b>"
    if result.ok:
        if result.status_code is not None:
            body = _("✅ OK: HTTP {status} in {latency} ms").format(
                status=result.status_code, latency=result.latency_ms
            )
        else:  # kinds without a status (tcp, dns, ping)
            body = _("✅ OK in {latency} ms").format(latency=result.latency_ms)
    else:
        body = _("❌ Failed: {kind}").format(kind=error_kind_name(result.error_kind))
        if result.error_message:
            body += f"\n<code>{esc(cut(result.error_message, 300))}</code>"
    return f"{head}\n{body}\n{fmt_datetime(result.checked_at, loc)}"


async def card_uptime(monitor: Monitor) -> float | None:
    return await uptime_since(monitor.id, datetime.now(UTC) - timedelta(hours=24))


def window_label(window: str) -> str:
    return {
        "24h": _("Last 24 hours"),
        "7d": _("Last 7 days"),
        "30d": _("Last 30 days"),
        "90d": _("Last 90 days"),
    }[window]


def stats_caption(
    monitor: Monitor, shown: WindowStats, windows: list[WindowStats], last: LastIncident | None
) -> str:
    """The figures of the shown period, the uptime of every period and the last
    incident: short enough for a photo's caption (1,024 characters)."""
    loc = locale()
    lines = [f"📊 <b>{esc(cut(monitor.name, 64))}</b> · {window_label(shown.window)}"]
    lines.append(_("Uptime: {uptime}").format(uptime=fmt_percent(shown.uptime, loc)))
    lines.append(
        _("Incidents: {count}, downtime {downtime}").format(
            count=shown.incidents, downtime=fmt_duration(shown.downtime_seconds, loc)
        )
    )
    if shown.longest_incident_seconds is not None:
        lines.append(
            _("Time to recover: {mttr} on average, longest incident {longest}").format(
                mttr=fmt_duration(shown.mttr_seconds, loc) if shown.mttr_seconds else "—",
                longest=fmt_duration(shown.longest_incident_seconds, loc),
            )
        )
    if shown.avg_latency_ms is not None:
        lines.append(
            _("Latency: average {avg} ms, 95th percentile {p95} ms").format(
                avg=round(shown.avg_latency_ms), p95=shown.p95_latency_ms
            )
        )
    lines.append(_("Last check: {when}").format(when=fmt_ago(shown.last_check_at, loc)))
    lines.append(
        _("Uptime {windows}: {values}").format(
            windows=" / ".join(w.window for w in windows),
            values=" · ".join(fmt_percent(w.uptime, loc) for w in windows),
        )
    )
    if last is None:
        lines.append(_("No incidents so far."))
    else:
        ended = (
            _("resolved after {duration}").format(
                duration=fmt_duration((last.resolved_at - last.started_at).total_seconds(), loc)
            )
            if last.resolved_at
            else _("still open")
        )
        lines.append(
            _("Last incident: {when}, {cause}, {ended}").format(
                when=fmt_datetime(last.started_at, loc),
                cause=error_kind_name(last.cause),
                ended=ended,
            )
        )
    return "\n".join(lines)


def badge_links(monitor: Monitor, public_url: str) -> str:
    """A monitor's badge URLs (its badge token made), with snippets to paste into a
    README (Markdown) or a web page (HTML), each escaped for where it goes and then for
    the message."""
    assert monitor.badge_token is not None
    urls = badges.badge_urls(public_url, monitor.badge_token)
    name = cut(monitor.name, 64)
    alts = {kind: f"{name}: {badges.default_label(kind)}" for kind in badges.KINDS}
    markdown = " ".join(f"![{_markdown_text(alts[k])}]({url})" for k, url in urls.items())
    embeds = "\n".join(
        f'<img src="{html.escape(url)}" alt="{html.escape(alts[k])}">' for k, url in urls.items()
    )
    return "\n".join(
        [
            _("🏷 Badges of <b>{name}</b>").format(name=esc(name)),
            _(
                "Images of its state, uptime and latency for a README or a web page. "
                "Anyone with a link sees those figures, nothing else (no address, no errors)."
            ),
            "",
            _("Status:") + f" <code>{esc(urls['status'])}</code>",
            _("Uptime over 24 h (add ?window=7d, 30d or 90d for another period):")
            + f" <code>{esc(urls['uptime'])}</code>",
            _("Latency, the average over 24 h:") + f" <code>{esc(urls['latency'])}</code>",
            "",
            _("Markdown:"),
            f"<pre>{esc(markdown)}</pre>",
            _("HTML:"),
            f"<pre>{esc(embeds)}</pre>",
            _(
                "?label=... changes a badge's label (up to {max} characters). New badge "
                "links makes new URLs: the old ones stop working at once."
            ).format(max=badges.MAX_LABEL_LENGTH),
        ]
    )


def _markdown_text(text: str) -> str:
    """`text` as literal Markdown: its brackets and backslashes cannot end the alt text."""
    return re.sub(r"([\\\[\]])", r"\\\1", text)
