# Portico: two commands on a fresh machine, `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export PORTICO_VAR_DIR ?= $(CURDIR)/var
# `make run RUN_ADDR=127.0.0.1:8001` when port 8000 is taken.
RUN_ADDR ?= 127.0.0.1:8000

.PHONY: run test lint fmt install install-test install-lint system-deps sso-deps kube-bins dex-bin dev-cluster bench screenshots clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-lint: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e '.[lint]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test system-deps

install-lint: $(VENV)/.installed-lint

# slapd and ldap-utils: the users and groups of the tests' and the demo's Dex (sso/localidp.py).
sso-deps:
	@command -v slapd >/dev/null || [ -x /usr/sbin/slapd ] && command -v ldapmodify >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd ldap-utils >/dev/null)

# Debian packages the tests need: Redis for the worker tests, Chromium for the browser tests, OpenLDAP's slapd
# and ldap-utils for the identity provider behind Dex (docs/sso.md).
system-deps: sso-deps
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -x /usr/lib/postgresql/15/bin/initdb ] || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing fonts-dejavu-core >/dev/null; \
	fi

run: install sso-deps
	mkdir -p var/broker/queue var/broker/control var/broker/processed
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py load_demo
	DEBUG=1 $(PY) manage.py runall --addr $(RUN_ADDR)

# kube-apiserver and etcd for the tests' local API server and `make dev-cluster`, and Traefik and cert-manager's
# controller for the data path of the traffic tests and the demo, built from Go modules (tools/kube/, tools/traefik/,
# tools/cert-manager/) once per machine into a cache outside the repo; a no-op when that cache has them (README).
kube-bins:
	@scripts/kube-bins.sh >/dev/null
	@scripts/kube-bins.sh --traffic >/dev/null

# Dex, the tests' and the demo's OpenID Connect provider, built from its Go module (tools/dex/) once per machine
# into a cache outside the repo, like kube-bins (README "Single sign-on"). `make run` builds it in the background.
dex-bin:
	@scripts/dex-bin.sh >/dev/null

# The tests' local API server in the foreground, to try Portico against a real kube-apiserver by hand
# (docs/dev-cluster.md); writes var/dev-cluster/kubeconfig for `manage.py add_cluster` and kubectl. Ctrl-C stops it.
dev-cluster: install kube-bins
	$(PY) -m clusters.devcluster

# Two passes: everything in-process spread over every core, then, one at a time, the tests that start real
# Celery workers on a Redis broker and those that count across tests (serial).
test: install-test kube-bins dex-bin
	scripts/test.sh -m "not worker and not fault and not serial" -n auto $(PYTEST_ARGS)
	PORTICO_WORKER_TESTS=1 scripts/test.sh -m "worker or fault or serial" $(PYTEST_ARGS)

# The checks CI runs before the tests (docs/architecture.md, "Tools"): lint rules, formatting, types, the import
# contracts between the layers. `make fmt` applies the fixable lint findings and the formatting.
lint: install-lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=1 $(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

fmt: install-lint
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Benchmarks (bench/): loopback only, their own database, emulator, local kube-apiserver, gunicorn and worker.
# BENCH_ARGS=--quick for a short run.
bench: install-test kube-bins
	$(PIP) install --quiet -e '.[test,bench]'
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) || echo "wrk not installed: the web benchmark uses its Python load generator"
	scripts/with-services.sh $(PY) -m bench $(BENCH_ARGS)

# Refresh the README's screenshots (docs/screenshots/) from the browser tests.
screenshots: install-test
	PORTICO_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots scripts/test.sh tests/browser -q

clean:
	rm -rf $(VENV) var
