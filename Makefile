# Two commands: `make run` (set up, demo data, serve) and `make test` (set up, whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_PY := $(VENV)/.installed
STAMP_NPM := node_modules/.installed

.PHONY: setup run test test-sqlite test-postgres bench lint clean

setup: $(STAMP_PY) $(STAMP_NPM)
	$(BIN)/zhunru init --demo

$(STAMP_PY): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

$(STAMP_NPM): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

run: setup
	$(BIN)/zhunru serve

test: $(STAMP_PY) $(STAMP_NPM)
	$(BIN)/ruff check engine handlers web tests benchmarks
	$(BIN)/python -m pytest -q

test-postgres: $(STAMP_PY)
	ZHUNRU_TEST_DATABASE_URL=$${ZHUNRU_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
		$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache
