# Two commands: `make run` (set up, demo data, serve) and `make test` (set up, whole suite).
# `make run` installs what the product needs at run time (requirements.lock); `make test` adds the test set
# (requirements-test.lock: pytest, Playwright, pm4py, ruff, mypy). Each has its own stamp, so `make test` after
# `make run` installs only the test packages, and either reinstalls when its lock changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --quiet --disable-pip-version-check
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
STAMP_NPM := node_modules/.installed

.PHONY: setup run test test-sqlite test-postgres bench lint clean

setup: $(STAMP_RUN) $(STAMP_NPM)
	$(BIN)/zhunru init --demo

$(STAMP_RUN): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.lock
	$(PIP) --no-deps --no-build-isolation -e .
	touch $@

$(STAMP_TEST): $(STAMP_RUN) requirements-test.lock
	$(PIP) -r requirements-test.lock
	touch $@

$(STAMP_NPM): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

run: setup
	$(BIN)/zhunru serve

test: $(STAMP_TEST) $(STAMP_NPM)
	$(BIN)/ruff check engine handlers web tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

test-postgres: $(STAMP_TEST) $(STAMP_NPM)
	ZHUNRU_TEST_DATABASE_URL=$${ZHUNRU_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
		$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache
