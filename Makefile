# company-risk — `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help install run test lint benchmark clean-data

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.lock requirements-spark.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	@# the Spark engine (extra `spark`) only where Java can run it; tests/test_spark.py skips otherwise
	if java -version >/dev/null 2>&1; then \
	  $(BIN)/python -m pip install --quiet -r requirements-spark.lock; \
	else echo "no Java runtime: skipping requirements-spark.lock (Spark engine)"; fi
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the locked dependencies

run: $(STAMP) ## From a fresh clone: install, then `dvc repro` the default synthetic world end to end
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dvc repro

test: $(STAMP) ## Install if needed, then run the whole test suite
	$(BIN)/python -m pytest -q

lint: $(STAMP) ## ruff check
	$(BIN)/ruff check src tests benchmarks

benchmark: $(STAMP) ## Estonia-scale benchmarks (tens of minutes); figures go to reports/benchmarks.json
	@# one at a time, so no benchmark's timing shares the cores with another's
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_features.py --default-world
	$(BIN)/python benchmarks/bench_score.py
	@# 100,000 unpaid invoices valued with a 380,000-company scored day
	$(BIN)/python benchmarks/bench_portfolio.py
	$(BIN)/python benchmarks/bench_serve.py
	@# final fits on a stratified 200,000-row subsample (models.max_train_rows), as in the README
	$(BIN)/python benchmarks/bench_train.py --max-train-rows 200000
	@# the default world from a fresh clone of HEAD: make run's pipeline time and its separability
	$(BIN)/python benchmarks/bench_world.py

clean-data: ## Remove generated data, the exported champion and the MLflow store (keeps code and READMEs)
	rm -rf data/raw data/truth data/interim data/processed data/scores models/champion mlflow.db mlartifacts
