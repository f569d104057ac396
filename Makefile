# Tirek. Two commands: `make run` installs everything and starts Tirek with demo data on
# http://127.0.0.1:8000; `make test` installs everything and runs the whole test suite.
# Every step is idempotent and quick when already done.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
# uv may use only the system's Python: the machines reach PyPI, but not uv's Python downloads.
export UV_PYTHON_DOWNLOADS := never
# Trust the machine's certificate authorities (a university proxy may re-sign TLS), for uv and npm.
export UV_SYSTEM_CERTS ?= true
ifneq ($(wildcard /etc/ssl/certs/ca-certificates.crt),)
export NODE_EXTRA_CA_CERTS ?= /etc/ssl/certs/ca-certificates.crt
endif
# Always the project's own .venv, even if the caller has another virtualenv active.
unexport VIRTUAL_ENV
UV := $(shell command -v uv 2>/dev/null || echo var/uv/bin/uv)
TIREK := .venv/bin/tirek
# Data directory (database, collected static files, demo logins), as tirek/settings.py reads it.
VAR := $(or $(TIREK_VAR_DIR),var)
PYTEST_ARGS ?= -n 2

.PHONY: help run test lint messages clean install system-deps-run system-deps-test uv venv \
	assets translations static

help:
	@echo "make run       install, migrate, load demo data, start web server + worker on 127.0.0.1:8000"
	@echo "make test      install and run the whole test suite"
	@echo "make lint      ruff check and ruff format --check"
	@echo "make messages  update the kk and ru translation catalogues"
	@echo "make clean     remove installed and generated files (keeps var/ data)"

run: system-deps-run install
	$(TIREK) migrate --noinput
	$(TIREK) demo | tee $(VAR)/demo-logins.txt
	scripts/serve.sh

test: system-deps-test install
	.venv/bin/pytest $(PYTEST_ARGS)

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

messages: venv
	cd tirek && ../.venv/bin/tirek makemessages -l kk -l ru --add-location file \
		--ignore 'static/*' --ignore 'testing/*' --ignore '*/tests/*'

clean:
	rm -rf .venv node_modules var/uv $(VAR)/static .pytest_cache .ruff_cache .hypothesis test-results
	find tirek -name __pycache__ -type d -prune -exec rm -rf {} +
	find tirek/locale -name '*.mo' -delete

install: venv assets translations static

system-deps-run:
	@scripts/system-deps.sh run

system-deps-test:
	@scripts/system-deps.sh test

# uv itself, when it is not on PATH: into var/uv from PyPI (its own installer is not reachable).
uv:
	@if [ ! -x "$(UV)" ]; then \
		echo "Installing uv $(UV_VERSION) into var/uv"; \
		python3 -m venv var/uv && var/uv/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"; \
	fi

venv: uv
	$(UV) sync --frozen --quiet

assets: node_modules/.tirek-installed

# Front-end assets (Bootstrap, bootstrap-icons, htmx) pinned by package-lock.json; no CDN.
node_modules/.tirek-installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

# Compiled catalogues are not committed (*.mo is ignored): compile them when a .po changed.
PO_FILES := $(wildcard tirek/locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)
translations: $(MO_FILES)
ifneq ($(MO_FILES),)
$(MO_FILES) &: $(PO_FILES) | venv
	cd tirek && ../.venv/bin/tirek compilemessages --verbosity 0
	touch $(MO_FILES)
endif

# Collected static files for whitenoise; again only when a source changed.
STATIC_SOURCES := $(shell find tirek -path '*/static/*' -type f -not -name '*.pyc')
static: $(VAR)/static/.tirek-collected

$(VAR)/static/.tirek-collected: $(STATIC_SOURCES) package-lock.json uv.lock | venv assets
	$(TIREK) collectstatic --noinput --verbosity 0
	touch $@
