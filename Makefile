# Two entry points: `make demo` and `make test`. Each creates/refreshes .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check lint typecheck pytest venv assets sample bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# Leaflet and its plugins, from the npm registry, pinned by package-lock.json
# (sha512), verified and copied with their licences into build/assets/dist/ (read by
# the editable install; a wheel carries its own copy, see setup.py).
assets: $(STAMP)
	$(BIN)/python scripts/fetch_assets.py

demo: $(STAMP) assets
	$(BIN)/gupgeo valider data/sample --dossier-rejets out
	$(BIN)/gupgeo carte data/sample -o out/carte_territoire.html --publication partenaires \
		--titre "Territoire de démonstration" --sous-titre "Tours Métropole — données synthétiques" \
		--sources "échantillon synthétique gupgeo ; périmètres QPV approximatifs"
	$(BIN)/gupgeo atlas data/sample -o out/atlas --periode 2024
	$(BIN)/gupgeo revue OP-03 --territoire data/sample --mois 18 -o out/revue_OP-03.html
	$(BIN)/gupgeo diagnostic releve DEM-07 --territoire data/sample --date 31/12/2024 -o out/diagnostics
	$(BIN)/gupgeo diagnostic suivi data/sample --date 31/12/2024 -o out/diagnostics

LINT_PATHS := $(wildcard gupgeo tests scripts benchmarks setup.py)

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) assets
	$(BIN)/python -m pytest

test: lint typecheck pytest

# The fast loop of a change: lint, types, and every test that needs no browser, no
# database, no QGIS and no long end-to-end run (a few minutes on a quiet machine).
SLOW_FILES := test_postgis test_cli_postgis test_attribution_database test_qgis test_wheel \
	test_notebooks test_distributed test_reliability test_publication_hostile

check: lint typecheck assets
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not browser and not slow" \
		$(foreach f,$(SLOW_FILES),--ignore=tests/$(f).py)

sample: $(STAMP)
	$(BIN)/python scripts/make_quartiers.py
	$(BIN)/python scripts/make_sample_territory.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
