# Two commands: `make run` and `make test`. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

.PHONY: run test lint bench clean eval

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(BIN)/python -m curation init-db --seed-demo-if-empty
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

lint: $(VENV)/.dev
	$(BIN)/ruff check .

test: lint
	$(BIN)/pytest

bench: $(VENV)/.dev
	$(BIN)/python -m curation.bench

clean:
	rm -rf $(VENV) tests/artifacts .pytest_cache .ruff_cache

# The model per real account in tests/fixtures/real (issue 12): model vs baselines, coverage, planner replay.
eval: $(VENV)/.runtime
	$(BIN)/python -m curation eval-real
