"""A test session or a benchmark deletes the topics it made, and nothing else."""

from __future__ import annotations

import uuid

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from spean_local.endpoints import Endpoints
from spean_local.scratch import delete_scratch_topics, topic_names
from tests.support.app import eventually


async def _create(bootstrap: str, *names: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, 1, 1) for name in names])
    finally:
        await admin.close()


async def test_a_run_deletes_the_topics_of_its_own_namespaces_made_since_it_began(servers: Endpoints) -> None:
    bootstrap = servers.kafka_bootstrap
    older = f"kit-{uuid.uuid4().hex[:8]}.spean.identification.v1"
    ours = f"bench-{uuid.uuid4().hex[:8]}.spean.identification.v1"
    platform = f"spean.scratch-test-{uuid.uuid4().hex[:8]}.v1"
    await _create(bootstrap, older)
    before = await topic_names(bootstrap)
    await _create(bootstrap, ours, platform)
    try:
        assert await delete_scratch_topics(bootstrap, before) == [ours]

        async def gone() -> bool:
            return ours not in await topic_names(bootstrap)

        await eventually(gone, what=f"{ours} deleted")
        assert {older, platform} <= await topic_names(bootstrap)
    finally:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.delete_topics([older, platform])
        finally:
            await admin.close()
