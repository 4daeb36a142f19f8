# The two commands: `make run` serves the site, `make test` runs the whole suite.
# Both set up everything they need (.venv, dependencies, translations, database).

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Links in emails and the API use SITE_URL; locally that is where `make run` serves.
SITE_URL ?= http://127.0.0.1:$(PORT)
export PORT SITE_URL
# The secret key: DJANGO_SECRET_KEY when it is set, else the key generated once for this
# checkout in .secret_key (ignored by git). Read by the shell, so it is never echoed.
# The transparency log's Ed25519 signing key likewise: LOG_SIGNING_KEY, else .log_signing_key;
# and the receipts' signing key: RECEIPT_SIGNING_KEY(_FILE), else .receipt_key.
WITH_KEY = DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat .secret_key)}" \
	LOG_SIGNING_KEY="$${LOG_SIGNING_KEY:-$$(cat .log_signing_key)}" \
	RECEIPT_SIGNING_KEY_FILE="$${RECEIPT_SIGNING_KEY_FILE:-$(CURDIR)/.receipt_key}"

.PHONY: run test bench messages static migrate lint clean

$(VENV)/bin/activate:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) is required (set PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt $(VENV)/bin/activate
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.test: requirements-test.txt requirements.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

# Compiled catalogues are built with Babel, so no gettext tools are needed.
messages: $(VENV)/.runtime
	$(VENV)/bin/pybabel compile --domain django --directory locale --statistics 2>&1 | grep -v "^$$" || true
	@for po in locale/*/LC_MESSAGES/django.po; do test -f "$${po%.po}.mo" || { echo "make: $${po%.po}.mo was not built"; exit 1; }; done

.secret_key:
	@umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	@echo "make: generated a secret key for this checkout in $@"

# The Ed25519 keys of the transparency log and of acceptance receipts, generated once per
# checkout by the module that reads and checks every key (legal/signing_keys.py), as PEM.
# Production sets LOG_SIGNING_KEY, and RECEIPT_SIGNING_KEY or RECEIPT_SIGNING_KEY_FILE.
.log_signing_key .receipt_key: $(VENV)/.runtime
	@umask 077 && $(PY) -m legal.signing_keys > $@.tmp && mv $@.tmp $@
	@echo "make: generated an Ed25519 signing key for this checkout in $@"

static: $(VENV)/.runtime .secret_key .log_signing_key .receipt_key
	$(WITH_KEY) $(PY) manage.py collectstatic --noinput --verbosity 0

migrate: $(VENV)/.runtime messages .secret_key .log_signing_key .receipt_key
	$(WITH_KEY) $(PY) manage.py migrate --noinput --verbosity 1
	$(WITH_KEY) $(PY) manage.py load_terms
	$(WITH_KEY) $(PY) manage.py backfill_evidence

run: migrate static
	$(WITH_KEY) $(VENV)/bin/gunicorn --config gunicorn.conf.py

test: $(VENV)/.test messages
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.test messages static .receipt_key
	$(WITH_KEY) $(PY) bench/run.py $(BENCH_ARGS)

lint: $(VENV)/.test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 db.sqlite3-* locale/*/LC_MESSAGES/*.mo
