# The README's commands. Everything installs into .venv; nothing is needed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
export FLASK_APP := wsgi

.PHONY: run test fuzz lint format bench worker beat clean translations screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP) $@

instance:
	mkdir -p instance

# Only an explicit development setting may use the committed development secret.
run worker beat: export APP_ENV = development

run: $(STAMP) | instance
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	$(BIN)/flask run --host 127.0.0.1 --port 5000

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The console's browser tests drive Debian's chromium: browsers cannot be downloaded here, so
# the package is installed when it is missing (as root, through apt-get: CI runs as root).
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "the console's browser tests need Debian's chromium: sudo apt-get install chromium"; \
	  exit 1; fi

test: lint | $(CHROMIUM)
	$(BIN)/pytest

# The console's texts: extract them, update the en/fi/pl/tl catalogs, compile the .mo files
# (committed, so a fresh clone needs no build step; a test holds them to their .po).
translations: $(DEV_STAMP)
	$(BIN)/pybabel extract -F console/babel.cfg -k _l --no-location --omit-header \
	  -o console/translations/messages.pot console
	$(BIN)/pybabel update -i console/translations/messages.pot -d console/translations \
	  --no-fuzzy-matching --width 100
	$(BIN)/pybabel compile -d console/translations

# The README's pictures of the console, taken by its browser test in chromium.
screenshots: $(DEV_STAMP) | $(CHROMIUM)
	mkdir -p docs/screenshots
	CONSOLE_SCREENSHOTS=docs/screenshots $(BIN)/pytest -p no:cacheprovider tests/console/test_browser.py

# Schemathesis against the app on PostgreSQL (TEST_DATABASE_URL) as an admin, staff, a member
# and a till's API key; a fixed seed, a few minutes. Exceptions: tests/fuzz/baseline.toml.
fuzz: $(DEV_STAMP)
	@test -n "$$TEST_DATABASE_URL" || { echo "make fuzz needs TEST_DATABASE_URL (PostgreSQL)"; exit 1; }
	$(BIN)/pytest -m fuzz -p no:logging --tb=short -o timeout=600 tests/fuzz

# bench/analytics.py empties the database it is given and takes about an hour at its full size:
# it runs only when BENCH_DATABASE_URL names one.
bench: $(DEV_STAMP)
	@for b in bench/earn.py bench/passes.py bench/games.py bench/fanout.py bench/soak.py; do \
	  if [ -f $$b ]; then echo "== $$b"; $(BIN)/python $$b || exit 1; fi; done
	@if [ -n "$$BENCH_DATABASE_URL" ]; then echo "== bench/analytics.py"; \
	  $(BIN)/python bench/analytics.py || exit 1; \
	else echo "== bench/analytics.py skipped: set BENCH_DATABASE_URL to a database it may empty"; fi

worker: $(STAMP)
	$(BIN)/celery -A wsgi:celery worker --loglevel INFO

beat: $(STAMP)
	$(BIN)/celery -A wsgi:celery beat --loglevel INFO

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
