# Every target works on a fresh machine with Python 3.11+: it creates .venv and installs what is
# missing from the locks in requirements/ (docs/development.md). `make demo` needs nothing else: no
# root, no apt, no browser. `make test` also needs the dev tools (requirements/dev.lock) and a
# Chromium for the demo test's visit of the UI (prestashop_infor_tests/tools.py finds one, or says what to install).
# A stamp file keeps a second call fast; it is redone when pyproject.toml or its lock changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PRODUCT_STAMP := $(VENV)/.installed-product
DEV_STAMP := $(VENV)/.installed-dev
# The tool that writes the locks (`make lock`): uv resolves one lock valid on Linux and macOS alike.
UV_VERSION := 0.13.9
# LOCK_ARGS: --upgrade (every package to its newest allowed) or --upgrade-package NAME; without it,
# what is locked stays and only what pyproject.toml changed moves.
LOCK_ARGS ?=
LOCK := $(BIN)/uv pip compile pyproject.toml --universal --generate-hashes --quiet --custom-compile-command "make lock" $(LOCK_ARGS)

# The project's own bytecode, written where it is installed (editable): with PYTHONDONTWRITEBYTECODE
# set, as in many shells and containers, Python would otherwise compile every module again in each
# process, and every Dagster run starts one (about 0.2 s of each run's launch, benchmarks/latency.py).
# Quick when nothing changed; a module edited since is compiled again in memory, never run stale.
COMPILE := $(BIN)/python -m compileall -q prestashop_infor

.PHONY: demo test bench lint install dev lock clean module

install: $(PRODUCT_STAMP)

dev: $(DEV_STAMP)

# pip 23.3 or newer: older ones misread an extra in a hashed lock (dagster-graphql's gql[requests]).
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "prestashop-infor needs Python 3.11 or newer; '$(PYTHON)' is not: run make with PYTHON=python3.12 (or another 3.11+)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "pip>=23.3"

# The product alone (what `make demo` runs): the locked versions, checked against their hashes, then
# the project itself without resolving anything again.
$(PRODUCT_STAMP): pyproject.toml requirements/product.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/product.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# The product with the dev tools (tests, lint, benchmarks): the same versions, and more.
$(DEV_STAMP): pyproject.toml requirements/dev.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

demo: $(PRODUCT_STAMP)
	@$(COMPILE)
	$(BIN)/prestashop-infor demo

# Before pytest: ruff (`make lint`), then the code location must load as `dagster dev` loads it
# (without DAGSTER_HOME, Dagster makes a temporary instance from dagster.yaml and removes it), then
# the outside programs come: installed with apt as root on Debian, named otherwise.
test: lint $(DEV_STAMP)
	$(BIN)/dagster definitions validate -w workspace.yaml
	$(BIN)/python -m prestashop_infor_tests.tools
	@$(COMPILE)
	$(BIN)/python -m pytest -n 2

bench: $(DEV_STAMP)
	@$(COMPILE)
	@for script in benchmarks/[a-z]*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

lint: $(DEV_STAMP)
	$(BIN)/ruff check prestashop_infor prestashop_infor_tests benchmarks
	$(BIN)/ruff format --check prestashop_infor prestashop_infor_tests benchmarks

# The PrestaShop module (prestashop-module/README.md) as a shop's module uploader takes it: a zip whose
# top folder is prestashopinfor/. Python's zipfile writes it, so no zip program is needed.
MODULE_ZIP ?= dist/prestashopinfor.zip

module: | $(BIN)/python
	mkdir -p $(dir $(MODULE_ZIP))
	rm -f $(MODULE_ZIP)
	cd prestashop-module && $(abspath $(BIN)/python) -m zipfile -c $(abspath $(MODULE_ZIP)) prestashopinfor

# Refreshes the locks from pyproject.toml: the product's first, then the dev tools' and the image's
# constrained by it, so the tests and the image run exactly the versions the demo runs.
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(LOCK) -o requirements/product.lock
	$(LOCK) --extra dev -c requirements/product.lock -o requirements/dev.lock
	$(LOCK) --extra docker -c requirements/product.lock -o requirements/docker.lock
	$(LOCK) --extra k8s -c requirements/product.lock -o requirements/k8s.lock

clean:
	rm -rf $(VENV) .pytest_cache
