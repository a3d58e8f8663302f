"""Translations: one gettext catalog set (locales/) for the bot, alerts and emails.

aiogram's I18n loads the compiled catalogs and keeps the current locale in a context
variable; handlers get it from the middleware, and code that renders for someone else
(an alert at send time) wraps the rendering in `use_locale(lang)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from core.accept import weighted
from core.settings import PROJECT_ROOT

LANGUAGES = {"en": "English", "ru": "Русский", "es": "Español", "de": "Deutsch"}
DEFAULT_LANGUAGE = "en"

i18n = I18n(path=PROJECT_ROOT / "locales", default_locale=DEFAULT_LANGUAGE, domain="messages")


def supported(code: str | None) -> str | None:
    """Our language for a Telegram language_code ("de-AT" -> "de"), or None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-", 1)[0].lower()
    return base if base in LANGUAGES else None


def preferred_language(accept_language: str | None) -> str | None:
    """Our language that an Accept-Language header prefers most, or None. Quality
    values count ("en;q=0.5, de" prefers German; q=0 refuses a language); among equal
    ones the header's order decides; "*" names nothing in particular."""
    ranked = [
        (-quality, position, language)
        for position, (tag, quality) in enumerate(weighted(accept_language))
        if quality > 0 and (language := supported(tag)) is not None
    ]
    return min(ranked)[2] if ranked else None


def language_of(chosen: str | None, telegram: str | None) -> str:
    """The user's choice, else Telegram's language_code, else English."""
    return supported(chosen) or supported(telegram) or DEFAULT_LANGUAGE


@contextmanager
def use_locale(lang: str) -> Iterator[None]:
    """Render in `lang` inside the block (for alerts and other messages to someone else)."""
    with i18n.context(), i18n.use_locale(lang):
        yield


__all__ = [
    "LANGUAGES", "_", "__", "i18n", "language_of", "ngettext", "preferred_language", "supported",
    "use_locale",
]  # fmt: skip
