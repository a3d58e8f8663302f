"""Logging set-up: one format for the whole process, and secrets masked in every record.

What an operator reads at INFO is this service's own lines (start-up, shutdown, an
incident opened or closed, a channel failing or recovering). Libraries are kept at
WARNING unless LOGLEVEL=DEBUG: APScheduler alone writes two lines per job run (about
six a second), aiogram one per update handled, aiohttp one per request.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Loggers of libraries whose INFO lines are routine chatter, not events.
LIBRARY_LOGGERS = ("apscheduler", "aiogram", "aiohttp.access", "tortoise", "aerich", "asyncio")

# The password of any URL: `scheme://user:PASSWORD@`. Userinfo cannot hold an
# unencoded "/", "@" or whitespace, so the password ends at the first of them.
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^/@\s]+@")
# The value of a "password" key in a printed mapping: `'password': 'PASSWORD'`.
_MAPPING_PASSWORD = re.compile(r"""(['"]password['"]\s*:\s*)(['"])(?:(?!\2).)*\2""")


def mask_url_passwords(text: str) -> str:
    """Every URL's password, and every printed mapping's "password" value, replaced by
    `***` (whatever part of it a library shows: Tortoise prints a third of the database
    password at DEBUG, in the URL or in its connection settings)."""
    text = _MAPPING_PASSWORD.sub(r"\1\2***\2", text)
    return _URL_PASSWORD.sub(r"\1***@", text)


class SecretMaskingFilter(logging.Filter):
    """Replaces every configured secret, and the password of every URL, in a record's
    final text (message and traceback) by `***`.

    Applied on the handler, so it also covers records from libraries (aiogram logs
    request URLs that contain the bot token, asyncpg errors may quote the DSN).
    """

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = sorted(set(secrets), key=len, reverse=True)

    def _mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return mask_url_passwords(text)

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        masked = self._mask(text)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self._mask(record.stack_info)
        if masked != text:
            record.msg, record.args = masked, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line (LOG_FORMAT=json), for log shippers: time (UTC, ISO 8601),
    level, logger, message, and the traceback as `exc` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(
    level: str, secrets: list[str], db_echo: bool = False, log_format: str = "text"
) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(_FORMAT))
    handler.addFilter(SecretMaskingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    library_level = logging.DEBUG if level == "DEBUG" else max(logging.WARNING, root.level)
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(library_level)
    # asyncpg's pool warns once per broken connection while the database is away
    # (db/outage_log.py already says so once): errors only, unless DEBUG.
    logging.getLogger("asyncpg").setLevel(
        logging.DEBUG if level == "DEBUG" else max(logging.ERROR, root.level)
    )
    # DB_ECHO: every SQL statement Tortoise sends (at any LOGLEVEL).
    logging.getLogger("tortoise.db_client").setLevel(
        logging.DEBUG if db_echo else max(logging.WARNING, root.level)
    )
