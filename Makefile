# Two commands for a fresh machine (only Python >= 3.11 needed):
#   make demo   set up .venv, score the bundled sample in graphs/demo, write out/demo
#   make test   set up .venv (with test tools) and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out/demo

.PHONY: demo test setup lint docs clean

# the demo needs only ringlens itself; the tests also need the dev extra
$(BIN)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@ $(BIN)/.installed-run

setup: $(BIN)/.installed

demo: $(BIN)/.installed-run
	$(BIN)/ringlens score graphs/demo --out $(OUT)

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check src tests bench scripts

docs: setup
	$(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) out site .pytest_cache
