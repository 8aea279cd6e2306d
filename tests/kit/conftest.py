"""Fixtures for testing the kit through a minimal service on the real servers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from spean_kit.settings import ServiceSettings
from spean_local.endpoints import Endpoints
from spean_local.pytest_plugin import DatabaseFactory, TokenFactory
from spean_local.scratch import scratch_namespace
from tests.support.app import service_settings

SettingsFactory = Callable[..., Awaitable[ServiceSettings]]


@pytest.fixture
def make_settings(servers: Endpoints, new_database: DatabaseFactory) -> SettingsFactory:
    async def make(**overrides: Any) -> ServiceSettings:
        namespace = scratch_namespace("kit")
        values: dict[str, Any] = {
            "service_name": namespace.rstrip("."),
            # Topics of its own: a test never reads what earlier tests or runs left on the shared Kafka.
            "topic_namespace": namespace,
            "audience": "spean-identification",
            "consumer_backoff_seconds": 0.01,
            "consumer_max_attempts": 3,
        }
        database = overrides.pop("database_url", None) or await new_database()
        return service_settings(ServiceSettings, servers, database, **(values | overrides))

    return make


@pytest.fixture(scope="session")
def moi_token(machine_token: TokenFactory) -> Callable[[], str]:
    """A fresh token of the MoI machine client (role screener, audience of the four services)."""
    return lambda: machine_token("moi-case-system")
