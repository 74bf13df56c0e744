# intch: `make run` serves the app on http://127.0.0.1:8000, `make test` runs the suite.
# Needs only python3. Everything installs into .venv from the committed lock file.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
LOCK := requirements/dev.lock
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_USERS ?= 300
# The address to open in a browser, printed by `make run` and used in emailed links. HOST=0.0.0.0
# listens on every interface, which is no address to browse to: the loopback one is.
BROWSE_HOST := $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST))
SITE_URL ?= http://$(BROWSE_HOST):$(PORT)
# Commands whose output or data name the app's address (the Sites domain, printed logins).
SITE_MANAGE := SITE_URL=$(SITE_URL) $(MANAGE)
# `make test` measures coverage and fails below the floor in pyproject.toml (fail_under, which
# only rises); COVERAGE= runs the suite without measuring (the services run in .ci/run).
COVERAGE ?= --cov --cov-report=term:skip-covered

.PHONY: run install migrate demo serve test test-fast lint format worker beat clean

run: install migrate demo
	@$(SITE_MANAGE) intch_welcome --url $(SITE_URL)/
	@# daphne's runserver: one ASGI process serving the pages and the live-message WebSockets.
	$(SITE_MANAGE) runserver $(HOST):$(PORT)

install: $(VENV)/.installed

$(VENV)/.installed: $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r $(LOCK)
	@touch $@

migrate: install
	$(SITE_MANAGE) migrate --noinput

demo: migrate
	$(MANAGE) load_taxonomy
	$(MANAGE) seed_demo --users $(DEMO_USERS) --if-empty
	$(SITE_MANAGE) ensure_admin --url $(SITE_URL)/admin/
	$(MANAGE) recompute_matches --if-empty

test: install
	@if [ -x /usr/bin/chromium ]; then \
		echo "Browser tests: running with /usr/bin/chromium"; \
	else \
		echo "Browser tests: SKIPPED (Chromium is not installed: apt-get install -y chromium)"; \
	fi
	$(BIN)/python -m pytest $(COVERAGE) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint --lint templates
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: install
	$(BIN)/celery -A intch worker -l info

beat: install
	$(BIN)/celery -A intch beat -l info

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
