# CVAS Registry: `make run` serves the site, `make test` runs the suite, `make bench` the benchmarks.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-sqlite test-postgres bench lint format clean

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

test: install
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	  else echo "TEST_DATABASE_URL not set: PostgreSQL run skipped"; fi

test-sqlite: install
	@echo "== tests on SQLite =="
	env -u DATABASE_URL $(BIN)/pytest

test-postgres: install
	@echo "== tests on PostgreSQL ($$TEST_DATABASE_URL) =="
	DATABASE_URL="$$TEST_DATABASE_URL" $(BIN)/pytest

bench: install
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
