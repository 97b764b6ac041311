# Two commands on a fresh machine (Python 3.11+ and make): `make demo`, `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
SYS_PYTHON := $(shell command -v python3)
UV := $(SYS_PYTHON) -m uv

export PATH := $(CURDIR)/$(BIN):$(PATH)
export DAGSTER_HOME := $(CURDIR)
DAGSTER_STATE := $(CURDIR)/.dagster

.PHONY: install demo test test-fast dev docs dashboards dbt-manifest lint clean bench bench-full bench-freshness bench-regression \
	prod-trial infra-synth infra-check

$(BIN)/.installed: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(SYS_PYTHON) -m pip install -q uv
	$(UV) sync --all-extras --frozen --compile-bytecode
	@touch $@

# the Dagster instance's state folder (dagster.yaml points there); never tracked in git
$(DAGSTER_STATE):
	@mkdir -p $@

install: $(BIN)/.installed

# Prepared once here, never at code-location load (dagster-dbt reads the manifest only).
dbt-manifest: install $(DAGSTER_STATE)
	$(BIN)/python -m platform_assets.warehouse.project

# the demo's console output is kept and scanned, with its runs, for secrets and PII
demo: dbt-manifest
	@mkdir -p .platform
	set -o pipefail; $(BIN)/lakehouse demo 2>&1 | tee .platform/demo.log
	$(BIN)/lakehouse leak-scan --log .platform/demo.log

test: dbt-manifest
	$(BIN)/pytest -q --durations=25

test-fast: dbt-manifest
	$(BIN)/pytest -q -m "not slow"

dev: dbt-manifest
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

docs: dbt-manifest
	$(BIN)/python -m platform_assets.warehouse.docs

# The business dashboards built by `make demo` (or the `dashboards` asset group), behind sign-in
# (users in .platform/dashboard_users.json, written by the demo), on http://127.0.0.1:8050
dashboards: install
	$(BIN)/lakehouse dashboards serve

# `prod` on this machine: moto's and fakesnow's servers, provisioning, a full load into S3 and
# the whole graph with PLATFORM_ENV=prod (`lakehouse prod down` stops the servers).
prod-trial: dbt-manifest
	$(BIN)/lakehouse prod up

# Benchmarks: quick mode in CI (checks they run), full mode by hand (1M and 10M rows).
bench: dbt-manifest
	$(BIN)/python -m bench.run --mode quick

bench-full: dbt-manifest
	$(BIN)/python -m bench.run --mode full

# The demo (100k orders), the code location's load and the event ingest, beside their last values.
bench-regression: dbt-manifest
	$(BIN)/python -m bench.regression

# Freshness needs `make dev` running in another shell (sensors, daemon, runs): first one run
# per batch (the capture sensor), then the long-lived stream (`lakehouse stream`).
bench-freshness: install
	$(BIN)/python -m bench.freshness --changes 50 --every 5
	$(BIN)/python -m bench.freshness --stream --changes 50 --every 5

# The AWS account as code (infra/): CloudFormation templates into cdk.out/, no AWS credentials needed;
# then cfn-lint and checkov (offline, isolated through uvx: it pins its own boto3) on them.
infra-synth: install
	$(BIN)/python -m infra.app --outdir cdk.out

infra-check: infra-synth
	$(BIN)/python -m infra.check cdk.out

# What CI checks before the tests: lint rules and formatting (ruff, settings in pyproject.toml)
lint: install
	$(BIN)/ruff check platform_assets tests bench infra
	$(BIN)/ruff format --check platform_assets tests bench infra

clean:
	rm -rf .lake .platform .dagster/storage .dagster/logs dbt_project/target
