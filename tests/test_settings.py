"""Settings: defaults, accepted URL forms, and one clear line for each bad value."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from core.logs import JsonFormatter, SecretMaskingFilter, mask_url_passwords
from core.settings import DEFAULT_SQLITE_PATH, ConfigError, Settings, load_settings
from db.urls import normalize_database_url, redact_url, sqlite_path

ROOT = Path(__file__).resolve().parent.parent

ALL_VARIABLES = {
    "DATABASE_URL",
    "CHECKER_PROCESSES",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_URL",
    "TELEGRAM_RETRY_MAX_SECONDS",
    "BOT_USERNAME",
    "ADMIN_IDS",
    "API_ACCESS_TOKEN",
    "API_HOST",
    "API_PORT",
    "PUBLIC_URL",
    "DB_ECHO",
    "LOGLEVEL",
    "LOG_FORMAT",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_FROM",
    "SMTP_SECURITY",
    "ROLES",
    "CHECK_CONCURRENCY",
    "ALLOW_PRIVATE_TARGETS",
    "DEFAULT_MONITOR_QUOTA",
    "MIN_INTERVAL_SECONDS",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "REDIS_URL",
    "METRICS_TOKEN",
    "RAW_RETENTION_DAYS",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """No variable from the machine, and no .env file, leaks into these tests."""
    for name in ALL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_every_design_variable_is_a_setting() -> None:
    assert {name.upper() for name in Settings.model_fields} == ALL_VARIABLES


def test_defaults() -> None:
    s = load_settings()
    assert s.database_url == f"sqlite://{DEFAULT_SQLITE_PATH}"
    assert s.dialect == "sqlite"
    assert (s.api_host, s.api_port) == ("127.0.0.1", 8080)
    assert s.telegram_bot_token is None
    assert s.telegram_api_url == "https://api.telegram.org"
    assert s.admin_ids == frozenset()
    assert s.smtp_security == "starttls"
    assert s.check_concurrency == 100
    assert s.allow_private_targets is False
    assert s.raw_retention_days == 30
    assert s.loglevel == "INFO"


def test_empty_urls_mean_their_defaults(monkeypatch) -> None:
    """TELEGRAM_API_URL= (as an env file may leave it) is Telegram's server, not None;
    WEBHOOK_URL= is no webhook."""
    monkeypatch.setenv("TELEGRAM_API_URL", "")
    monkeypatch.setenv("WEBHOOK_URL", "")
    s = load_settings()
    assert s.telegram_api_url == "https://api.telegram.org"
    assert s.webhook_url is None


def test_reads_dotenv_file(tmp_path) -> None:
    (tmp_path / ".env").write_text("API_PORT=9191\nADMIN_IDS=1, 2\nLOGLEVEL=debug\n")
    s = load_settings()
    assert s.api_port == 9191
    assert s.admin_ids == frozenset({1, 2})
    assert s.loglevel == "DEBUG"


def test_environment_overrides_dotenv(tmp_path, monkeypatch) -> None:
    (tmp_path / ".env").write_text("API_PORT=9191\n")
    monkeypatch.setenv("API_PORT", "9292")
    assert load_settings().api_port == 9292


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/app", "postgres://u:p@db:5432/app"),
        ("postgresql://u@db/app", "postgres://u@db/app"),
        ("postgresql+asyncpg://u:p@db:5432/app", "postgres://u:p@db:5432/app"),
        ("asyncpg://u@db/app", "postgres://u@db/app"),
        ("sqlite:///var/lib/app.db", "sqlite:///var/lib/app.db"),
        ("sqlite://data/app.db", "sqlite://data/app.db"),
        ("sqlite://:memory:", "sqlite://:memory:"),
    ],
)
def test_database_url_forms(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected
    assert load_settings(database_url=given).database_url == expected


def test_the_database_layer_needs_nothing_from_core() -> None:
    """db/ sits below core/: connecting, migrating and electing a leader import no core
    module (the URL helpers they need live in db/urls.py)."""
    code = (
        "import sys, db.config, db.connection, db.leader, db.migrate, db.urls; "
        "print(sorted(m for m in sys.modules if m == 'core' or m.startswith('core.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_sqlite_path_of_urls() -> None:
    assert sqlite_path("sqlite:///a/b.db") == DEFAULT_SQLITE_PATH.__class__("/a/b.db")
    assert sqlite_path("sqlite://:memory:") is None
    assert sqlite_path("postgres://u@h/db") is None


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("DATABASE_URL", "not a url", "not a URL"),
        ("DATABASE_URL", "mysql://u@h/db", "unsupported scheme"),
        ("DATABASE_URL", "postgres://u@h:notaport/db", "unparsable"),
        ("DATABASE_URL", "postgres://u@h:99999/db", "unparsable"),
        ("DATABASE_URL", "postgres:///db", "no host"),
        ("DATABASE_URL", "postgres://u@h/", "no database name"),
        ("ADMIN_IDS", "12,abc", "'abc' is not an integer"),
        ("API_PORT", "0", "greater than or equal to 1"),
        ("API_PORT", "65536", "less than or equal to 65535"),
        ("API_PORT", "http", "valid integer"),
        ("SMTP_PORT", "-1", "greater than or equal to 1"),
        ("SMTP_SECURITY", "ssl", "'none', 'starttls' or 'tls'"),
        ("CHECK_CONCURRENCY", "0", "greater than or equal to 1"),
        ("ALLOW_PRIVATE_TARGETS", "perhaps", "valid boolean"),
        ("LOGLEVEL", "LOUD", "must be"),
        ("TELEGRAM_API_URL", "ftp://x", "http:// or https://"),
        ("WEBHOOK_URL", "example.org/hook", "http:// or https://"),
        ("API_ACCESS_TOKEN", "fifteen-chars-k", "at least 16 characters"),
        ("METRICS_TOKEN", "short", "at least 16 characters"),
        ("LOG_FORMAT", "xml", "'text' or 'json'"),
        ("TELEGRAM_RETRY_MAX_SECONDS", "0", "greater than or equal to 0.1"),
    ],
)
def test_bad_configuration_names_the_variable(monkeypatch, variable, value, fragment) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{variable}: ")
    assert fragment in message
    assert "\n" not in message


def test_several_problems_are_counted_on_one_line(monkeypatch) -> None:
    monkeypatch.setenv("API_PORT", "0")
    monkeypatch.setenv("SMTP_SECURITY", "ssl")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message and "1 more" in message


def test_secrets_are_hidden_from_repr_and_redacted() -> None:
    s = load_settings(
        telegram_bot_token="123456:SECRET-TOKEN",
        api_access_token="api-secret-key-0123",
        smtp_password="smtp-secret",
        database_url="postgres://user:db-secret@h/db",
    )
    shown = repr(s) + str(s)
    for secret in ("SECRET-TOKEN", "api-secret-key-0123", "smtp-secret"):
        assert secret not in shown
    assert "db-secret" not in redact_url(s.database_url)
    assert set(s.secret_values()) >= {"123456:SECRET-TOKEN", "api-secret-key-0123", "db-secret"}


def test_logging_masks_secrets_in_messages_and_tracebacks() -> None:
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "calling %s/bot%s/getMe", ("https://t", "1:TOK"), None
    )
    try:
        raise RuntimeError("failed with 1:TOK")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    SecretMaskingFilter(["1:TOK"]).filter(record)
    assert record.getMessage() == "calling https://t/bot***/getMe"
    assert "1:TOK" not in record.exc_text and "***" in record.exc_text


def test_tokens_of_16_characters_are_accepted() -> None:
    s = load_settings(api_access_token="a" * 16, metrics_token="b" * 40)
    assert s.api_access_token.get_secret_value() == "a" * 16
    assert s.metrics_token.get_secret_value() == "b" * 40


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        # Tortoise at DEBUG shows a third of the password: none of it may show.
        (
            "connections: {'default': 'postgres://uptime:hunt***@db:5432/uptime'}",
            "connections: {'default': 'postgres://uptime:***@db:5432/uptime'}",
        ),
        (
            "{'host': 'db', 'user': 'uptime', 'password': 'hunt***', 'reset': <function>}",
            "{'host': 'db', 'user': 'uptime', 'password': '***', 'reset': <function>}",
        ),
        ("redis://:pa%2Fss@cache:6379/0 and x", "redis://:***@cache:6379/0 and x"),
        ("smtp://u:p@mail and http://host:8080/a@b", "smtp://u:***@mail and http://host:8080/a@b"),
        ("no URL, user:pass@example", "no URL, user:pass@example"),
        ("http://user@host:80/ has no password", "http://user@host:80/ has no password"),
    ],
)
def test_every_url_password_is_masked_whole(line: str, masked: str) -> None:
    assert mask_url_passwords(line) == masked
    record = logging.LogRecord("tortoise", logging.DEBUG, __file__, 1, "%s", (line,), None)
    SecretMaskingFilter([]).filter(record)
    assert record.getMessage() == masked


def test_json_log_lines_are_one_object_each_and_masked() -> None:
    import json

    record = logging.LogRecord(
        "run", logging.ERROR, __file__, 1, "db %s\nnext", ("postgres://u:pw@h/db",), None
    )
    try:
        raise RuntimeError("token 1:TOK")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    SecretMaskingFilter(["1:TOK"]).filter(record)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "run"
    assert entry["message"] == "db postgres://u:***@h/db\nnext"
    assert "RuntimeError: token ***" in entry["exc"]
    assert entry["time"].endswith("+00:00")
