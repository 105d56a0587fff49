# Parallax: two commands for a fresh machine (Debian/Ubuntu, Python 3.11+).
#   make run    set up, load the demo story and serve on http://127.0.0.1:8000
#   make test   the whole suite, browser tests included (plus `make check`)
# PostgreSQL is found or started by config/localdb.py (see README.md).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.requirements-installed
HOST := 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS ?=
CHROMIUM := /usr/bin/chromium
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y

# Sets DATABASE_URL in a recipe's shell. Assign, then export: `export X="$(cmd)"` would hide a
# failure of cmd.
define database_url
DATABASE_URL="$$($(PY) -m config.localdb)"
export DATABASE_URL
endef

# Installs Debian's package $(2) unless the command $(1) is there (as root), or says how to.
define debian_package
if ! command -v $(1) >/dev/null; then
  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> Installing Debian's $(2) for $(3)"
    apt-get update
    $(APT_INSTALL) $(2)
  else
    echo "Debian's $(2) is needed for $(3): sudo apt-get install $(2)" >&2
    exit 1
  fi
fi
endef

.PHONY: help run test check check-deploy bench clean stop-db deps chromium nginx wrk

help:
	@echo "make run      set up .venv and Postgres, load the demo, serve on http://$(HOST):$(PORT)"
	echo "make test     makemigrations --check, pytest (browser tests too) and make check"
	echo "make check    manage.py check --deploy with production-like settings"
	echo "make check-deploy  the nginx configuration of docs/deployment.md, run and checked"
	echo "make bench    the benchmarks (bench/run_all.py; BENCH_ARGS=--quick for a smoke run)"
	echo "make stop-db  stop the private PostgreSQL cluster in .pgdata, if one is running"
	echo "make clean    remove collected static files and caches (keeps .venv and .pgdata)"

# --- setup ----------------------------------------------------------------------------------

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
	  echo "Parallax needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -V 2>&1)." >&2; exit 1; }
	if ! $(PYTHON) -c 'import venv, ensurepip' 2>/dev/null; then
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	    echo "==> Installing python3-venv"
	    apt-get update
	    $(APT_INSTALL) python3-venv
	  else
	    echo "Python's venv module is missing: sudo apt-get install python3-venv" >&2; exit 1
	  fi
	fi
	echo "==> Creating $(VENV)"
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)

# Reinstall only when requirements.txt is newer than the stamp.
$(STAMP): requirements.txt | $(PY)
	@echo "==> Installing requirements into $(VENV)"
	$(PY) -m pip install --disable-pip-version-check -r requirements.txt
	touch $@

deps: $(STAMP)

chromium:
	@$(call debian_package,$(CHROMIUM),chromium,the browser tests)

# tests/test_deploy.py runs deploy/nginx-parallax.conf in front of the two production servers.
nginx:
	@$(call debian_package,nginx,nginx,the test of the load balancer configuration)

# --- the two commands -----------------------------------------------------------------------

run: deps
	@$(database_url)
	# Local use only: DEBUG is off unless set (config/settings.py), and make run sets it.
	export DEBUG=1
	echo "==> DEBUG=1 (local development: technical error pages, a fixed development key)."
	echo "    A public server runs with DEBUG unset and its own SECRET_KEY (docs/deployment.md)."
	echo "==> Database: $$DATABASE_URL"
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) load_demo
	echo
	echo "==> Parallax is at http://$(HOST):$(PORT)/  (Ctrl-C stops it; make stop-db stops Postgres)"
	echo
	# One server, one URL: pages through Django's WSGI handler, the live stream through its ASGI
	# handler (config/serve.py, config/dispatch.py).
	exec $(PY) -m config.serve --host $(HOST) --port $(PORT)

test: deps chromium nginx check
	@$(database_url)
	echo "==> Database: $$DATABASE_URL (the suite makes its own test database)"
	DJANGO_SETTINGS_MODULE=config.test_settings $(MANAGE) makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

# --- the rest -------------------------------------------------------------------------------

check: deps
	@echo "==> manage.py check --deploy (DEBUG=0, random SECRET_KEY, ALLOWED_HOSTS=example.org)"
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')"
	DEBUG=0 SECRET_KEY="$$SECRET_KEY" ALLOWED_HOSTS=example.org \
	  $(MANAGE) check --deploy --fail-level WARNING

# The benchmarks drive load with wrk (bench/wrk.py says why).
wrk:
	@$(call debian_package,wrk,wrk,the benchmarks)

# The production split behind nginx (docs/deployment.md), on its own.
check-deploy: deps nginx
	@$(database_url)
	$(PY) -m pytest tests/test_deploy.py -p no:cacheprovider $(PYTEST_ARGS)

bench: deps wrk
	@$(database_url)
	$(PY) bench/run_all.py $(BENCH_ARGS)

stop-db:
	@$(PYTHON) -m config.localdb --stop

clean:
	rm -rf staticfiles .pytest_cache .ruff_cache test-results
	find . \( -path ./.venv -o -path ./.pgdata -o -path ./.git \) -prune \
	  -o -type d -name __pycache__ -exec rm -rf {} +
