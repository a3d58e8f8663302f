"""Docker, compose and .env.example stay true to the settings (no Docker engine runs here)."""

from __future__ import annotations

import re
import tomllib

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


def test_compose_runs_a_front_and_checkers_from_one_image_and_one_environment() -> None:
    """`docker compose up --scale checker=N`: the front never checks, each checker only
    checks, and both get the same settings but ROLES."""
    services = compose()["services"]
    app, checker = services["app"], services["checker"]
    assert checker["image"] == app["image"] and "build" in app
    assert load_settings(_env_file=None, roles="api,bot,outbox").checker_processes_beside() == 0
    assert app["environment"].pop("ROLES") == "${ROLES:-api,bot,outbox}"
    assert checker["environment"].pop("ROLES") == "checker"
    assert checker["environment"] == app["environment"]
    assert "ports" not in checker and checker["healthcheck"]["disable"] is True
    assert checker["depends_on"]["db"]["condition"] == "service_healthy"


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
    """Every setting, plus POSTGRES_PASSWORD, which only docker compose reads."""
    text = (PROJECT_ROOT / ".env.example").read_text()
    named = set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]+)=", text, re.M))
    assert named == SETTINGS | {"POSTGRES_PASSWORD"}
    assert "${POSTGRES_PASSWORD" in (PROJECT_ROOT / "docker-compose.yml").read_text()
    load_settings(_env_file=PROJECT_ROOT / ".env.example")


def test_compose_rotates_the_logs_of_every_service() -> None:
    for name, service in compose()["services"].items():
        logging = service.get("logging", {})
        assert logging.get("driver") == "json-file", name
        assert logging["options"]["max-size"] and int(logging["options"]["max-file"]) >= 2


def test_dockerfile_runs_as_non_root_with_a_health_check() -> None:
    text = (PROJECT_ROOT / "Dockerfile").read_text()
    base = re.search(r"^FROM python:(\d+)\.(\d+)-slim", text, re.M)
    assert base and (int(base[1]), int(base[2])) >= (3, 11)
    assert re.search(r"^USER (?!root)\w+", text, re.M)
    assert "HEALTHCHECK" in text and "/health" in text
    assert "pybabel compile" in text


def test_dockerfile_installs_the_lock_and_builds_the_font_cache_as_its_user() -> None:
    text = (PROJECT_ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes -r requirements.lock" in text
    assert not re.search(r"pip install (?!--require-hashes)", text)  # nothing unpinned
    user_at = re.search(r"^USER (?!root)\w+", text, re.M).start()
    font_cache = text.index("import matplotlib.font_manager")
    assert font_cache > user_at  # the cache lands in the home of the user who runs charts
    base = re.search(r"^FROM (\S+)", text, re.M)[1]
    # Pinned by digest, or visibly marked as not pinned yet (never a guessed digest).
    assert re.fullmatch(r"python:[\d.]+-slim@sha256:[0-9a-f]{64}", base) or (
        "NOT YET PINNED BY DIGEST" in text
    )


def _pins(lock: str) -> dict[str, set[str]]:
    """name -> its pins ("version ; marker": a universal lock may pin a package once
    per Python version)."""
    text = (PROJECT_ROOT / lock).read_text()
    found = re.findall(r"^([A-Za-z0-9._-]+)==(\S+)( ; [^\\\n]+)? \\$", text, re.M)
    requirement_lines = re.findall(r"^[A-Za-z0-9._-]+\S*", text, re.M)
    assert len(requirement_lines) == len(found), f"{lock}: a line that is not name==version"
    assert text.count("--hash=sha256:") >= len(found)
    pins: dict[str, set[str]] = {}
    for name, version, marker in found:
        pins.setdefault(re.sub(r"[-_.]+", "-", name).lower(), set()).add(version + marker)
    return pins


def _names(requirements: list[str]) -> set[str]:
    return {
        re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", r)[0]).lower() for r in requirements
    }


def test_lock_files_pin_every_dependency_with_hashes() -> None:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    extras = project["optional-dependencies"]
    assert _names(project["dependencies"] + extras["fast"]) <= set(runtime)
    assert _names(extras["dev"]) <= set(dev)
    shared = set(runtime) & set(dev)
    assert {name: runtime[name] for name in shared} == {name: dev[name] for name in shared}
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "pip install --quiet --require-hashes -r requirements-dev.lock" in makefile
    assert "pip install --quiet --no-deps -e ." in makefile


def test_the_license_is_an_spdx_string() -> None:
    """The TOML-table form makes setuptools warn that it is deprecated."""
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"


def test_readme_documents_every_setting() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    missing = {name for name in SETTINGS if f"`{name}`" not in readme}
    assert not missing, f"README lacks {missing}"
