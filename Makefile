# Two entry points: `make run` (portal with demo data) and `make test` (lint, types, the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint a11y bench bench-smoke bench-compare bench-tools clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@# The relay beside the server, as in production: it delivers the notices (to the console).
	$(BIN)/python manage.py relay_outbox --loop & relay=$$!; trap 'kill $$relay 2>/dev/null' EXIT INT TERM; \
		$(BIN)/python manage.py runserver 127.0.0.1:8000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(STAMP) lint
	$(BIN)/mypy .
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

# The accessibility audit: axe-core and Lighthouse on every page, as every kind of user, in both
# languages, standard and elderly mode, phone and desktop (tools/a11y/audit.py; needs chromium and npm).
# Demo data goes into DATABASE_URL's database (or A11Y_DATABASE_URL's), or the embedded one.
a11y: $(STAMP)
	$(BIN)/python tools/a11y/audit.py $(A11Y_ARGS)

# The load tools come from Debian: wrk drives HTTP, pgbench measures PostgreSQL's own limit.
bench-tools:
	@command -v wrk >/dev/null && command -v pgbench >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk postgresql-client >/dev/null)

# The collection season on a province-sized world (bench/RESULTS.md); needs PostgreSQL and Redis.
bench: $(STAMP) bench-tools
	$(BIN)/python bench/run.py --write-results

# The same run on a small world, in about a minute: what CI runs.
bench-smoke: $(STAMP) bench-tools
	$(BIN)/python bench/run.py --smoke

# Two commits in one run on this machine, the working tree after BEFORE: make bench-compare BEFORE=00da901
bench-compare: $(STAMP) bench-tools
	$(BIN)/python bench/compare.py --before $(BEFORE)

clean:
	rm -rf $(VENV) .pgdata staticfiles
