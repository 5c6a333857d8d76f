# The two commands of the Quick start: `make demo` and `make test`.
# Each creates .venv if missing and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
BENCH := .venv-bench

.PHONY: demo test test-sktime lint typecheck docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# the demo uses a regular (non-editable) install, as a user would, with the nightly job's
# extra (so `trendcast init` then `trendcast run trendcast.toml` work); that replaces the
# editable one of the dev tools, so the next `make test` installs it again (else the
# tests would run against this copy, not the source being edited)
demo: $(BIN)/python
	$(PIP) install --quiet ".[job]"
	rm -f $(VENV)/.dev-installed
	$(BIN)/trendcast demo --out trendcast-output

$(VENV)/.dev-installed: $(BIN)/python pyproject.toml
	$(PIP) install --quiet -e ".[dev]"
	touch $@

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests examples benchmarks tools
	$(BIN)/lint-imports

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy src

docs: $(VENV)/.dev-installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

test: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests examples benchmarks tools
	$(BIN)/lint-imports
	$(BIN)/mypy src
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir site
	$(BIN)/python -m pytest -n 2 --durations=10
	$(MAKE) test-sktime

# sktime caps pandas below 3.1, so its adapter's check (sktime's check_estimator) runs in an
# environment of its own, as the benchmarks' peers do
SKTIME := .venv-sktime
test-sktime:
	test -x $(SKTIME)/bin/python || $(PYTHON) -m venv $(SKTIME)
	$(SKTIME)/bin/python -m pip install --quiet -e ".[sktime]" "pytest>=8"
	$(SKTIME)/bin/python -m pytest -o addopts="" -q --doctest-modules tests/test_sktime_adapter.py \
		tests/test_sktime_missing.py src/trendcast/adapters/sktime.py

# Side-by-side benchmarks against peers live in their own environment:
# statsforecast caps pandas below 3, which must never reach .venv.
$(BENCH)/bin/python:
	$(PYTHON) -m venv $(BENCH)
	$(BENCH)/bin/python -m pip install --quiet --upgrade pip

bench: $(BENCH)/bin/python
	$(BENCH)/bin/python -m pip install --quiet -r benchmarks/requirements.txt
	$(BENCH)/bin/python -m pip install --quiet -e .
	$(BENCH)/bin/python benchmarks/accuracy.py

clean:
	rm -rf $(VENV) $(BENCH) $(SKTIME) site trendcast-output .pytest_cache .mypy_cache .ruff_cache
