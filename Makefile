# Every target works on a fresh machine: it creates .venv and installs what is missing.
# The stamp file keeps a second call fast; it is redone when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint install clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# the UI test drives Debian's Chromium through Playwright (nothing downloaded at run time)
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/prestashop-infor demo

test: $(STAMP)
	$(BIN)/python -m pytest -n 2

bench: $(STAMP)
	@for script in benchmarks/[a-z]*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check prestashop_infor prestashop_infor_tests benchmarks
	$(BIN)/ruff format --check prestashop_infor prestashop_infor_tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache
