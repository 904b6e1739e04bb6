# The two commands that matter: `make run` (a demo provider on SQLite) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint messages system-deps interop-deps clean

run: $(VENV)/.installed
	$(BIN)/ciam-oidc migrate
	$(BIN)/ciam-oidc demo
	$(BIN)/ciam-oidc serve --host $(HOST) --port $(PORT)

test: $(VENV)/.dev-installed system-deps interop-deps lint
	$(BIN)/pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests migrations conformance
	$(BIN)/ruff format --check src tests migrations conformance
	$(BIN)/mypy src
	$(BIN)/lint-imports

# After changing a message in code or a template: extract them all (babel.cfg says from where),
# then bring the German and Spanish catalogs up to date. New and changed messages show up
# untranslated or fuzzy there, and the test suite fails until someone translates them.
LOCALES := src/ciam_oidc/locales
messages: $(VENV)/.dev-installed
	$(BIN)/pybabel extract -F babel.cfg -o $(LOCALES)/messages.pot --project=ciam-oidc \
		--header-comment="# The messages of ciam-oidc's pages and mail: made by make messages." \
		--add-location=file --sort-by-file --no-wrap -c "Translators:" src
	$(BIN)/pybabel update -i $(LOCALES)/messages.pot -d $(LOCALES) \
		--ignore-obsolete --ignore-pot-creation-date --no-wrap

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

# The suite runs against a throwaway PostgreSQL built from the system's binaries, and its
# interop tests drive Debian's Chromium (installed here only when running as root). One
# `apt-get update` serves both installs.
system-deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="postgresql"; \
	if [ "$$(id -u)" = 0 ] && [ ! -x /usr/bin/chromium ]; then missing="$$missing chromium"; fi; \
	if [ -n "$$missing" ]; then \
		echo "installing system packages: $${missing# }"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

# The interop tests' relying party (openid-client) and browser driver (playwright-core),
# exactly as package-lock.json pins them; reinstalled when the lock file is newer.
INTEROP := tests/interop
interop-deps: $(INTEROP)/node_modules

$(INTEROP)/node_modules: $(INTEROP)/package-lock.json
	cd $(INTEROP) && npm ci --no-audit --no-fund
	touch $@

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
