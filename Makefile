# Every target creates .venv and installs the project (with its dev and fast extras) when needed,
# so `make run` and `make test` work from a clean clone. Dependencies come from
# requirements-dev.lock (exact versions with hashes; the Docker image uses requirements.lock);
# `make lock` writes both again from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
LOCK_OPTIONS := --universal --python-version 3.11 --generate-hashes --quiet --custom-compile-command 'make lock'
CATALOGS := $(wildcard locales/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: install lock run test lint format migrate migration check-migrations catalogs extract bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml requirements-dev.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(INSTALLED)

install: $(INSTALLED)

# After changing dependencies in pyproject.toml: exact versions for every platform and
# Python 3.11+, with hashes. Commit both files.
lock: $(INSTALLED)
	$(BIN)/uv pip compile pyproject.toml $(LOCK_OPTIONS) --extra fast -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml $(LOCK_OPTIONS) --extra fast --extra dev -o requirements-dev.lock

# gettext catalogs: compiled from locales/<lang>/LC_MESSAGES/messages.po (the .mo files
# are build output, not committed).
locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po $(INSTALLED)
	$(BIN)/pybabel compile --statistics -i $< -o $@

catalogs: $(COMPILED)

# Refresh the catalogs after changing user-facing strings.
extract: $(INSTALLED)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k __ -k N_ --no-location --sort-output -o locales/messages.pot .
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete
	@# English is the source language: its catalog repeats every msgid (both plural forms).
	$(BIN)/python -c 'from babel.messages.pofile import read_po, write_po; \
	p = "locales/en/LC_MESSAGES/messages.po"; c = read_po(open(p, "rb"), locale="en"); \
	stale = [m for m in c if m.id and (m.fuzzy or m.string != m.id)]; \
	[(setattr(m, "string", m.id), m.flags.discard("fuzzy")) for m in stale]; \
	write_po(open(p, "wb"), c, sort_output=True, omit_header=False, width=100)'

run: install catalogs
	$(BIN)/python run.py

test: install catalogs
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: install
	$(BIN)/python -m db.migrate upgrade

# Writes the next migration for PostgreSQL and SQLite: make migration NAME=add_foo
migration: install
	@test -n "$(NAME)" || { echo "usage: make migration NAME=what_changed"; exit 2; }
	$(BIN)/python -m db.migrate make $(NAME)

check-migrations: install
	$(BIN)/python -m db.migrate check

# Benchmarks (not run by CI): each bench/<name>.py prints one JSON line of figures.
bench: install catalogs
	@set -e; found=0; for f in bench/[!_]*.py; do \
		[ -e "$$f" ] || continue; found=1; \
		m=$$(basename $$f .py); echo "== bench.$$m"; $(BIN)/python -m bench.$$m; \
	done; [ $$found = 1 ] || echo "no benchmarks in bench/ yet"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache $(COMPILED)
