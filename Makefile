# Cimahi public-services platform. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY ?= $(shell command -v python3.11 || command -v python3)
# The real interpreter behind any shim, so every uv call agrees on it (else uv recreates .venv).
PYTHON ?= $(shell $(PY) -c 'import sys; print(sys.executable)')
UV_BOOT := .tools/uv/bin/uv
UV := $(or $(shell command -v uv 2>/dev/null),$(UV_BOOT))
# Never let uv download an interpreter: use the machine's Python 3.11+.
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
export UV_LINK_MODE := copy
RUN := $(UV) run --frozen
# The suite runs on TEST_WORKERS processes (pytest-xdist), whole test files per worker so a
# module's platform (e2e) starts once; TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
XDIST := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

.PHONY: help install run test test-fast lint format typecheck migrate seed clean bench bench-quick

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(UV_BOOT):
	@echo "uv not found: installing it into .tools/uv (one time)"
	@$(PYTHON) -m venv .tools/uv
	@.tools/uv/bin/pip install --quiet --disable-pip-version-check uv

install: $(if $(shell command -v uv 2>/dev/null),,$(UV_BOOT)) ## Install every member and dev tool into .venv
	@$(UV) sync --frozen --quiet

run: install ## Start the whole platform locally (NATS, services, gateway on :8000); Ctrl-C stops it
	@$(RUN) cimahi run

test: install ## Run the whole test suite (PostgreSQL tests skip without PostgreSQL unless CIMAHI_REQUIRE_POSTGRES=1)
	@$(RUN) pytest $(XDIST) $(PYTEST_ARGS)

test-fast: install ## Run the tests without the end-to-end ones
	@$(RUN) pytest $(XDIST) -m "not e2e" $(PYTEST_ARGS)

lint: install ## ruff format check, ruff, mypy --strict, import-linter
	@$(RUN) ruff format --check .
	@$(RUN) ruff check .
	@$(RUN) mypy shared/src gateway/src services/lakami/src services/dilandacinta/src services/epbb/src services/sipinter/src
	@$(RUN) lint-imports

format: install ## Format and auto-fix the code
	@$(RUN) ruff format .
	@$(RUN) ruff check --fix .

typecheck: install ## mypy --strict only
	@$(RUN) mypy shared/src gateway/src services/lakami/src services/dilandacinta/src services/epbb/src services/sipinter/src

migrate: install ## Apply every member's migrations to its local SQLite database
	@$(RUN) cimahi migrate

seed: install ## Load demo data into the local databases
	@$(RUN) cimahi seed

bench: install ## Benchmarks P1-P5 on real processes (~25 min; installs wrk/nginx via apt when missing unless BENCH_ARGS=--no-install); writes bench/results/
	@$(RUN) python -m bench $(BENCH_ARGS)

bench-quick: install ## Short benchmark run for development (~3 min)
	@$(RUN) python -m bench --quick $(BENCH_ARGS)

clean: ## Remove local state (var/) and the virtual environment
	rm -rf var .venv .tools
