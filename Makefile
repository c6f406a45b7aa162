# One task runner for humans and CI. `make demo` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FRONTEND_STAMP := src/schakel/web/static/dist/.built
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: help install frontend messages translations demo serve worker test test-sqlite test-postgres lint \
        format typecheck bench docs lock clean

help:
	@echo "make demo       start Schakel with demo data on http://127.0.0.1:8000"
	@echo "make test       run the whole test suite (SQLite, PostgreSQL if reachable, browser)"
	@echo "make lint       ruff lint and format check"
	@echo "make typecheck  mypy --strict on src/"
	@echo "make bench      run the benchmarks in bench/"
	@echo "make lock       re-pin requirements*.lock from pyproject.toml"
	@echo "make translations  collect new texts into the Dutch catalogue"

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Schakel needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Exact pins from the lock files, then the project itself without resolving again.
$(STAMP): $(BIN)/python requirements.lock requirements-dev.lock pyproject.toml
	$(BIN)/pip install --quiet -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

install: $(STAMP) frontend messages

# Front-end packages from the npm registry (package-lock.json), built into static files.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

$(FRONTEND_STAMP): node_modules/.package-lock.json $(shell find frontend -type f 2>/dev/null)
	npm run --silent build
	@touch $@

frontend: $(FRONTEND_STAMP)

messages: $(STAMP)
	cd src/schakel && ../../$(BIN)/django-admin compilemessages --ignore=.venv -v 0

# Collect new texts into the Dutch catalogue (then translate them in src/schakel/locale/nl).
# Tests and the linkage engine's internals are not user-facing text.
translations: $(STAMP)
	cd src/schakel && ../../$(BIN)/django-admin makemessages -l nl --ignore "entities/linkage/*" \
		--ignore "*/tests/*" --ignore ".venv/*"
	msgfmt --statistics -o /dev/null src/schakel/locale/nl/LC_MESSAGES/django.po

# The demo switches two-factor authentication off (the login page says so); production refuses.
demo: export SCHAKEL_REQUIRE_2FA ?= false
demo: install
	$(BIN)/schakel migrate
	$(BIN)/schakel demo --size small --seed 1
	$(BIN)/python scripts/run_demo.py

test: install
	$(BIN)/python scripts/test_legs.py

test-sqlite: install
	$(BIN)/pytest

test-postgres: install
	SCHAKEL_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -m "not browser"

lint: $(STAMP)
	$(BIN)/ruff check src bench scripts
	$(BIN)/ruff format --check src bench scripts

format: $(STAMP)
	$(BIN)/ruff format src bench scripts
	$(BIN)/ruff check --fix src bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy src

BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) requirements-bench.lock
	$(BIN)/pip install --quiet -r requirements-bench.lock
	@touch $@

bench: install $(BENCH_STAMP)
	@# linkage_large.py and intake_matching.py need the large demo's database (see their
	@# docstrings); they are run by hand.
	@for script in bench/*.py; do \
		case $$script in bench/_*|bench/linkage_large.py|bench/intake_matching.py) continue;; esac; \
		echo "== $$script"; $(BIN)/python $$script || exit 1; done

docs: $(STAMP)
	$(BIN)/schakel manage spectacular --file docs/api/openapi.yaml --validate

lock: $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links --output-file=requirements.lock pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links --extra=dev --output-file=requirements-dev.lock pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links --extra=dev --extra=bench --output-file=requirements-bench.lock pyproject.toml

clean:
	rm -rf $(VENV) node_modules src/schakel/web/static/dist .pytest_cache .mypy_cache .ruff_cache
