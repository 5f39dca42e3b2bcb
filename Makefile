# Self-explaining targets; the README's two commands do the same without make.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: help build validate test lint bench virtuoso virtuoso-stop clean

help:            ## list targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(PY):
	python3 -m venv $(VENV) && $(PY) -m pip install -q -e '.[test]'

build: $(PY)     ## validate the sources and write the release into out/
	$(PY) build.py

validate: $(PY)  ## run the gate without writing
	$(VENV)/bin/ketamine-kg validate

test: $(PY)      ## run the test suite
	$(PY) -m pytest

lint: $(PY)      ## ruff lint and format check, mypy (the suite runs the same in tests/test_lint.py)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy

bench: $(PY)     ## build wall time: median of 5 fresh-process runs, cold and warm cache
	$(PY) bench/build_time.py

VIRTUOSO_DIR ?= .cache/virtuoso
virtuoso: $(PY)  ## start a throwaway Virtuoso on free loopback ports (stop: make virtuoso-stop)
	$(PY) scripts/virtuoso.py start $(VIRTUOSO_DIR)

virtuoso-stop:   ## stop the Virtuoso started by make virtuoso, delete its data
	$(PY) scripts/virtuoso.py stop $(VIRTUOSO_DIR) && rm -rf $(VIRTUOSO_DIR)

clean:           ## remove caches (not the committed release)
	rm -rf .cache .pytest_cache .ruff_cache
