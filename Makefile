# Two entry points: `make demo` and `make test`. Each creates/refreshes .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest venv sample bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/gupgeo validate data/sample

LINT_PATHS := $(wildcard gupgeo tests scripts benchmarks)

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck pytest

sample: $(STAMP)
	$(BIN)/python scripts/make_quartiers.py
	$(BIN)/python scripts/make_sample_territory.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
