# The two commands that matter: `make run` (a demo provider on SQLite) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint unit system-deps clean

run: $(VENV)/.installed
	$(BIN)/ciam-oidc migrate
	$(BIN)/ciam-oidc demo
	$(BIN)/ciam-oidc serve --host $(HOST) --port $(PORT)

test: $(VENV)/.dev-installed system-deps lint
	$(BIN)/pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests migrations
	$(BIN)/ruff format --check src tests migrations
	$(BIN)/mypy src
	$(BIN)/lint-imports

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) || { apt-get update && apt-get install -y python3-venv \
		&& $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(VENV)/bin/python
	$(BIN)/pip install --quiet -e '.[postgres]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/bin/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

# The suite runs against a throwaway PostgreSQL built from the system's binaries.
system-deps:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		echo "installing PostgreSQL server binaries"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; }

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
