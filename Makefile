# `make demo` and `make test` set themselves up: a fresh clone needs nothing installed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
WORKSPACE ?= workspace/demo
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: setup demo test bench clean

setup: $(STAMP)

# Re-install only when the dependency declarations change.
$(STAMP): pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[gen,clip,ray,dev]'
	touch $(STAMP)

# The mini study so far: a real-data curve, a synthetic dataset (mini-pixel, CFG 2, class-name
# prompts) with its quality, the synthetic curve, and scaling-law fits of both. The dataset is
# named by its full folder name (it ends in a digest of the generator's resolved settings), so a
# workspace that also holds one made by older weights or defaults is not ambiguous.
GENERATE := $(BIN)/synscale generate --world mini --generator mini-pixel --cfg 2.0 --prompts classname --per-class 400 --seed 0 -w $(WORKSPACE) --json
demo: setup
	$(BIN)/synscale train --world mini --data real --scales 125,250,500,1000,2000 --seed 0 -w $(WORKSPACE) --quiet
	syn=$$($(GENERATE) | $(PY) -c 'import json, sys; print(json.load(sys.stdin)["path"])') && \
	syn=$$(basename $$syn) && echo "synthetic dataset: $$syn" && \
	$(BIN)/synscale measure $$syn -w $(WORKSPACE) && \
	$(BIN)/synscale train --world mini --data syn:$$syn --scales 125,250,500,1000,2000,4000 --seed 0 -w $(WORKSPACE) --quiet
	$(BIN)/synscale results -w $(WORKSPACE)
	$(BIN)/synscale fit -w $(WORKSPACE) --law power --law saturating
	@echo "results: $(WORKSPACE)/results.duckdb (synscale results -w $(WORKSPACE) --csv runs.csv)"

test: setup
	$(PY) -m pytest -q

bench: setup
	for b in benchmarks/*.py; do $(PY) $$b; done

clean:
	rm -rf $(VENV) workspace
