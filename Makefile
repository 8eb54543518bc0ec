# The one entry point. `make run` and `make test` install whatever is missing first.
SHELL := /bin/bash
PYTHON ?= python3
BACKEND := backend
VENV := $(BACKEND)/.venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench eval load contract install clean-data

install: $(STAMP)

$(STAMP): $(BACKEND)/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (set PYTHON=...)")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@# torch first and pinned: pip then keeps this CPU build instead of pulling CUDA wheels
	$(PY) -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install --quiet --disable-pip-version-check -e '$(BACKEND)[dev]'
	@touch $@

run: install ## start the whole product on embedded defaults (PORT, DATA_DIR, DATABASE_URL...)
	$(VENV)/bin/contactcenter serve

test: install lint ## every test
	cd $(BACKEND) && .venv/bin/pytest -q

lint: install
	cd $(BACKEND) && .venv/bin/ruff check src tests bench && .venv/bin/ruff format --check src tests bench && .venv/bin/mypy

format: install
	cd $(BACKEND) && .venv/bin/ruff check --fix src tests bench && .venv/bin/ruff format src tests bench

bench: install ## latency and throughput figures (see specs/.../plan.md)
	cd $(BACKEND) && .venv/bin/python -m bench.foundation
	cd $(BACKEND) && .venv/bin/python -m bench.knowledge
	cd $(BACKEND) && .venv/bin/python -m bench.pipeline
	cd $(BACKEND) && .venv/bin/python -m bench.hitl

CUSTOMERS ?= 100
MESSAGES ?= 3
load: install ## drive CUSTOMERS simulated customers (HTTP + WebSocket) and agents; LLM_LATENCY_MS=1000 for a simulated chat model
	cd $(BACKEND) && .venv/bin/python -m bench.load --customers $(CUSTOMERS) --messages $(MESSAGES) $(if $(LLM_LATENCY_MS),--llm-latency-ms $(LLM_LATENCY_MS),)

EVAL_DIR ?= ../shared/eval
eval: install ## quality on the labelled sets in ../shared/eval (triage, safety, injection, retrieval, answers)
	$(VENV)/bin/contactcenter eval classify --data $(EVAL_DIR)/classification_dev.jsonl
	$(VENV)/bin/contactcenter eval safety --data $(EVAL_DIR)/safety_binary_dev.jsonl
	$(VENV)/bin/contactcenter eval injection --data $(EVAL_DIR)/injection_dev.jsonl
	$(VENV)/bin/contactcenter eval retrieval --corpus $(EVAL_DIR)/retrieval_dev/corpus.jsonl --queries $(EVAL_DIR)/retrieval_dev/queries.jsonl
	$(VENV)/bin/contactcenter eval answers --corpus $(EVAL_DIR)/retrieval_dev/corpus.jsonl --queries $(EVAL_DIR)/retrieval_dev/queries.jsonl

contract: install ## write shared/openapi.json and shared/realtime-events.schema.json
	$(VENV)/bin/contactcenter export-contract shared

clean-data: ## forget all local state (embedded database, secrets, demo password)
	rm -rf .data
