"""Docker, compose and .env.example stay true to the settings (no Docker engine runs here)."""

from __future__ import annotations

import re

import yaml

from core.settings import PROJECT_ROOT, Settings, load_settings

SETTINGS = {name.upper() for name in Settings.model_fields}


def compose() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())


def test_compose_passes_only_real_settings_to_the_app() -> None:
    environment = compose()["services"]["app"]["environment"]
    unknown = set(environment) - SETTINGS
    assert not unknown, f"not settings: {unknown}"
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert environment["API_HOST"] == "0.0.0.0"


def test_compose_app_waits_for_a_healthy_database_with_a_volume() -> None:
    services = compose()["services"]
    assert services["app"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert "healthcheck" in services["db"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["db"]["volumes"])
    assert "pgdata" in compose()["volumes"]


def test_compose_database_url_matches_the_database_service() -> None:
    services = compose()["services"]
    db_env = services["db"]["environment"]
    url = services["app"]["environment"]["DATABASE_URL"]
    assert f"{db_env['POSTGRES_USER']}:" in url and url.endswith(
        f"@db:5432/{db_env['POSTGRES_DB']}"
    )


def test_env_example_lists_every_setting_and_loads() -> None:
    text = (PROJECT_ROOT / ".env.example").read_text()
    named = set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]+)=", text, re.M))
    assert named == SETTINGS
    load_settings(_env_file=PROJECT_ROOT / ".env.example")


def test_dockerfile_runs_as_non_root_with_a_health_check() -> None:
    text = (PROJECT_ROOT / "Dockerfile").read_text()
    base = re.search(r"^FROM python:(\d+)\.(\d+)-slim", text, re.M)
    assert base and (int(base[1]), int(base[2])) >= (3, 11)
    assert re.search(r"^USER (?!root)\w+", text, re.M)
    assert "HEALTHCHECK" in text and "/health" in text
    assert "pybabel compile" in text


def test_readme_documents_every_setting() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    missing = {name for name in SETTINGS if f"`{name}`" not in readme}
    assert not missing, f"README lacks {missing}"
