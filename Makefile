# Erlen's developer commands. GNU make; needs only python3 and make on a fresh Debian machine.
#   make demo   serve the example app at http://127.0.0.1:5000 (Ctrl-C stops it)
#   make test   lint, type-check, our tests, then Flask's own suite against Erlen
# `make help` lists everything.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BENCH_VENV ?= .venv-bench
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BENCH_STAMP := $(BENCH_VENV)/.installed
PIP_FLAGS ?= --quiet --disable-pip-version-check

# Installed into $(VENV) next to `pip install -e .[dotenv,async]`. Add server and browser test deps here.
# pytest < 9.1: Flask 3.1.3's suite imports `_pytest.monkeypatch.notset`, gone in later pytest
# (Flask's own lock file tests with 9.0.2). greenlet lets Flask's greenlet context tests run;
# orjson lets the tests of the opt-in `speedups` JSON provider run.
TEST_DEPS ?= 'pytest>=8.4,<9.1' ruff mypy python-dotenv asgiref greenlet orjson uvicorn hypercorn granian gunicorn httpx websockets selenium hypothesis \
  WTForms SQLAlchemy cachelib aniso8601 pytz six msgspec alembic limits ordered-set PyJWT Babel brotli backports.zstd semantic-version \
  python-dateutil cryptography
# Flask extensions that tests/test_extensions.py runs on Erlen. Installed with --no-deps so that Flask itself
# never enters $(VENV): `import flask` there must mean Erlen (their other dependencies are in TEST_DEPS).
EXTENSION_DEPS ?= Flask-Login==0.6.3 Flask-WTF==1.3.0 Flask-SQLAlchemy==3.1.1 flask-cors==6.0.5 Flask-Caching==2.5.1 \
  Flask-RESTful==0.3.10 Flask-Session==0.8.0 Flask-Migrate==4.1.0 Flask-Limiter==4.1.1 Flask-JWT-Extended==4.7.4 \
  Flask-Admin==2.2.1 flask-babel==4.0.0 Flask-HTTPAuth==4.8.1 Flask-Compress==1.25 flask-talisman==1.1.0
# Installed into $(BENCH_VENV) next to Erlen, plus bench/requirements.txt when it exists.
BENCH_DEPS ?= Flask==3.1.3 bottle falcon granian

LINT_PATHS := $(wildcard src tests bench examples)
PYTEST_ARGS ?=
PYTEST_TIMEOUT ?= 600
# Flags for the Flask conformance run: `--tutorial` also runs Flask's tutorial example tests, `--extensions` the
# own test suites of the extensions in tests/flask_suite/run.py: EXTENSION_SUITES.
FLASK_SUITE_FLAGS ?= --tutorial --extensions
# Developers: `make conformance FLASK_SUITE_ARGS="tests/test_views.py -k method"`.
FLASK_SUITE_ARGS ?=

# The app `make demo` serves (anything `erlen --app` takes; examples/notes has a `create_app` factory).
DEMO_APP ?= examples/notes
DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 5000

# sudo only when not root (fresh containers often have no sudo and run as root).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help test lint format typecheck pytest conformance demo bench bench-smoke bench-tools venv clean distclean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

# ---- environments ------------------------------------------------------------------------------------

# Debian's python3 lacks venv support until python3-venv is installed; install it once if needed.
define make_venv
	if ! $(PYTHON) -m venv $(1) 2>/dev/null; then \
	  echo "python3 -m venv failed; installing python3-venv with apt-get"; \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y python3-venv; \
	  rm -rf $(1) && $(PYTHON) -m venv $(1); \
	fi
endef

$(PY):
	$(call make_venv,$(VENV))

# Reinstalled whenever pyproject.toml or this Makefile (the dependency lists) change.
$(STAMP): pyproject.toml Makefile | $(PY)
	$(PY) -m pip install $(PIP_FLAGS) -e '.[dotenv,async]' $(TEST_DEPS)
	$(PY) -m pip install $(PIP_FLAGS) --no-deps $(EXTENSION_DEPS)
	@touch $@

venv: $(STAMP) ## create .venv with Erlen (editable) and the test tools

$(BENCH_VENV)/bin/python:
	$(call make_venv,$(BENCH_VENV))

$(BENCH_STAMP): pyproject.toml Makefile $(wildcard bench/requirements.txt) | $(BENCH_VENV)/bin/python
	$(BENCH_VENV)/bin/python -m pip install $(PIP_FLAGS) -e . $(BENCH_DEPS) \
	  $(if $(wildcard bench/requirements.txt),-r bench/requirements.txt)
	@touch $@

# ---- the two commands ----------------------------------------------------------------------------------

test: lint typecheck pytest conformance bench-smoke ## everything: lint, mypy, our tests, Flask's suite, bench apps
	@echo "make test: all checks passed"

# Uses the erlen CLI when it exists, else imports the file and calls app.run().
demo: $(STAMP) ## serve the example app (DEMO_APP) at http://127.0.0.1:5000 until Ctrl-C
	@echo "serving $(DEMO_APP) at http://$(DEMO_HOST):$(DEMO_PORT)  (Ctrl-C to stop)"
	@if [ -x $(VENV)/bin/erlen ] && $(PY) -c 'import erlen.cli' 2>/dev/null; then \
	  exec $(VENV)/bin/erlen --app $(DEMO_APP) run --host $(DEMO_HOST) --port $(DEMO_PORT); \
	else \
	  exec $(PY) -c 'import runpy, sys; sys.path.insert(0, sys.argv[1].rpartition("/")[0] or "."); \
	runpy.run_path(sys.argv[1])["app"].run(host=sys.argv[2], port=int(sys.argv[3]))' \
	    $(DEMO_APP) $(DEMO_HOST) $(DEMO_PORT); \
	fi

# ---- the parts of `make test` --------------------------------------------------------------------------

lint: $(STAMP) ## ruff check + ruff format --check
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

format: $(STAMP) ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix $(LINT_PATHS)
	$(VENV)/bin/ruff format $(LINT_PATHS)

typecheck: $(STAMP) ## mypy --strict src/erlen
	$(VENV)/bin/mypy --strict src/erlen

pytest: $(STAMP) ## Erlen's own tests (tests/, without tests/flask_suite)
	timeout --foreground -k 10 $(PYTEST_TIMEOUT) $(PY) -m pytest $(PYTEST_ARGS)

conformance: $(STAMP) ## Flask 3.1.3's own tests against Erlen, checked against expected_failures.txt
	$(PY) tests/flask_suite/run.py $(FLASK_SUITE_FLAGS) $(FLASK_SUITE_ARGS)

# ---- browser for the end-to-end tests (tests/e2e) ------------------------------------------------------

# Debian's chromium and the chromedriver built with it, so driver and browser always match; Selenium
# (in TEST_DEPS) drives them and nothing is downloaded at test time. apt-get runs only if one is missing.
BROWSER_PACKAGES := chromium chromium-driver

.PHONY: browser-deps
browser-deps: ## install Debian's chromium + chromium-driver if missing (for tests/e2e)
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  echo "installing Debian's $(BROWSER_PACKAGES) for the browser tests"; \
	  $(SUDO) apt-get update; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $(BROWSER_PACKAGES); \
	fi

# The browser tests run inside `make pytest`, so `make test` installs the browser first.
pytest: browser-deps

# ---- benchmarks ----------------------------------------------------------------------------------------

bench-tools: ## install Debian's wrk if it is missing
	@command -v wrk >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y wrk; }

# In `make test`: every bench scenario answers on Erlen with the status, headers that matter and body Flask gives,
# so a fast path can never be fast by answering differently. Timing stays out of `make test`.
bench-smoke: $(BENCH_STAMP) ## one request per bench scenario on each framework; fails if Erlen != Flask
	$(BENCH_VENV)/bin/python bench/run.py --smoke

bench: $(BENCH_STAMP) bench-tools ## Erlen vs Flask, Bottle, Falcon (separate venv .venv-bench)
	$(BENCH_VENV)/bin/python bench/run.py $(BENCH_ARGS)

# ---- cleaning ------------------------------------------------------------------------------------------

clean: ## remove caches and build output (keeps the venvs)
	rm -rf .cache .mypy_cache .ruff_cache .pytest_cache build dist src/*.egg-info
	find . -path ./$(VENV) -prune -o -path ./$(BENCH_VENV) -prune -o -name __pycache__ -type d -print0 \
	  | xargs -0 rm -rf

distclean: clean ## clean, and remove .venv and .venv-bench
	rm -rf $(VENV) $(BENCH_VENV)
