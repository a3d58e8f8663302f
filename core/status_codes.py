"""Accepted HTTP status codes: "200-399", "200-299,301", "204".

Codes are three ASCII digits; int() is not the judge, since it also takes "1_00",
"+200" and other scripts' digits ("२००"), none of which is a status code.
"""

from __future__ import annotations

from functools import lru_cache

MAX_PARTS = 20


class StatusCodesError(ValueError):
    """The text is not a list of codes and ranges between 100 and 599."""


@lru_cache(maxsize=4096)
def parse_status_codes(text: str) -> tuple[tuple[int, int], ...]:
    """Ranges (low, high), inclusive, from a comma-separated list of codes and ranges."""
    parts = [p.strip() for p in text.replace(" ", "").split(",") if p.strip()]
    if not parts or len(parts) > MAX_PARTS:
        raise StatusCodesError(text)
    ranges = []
    for part in parts:
        low_text, sep, high_text = part.partition("-")
        if not _is_code(low_text) or (sep and not _is_code(high_text)):
            raise StatusCodesError(text)
        low = int(low_text)
        high = int(high_text) if sep else low
        if not (100 <= low <= high <= 599):
            raise StatusCodesError(text)
        ranges.append((low, high))
    return tuple(sorted(ranges))


def _is_code(text: str) -> bool:
    return len(text) == 3 and text.isascii() and text.isdigit()


def normalize_status_codes(text: str) -> str:
    """The canonical text of a valid list, e.g. " 301, 200-299" -> "200-299,301"."""
    return ",".join(
        str(low) if low == high else f"{low}-{high}" for low, high in parse_status_codes(text)
    )


def status_accepted(code: int, text: str) -> bool:
    return any(low <= code <= high for low, high in parse_status_codes(text))
