# CVAS Registry: `make run` serves the site, `make test` runs the suite, `make bench` the benchmarks.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-sqlite test-postgres bench lint format clean browser-deps messages

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

run: install
	$(BIN)/cvas migrate --noinput
	$(BIN)/cvas seed
	$(BIN)/cvas demo
	@echo "Serving http://$(HOST):$(PORT)/ (the worker runs beside it; Ctrl-C stops both)"
	@trap 'kill 0' EXIT INT TERM; \
	  $(BIN)/cvas worker & \
	  $(BIN)/cvas runserver $(HOST):$(PORT) --noreload

# With TEST_DATABASE_URL the two passes run side by side (the PostgreSQL pass waits on its server
# much of the time): its output is kept in var/test-postgres.log and shown when both have ended.
test: install browser-deps
	@if [ -z "$$TEST_DATABASE_URL" ]; then \
	  $(MAKE) --no-print-directory test-sqlite || exit $$?; \
	  echo "TEST_DATABASE_URL not set: PostgreSQL run skipped"; \
	else \
	  mkdir -p var; \
	  $(MAKE) --no-print-directory test-postgres > var/test-postgres.log 2>&1 & pg=$$!; \
	  $(MAKE) --no-print-directory test-sqlite; sqlite=$$?; \
	  wait $$pg; postgres=$$?; \
	  cat var/test-postgres.log; \
	  echo "== SQLite pass: exit $$sqlite; PostgreSQL pass: exit $$postgres =="; \
	  [ $$sqlite -eq 0 ] && [ $$postgres -eq 0 ]; \
	fi

test-sqlite: install
	@echo "== tests on SQLite =="
	env -u DATABASE_URL $(BIN)/pytest

test-postgres: install
	@echo "== tests on PostgreSQL ($$TEST_DATABASE_URL) =="
	DATABASE_URL="$$TEST_DATABASE_URL" $(BIN)/pytest

# The accessibility check of the browser tests injects axe-core, from the npm registry.
AXE := var/node/node_modules/axe-core/axe.min.js
browser-deps: $(AXE)

$(AXE):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --prefix var/node --no-audit --no-fund --silent axe-core@4; \
	else echo "npm not found: the accessibility check will skip (apt-get install -y npm)"; fi

# Interface text: extract into src/cvas/locale/ur/LC_MESSAGES/django.po, then compile the .mo
# (commit both). Needs GNU gettext (apt-get install -y gettext).
messages: install
	cd src/cvas && ../../$(BIN)/django-admin makemessages -l ur --settings=cvas.config.settings \
	  --ignore='*/migrations/*' --no-location --no-obsolete
	cd src/cvas && ../../$(BIN)/django-admin compilemessages -l ur --settings=cvas.config.settings

# The lookup benchmark needs its references (pytricia, mmdb-writer) and Debian's wrk.
bench: install
	@$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	@command -v wrk >/dev/null 2>&1 || apt-get install -y -qq wrk >/dev/null 2>&1 || \
	  (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq wrk >/dev/null 2>&1) || \
	  echo "wrk could not be installed: the HTTP figure will fail (apt-get install -y wrk)"
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) var/test-*.sqlite3* .pytest_cache .mypy_cache .ruff_cache
