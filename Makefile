# Two commands matter: `make run` and `make test`. Everything else is a helper they use.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/playground
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0
# What development needs; production sets its own environment (see .env.example).
DEV_ENV := DEBUG=1

.PHONY: run test lint fmt bench migrate catalog venv deps test-deps chromium xmlsec1 node-deps check clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when the pinned requirements change.
$(VENV)/.deps: requirements.txt | $(VENV)/bin/activate
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-deps: requirements-dev.txt requirements.txt | $(VENV)/bin/activate
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.deps

venv: $(VENV)/.deps
deps: $(VENV)/.deps
test-deps: $(VENV)/.test-deps chromium xmlsec1 node-deps

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# SAML sign-in checks signatures with xmlsec1 (pysaml2 runs it): the tests, and `make run`
# when a SAML identity provider is configured.
xmlsec1:
	@command -v xmlsec1 >/dev/null 2>&1 || { \
	  echo "Installing Debian's xmlsec1 for SAML sign-in..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xmlsec1 >/dev/null; }

tests/js/node_modules/.installed: tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund --loglevel=error
	touch $@

node-deps: tests/js/node_modules/.installed

migrate: deps
	$(PY) manage.py migrate --noinput

catalog: migrate
	$(PY) manage.py import_schemas --bundled

run: catalog $(if $(SAML_1_METADATA_URL)$(SAML_1_METADATA_FILE),xmlsec1)
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo ""
	@echo "  Playground is starting on http://$(HOST):$(PORT)/  (backend: $${FAL_KEY:+fal.ai}$${FAL_KEY:-local fal emulator})"
	@echo ""
	$(DEV_ENV) $(VENV)/bin/daphne -b $(HOST) -p $(PORT) playground.asgi:application

lint: $(VENV)/.test-deps
	$(VENV)/bin/ruff check playground tests bench
	$(VENV)/bin/ruff format --check playground tests bench
	$(PY) manage.py makemigrations --check --dry-run

fmt: $(VENV)/.test-deps
	$(VENV)/bin/ruff check --fix playground tests bench
	$(VENV)/bin/ruff format playground tests bench

# The whole suite twice, side by side (tests/passes.py): on the defaults (SQLite, in-memory
# layer, local disk), and as production runs (Postgres + Redis when both answer on
# localhost, media in an S3 bucket of a local moto server).
test: test-deps lint
	@# TEST_PASSES_AT_ONCE=1 runs the passes one after another. Extra pytest arguments: PYTEST_ARGS.
	PG_URL=$(PG_URL) REDIS_TEST_URL=$(REDIS_TEST_URL) $(PY) tests/passes.py $(PYTEST_ARGS)

bench: test-deps
	$(PY) bench/run.py
	$(PY) bench/generations.py
	-$(PY) bench/gallery.py  # needs Postgres (BENCH_PG_URL); skipped if it fails
	-$(PY) bench/usage.py  # needs Postgres (BENCH_PG_URL); skipped if it fails
	$(PY) bench/realtime.py
	$(PY) bench/gateway.py
	$(PY) bench/experiments.py
	$(PY) bench/storage.py

clean:
	rm -rf $(VENV) tests/js/node_modules
