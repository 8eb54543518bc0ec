# The one entry point. `make run` and `make test` install whatever is missing first.
SHELL := /bin/bash
PYTHON ?= python3
BACKEND := backend
VENV := $(BACKEND)/.venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

FRONTEND := frontend
NODE_STAMP := $(FRONTEND)/node_modules/.installed
WEB_STAMP := $(FRONTEND)/dist/.built
WEB_SOURCES := $(shell find $(FRONTEND)/src $(FRONTEND)/widget $(FRONTEND)/public -type f 2>/dev/null) \
	$(FRONTEND)/index.html $(FRONTEND)/app.html $(wildcard $(FRONTEND)/vite*.ts) \
	$(FRONTEND)/tsconfig.app.json shared/openapi.d.ts

.PHONY: run test lint format bench eval load contract install web e2e test-web clean-data

install: $(STAMP) $(NODE_STAMP)

$(STAMP): $(BACKEND)/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (set PYTHON=...)")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@# torch first and pinned: pip then keeps this CPU build instead of pulling CUDA wheels
	$(PY) -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install --quiet --disable-pip-version-check -e '$(BACKEND)[dev]'
	@touch $@

$(NODE_STAMP): $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
	@node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a < 20 || (a === 20 && b < 19)) { console.error("Node 20.19 or newer is required (found " + process.version + ")"); process.exit(1) }'
	cd $(FRONTEND) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

web: $(WEB_STAMP) ## build the web app (frontend/dist): demo site, widget, console
$(WEB_STAMP): $(NODE_STAMP) $(WEB_SOURCES)
	cd $(FRONTEND) && npm run build
	@touch $@

run: install web ## start the whole product on embedded defaults (PORT, DATA_DIR, DATABASE_URL...)
	$(VENV)/bin/contactcenter serve

test: install lint web ## every test: backend, frontend units, browser journeys
	cd $(BACKEND) && .venv/bin/pytest -q
	cd $(FRONTEND) && npx vitest run
	$(MAKE) --no-print-directory e2e

test-web: install ## frontend unit and component tests only
	cd $(FRONTEND) && npx vitest run

e2e: install web ## the browser journeys (Playwright, /usr/bin/chromium) against a backend they start
	@test -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" || { echo "e2e needs Chromium at /usr/bin/chromium (apt-get install chromium) or CHROMIUM_PATH"; exit 1; }
	cd $(FRONTEND) && npx playwright test

lint: install
	cd $(BACKEND) && .venv/bin/ruff check src tests bench && .venv/bin/ruff format --check src tests bench && .venv/bin/mypy
	cd $(FRONTEND) && npx tsc -b && npm run --silent lint

format: install
	cd $(BACKEND) && .venv/bin/ruff check --fix src tests bench && .venv/bin/ruff format src tests bench
	cd $(FRONTEND) && npm run --silent format

bench: install ## latency and throughput figures (see specs/.../plan.md)
	cd $(BACKEND) && .venv/bin/python -m bench.foundation
	cd $(BACKEND) && .venv/bin/python -m bench.knowledge
	cd $(BACKEND) && .venv/bin/python -m bench.pipeline
	cd $(BACKEND) && .venv/bin/python -m bench.hitl

CUSTOMERS ?= 100
MESSAGES ?= 3
load: install ## drive CUSTOMERS simulated customers (HTTP + WebSocket) at a human pace (THINK_S=30) and agents; LLM_LATENCY_MS=1000 for a simulated chat model
	cd $(BACKEND) && .venv/bin/python -m bench.load --customers $(CUSTOMERS) --messages $(MESSAGES) $(if $(THINK_S),--think-s $(THINK_S),) $(if $(LLM_LATENCY_MS),--llm-latency-ms $(LLM_LATENCY_MS),)

EVAL_DIR ?= ../shared/eval
eval: install ## quality on the labelled sets in ../shared/eval (triage, safety, injection, retrieval, answers)
	$(VENV)/bin/contactcenter eval classify --data $(EVAL_DIR)/classification_dev.jsonl
	$(VENV)/bin/contactcenter eval safety --data $(EVAL_DIR)/safety_binary_dev.jsonl
	$(VENV)/bin/contactcenter eval injection --data $(EVAL_DIR)/injection_dev.jsonl
	$(VENV)/bin/contactcenter eval retrieval --corpus $(EVAL_DIR)/retrieval_dev/corpus.jsonl --queries $(EVAL_DIR)/retrieval_dev/queries.jsonl
	$(VENV)/bin/contactcenter eval answers --corpus $(EVAL_DIR)/retrieval_dev/corpus.jsonl --queries $(EVAL_DIR)/retrieval_dev/queries.jsonl

contract: install ## write shared/openapi.json, shared/realtime-events.schema.json and the TS types
	$(VENV)/bin/contactcenter export-contract shared
	cd $(FRONTEND) && npm run contract

clean-data: ## forget all local state (embedded database, secrets, demo password)
	rm -rf .data
