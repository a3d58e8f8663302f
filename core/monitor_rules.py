"""What a valid monitor is: the input rules the bot and the API share.

Each parser takes what a person typed (or a JSON value) and returns the clean value, or
raises `RuleError` with a stable `code` and parameters; the bot translates the code, the
API returns it. Nothing here uses a regular expression on user input.

Numbers are ASCII digits only: Python's int() and float() also take "1_000", "+5" and
the digits of other scripts ("५"), which nobody means as a setting.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from core.settings import Settings
from core.status_codes import StatusCodesError, normalize_status_codes
from db.models import HttpMethod, KeywordMode, Monitor, User

MAX_INTERVAL_SECONDS = 24 * 3600
MAX_NAME_LENGTH = 128
MAX_KEYWORD_LENGTH = 256
MAX_TIMEOUT_SECONDS = 60
MAX_LATENCY_THRESHOLD_MS = 60_000
MAX_CERT_THRESHOLDS = 6
MAX_THRESHOLD = 20
MAX_CERT_DAY = 365
MIN_TIMEOUT_SECONDS = 1
MAX_QUOTA = 100_000  # the largest monitor quota an admin may set
INTERVAL_CHOICES = (30, 60, 300, 900)
# Duration units as people type them in the four languages (matched in lower case).
_UNIT_WORDS = {
    1: "s sec secs second seconds с сек секунд секунды секунда seg segundo segundos "
    "sek sekunde sekunden",
    60: "m min mins minute minutes мин минут минуты минута minuto minutos minuten",
    3600: "h hr hrs hour hours ч час часа часов hora horas std stunde stunden",
    86400: "d day days д дн день дня дней día días dia dias tag tage tagen",
}
_UNITS = {word: seconds for seconds, words in _UNIT_WORDS.items() for word in words.split()}


@dataclass
class RuleError(ValueError):
    """An input that breaks a rule; `code` is stable, `params` fill the message."""

    code: str
    params: dict = field(default_factory=dict)
    # The input field it is about, when a caller validates several at once (the API).
    field: str | None = None

    def __str__(self) -> str:
        return self.code


# Unicode categories a name may not contain: controls (Cc) and the invisible format
# characters (Cf): bidi overrides, isolates and marks (U+202A-U+202E, U+2066-U+2069,
# U+200E, U+200F, U+061C), zero-width characters (U+200B-U+200D, U+2060, U+FEFF), soft
# hyphens, tags; plus surrogates (Cs) and private-use characters (Co), which show as
# nothing or as boxes. With them a name can look like another monitor's in a list
# ("‮moc.knab" reads "bank.com"), so such names are refused, never silently cleaned.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})


def has_hidden_characters(text: str) -> bool:
    """Whether `text` holds a control, invisible or text-direction character (the names
    of monitors and API tokens are refused with one)."""
    return any(unicodedata.category(c) in _HIDDEN_CATEGORIES for c in text)


def parse_name(text: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise RuleError("name_empty")
    if len(name) > MAX_NAME_LENGTH:
        raise RuleError("name_too_long", {"max": MAX_NAME_LENGTH})
    if has_hidden_characters(name):
        raise RuleError("name_invalid")
    return name


def _whole_number(value: object) -> int | None:
    """An int given as one (not a bool) or as ASCII digits, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = value.strip() if isinstance(value, str) else ""
    return int(text) if _is_digits(text) and len(text) <= 9 else None


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def parse_duration(text: str | int) -> int:
    """Seconds from "45", "45s", "5m", "5 min", "2h", "1d", and the same in Russian,
    Spanish and German ("5 мин", "2 Std", "1 día"): any case, with or without a space."""
    if isinstance(text, int):
        return text
    raw = "".join(text.lower().split())
    digits = ""
    for char in raw:
        if not _is_digits(char):
            break
        digits += char
    unit = raw[len(digits) :] or "s"
    if not digits or unit not in _UNITS or len(digits) > 7:
        raise RuleError("duration_invalid")
    return int(digits) * _UNITS[unit]


def parse_interval(value: str | int, settings: Settings) -> int:
    seconds = parse_duration(value)
    low, high = settings.min_interval_seconds, MAX_INTERVAL_SECONDS
    if not low <= seconds <= high:
        raise RuleError("interval_range", {"min": low, "max": high})
    return seconds


def parse_timeout(value: str | int | float) -> float:
    """Seconds to wait for a response: 1 to 60 (fractions allowed)."""
    bounds = {"min": MIN_TIMEOUT_SECONDS, "max": MAX_TIMEOUT_SECONDS}
    if isinstance(value, bool):
        raise RuleError("timeout_range", bounds)
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = str(value).strip().lower().removesuffix("s").strip()
        whole, _dot, fraction = text.partition(".")
        if not whole or not all(_is_digits(part) for part in (whole, fraction or "0")):
            raise RuleError("timeout_range", bounds)
        seconds = float(text)
    if not MIN_TIMEOUT_SECONDS <= seconds <= MAX_TIMEOUT_SECONDS:
        raise RuleError("timeout_range", bounds)
    return seconds


def default_timeout(interval: int) -> float:
    return float(min(10, max(1, interval // 2)))


def parse_status_codes(text: str) -> str:
    try:
        return normalize_status_codes(text)
    except StatusCodesError:
        raise RuleError("status_codes_invalid") from None


def parse_latency_threshold(value: str | int) -> int:
    text = value.strip().lower().removesuffix("ms") if isinstance(value, str) else value
    ms = _whole_number(text)
    if ms is None:
        raise RuleError("latency_invalid")
    if not 1 <= ms <= MAX_LATENCY_THRESHOLD_MS:
        raise RuleError("latency_range", {"min": 1, "max": MAX_LATENCY_THRESHOLD_MS})
    return ms


def parse_keyword(text: str) -> str:
    keyword = text.strip()
    if not keyword:
        raise RuleError("keyword_empty")
    if len(keyword) > MAX_KEYWORD_LENGTH:
        raise RuleError("keyword_too_long", {"max": MAX_KEYWORD_LENGTH})
    return keyword


def parse_keyword_mode(text: str) -> KeywordMode:
    try:
        return KeywordMode(text.strip().lower())
    except ValueError:
        raise RuleError("keyword_mode_invalid") from None


def parse_cert_days(value: str | list) -> list[int]:
    items = value if isinstance(value, list) else value.replace(" ", ",").split(",")
    days = []
    for item in items:
        if item in ("", None):
            continue
        day = _whole_number(item)
        if day is None or not 1 <= day <= MAX_CERT_DAY:
            raise RuleError("cert_days_invalid")
        days.append(day)
    if not days or len(days) > MAX_CERT_THRESHOLDS:
        raise RuleError("cert_days_invalid")
    return sorted(set(days), reverse=True)


def parse_method(text: str) -> HttpMethod:
    try:
        return HttpMethod(text.strip().upper())
    except ValueError:
        raise RuleError(
            "method_invalid", {"allowed": ", ".join(m.value for m in HttpMethod)}
        ) from None


def parse_threshold(value: str | int) -> int:
    count = _whole_number(value)
    if count is None:
        raise RuleError("threshold_invalid")
    if not 1 <= count <= MAX_THRESHOLD:
        raise RuleError("threshold_range", {"min": 1, "max": MAX_THRESHOLD})
    return count


def quota_of(user: User, settings: Settings) -> int:
    return user.monitor_quota if user.monitor_quota is not None else settings.default_monitor_quota


async def check_quota(user: User, settings: Settings) -> None:
    """Raise RuleError("quota") when the user may not add another monitor."""
    limit = quota_of(user, settings)
    if await Monitor.filter(owner_id=user.id).count() >= limit:
        raise RuleError("quota", {"limit": limit})
