# `make demo` and `make test` set themselves up: a fresh clone needs nothing installed.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
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

demo: setup
	$(VENV)/bin/synscale train --world mini --data real --scales 125,250,500,1000,2000 --seed 0 --workspace $(WORKSPACE)
	$(VENV)/bin/synscale results --workspace $(WORKSPACE)
	@echo "results: $(WORKSPACE)/results.duckdb"

test: setup
	$(VENV)/bin/python -m pytest -q

bench: setup
	for b in benchmarks/*.py; do $(PY) $$b; done

clean:
	rm -rf $(VENV) workspace
