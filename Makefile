# changeflow developer commands. `make demo` and `make test` are the whole quick start.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP_RUN = $(VENV)/.installed-run
STAMP_DEV = $(VENV)/.installed-dev
STAMP_WEB = $(VENV)/.installed-web

.PHONY: demo serve test test-reliability lint typecheck pytest postgres chromium screenshots bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_WEB): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[web]'
	touch $@ $(STAMP_RUN)

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP_RUN) $(STAMP_WEB)

demo: $(STAMP_RUN)  ## run the 2019 Probolinggo cohort end to end on a fresh SQLite file (changeflow-demo.db)
	$(BIN)/changeflow demo

serve: $(STAMP_WEB)  ## the cohort board on a fresh demo database: prints the URL and the demo accounts
	$(BIN)/changeflow serve --demo $(SERVE_ARGS)

lint: $(STAMP_DEV)
	$(BIN)/ruff check src tests examples benchmarks scripts
	$(BIN)/ruff format --check src tests examples benchmarks scripts

typecheck: $(STAMP_DEV)
	$(BIN)/mypy --strict src

postgres:  ## install PostgreSQL server binaries for the tests' private server (as root; else says how)
	@bash scripts/ensure-postgres

chromium:  ## install Chromium for the web board's browser tests (as root; else says how)
	@bash scripts/ensure-chromium

# `make test` spreads the suite over one pytest-xdist worker per core (each worker starts its own
# private PostgreSQL server); `make pytest PYTEST_WORKERS=0` runs it in one process.
PYTEST_WORKERS ?= auto

pytest: $(STAMP_DEV) postgres chromium
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

screenshots: $(STAMP_DEV) chromium  ## refresh docs/images/board*.png from the browser test
	CHANGEFLOW_SCREENSHOTS=$(CURDIR)/docs/images $(BIN)/python -m pytest -q tests/browser/test_board_flow.py

test: lint typecheck pytest  ## lint, type-check and run the whole suite

test-reliability: $(STAMP_DEV) postgres  ## every reliability check, the full-size (heavy) variants included
	$(BIN)/python -m pytest -m "" tests/reliability $(PYTEST_ARGS)

bench: $(STAMP_DEV)  ## measure changeflow against its anchors (< 10 min); writes benchmarks/results/latest.{json,md}
	-$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist
