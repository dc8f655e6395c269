# casekit: every job a user or CI runs. `make review` and `make test` set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CHROMIUM := /usr/bin/chromium
CHP := $(VENV)/node/node_modules/.bin/configurable-http-proxy

.PHONY: install review test lint app lab data docs bench clean postgres java

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "casekit needs Python 3.11 or newer: set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The browser tests drive Debian's Chromium (never a browser download).
$(CHROMIUM):
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "The browser tests need Debian's chromium: run 'sudo apt-get install chromium', then 'make test' again." >&2; \
		exit 2; \
	fi

# The store's tests also run on PostgreSQL: a throwaway cluster of Debian's postgresql, which
# they run as the postgres user when root (tests/pg_helpers.py), or the server that
# $CASEKIT_TEST_PG_URL names.
postgres:
	@if [ -n "$$CASEKIT_TEST_PG_URL" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| command -v initdb >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else \
		echo "The PostgreSQL tests need Debian's postgresql: run 'sudo apt-get install postgresql' (or set CASEKIT_TEST_PG_URL to a server where you are a superuser), then 'make test' again." >&2; \
		exit 2; \
	fi

# Spark (the engine for clusters; local mode in the tests) runs on Java 17 or newer: Debian's
# default-jre-headless, when root.
java:
	@if command -v java >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; \
	else \
		echo "The Spark tests need Java 17 or newer: run 'sudo apt-get install default-jre-headless', then 'make test' again." >&2; \
		exit 2; \
	fi

# The JupyterHub test's proxy: configurable-http-proxy from the npm registry, into .venv/node
# (Debian's nodejs and npm first, when root and npm is missing).
$(CHP):
	@if ! command -v npm >/dev/null 2>&1; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
		else \
			echo "The JupyterHub test needs Node.js and npm: run 'sudo apt-get install nodejs npm', then 'make test' again." >&2; \
			exit 2; \
		fi; \
	fi
	npm install --silent --no-audit --no-fund --prefix $(VENV)/node configurable-http-proxy@5.3.0

# The main job: a self-contained HTML review per team of the committed synthetic data.
review: install
	$(BIN)/casekit review --data data/synthetic --out reports --team all --jobs 2

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/mypy

test: install lint $(CHROMIUM) postgres java $(CHP)
	CASEKIT_DEMO_STORE=$(CURDIR)/.pytest_cache/demo.sqlite $(BIN)/python -m pytest -n 2 --dist loadfile --doctest-modules --nbval-lax --nbval-current-env casekit notebooks tests

app: install
	$(BIN)/casekit app

lab: install
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

data: install
	$(BIN)/casekit synth --out data/synthetic --seed 0 --overwrite

docs: install
	$(BIN)/casekit contract > docs/data-contract.md
	$(BIN)/casekit flag-guide > docs/flags.md
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

bench: install
	$(BIN)/python benchmarks/bench_foundation.py
	$(BIN)/python benchmarks/bench_chronology.py
	$(BIN)/python benchmarks/bench_timeline.py
	$(BIN)/python benchmarks/bench_research.py
	$(BIN)/python benchmarks/bench_research_engines.py
	$(BIN)/python benchmarks/bench_records.py
	$(BIN)/python benchmarks/bench_decision_flags.py
	$(BIN)/python benchmarks/bench_review.py
	$(BIN)/python benchmarks/bench_supervision.py
	$(BIN)/python benchmarks/bench_step_down.py
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_store_import.py
	$(BIN)/python benchmarks/bench_store_review.py
	$(BIN)/python benchmarks/bench_writers.py
	$(BIN)/python benchmarks/bench_security.py
	$(BIN)/python benchmarks/bench_audit.py
	$(BIN)/python benchmarks/bench_roles.py
	$(BIN)/python benchmarks/bench_migrations.py
	$(BIN)/python benchmarks/bench_engines.py
	$(BIN)/python benchmarks/bench_study.py --sizes 20000 200000  # all four sizes: --root DIR (1.2 GiB, an hour)

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info reports site
