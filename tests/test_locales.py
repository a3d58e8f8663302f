"""Every catalog in locales/ carries every message, translated."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from core.settings import PROJECT_ROOT

LANGUAGES = ["en", "ru", "es", "de"]


def catalog(lang: str):
    path = PROJECT_ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def test_the_four_languages_have_catalogs() -> None:
    found = sorted(p.name for p in (PROJECT_ROOT / "locales").iterdir() if p.is_dir())
    assert found == sorted(LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_is_complete(lang: str) -> None:
    template = {m.id for m in catalog("en") if m.id}
    messages = {m.id: m for m in catalog(lang) if m.id}
    assert set(messages) == template
    untranslated = [m.id for m in messages.values() if not m.string or m.fuzzy]
    assert not untranslated
