# Parley developer commands. `make` alone lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PARLEY := $(VENV)/bin/parley

# Extra arguments for pytest: make test ARGS="-k inbox -x"
ARGS ?=

.PHONY: help bootstrap run test check demo migrate clean

help: ## list the targets
	@echo "Parley - make targets:"
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z]+):.*## (.*)/  make \1\t\2/' | expand -t 18

bootstrap: ## create .venv, install requirements.lock + parley, ensure Debian chromium
	bash scripts/bootstrap

run: bootstrap ## serve Parley on SQLite with demo data (prints a sign-in)
	$(PARLEY) serve --demo

test: ## bootstrap, services, pytest (scripts/test; pytest args via ARGS=...)
	bash scripts/test $(ARGS)

check: bootstrap ## ruff check, ruff format --check, mypy
	bash scripts/check

demo: bootstrap ## migrate and load the demo data without serving
	$(PARLEY) demo

migrate: bootstrap ## apply database migrations (PARLEY_DATABASE_URL, default SQLite parley.db)
	$(PARLEY) migrate

clean: ## remove .venv, parley.db*, caches and build output
	rm -rf $(VENV) parley.db parley.db-* .mypy_cache .ruff_cache .pytest_cache .hypothesis \
		build dist *.egg-info test-artifacts
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
