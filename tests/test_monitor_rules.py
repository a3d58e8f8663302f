"""The input rules of core.monitor_rules and core.maintenance, as tables (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import monitor_rules as rules
from core.api_tokens import TokenError, parse_token_name
from core.maintenance import MAX_AHEAD, WindowError, check_ahead, format_time, parse_start

# Characters that make a name look like something else in a list.
HIDDEN = {
    "right-to-left override": "\u202e",
    "left-to-right embedding": "\u202a",
    "pop directional formatting": "\u202c",
    "first strong isolate": "\u2068",
    "pop directional isolate": "\u2069",
    "left-to-right mark": "\u200e",
    "right-to-left mark": "\u200f",
    "arabic letter mark": "\u061c",
    "zero-width space": "\u200b",
    "zero-width non-joiner": "\u200c",
    "zero-width joiner": "\u200d",
    "word joiner": "\u2060",
    "byte order mark": "\ufeff",
    "soft hyphen": "\u00ad",
    "tag letter": "\U000e0041",
    "bell": "\x07",
    "escape": "\x1b",
    "delete": "\x7f",
    "C1 control": "\x85x\x9b",  # U+0085 is whitespace to split(); U+009B is not
    "private use": "\ue000",
}


@pytest.mark.parametrize("char", HIDDEN.values(), ids=HIDDEN.keys())
def test_names_with_hidden_characters_are_refused(char: str) -> None:
    for name in (f"bank{char}.com", f"{char}moc.knab", f"shop {char}"):
        with pytest.raises(rules.RuleError) as caught:
            rules.parse_name(name)
        assert caught.value.code == "name_invalid", repr(name)
        with pytest.raises(TokenError) as caught:
            parse_token_name(name)
        assert caught.value.code == "token_name_invalid", repr(name)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Shop  <b>& ", "Shop <b>&"),
        ("line\nbreak\ttab", "line break tab"),  # whitespace is folded, not refused
        ("Магазин", "Магазин"),
        ("متجر", "متجر"),  # right-to-left script itself is fine
        ("🚀 launch", "🚀 launch"),
        ("café", "café"),
    ],
)
def test_ordinary_names_pass(raw: str, clean: str) -> None:
    assert rules.parse_name(raw) == clean


@pytest.mark.parametrize(
    ("parse", "raw", "code"),
    [
        # int() and float() take all of these; a setting is ASCII digits.
        (rules.parse_latency_threshold, "1_500", "latency_invalid"),
        (rules.parse_latency_threshold, "१५००", "latency_invalid"),
        (rules.parse_latency_threshold, "+1500", "latency_invalid"),
        (rules.parse_latency_threshold, 1.5, "latency_invalid"),
        (rules.parse_threshold, "३", "threshold_invalid"),
        (rules.parse_threshold, "1_0", "threshold_invalid"),
        (rules.parse_threshold, 2.7, "threshold_invalid"),
        (rules.parse_threshold, True, "threshold_invalid"),
        (rules.parse_cert_days, "१४,7", "cert_days_invalid"),
        (rules.parse_cert_days, "1_4", "cert_days_invalid"),
        (rules.parse_cert_days, [14, True], "cert_days_invalid"),
        (rules.parse_timeout, "1_0", "timeout_range"),
        (rules.parse_timeout, "١٠", "timeout_range"),
        (rules.parse_timeout, "inf", "timeout_range"),
        (rules.parse_timeout, "nan", "timeout_range"),
        (rules.parse_duration, "५m", "duration_invalid"),
        (rules.parse_status_codes, "1_00-2_00", "status_codes_invalid"),
        (rules.parse_status_codes, "२००-३९९", "status_codes_invalid"),
    ],
)
def test_numbers_are_ascii_digits(parse, raw, code: str) -> None:
    with pytest.raises(rules.RuleError) as caught:
        parse(raw)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("parse", "raw", "value"),
    [
        (rules.parse_latency_threshold, "1500 ms", 1500),
        (rules.parse_latency_threshold, 1500, 1500),
        (rules.parse_threshold, " 3 ", 3),
        (rules.parse_threshold, 3, 3),
        (rules.parse_cert_days, "14, 7", [14, 7]),
        (rules.parse_cert_days, [7, 14], [14, 7]),
        (rules.parse_timeout, "2.5s", 2.5),
        (rules.parse_timeout, 7, 7.0),
        (rules.parse_duration, "5m", 300),
        (rules.parse_status_codes, " 301, 200-299", "200-299,301"),
    ],
)
def test_numbers_in_ascii_digits_pass(parse, raw, value) -> None:
    assert parse(raw) == value


NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "ok"),
    [
        (NOW, True),
        (NOW + MAX_AHEAD, True),
        (NOW + MAX_AHEAD + timedelta(minutes=1), False),
        (datetime(9999, 12, 31, 23, 59, tzinfo=UTC), False),
    ],
)
def test_the_horizon_of_windows(moment: datetime, ok: bool) -> None:
    if ok:
        check_ahead(moment, "ends_at", NOW)
        assert parse_start(format_time(moment), NOW) == moment
        return
    for check in (
        lambda: check_ahead(moment, "ends_at", NOW),
        lambda: parse_start(format_time(moment), NOW),
    ):
        with pytest.raises(WindowError) as caught:
            check()
        assert caught.value.code == "too_far_ahead"
