# Descent: `make run` serves everything, `make test` runs the whole test suite.
# Both set themselves up on a fresh clone (Python 3.11+; Node.js for front-end packages):
# `make run` installs requirements.lock only; `make test` adds requirements-dev.lock.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Two stamps: `make run` needs the runtime lock only; the test, lint, fuzz and bench targets
# add the dev lock (a superset of the runtime pins: pytest, Playwright, ruff, ...).
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check
# Front-end bundles esbuild makes from frontend/ (served from build/static/ as /static/).
BUNDLES := build/static/js/spec-editor.js

.PHONY: run test lint audit fuzz bench bench-engine bench-pages bench-live bench-load \
	bench-cluster bench-first-run install install-runtime frontend lock clean

# The editable install of the project itself uses build isolation: pip brings setuptools and
# wheel for that one build, so the runtime lock needs no build tools.
$(STAMP): requirements.lock pyproject.toml | node_modules/.installed $(BUNDLES)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements.lock
	$(PIP_INSTALL) --no-deps -e .
	touch $(STAMP)

$(DEV_STAMP): requirements-dev.lock $(STAMP)
	$(PIP_INSTALL) -r requirements-dev.lock
	touch $(DEV_STAMP)

# Front-end packages (uPlot) from package-lock.json; without npm the pages show numbers only.
node_modules/.installed: package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "warning: npm is not on PATH: skipping front-end packages (uPlot)." >&2; \
		echo "warning: run pages will show their numbers without the loss chart." >&2; \
	elif [ ! -f node_modules/.package-lock.json ] || \
			[ node_modules/.package-lock.json -ot package-lock.json ]; then \
		npm ci --no-audit --no-fund && touch $@; \
	else \
		touch $@; \
	fi

# Everything, test tools included (.ci/run calls this, then `make test`).
install: $(DEV_STAMP) node_modules/.installed $(BUNDLES)

# What `make run` needs and nothing more.
install-runtime: $(STAMP) node_modules/.installed $(BUNDLES)

# The spec editor (CodeMirror 6 + JSON linting), bundled by esbuild from package-lock.json's
# pins; without npm the submit page keeps its plain textarea.
frontend: $(BUNDLES)

build/static/js/%.js: frontend/%.js node_modules/.installed
	@if [ -x node_modules/.bin/esbuild ]; then \
		node_modules/.bin/esbuild $< --bundle --format=esm --minify --target=es2020 \
			--log-level=warning --outfile=$@; \
	else \
		echo "warning: no esbuild (npm missing?): the spec editor stays a plain textarea." >&2; \
	fi

run: $(STAMP)
	$(PY) -m descent.stack run

test: $(DEV_STAMP)
	$(PY) -m descent.stack test $(PYTEST_ARGS)

# ruff (with flake8-bandit's S rules), the import contracts, and the dependency audit, which
# fails when it could not check anything unless AUDIT_OFFLINE_OK=1 (.ci/audit.py).
lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) .ci/audit.py

audit: $(DEV_STAMP)
	$(PY) .ci/audit.py

# Schemathesis with many more examples per API operation than CI's 200.
FUZZ_EXAMPLES ?= 2000
fuzz: $(DEV_STAMP)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m descent.stack test tests/security/test_api_fuzz.py -q -p no:cacheprovider

bench: $(DEV_STAMP)
	$(PY) -m bench

# The leaderboard API, the challenge page and a profile at 100 / 10k / 100k runs.
bench-pages: $(DEV_STAMP)
	$(PY) -m bench.pages $(BENCH_PAGES_ARGS)

bench-engine: $(DEV_STAMP)
	$(PY) bench/engine.py

# A smaller round: make bench-live BENCH_LIVE_ARGS="--clients 1,100 --layer redis"
bench-live: $(DEV_STAMP)
	$(PY) -m bench.live $(BENCH_LIVE_ARGS)

# 200 builders x 10 runs over 3 minutes, 500 spectators, on a stack of its own (two Uvicorn,
# two workers, beat); SMALL=1 for 20 x 5 with 50; BENCH_LOAD_ARGS for more (see --help).
bench-load: $(DEV_STAMP)
	$(PY) -m bench.load $(if $(SMALL),--small) $(BENCH_LOAD_ARGS)

# The same burst across network namespaces (root): db, redis, web1, web2, proxy, work1, work2,
# beat; kills web1 and work1 mid-burst. BENCH_CLUSTER_ARGS for more (see --help).
bench-cluster: $(DEV_STAMP)
	$(PY) -m bench.cluster $(BENCH_CLUSTER_ARGS)

# Fresh-clone `make run` -> home page answering, cold and warm pip cache (bench/first_run.py).
bench-first-run: $(DEV_STAMP)
	$(PY) bench/first_run.py $(BENCH_FIRST_RUN_ARGS)

# Recompile both locks from pyproject.toml, keeping every pin that still satisfies it.
lock: $(DEV_STAMP)
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
		-o requirements.lock pyproject.toml
	$(VENV)/bin/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url \
		--no-emit-find-links -o requirements-dev.lock pyproject.toml

clean:
	rm -rf $(VENV) var build
