# Descent: `make run` serves everything, `make test` runs the whole test suite.
# Both set themselves up on a fresh clone (Python 3.11+; Node.js for front-end packages).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench bench-engine install clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m descent.stack run

test: $(STAMP)
	$(PY) -m descent.stack test $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(STAMP)
	$(PY) -m bench

bench-engine: $(STAMP)
	$(PY) bench/engine.py

clean:
	rm -rf $(VENV) var
