"""Translated reasons for refused input: one table for the bot and the API.

Core rules raise errors with stable codes (RuleError, TargetError, WindowError); the
front ends show these words in the reader's language (the caller sets the locale).
"""

from __future__ import annotations

from core.i18n import _, i18n, ngettext
from core.kinds import kind_messages
from core.maintenance import MAX_AHEAD, MAX_OPEN_WINDOWS, MAX_WINDOW, WindowError
from core.monitor_rules import RuleError
from core.render import fmt_exact_duration
from core.targets import TargetError

# Codes whose {min} and {max} are seconds, shown as durations ("1 minute", "365 days").
_DURATION_BOUNDS = frozenset({"push_period_range", "push_grace_range"})


def rule_text(error: RuleError | TargetError) -> str:
    """A translated reason for a refused input, as plain text (callback alerts)."""
    params = getattr(error, "params", {}) or {}
    most = _number(params, "max")  # the count the plural forms agree with
    name_too_long = ngettext(
        "The name is too long (at most {max} character).",
        "The name is too long (at most {max} characters).",
        most,
    )
    address_too_long = ngettext(
        "That address is too long (at most {max} character).",
        "That address is too long (at most {max} characters).",
        most,
    )
    port_range = _("The port must be a number from 1 to 65535.")
    hidden_characters = _(
        "The name contains control, invisible or text-direction characters, which are not allowed."
    )
    messages = {
        "url_empty": _("Send a web address, for example https://example.com."),
        "url_too_long": _("That address is too long (at most 2048 characters)."),
        "url_invalid": _("That does not look like a web address."),
        "url_scheme": _("Only http:// and https:// addresses can be monitored."),
        "url_credentials": _("Please leave the user name and password out of the address."),
        "url_numeric_host": _(
            "Write an IP address as four numbers with dots, like 93.184.216.34; other forms "
            "(such as 16843009 or 0x5db8d822) are not accepted."
        ),
        "url_port": port_range,
        "dns": _("This host name does not resolve. Check the spelling."),
        "private_address": _(
            "This address is on a private or local network, which the monitor may not reach."
        ),
        "field_unused": _("This kind of monitor does not use this setting."),
        "name_empty": _("The name cannot be empty."),
        "name_too_long": name_too_long,
        "name_invalid": hidden_characters,
        "duration_invalid": _("Send a duration such as 90, 90s, 5m or 2h."),
        "interval_range": ngettext(
            "The interval must be between {min} and {max} second.",
            "The interval must be between {min} and {max} seconds.",
            most,
        ),
        "timeout_range": ngettext(
            "The timeout must be between {min} and {max} second.",
            "The timeout must be between {min} and {max} seconds.",
            most,
        ),
        "timeout_interval": _("The timeout cannot be longer than the interval."),
        "field_invalid": _("That value is not valid."),
        "field_missing": _("This field is required."),
        "kind_invalid": _("Choose a kind of monitor: {allowed}."),
        "switch_invalid": _("Answer yes or no."),
        "kind_immutable": _(
            "The kind of a monitor cannot change. Add a new monitor of the other kind."
        ),
        "status_codes_invalid": _(
            "Send status codes between 100 and 599, as a list or ranges: 200-299,301"
        ),
        "latency_invalid": _("Send the threshold in milliseconds, for example 1500."),
        "latency_range": _("The threshold must be between {min} and {max} ms."),
        "keyword_empty": _("The keyword cannot be empty."),
        "keyword_too_long": ngettext(
            "The keyword is too long (at most {max} character).",
            "The keyword is too long (at most {max} characters).",
            most,
        ),
        "cert_days_invalid": _("Send up to 6 numbers of days between 1 and 365: 14,7,3,1"),
        "method_invalid": _("Choose one of: {allowed}."),
        "check_too_soon": _("Checked just now; try again in {seconds} s."),
        "creations_in_flight": _(
            "Your other new monitors are still being added; try again in a moment."
        ),
        "threshold_invalid": _("Send a whole number."),
        "timezone_invalid": _(
            "That is not a time zone I know. Send a name such as Europe/Berlin or "
            "America/New_York, or an offset from UTC such as +3 or UTC-05:30."
        ),
        "threshold_range": _("Send a number between {min} and {max}."),
        "email_empty": _("Send an email address, for example name@example.com."),
        "email_too_long": address_too_long,
        "email_spaces": _("An email address cannot contain spaces."),
        "email_chars": _(
            'That address contains characters that are not allowed: < > ( ) [ ] , ; : "'
        ),
        "email_at": _(
            "An email address needs exactly one @ with text on both sides, like name@example.com."
        ),
        "email_domain": _("The part after @ must be a domain with a dot, like example.com."),
        "email_same": _("That address is already confirmed."),
        "email_wait": _("A code was sent a moment ago. Please wait {seconds} s for another one."),
        "code_format": _("Send the {digits}-digit code from the email, or /cancel."),
        "code_wrong": _("That code is wrong. Tries left: {left}."),
        "code_void": _("That code is wrong, and that was the last try: it no longer works."),
        "code_expired": _("That code has expired."),
        "code_none": _("No code is waiting to be confirmed."),
        "token_name_invalid": hidden_characters,
        "token_limit": ngettext(
            "You already have {max} token. Revoke it to create another.",
            "You already have {max} tokens. Revoke one to create another.",
            most,
        ),
        "token_name_too_long": name_too_long,
        "host_too_long": ngettext(
            "That host name is too long (at most {max} character).",
            "That host name is too long (at most {max} characters).",
            most,
        ),
        "record_type_invalid": _("Choose a record type: {allowed}."),
        "expected_too_many": ngettext(
            "Send at most {max} expected value.",
            "Send at most {max} expected values.",
            most,
        ),
        "expected_too_long": ngettext(
            "An expected value is too long (at most {max} character).",
            "An expected value is too long (at most {max} characters).",
            most,
        ),
        "expected_invalid": _(
            "Expected values must be text without control, invisible or text-direction characters."
        ),
        "expected_ipv4": _("{value} is not an IPv4 address, which an A record holds."),
        "expected_ipv6": _("{value} is not an IPv6 address, which an AAAA record holds."),
        "expected_name": _("{value} is not a host name, which this record type holds."),
        "expected_mx": _(
            "{value} is not a mail server: send its host name, with its preference "
            "in front if you like (10 mx.example.com)."
        ),
        "resolver_invalid": _(
            "Send the resolver as host or host:port, for example 1.1.1.1, "
            "dns.example.com:5353 or [2606:4700:4700::1111]:53."
        ),
        "resolver_port": port_range,
        "ping_count_range": _("Send a number of pings between {min} and {max}."),
        "ping_loss_range": _("Send a packet loss percentage between {min} and {max}."),
        "ping_not_permitted": _(
            "This server does not allow ping: the system forbids unprivileged ICMP. The "
            "administrator can allow it with\n"
            'sysctl -w net.ipv4.ping_group_range="0 2147483647"\n'
            '(in Docker: --sysctl net.ipv4.ping_group_range="0 2147483647").'
        ),
        "push_period_invalid": _("Send the period as a duration such as 5m, 2h or 1d."),
        "push_period_range": _("The period must be between {min} and {max}."),
        "push_grace_invalid": _("Send the grace time as a duration such as 5m, 2h or 1d."),
        "push_grace_range": _("The grace time must be between {min} and {max}."),
        "cron_empty": _(
            "Send a cron expression: five fields, minute hour day month weekday, for "
            "example 0 3 * * * (every day at 03:00)."
        ),
        "cron_too_long": ngettext(
            "The cron expression is too long (at most {max} character).",
            "The cron expression is too long (at most {max} characters).",
            most,
        ),
        "cron_characters": _(
            "A cron expression holds only digits, Latin letters, spaces and the signs * , - / @."
        ),
        "cron_alias": _(
            "{value} is not a cron shortcut: use @hourly, @daily, @weekly, @monthly or @yearly."
        ),
        "cron_fields": _(
            "A cron expression has five fields (minute hour day month weekday), but this "
            "one has {count}."
        ),
        "cron_minute_invalid": _(
            "The minute field of the cron expression is invalid: {value}. Minutes run from 0 to 59."
        ),
        "cron_hour_invalid": _(
            "The hour field of the cron expression is invalid: {value}. Hours run from 0 to 23."
        ),
        "cron_day_invalid": _(
            "The day-of-month field of the cron expression is invalid: {value}. Days run "
            "from 1 to 31."
        ),
        "cron_month_invalid": _(
            "The month field of the cron expression is invalid: {value}. Months run from "
            "1 to 12, or jan to dec."
        ),
        "cron_weekday_invalid": _(
            "The weekday field of the cron expression is invalid: {value}. Weekdays run "
            "from 0 to 7 (0 and 7 are Sunday), or sun to sat."
        ),
        "cron_never": _(
            "The cron expression {value} never fires: its months do not have its day of "
            "the month (February has at most 29 days; April, June, September and "
            "November have 30)."
        ),
        "channel_kind": _(
            "Choose webhook, slack or discord. Telegram chats and email addresses are "
            "added in the bot."
        ),
        "slack_url": _(
            "That is not a Slack webhook: its address starts with https://hooks.slack.com/services/"
        ),
        "discord_url": _(
            "That is not a Discord webhook: its address starts with "
            "https://discord.com/api/webhooks/"
        ),
        "channel_quota": ngettext(
            "You already have {max} alert channel. Delete it to add another.",
            "You already have {max} alert channels. Delete one to add another.",
            most,
        ),
        "channel_too_many": ngettext(
            "A monitor can alert at most {max} channel.",
            "A monitor can alert at most {max} channels.",
            most,
        ),
        "channel_unknown": _("Channel {id} does not exist or is not yours."),
        "channel_disabled": _("Channel {id} is turned off. Turn it on first."),
        "channel_private_chat": _(
            "Your private chat with the bot cannot be deleted; you can turn it off instead."
        ),
        # status pages (core/status_pages.py)
        "slug_length": ngettext(
            "The address must be {min} to {max} character long.",
            "The address must be {min} to {max} characters long.",
            most,
        ),
        "slug_characters": _(
            "Use only lowercase Latin letters, digits and hyphens (-) in the address."
        ),
        "slug_dash": _("The address cannot start or end with a hyphen."),
        "slug_reserved": _("{slug} is reserved. Choose another address."),
        "slug_taken": _("{slug} is already taken. Choose another address."),
        "page_title_empty": _("The title cannot be empty."),
        "page_title_too_long": ngettext(
            "The title is too long (at most {max} character).",
            "The title is too long (at most {max} characters).",
            most,
        ),
        "page_description_too_long": ngettext(
            "The description is too long (at most {max} character).",
            "The description is too long (at most {max} characters).",
            most,
        ),
        "page_note_too_long": ngettext(
            "The note is too long (at most {max} character).",
            "The note is too long (at most {max} characters).",
            most,
        ),
        "page_group_name_too_long": ngettext(
            "The group name is too long (at most {max} character).",
            "The group name is too long (at most {max} characters).",
            most,
        ),
        "page_text_invalid": _(
            "The text contains control or text-direction characters, which are not allowed."
        ),
        "logo_https": _("The logo's address must start with https://."),
        "logo_private": _(
            "The logo's address is on a private or local network: visitors of a public "
            "page could not load it. Use a public address."
        ),
        "page_quota": ngettext(
            "You already have {max} status page. Delete it to make another.",
            "You already have {max} status pages. Delete one to make another.",
            most,
        ),
        "page_monitors_max": ngettext(
            "A status page can show at most {max} monitor.",
            "A status page can show at most {max} monitors.",
            most,
        ),
        "page_groups_max": ngettext(
            "A status page can have at most {max} group.",
            "A status page can have at most {max} groups.",
            most,
        ),
        "page_monitor_unknown": _("Monitor {id} does not exist or is not yours."),
        "page_monitor_twice": _("Monitor {id} is listed more than once."),
        "page_monitor_absent": _("Monitor {id} is not on this page."),
        "page_group_unknown": _("Group {id} is not on this page."),
        "page_group_last": _(
            "This is the page's only group and it still has monitors: remove them first."
        ),
        "page_unknown": _("This status page no longer exists."),
        "quota": ngettext(
            "You have reached your limit of {limit} monitor. Delete it or ask an admin "
            "for a higher quota.",
            "You have reached your limit of {limit} monitors. Delete one or ask an admin "
            "for a higher quota.",
            _number(params, "limit"),
        ),
    }
    text = messages.get(error.code) or str(
        kind_messages().get(error.code, _("That value is not valid."))
    )
    if error.code in _DURATION_BOUNDS:
        locale = i18n.current_locale
        params = {**params, **{k: fmt_exact_duration(params[k], locale) for k in ("min", "max")}}
    return text.format(**params)


def window_message(error: WindowError, **params: str) -> str:
    """A translated reason for a refused length or time."""
    messages = {
        "duration_invalid": _("Send a length such as 90m, 2h or 1d."),
        "too_short": _("A maintenance window lasts at least one minute."),
        "too_long": ngettext(
            "A maintenance window can last at most {days} day.",
            "A maintenance window can last at most {days} days.",
            MAX_WINDOW.days,
        ),
        "time_invalid": _(
            "Send the date and time in your time zone ({zone}) as YYYY-MM-DD HH:MM, "
            "for example {example}."
        ),
        "time_skipped": _(
            "That time does not exist in {zone}: the clocks jump over it that day. "
            "Send another time."
        ),
        "in_the_past": _(
            "That time has already passed. Send a time in the future (time zone {zone})."
        ),
        "ends_before_start": _("The end must be after the start ({start})."),
        "too_far_ahead": ngettext(
            "A maintenance window must start and end within {ahead} day from now.",
            "A maintenance window must start and end within {ahead} days from now.",
            MAX_AHEAD.days,
        ),
        "too_many_windows": ngettext(
            "You already have {limit} running or upcoming maintenance window. End it "
            "before adding another.",
            "You already have {limit} running or upcoming maintenance windows. End one "
            "before adding another.",
            MAX_OPEN_WINDOWS,
        ),
    }
    text = messages.get(error.code, _("That value is not valid."))
    return text.format(
        **{
            "days": MAX_WINDOW.days,
            "zone": "UTC",
            "ahead": MAX_AHEAD.days,
            "limit": MAX_OPEN_WINDOWS,
            **params,
        }
    )


def _number(params: dict, key: str) -> int:
    """The count a message's plural form agrees with (0 when the error lacks it)."""
    try:
        return int(params.get(key, 0))
    except (TypeError, ValueError):
        return 0
