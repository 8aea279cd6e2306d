"""Fixtures shared by the cross-service tests. The servers themselves come from the spean_servers plugin."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from spean_local.endpoints import Endpoints
from spean_local.pytest_plugin import DatabaseFactory
from spean_local.scratch import scratch_namespace
from tests.support.platform import Platform, national_platform
from tests.support.repatriation import countries, pki
from tests.support.telemetry import TelemetrySink, telemetry_sink

__all__ = ["countries", "new_topic", "pki", "platform", "telemetry_sink"]

# The services' metrics reach the collector every 5 s, as under `make up`, not every minute (the SDK's
# default): the console's figures must not depend on how long other tests ran before its own.
os.environ.setdefault("OTEL_METRIC_EXPORT_INTERVAL", "5000")

TopicFactory = Callable[[str], Awaitable[str]]


@pytest.fixture(scope="session")
async def new_topic(servers: Endpoints) -> AsyncIterator[TopicFactory]:
    """Creates a topic with a unique name per call, so runs sharing one Kafka never see each other's records
    (in a namespace of its own, `prefix-1a2b3c4d.records`, which the session deletes at its end)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap)
    await admin.start()

    async def create(prefix: str) -> str:
        name = scratch_namespace(prefix) + "records"
        await admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1)])
        return name

    yield create
    await admin.close()


@pytest.fixture
async def platform(
    servers: Endpoints, new_database: DatabaseFactory, telemetry_sink: TelemetrySink
) -> AsyncIterator[Platform]:
    async for running_platform in national_platform(servers, new_database, telemetry_sink):
        yield running_platform
