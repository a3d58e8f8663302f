"""Alert texts in each language: the right facts, valid Telegram HTML, escaped input."""

from __future__ import annotations

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
