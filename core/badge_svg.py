"""Flat SVG badges in the shields.io "flat" style: a grey label and a coloured value side
by side, rounded corners, a faint top-to-bottom gradient, white text with a dark
shadow one pixel below it.

A badge is drawn in Verdana 11 px (falling back to Geneva and DejaVu Sans), which the
image's viewer has, not the server: each part is as wide as its text measured with
Verdana's advance widths (VERDANA_11) plus PADDING on each side, and each text carries
that width as its `textLength`, so a fallback font is squeezed or stretched to fit
instead of running over its box. Characters outside the table are estimated (see
char_width); textLength keeps them inside the box too.

Everything a badge says is XML-escaped (a label comes from the URL's ?label=); the
colours are this module's constants, never input.
"""

from __future__ import annotations

import html
import math
import unicodedata
from dataclasses import dataclass

HEIGHT = 20
PADDING = 5  # pixels left and right of each text
LABEL_COLOUR = "#555"

# The value's colours (shields.io's palette, which readers of README files know).
GREEN = "#4c1"
YELLOWGREEN = "#a4a61d"
YELLOW = "#dfb317"
ORANGE = "#fe7d37"
RED = "#e05d44"
BLUE = "#007ec6"
GREY = "#9f9f9f"

# Verdana's advance widths at 11 px (its units per em, 2048, scaled), printable ASCII.
VERDANA_11: dict[str, float] = {
    " ": 3.87, "!": 4.33, '"': 5.05, "#": 9.0, "%": 11.84, "&": 7.99, "'": 2.95,
    ",": 4.0, ".": 4.0, "?": 6.0, "@": 11.0, "{": 6.98, "}": 6.98,
    **dict.fromkeys("()-/:;[\\]|", 5.0),
    **dict.fromkeys("+<=>^~", 9.0),
    **dict.fromkeys("0123456789$*_`", 6.99),
    "A": 7.52, "B": 7.54, "C": 7.68, "D": 8.48, "E": 6.96, "F": 6.32, "G": 8.53,
    "H": 8.27, "I": 4.63, "J": 5.0, "K": 7.62, "L": 6.12, "M": 9.27, "N": 8.23,
    "O": 8.66, "P": 6.63, "Q": 8.66, "R": 7.65, "S": 7.52, "T": 6.78, "U": 8.05,
    "V": 7.52, "W": 10.88, "X": 7.54, "Y": 6.77, "Z": 7.54,
    "a": 6.61, "b": 6.85, "c": 5.73, "d": 6.85, "e": 6.55, "f": 3.87, "g": 6.85,
    "h": 6.96, "i": 3.02, "j": 3.79, "k": 6.51, "l": 3.02, "m": 10.7, "n": 6.96,
    "o": 6.68, "p": 6.85, "q": 6.85, "r": 4.69, "s": 5.73, "t": 4.33, "u": 6.96,
    "v": 6.51, "w": 9.0, "x": 6.51, "y": 6.51, "z": 5.78,
}  # fmt: skip
# Estimates for characters outside the table: a capital and a small letter of average
# width (Cyrillic and accented Latin letters are close to their Latin look-alikes), and
# a full em for the wide characters of East Asian scripts.
CAPITAL_WIDTH = 7.6
SMALL_WIDTH = 6.9
WIDE_WIDTH = 11.0


@dataclass(frozen=True)
class Badge:
    label: str
    value: str
    colour: str


def char_width(char: str) -> float:
    """The width of one character in Verdana 11 px: from the table, else estimated;
    combining marks take no room of their own."""
    known = VERDANA_11.get(char)
    if known is not None:
        return known
    category = unicodedata.category(char)
    if category in ("Mn", "Me", "Cf"):
        return 0.0
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return WIDE_WIDTH
    return CAPITAL_WIDTH if category == "Lu" else SMALL_WIDTH


def text_width(text: str) -> int:
    """The width of `text` in whole pixels, rounded up."""
    return math.ceil(sum(char_width(char) for char in text))


def _xml(text: str) -> str:
    return html.escape(text, quote=True)


def _number(value: float) -> str:
    return f"{value:g}"


def render(badge: Badge) -> str:
    """The badge as an SVG document (one line: it is served as is)."""
    label_text, value_text = text_width(badge.label), text_width(badge.value)
    label_width = label_text + 2 * PADDING
    value_width = value_text + 2 * PADDING
    width = label_width + value_width
    label, value = _xml(badge.label), _xml(badge.value)
    said = _xml(f"{badge.label}: {badge.value}")

    def text(x: float, length: int, shown: str) -> str:
        fit = f'x="{_number(x)}" textLength="{length}" lengthAdjust="spacingAndGlyphs"'
        return (
            f'<text {fit} y="15" fill="#010101" fill-opacity=".3" aria-hidden="true">'
            f'{shown}</text><text {fit} y="14">{shown}</text>'
        )

    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" '
        f'role="img" aria-label="{said}"><title>{said}</title>'
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{width}" height="{HEIGHT}" rx="3" fill="#fff"/>'
        '</clipPath><g clip-path="url(#r)">'
        f'<rect width="{label_width}" height="{HEIGHT}" fill="{LABEL_COLOUR}"/>'
        f'<rect x="{label_width}" width="{value_width}" height="{HEIGHT}" '
        f'fill="{badge.colour}"/>'
        f'<rect width="{width}" height="{HEIGHT}" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" '
        'font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f"{text(label_width / 2, label_text, label)}"
        f"{text(label_width + value_width / 2, value_text, value)}"
        "</g></svg>"
    )
