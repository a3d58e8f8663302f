"""The Accept-* request headers (Accept-Language, Accept-Encoding): each value with its
quality, as RFC 9110 writes them ("de-CH, de;q=0.9, *;q=0.1")."""

from __future__ import annotations


def weighted(header: str | None) -> list[tuple[str, float]]:
    """(value, quality) of each entry, in the header's order; values in lower case,
    quality 1 when not given and 0 when not a number (RFC 9110: 0 means "not
    acceptable")."""
    entries = []
    for part in (header or "").split(","):
        value, _, params = part.partition(";")
        value = value.strip().lower()
        if not value:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, number = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(1.0, max(0.0, float(number)))
                except ValueError:
                    quality = 0.0
        entries.append((value, quality))
    return entries


def accepts(header: str | None, value: str) -> bool:
    """Whether `value` (a coding such as "gzip") is acceptable: named, or "*", with a
    quality above 0 (the named entry decides when both are there)."""
    found = dict(reversed(weighted(header)))  # the first entry of a value counts
    quality = found.get(value.lower(), found.get("*", 0.0))
    return quality > 0
