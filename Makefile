# HWMS — the two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
# make run is the embedded mode whatever the shell exports: SQLite, eager Celery, DEBUG on.
HOST ?= 127.0.0.1
PORT ?= 8000
# QR codes and e-mail links point at the address actually served (make run PORT=8101).
DEV_ENV = env -u DATABASE_URL -u REDIS_URL DEBUG=1 SITE_URL=http://$(HOST):$(PORT)

.PHONY: run test install setup messages lint worker clean mutation

$(STAMP): requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# Migrate and load the reference data (provinces, wards, catalogs); idempotent.
setup: install
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py load_reference_data

# Embedded mode: SQLite, eager Celery, console e-mail, Django's development server.
run: setup
	$(DEV_ENV) $(PY) manage.py load_demo_data
	$(DEV_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

# The whole suite. Uses PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set (CI), SQLite otherwise.
test: install
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

# Mutation testing of the access policy and the status machine (docs/testing.md; setup.cfg [mutmut]), on SQLite.
# Not part of `make test`: about an hour on two cores. `make mutation MUTANTS="manifests.rules.*"` runs some.
MUTANTS ?= manifests.rules.* accounts.policy.x_scope_for__* accounts.policy.x_role_in__* \
	accounts.policy.x__member_site_q__* accounts.policy.x_site_q__* accounts.policy.x_actable_sites__* \
	accounts.policy.x_acts_at__* accounts.policy.x__party_q__* accounts.policy.x_manifest_q__* \
	accounts.policy.x__shared_q__* accounts.policy.x_parties_q__* \
	accounts.policy.x_organisations_with__* manifests.services.drafts.x__check_parties__* \
	manifests.services.drafts.x__transport_refusal__*
mutation: install
	rm -rf mutants
	env -u DATABASE_URL -u REDIS_URL $(VENV)/bin/mutmut run --max-children 2 $(foreach m,$(MUTANTS),"$(m)")
	$(VENV)/bin/mutmut results

messages: install
	$(DEV_ENV) $(PY) manage.py makemessages -l vi --ignore=.venv --ignore=staticfiles --no-location
	$(DEV_ENV) $(PY) manage.py compilemessages -l vi --ignore=.venv

lint: install
	$(VENV)/bin/ruff check .

worker: install
	$(PY) -m celery -A hwms worker -l info

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
