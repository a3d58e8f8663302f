"""Alert texts in each language: the right facts, valid Telegram HTML, escaped input."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.alerts import render_alert
from core.i18n import LANGUAGES, _, use_locale
from core.render import fmt_duration
from tests.support.fake_telegram import parse_html

BASE = {"monitor_id": 1, "name": "Shop <b>&", "url": "https://shop.example/?a=1&b=2"}
PAYLOADS = {
    "down": {**BASE, "cause": "http_status", "error": "HTTP 503 <oops>",
             "since": "2026-05-01T10:00:00+00:00"},
    "up": {**BASE, "cause": "timeout", "downtime_seconds": 5400, "failed_checks": 7,
           "since": "2026-05-01T10:00:00+00:00", "resolved_at": "2026-05-01T11:30:00+00:00"},
    "reminder": {**BASE, "cause": "dns", "down_seconds": 7200, "error": "x",
                 "since": "2026-05-01T10:00:00+00:00"},
    "cert_expiring": {**BASE, "threshold_days": 7, "days_left": 5,
                      "expires_at": "2026-05-06T00:00:00+00:00"},
    "broadcast": {"text": "New <feature> & more"},
    "email_verification": {"email": "a@example.com", "code": "123456"},
}  # fmt: skip


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("kind", list(PAYLOADS))
def test_every_alert_renders_valid_html_in_every_language(kind: str, lang: str) -> None:
    alert = render_alert(kind, PAYLOADS[kind], lang)
    visible, _entities = parse_html(alert.html)  # raises on invalid Telegram HTML
    assert visible == alert.text
    assert "{" not in alert.html and alert.subject
    if kind in ("down", "up", "reminder", "cert_expiring"):
        assert "Shop <b>&" in visible and "https://shop.example/?a=1&b=2" in visible
        assert "Shop <b>&" in alert.subject
    if kind == "broadcast":
        assert visible == "New <feature> & more"
    if kind == "email_verification":
        assert "123456" in visible


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_alerts_speak_the_recipients_language(lang: str) -> None:
    up = render_alert("up", PAYLOADS["up"], lang)
    assert fmt_duration(5400, lang) in up.text
    with use_locale(lang):
        assert _("no response in time") in up.text
    down = render_alert("down", PAYLOADS["down"], lang)
    with use_locale(lang):
        assert _("[DOWN] {name}").format(name="Shop <b>&") == down.subject


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_error_kind_has_words_in_every_language(lang: str) -> None:
    """Each cause a check can report has its own words, translated (not the escaped
    code an unknown cause falls back on)."""
    from core.alerts import cause_words
    from core.probe import ErrorKind
    from tests.test_locales import catalog

    messages = {m.id: m for m in catalog(lang) if m.id}
    with use_locale("en"):
        english = {kind: cause_words(kind) for kind in ErrorKind}
    for kind, words in english.items():
        assert words != kind.value, kind
        assert messages.get(words) is not None and messages[words].string, (kind, lang)
        with use_locale(lang):
            assert cause_words(kind) == messages[words].string


PUSH_DOWN = {**BASE, "since": "2026-05-01T10:10:00+00:00", "failed_checks": 1}


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("cause", ["missed", "reported_failure", "never_finished"])
def test_a_push_alert_labels_what_the_last_ping_said(lang: str, cause: str) -> None:
    said = "<b>backup</b> & " + "x" * 600
    payload = {**PUSH_DOWN, "cause": cause, "error": said[:512], "message": said[:512]}
    alert = render_alert("down", payload, lang)
    visible, _entities = parse_html(alert.html)
    assert visible == alert.text
    with use_locale(lang):
        label = _("Last ping said: {said}").format(said="")
    quoted = "&lt;b&gt;backup&lt;/b&gt; &amp; " + "x" * 483 + "…"  # 500 characters
    assert f"{label}<code>{quoted}</code>" in alert.html  # escaped, cut
    assert "<b>backup</b> & xxx" in visible and "<b>backup" not in alert.html
    # Nothing to quote: no label, no empty <code>, not the cause's code either.
    for silent in (
        {"error": cause, "message": None},
        {"error": cause},  # a row queued before payloads carried "message"
        {"error": "", "message": ""},
    ):
        alert = render_alert("down", {**PUSH_DOWN, "cause": cause, **silent}, lang)
        assert label.strip() not in alert.html and "<code>" not in alert.html
    # An older row whose error is a message is still quoted, labelled.
    old = render_alert("down", {**PUSH_DOWN, "cause": cause, "error": "[exit 3]"}, lang)
    assert f"{label}<code>[exit 3]</code>" in old.html


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_a_run_never_finished_says_when_it_started(lang: str) -> None:
    from core.render import fmt_datetime
    from core.timezones import tz_of

    payload = {
        **PUSH_DOWN, "cause": "never_finished", "error": "never_finished", "message": None,
        "details": {"started_at": "2026-05-01T10:00:00+00:00"},
    }  # fmt: skip
    alert = render_alert("down", payload, lang, "Europe/Berlin")
    visible, _entities = parse_html(alert.html)
    started = fmt_datetime(
        datetime.fromisoformat("2026-05-01T10:00:00+00:00"), lang, tz_of("Europe/Berlin")
    )
    assert "12:00" in started  # in the recipient's zone
    with use_locale(lang):
        line = _("The run started at {when} and reported no end").format(when=started)
    assert line in visible
    # Other causes never say it, and a missing start says nothing.
    missed = render_alert("down", {**payload, "cause": "missed"}, lang)
    assert started not in missed.text
    bare = render_alert("down", {**payload, "details": None}, lang, "Europe/Berlin")
    assert started not in bare.text


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_other_causes_quote_the_error_bare(lang: str) -> None:
    alert = render_alert("down", {**PAYLOADS["down"], "message": "HTTP 503 <oops>"}, lang)
    assert "\n<code>HTTP 503 &lt;oops&gt;</code>\n" in alert.html
    with use_locale(lang):
        assert _("Last ping said: {said}").format(said="") not in alert.html
