# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The install also compiles the C kernels (hatch_build.py): editing them reinstalls.
NATIVE := hatch_build.py src/ramparts/detectors/_native.c src/ramparts/detectors/_native_runs.c
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml $(NATIVE) | sha1sum | cut -c1-12)
DATA   ?= ./ramparts-data

.PHONY: run test lint typecheck unit install dev bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml $(NATIVE)
	$(BIN)/pip install -q -e '.[dev,spark]'
	touch $(STAMP)

install: $(STAMP)

## make run: install, initialise the embedded store, start the gateway on 127.0.0.1:8080
run: install
	$(BIN)/ramparts quickstart --data-dir $(DATA)

## make test: lint, type check and the whole suite (starts PostgreSQL/Redis if down)
test: install
	bash scripts/services.sh
	bash scripts/ensure-tools.sh
	$(BIN)/ruff check src tests bench training
	$(BIN)/ruff format --check src tests bench training
	$(BIN)/mypy
	$(BIN)/pytest -q

bench: install
	$(BIN)/python bench/gateway.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
