# Descent: `make run` serves everything, `make test` runs the whole test suite.
# Both set themselves up on a fresh clone (Python 3.11+; Node.js for front-end packages).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint audit fuzz bench bench-engine bench-pages bench-live bench-load bench-cluster install clean

$(STAMP): requirements.lock pyproject.toml | node_modules/.installed
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

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

install: $(STAMP) node_modules/.installed

run: $(STAMP)
	$(PY) -m descent.stack run

test: $(STAMP)
	$(PY) -m descent.stack test $(PYTEST_ARGS)

# ruff (with flake8-bandit's S rules), the import contracts, and the dependency audit, which
# fails when it could not check anything unless AUDIT_OFFLINE_OK=1 (.ci/audit.py).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) .ci/audit.py

audit: $(STAMP)
	$(PY) .ci/audit.py

# Schemathesis with many more examples per API operation than CI's 200.
FUZZ_EXAMPLES ?= 2000
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m descent.stack test tests/security/test_api_fuzz.py -q -p no:cacheprovider

bench: $(STAMP)
	$(PY) -m bench

# The leaderboard API, the challenge page and a profile at 100 / 10k / 100k runs.
bench-pages: $(STAMP)
	$(PY) -m bench.pages $(BENCH_PAGES_ARGS)

bench-engine: $(STAMP)
	$(PY) bench/engine.py

# A smaller round: make bench-live BENCH_LIVE_ARGS="--clients 1,100 --layer redis"
bench-live: $(STAMP)
	$(PY) -m bench.live $(BENCH_LIVE_ARGS)

# 200 builders x 10 runs over 3 minutes, 500 spectators, on a stack of its own (two Uvicorn,
# two workers, beat); SMALL=1 for 20 x 5 with 50; BENCH_LOAD_ARGS for more (see --help).
bench-load: $(STAMP)
	$(PY) -m bench.load $(if $(SMALL),--small) $(BENCH_LOAD_ARGS)

# The same burst across network namespaces (root): db, redis, web1, web2, proxy, work1, work2,
# beat; kills web1 and work1 mid-burst. BENCH_CLUSTER_ARGS for more (see --help).
bench-cluster: $(STAMP)
	$(PY) -m bench.cluster $(BENCH_CLUSTER_ARGS)

clean:
	rm -rf $(VENV) var
