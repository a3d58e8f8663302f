"""Configuration from the environment and `.env`.

Every environment variable the README lists is a field here, with its default. Start-up calls
`load_settings()`; a bad value raises `ConfigError`, whose message is one line naming
the variable and what is wrong, and run.py turns that into exit code 2.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from db.urls import database_dialect, normalize_database_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "uptime.sqlite3"

MIN_TOKEN_LENGTH = 16  # API_ACCESS_TOKEN and METRICS_TOKEN
# The parts a process can run (ROLES), all of them by default:
#   api      the web app: REST API, ping endpoints, /health, /metrics, Telegram webhook
#   bot      the Telegram dispatcher (long polling, or the webhook route of `api`)
#   checker  the engine: claim due monitors, check them, record results
#   outbox   delivering alerts; with any role but `checker` alone, also the rollups and
#            retention jobs (safe to run in several processes)
# Every process needs only DATABASE_URL and its roles: the database is the queue.
ALL_ROLES = frozenset({"api", "bot", "checker", "outbox"})


class ConfigError(Exception):
    """A setting is invalid; the message names the variable and the problem."""


class Settings(BaseSettings):
    """All configuration. Field names are the environment variables, case-insensitive."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    database_url: str = f"sqlite://{DEFAULT_SQLITE_PATH}"
    db_echo: bool = False
    loglevel: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_retry_max_seconds: float = Field(60.0, ge=0.1, le=3600)
    bot_username: str | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    redis_url: str | None = None

    api_access_token: SecretStr | None = None
    api_host: str = "127.0.0.1"
    api_port: int = Field(8080, ge=1, le=65535)
    # Where jobs and browsers reach the web port (ping URLs, public pages); default
    # http://API_HOST:API_PORT, right only for a local try-out.
    public_url: str | None = None
    metrics_token: SecretStr | None = None

    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str | None = None
    smtp_security: Literal["none", "starttls", "tls"] = "starttls"

    # Which parts this process runs (see ROLES): all of them unless told otherwise.
    roles: Annotated[frozenset[str], NoDecode] = ALL_ROLES
    # Checker processes a whole-product process starts beside itself (see
    # checker_processes_beside); unset: the core count on PostgreSQL, 1 on SQLite.
    checker_processes: int | None = Field(None, ge=1, le=64)
    check_concurrency: int = Field(100, ge=1, le=10_000)
    allow_private_targets: bool = False
    default_monitor_quota: int = Field(50, ge=0, le=1_000_000)
    min_interval_seconds: int = Field(30, ge=1, le=86_400)
    raw_retention_days: int = Field(30, ge=1, le=3650)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.strip():  # `DATABASE_URL=` in .env means "the default"
            return f"sqlite://{DEFAULT_SQLITE_PATH}"
        return normalize_database_url(value)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            items = [item.strip() for item in value.replace(";", ",").split(",")]
            ids = []
            for item in items:
                if not item:
                    continue
                try:
                    ids.append(int(item))
                except ValueError:
                    raise ValueError(f"{item!r} is not an integer Telegram id") from None
            return frozenset(ids)
        return value

    @field_validator("roles", mode="before")
    @classmethod
    def _roles(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        roles = frozenset(item.strip().lower() for item in value.split(",") if item.strip())
        unknown = sorted(roles - ALL_ROLES)
        if unknown:
            raise ValueError(
                f"unknown role {unknown[0]!r}; the roles are {', '.join(sorted(ALL_ROLES))}"
            )
        return roles or ALL_ROLES

    @field_validator("loglevel", mode="before")
    @classmethod
    def _loglevel(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("api_access_token", "metrics_token")
    @classmethod
    def _long_token(cls, value: SecretStr | None) -> SecretStr | None:
        """A short key can be guessed: these guard the whole API and the metrics."""
        if value is not None and len(value.get_secret_value()) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"must be at least {MIN_TOKEN_LENGTH} characters "
                "(a long random string, e.g. from `openssl rand -hex 32`)"
            )
        return value

    @field_validator("smtp_security", mode="before")
    @classmethod
    def _smtp_security(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("telegram_api_url", "webhook_url", "public_url")
    @classmethod
    def _http_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or value == "":
            # An empty TELEGRAM_API_URL means Telegram's server, as its default does.
            return cls.model_fields[info.field_name].default
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator(
        "telegram_bot_token",
        "webhook_secret",
        "api_access_token",
        "metrics_token",
        "smtp_password",
        "bot_username",
        "redis_url",
        "smtp_host",
        "smtp_username",
        "smtp_from",
        "checker_processes",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _webhook_needs_api(self) -> Settings:
        if self.webhook_url and "bot" in self.roles and "api" not in self.roles:
            raise ValueError(
                "ROLES: with WEBHOOK_URL, the bot role needs the api role (the web app"
                " serves the webhook route)"
            )
        return self

    @model_validator(mode="after")
    def _checker_processes_need_postgres(self) -> Settings:
        if (self.checker_processes or 1) > 1 and self.dialect == "sqlite":
            raise ValueError(
                "CHECKER_PROCESSES: more than one needs PostgreSQL (SQLite takes one writer"
                " at a time)"
            )
        return self

    def checker_processes_beside(self) -> int:
        """How many checker processes this process starts and supervises
        (core/checker_processes.py), handing them its checks: none when ROLES picks
        the parts (a deployment that runs its checkers itself) or for one checker
        (this process checks); else CHECKER_PROCESSES, by default a process per core
        on PostgreSQL."""
        if self.roles != ALL_ROLES:
            return 0
        count = self.checker_processes
        if count is None:
            count = (os.cpu_count() or 1) if self.dialect == "postgres" else 1
        return count if count > 1 else 0

    @property
    def public_base_url(self) -> str:
        """PUBLIC_URL, or this server's own address when it is not set."""
        if self.public_url:
            return self.public_url
        host = f"[{self.api_host}]" if ":" in self.api_host else self.api_host
        return f"http://{host}:{self.api_port}"

    @property
    def dialect(self) -> Literal["postgres", "sqlite"]:
        return database_dialect(self.database_url)

    def is_admin(self, telegram_id: int) -> bool:
        return telegram_id in self.admin_ids

    def secret_values(self) -> list[str]:
        """Every secret's plain value, so that logging can mask them."""
        secrets = [
            self.telegram_bot_token,
            self.webhook_secret,
            self.api_access_token,
            self.metrics_token,
            self.smtp_password,
        ]
        values = [s.get_secret_value() for s in secrets if s is not None]
        for url in (self.database_url.replace("postgres://", "http://", 1), self.redis_url):
            password = urlsplit(url).password if url else None
            if password:
                values.append(password)
        return [v for v in values if len(v) >= 4]


def _describe(error: dict) -> str:
    message = error.get("msg", "is invalid")
    message = message.removeprefix("Value error, ")
    if not error.get("loc"):  # a rule across settings: its message names them
        return message
    field = str(error["loc"][0])
    if error.get("type") == "literal_error":
        message = message.replace("Input should be", "must be")
    return f"{field.upper()}: {message}"


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and `.env`, or raise ConfigError with one line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        errors = exc.errors()
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ConfigError(_describe(errors[0]) + more) from None
    except Exception as exc:  # pydantic-settings raises SettingsError for undecodable values
        raise ConfigError(f"configuration could not be read: {exc}") from None
