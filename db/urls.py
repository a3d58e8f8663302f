"""Database URLs: the accepted forms, their dialect, the SQLite file, a loggable form.

They live with the database code (db/config.py, db/migrate.py, db/leader.py) so that
db/ needs nothing from core/; the settings use them to validate DATABASE_URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

# URL schemes we accept, mapped to the scheme Tortoise understands.
_POSTGRES_SCHEMES = {"postgres", "postgresql", "postgresql+asyncpg", "asyncpg"}
_SQLITE_SCHEMES = {"sqlite", "sqlite+aiosqlite"}


def normalize_database_url(url: str) -> str:
    """Return the Tortoise form of a PostgreSQL or SQLite URL, or raise ValueError.

    Accepted: `postgres://`, `postgresql://`, `postgresql+asyncpg://`, `asyncpg://`,
    `sqlite://relative/or/absolute/path` and `sqlite://:memory:`.
    """
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or not scheme:
        raise ValueError("not a URL (expected postgres://... or sqlite://...)")
    if scheme in _POSTGRES_SCHEMES:
        try:
            parts = urlsplit("postgres://" + rest)
            port = parts.port  # raises ValueError for a non-numeric or out-of-range port
        except ValueError as exc:
            raise ValueError(f"unparsable PostgreSQL URL ({exc})") from None
        if not parts.hostname:
            raise ValueError("PostgreSQL URL has no host")
        if not parts.path.strip("/"):
            raise ValueError("PostgreSQL URL has no database name")
        del port
        return "postgres://" + rest
    if scheme in _SQLITE_SCHEMES:
        if not rest:
            raise ValueError("SQLite URL has no file path")
        return "sqlite://" + rest
    raise ValueError(f"unsupported scheme {scheme!r} (use postgres:// or sqlite://)")


def database_dialect(url: str) -> Literal["postgres", "sqlite"]:
    """Which dialect a normalised database URL speaks."""
    return "postgres" if url.startswith("postgres://") else "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file behind an SQLite URL, or None for PostgreSQL and in-memory databases."""
    if database_dialect(url) != "sqlite":
        return None
    path = url.removeprefix("sqlite://").split("?", 1)[0]
    if path in ("", ":memory:"):
        return None
    return Path(path)


def redact_url(url: str) -> str:
    """The URL with any password replaced, for logs."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    userinfo, _, host = rest.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in userinfo else url
