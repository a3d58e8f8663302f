"""Every catalog in locales/ carries every message, translated."""

from __future__ import annotations

from string import Formatter

import pytest
from babel.messages.pofile import read_po

from core.alerts import render_alert
from core.settings import PROJECT_ROOT
from db.models import NotificationKind

LANGUAGES = ["en", "ru", "es", "de"]


def catalog(lang: str):
    path = PROJECT_ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def test_the_four_languages_have_catalogs() -> None:
    found = sorted(p.name for p in (PROJECT_ROOT / "locales").iterdir() if p.is_dir())
    assert found == sorted(LANGUAGES)


def forms(message) -> tuple[str, ...]:
    """A message's translations: one, or one per plural form."""
    return message.string if isinstance(message.string, tuple) else (message.string,)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_is_complete(lang: str) -> None:
    template = {m.id for m in catalog("en") if m.id}
    translated = catalog(lang)
    messages = {m.id: m for m in translated if m.id}
    assert set(messages) == template
    untranslated = [m.id for m in messages.values() if not all(forms(m)) or m.fuzzy]
    assert not untranslated
    plurals = [m for m in messages.values() if isinstance(m.id, tuple)]
    assert plurals  # counted things ("3 days") go through ngettext
    wrong_count = [m.id for m in plurals if len(forms(m)) != translated.num_plurals]
    assert not wrong_count


def fields(text: str) -> set[str]:
    return {name for _literal, name, _spec, _conv in Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_every_placeholder(lang: str) -> None:
    """A translation that drops or renames {name} would raise or lose a fact at runtime."""
    broken = []
    for m in catalog(lang):
        if not m.id:
            continue
        source = m.id[-1] if isinstance(m.id, tuple) else m.id
        broken += [(m.id, t) for t in forms(m) if fields(t) != fields(source)]
    assert not broken


@pytest.mark.parametrize(
    ("lang", "days", "word"),
    [
        ("ru", 1, "1 день"),
        ("ru", 3, "3 дня"),
        ("ru", 5, "5 дней"),
        ("ru", 11, "11 дней"),
        ("ru", 21, "21 день"),
        ("es", 1, "1 día"),
        ("es", 7, "7 días"),
        ("de", 1, "1 Tag ab"),
        ("en", 1, "1 day"),
        ("en", 2, "2 days"),
    ],
)
def test_counted_words_agree_with_the_number(lang: str, days: int, word: str) -> None:
    rendered = render_alert(
        NotificationKind.CERT_EXPIRING,
        {"name": "shop", "url": "https://shop.example", "days_left": days},
        lang,
    )
    assert word in rendered.text
