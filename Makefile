# Clinic: `make run` serves the app on http://127.0.0.1:8000, `make test` runs everything.
# Both set up what they need: a virtualenv, the requirements, the database and its roles.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: ha ha-stop run test setup db lint test-tools docs docs-check screenshots bench bench-small bench-http bench-sms bench-webhooks bench-fairness soak openapi stop-db clean-db

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
	DEBUG=$${DEBUG:-true} WEBHOOK_ALLOW_PRIVATE_URLS=$${WEBHOOK_ALLOW_PRIVATE_URLS:-true} \
		CALENDAR_FETCH_ALLOW_LOOPBACK=$${CALENDAR_FETCH_ALLOW_LOOPBACK:-true} \
		$(PY) scripts/serve.py $(HOST) $(PORT)

# A pg_auto_failover formation (monitor, primary, synchronous standby on ports 5450-5452,
# data in .data/ha), migrated and seeded, and two app nodes (8011, 8012) behind HAProxy on
# http://127.0.0.1:8010, all in the background (docs/operations/high-availability.md).
# Debian's pg_auto_failover and HAProxy are installed as `make test` installs its tools.
# ha-stop stops it all.
ha: setup
	bash scripts/ha/up.sh

ha-stop:
	bash scripts/ha/down.sh

# lint-imports: the layers and no cycles inside a package (pyproject.toml, docs/architecture/layout.md).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	PYTHONPATH=. $(VENV)/bin/lint-imports

test-tools:
	@bash scripts/ensure_test_tools.sh

# The suite in TEST_WORKERS processes (pytest-xdist), each with a test database of its
# own; the browser tests share one worker, their server and its database set up once
# (tests/conftest.py). It waits on the database and subprocesses more than on the CPU,
# so more workers than cores pay (bench/RESULTS.md, "Test suite"). TEST_WORKERS=0: one process.
TEST_WORKERS ?= 3

test: setup test-tools lint docs-check
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadgroup

# The documentation site (mkdocs.yml, docs/). docs serves it while pages are edited;
# docs-check builds it with --strict into .site/ (git-ignored), so a broken link or
# anchor fails make test. Neither fetches anything.
docs: setup
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve -a 127.0.0.1:8001

docs-check: setup
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

# Retake the screenshots in docs/screenshots (the browser tests only; `make test` leaves them be).
screenshots: setup test-tools
	WRITE_SCREENSHOTS=1 $(VENV)/bin/pytest tests/e2e

# The platform at scale (bench/scale.py, about 22 minutes with 1,000 clinics), then the
# focused benchmarks, the worker's SMS and webhook rates last. bench-small: 50 clinics,
# about 7 minutes. ARGS go to bench.scale. (bench/run.py, the first benchmark on 20
# clinics, runs on its own: bench.scale's part a replaced it.)
bench: setup
	$(PY) -m bench.scale $(ARGS)
	$(PY) -m bench.api_list
	$(PY) -m bench.audit_pages
	$(PY) -m bench.tenant_proof
	$(PY) -m bench.sms_worker
	$(PY) -m bench.webhook_worker
	$(PY) -m bench.fairness

bench-small: setup
	$(PY) -m bench.scale --small $(ARGS)

# Regenerate the committed OpenAPI description after changing the API (a test fails
# while docs/openapi.yaml differs from what the code describes).
openapi: setup
	$(PY) manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml

# A signed-in request over HTTP (gunicorn, 8 users) against the anonymous /healthz of the
# same run: the signed-in floor, the day view of a full day and /patients/ (bench/http.py).
bench-http: setup
	$(PY) -m bench.http $(ARGS)

# The worker's rates with real worker processes, one then two: SMS confirmations, and
# event webhook deliveries to a loopback receiver that checks every signature.
bench-sms: setup
	$(PY) -m bench.sms_worker

bench-webhooks: setup
	$(PY) -m bench.webhook_worker

# One clinic's 15 webhook endpoints that never answer against another clinic's event
# and "Send confirmation now": both must go out within 5 s (the workers as `make run` starts them).
bench-fairness: setup
	$(PY) -m bench.fairness

# Isolation and recovery under load, and bad input (bench/soak, docs/operations/soak.md), then
# part 6, a pg_auto_failover primary crashing under load (docs/operations/high-availability.md):
# about 15 minutes.
# SOAK_ARGS=--short: 15 s of load instead of 60; e.g. SOAK_ARGS="--parts 1,3" for some parts.
soak: setup
	$(PY) -m bench.soak $(SOAK_ARGS)

# The embedded PostgreSQL (data in .data/pg; not used with DATABASE_URL) keeps running
# after `make run` ends. stop-db stops it for sure; clean-db stops it, then deletes its data.
stop-db:
	$(PYTHON) scripts/embedded_db.py stop

clean-db:
	$(PYTHON) scripts/embedded_db.py delete
