# make run  - set up (idempotently) and start the server on SQLite and the local CometChat emulator
# make test - set up and run every test (unit, integration, PostgreSQL, Redis, browser)
# make bench - load and latency benchmarks (never part of make test)
# make lint - ruff, mypy and the import contracts (lint-imports)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SDK_VERSION := 4.2.0
SDK_DIR := var/web-sdk
SDK_STAMP := $(SDK_DIR)/.installed-$(SDK_VERSION)

.PHONY: run test bench lint setup sdk emulator clean

setup: $(STAMP) sdk

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The CometChat JS SDK is installed from npm, never committed (its licence). Without npm the
# demo page still signs in and says the SDK is missing.
sdk: $(SDK_STAMP)

$(SDK_STAMP):
	@if command -v npm >/dev/null 2>&1; then \
		mkdir -p $(SDK_DIR) && \
		npm install --silent --no-audit --no-fund --prefix $(SDK_DIR) @cometchat/chat-sdk-javascript@$(SDK_VERSION) && \
		touch $@; \
	else \
		echo "npm not found: the demo page will run without the CometChat SDK"; \
	fi

run: setup
	$(BIN)/cometchat-auth serve

emulator: $(STAMP)
	$(BIN)/cometchat-auth emulator

test: setup
	$(BIN)/lint-imports --no-logo
	$(BIN)/pytest

# The bench's peers (the tutorial's Express server, the upstream stub) come from npm, pinned by
# bench/package-lock.json; wrk from Debian's packages.
BENCH_NODE := bench/node_modules/.installed

bench: setup $(BENCH_NODE)
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m bench

$(BENCH_NODE): bench/package.json bench/package-lock.json
	npm ci --silent --no-audit --no-fund --prefix bench
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .import_linter_cache bench/node_modules
