# Two commands: `make run` serves the demo on http://127.0.0.1:5000; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup setup-dev lint format bench clean

$(VENV)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

setup: $(VENV)/.runtime

setup-dev: $(VENV)/.dev

run: setup
	$(FLASK) db upgrade
	$(FLASK) demo load --if-empty
	@echo
	@echo "Sign in to http://$(HOST):$(PORT) with one of these (role, user, password, API token):"
	@$(FLASK) demo credentials
	@echo
	$(FLASK) run --host $(HOST) --port $(PORT)

test: setup-dev
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup-dev
	$(BIN)/python -m benchmarks.locate
	$(BIN)/python -m benchmarks.collect_startup

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
