"""Sending one email through the SMTP_* settings with aiosmtplib, and what came of it.

A 5xx answer is permanent (the address or the message is refused: dead), except the
authentication codes (530, 534, 535, 538), which mean our configuration is wrong and
may be fixed: those, 4xx answers, refused connections and timeouts are retried.
"""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

import aiosmtplib

from core.delivery import Outcome, Result
from core.settings import Settings

CONCURRENCY = 4  # SMTP sessions at once
TIMEOUT = 30.0  # seconds for one whole SMTP session
_AUTH_CODES = frozenset({530, 534, 535, 538})


def _permanent(code: int) -> bool:
    return 500 <= code < 600 and code not in _AUTH_CODES


class EmailSender:
    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host is not None
        self.settings = settings
        self._sessions = asyncio.Semaphore(CONCURRENCY)

    @property
    def sender(self) -> str:
        s = self.settings
        return s.smtp_from or s.smtp_username or f"uptime@{s.smtp_host}"

    async def send(self, message: EmailMessage) -> Outcome:
        s = self.settings
        password = s.smtp_password.get_secret_value() if s.smtp_password else None
        try:
            async with self._sessions:
                await aiosmtplib.send(
                    message,
                    hostname=s.smtp_host,
                    port=s.smtp_port,
                    username=s.smtp_username,
                    password=password,
                    use_tls=s.smtp_security == "tls",
                    start_tls=s.smtp_security == "starttls",
                    timeout=TIMEOUT,
                )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            result = Result.DEAD if all(_permanent(c) for c in codes) else Result.RETRY
            return Outcome(result, f"recipient refused: {exc}")
        except aiosmtplib.SMTPResponseException as exc:
            result = Result.DEAD if _permanent(exc.code) else Result.RETRY
            return Outcome(result, f"SMTP {exc.code}: {exc.message}")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return Outcome(Result.RETRY, f"{type(exc).__name__}: {exc}")
        return Outcome.sent()
