"""Logging set-up: one format for the whole process, and secrets masked in every record."""

from __future__ import annotations

import logging

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class SecretMaskingFilter(logging.Filter):
    """Replaces every configured secret in a record's final text by `***`.

    Applied on the handler, so it also covers records from libraries (aiogram logs
    request URLs that contain the bot token, asyncpg errors may quote the DSN).
    """

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = sorted(set(secrets), key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        text = record.getMessage()
        masked = text
        for secret in self._secrets:
            masked = masked.replace(secret, "***")
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            for secret in self._secrets:
                record.exc_text = record.exc_text.replace(secret, "***")
        if masked != text:
            record.msg, record.args = masked, None
        return True


def configure_logging(level: str, secrets: list[str], db_echo: bool = False) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(SecretMaskingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # DB_ECHO: every SQL statement Tortoise sends.
    logging.getLogger("tortoise.db_client").setLevel(logging.DEBUG if db_echo else logging.WARNING)
    # aiohttp.access logs one line per request; keep it for DEBUG only.
    logging.getLogger("aiohttp.access").setLevel(
        logging.DEBUG if level == "DEBUG" else logging.WARNING
    )
